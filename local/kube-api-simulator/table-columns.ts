import { ageOf } from './human-duration';
import type { ResourceType } from './resource-type';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types';

/** A `metav1.TableColumnDefinition`. */
export interface ColumnDefinition extends JsonObject {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Columns and the function that fills one row's cells, for one kind. */
export interface TablePrinter {
  readonly columns: readonly ColumnDefinition[];
  readonly cells: (obj: KubeObject, now: number) => JsonValue[];
}

function col(name: string, type = 'string', priority = 0, format = ''): ColumnDefinition {
  return { name, type, format, description: `${name} column`, priority };
}
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

function o(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}
function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}
function n(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
function str(value: unknown, none = '<none>'): string {
  return typeof value === 'string' && value !== '' ? value : none;
}
function templateContainers(spec: JsonObject): JsonObject[] {
  return list(o(o(spec.template).spec).containers);
}
function joinNames(containers: JsonObject[], key: 'name' | 'image'): string {
  return containers.map((c) => String(c[key] ?? '')).join(',');
}
function selectorText(selector: unknown): string {
  const s = o(selector);
  const parts = Object.entries(o(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(s.matchExpressions)) parts.push(`${String(e.key)} ${String(e.operator).toLowerCase()} (${(Array.isArray(e.values) ? e.values : []).join(',')})`);
  return parts.length ? parts.join(',') : '<none>';
}
const age = (obj: KubeObject, now: number): string => ageOf(obj.metadata.creationTimestamp, now);

function podRow(pod: KubeObject, now: number): JsonValue[] {
  const spec = o(pod.spec);
  const status = o(pod.status);
  const statuses = list(status.containerStatuses);
  const total = list(spec.containers).length;
  const ready = statuses.filter((c) => c.ready === true).length;
  let reason = str(status.reason, str(status.phase, 'Unknown'));
  let restarts = 0;
  let lastRestart: string | undefined;
  for (const c of statuses) {
    restarts += n(c.restartCount);
    const waiting = o(o(c.state).waiting);
    const terminated = o(o(c.state).terminated);
    if (typeof waiting.reason === 'string') reason = waiting.reason;
    else if (typeof terminated.reason === 'string') reason = terminated.reason;
    const finished = o(o(c.lastState).terminated).finishedAt;
    if (typeof finished === 'string' && (!lastRestart || finished > lastRestart)) lastRestart = finished;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  const restartText = lastRestart && restarts > 0 ? `${restarts} (${ageOf(lastRestart, now)} ago)` : String(restarts);
  return [pod.metadata.name ?? '', `${ready}/${total}`, reason, restartText, age(pod, now), str(status.podIP), str(spec.nodeName), str(status.nominatedNodeName), '<none>'];
}

function servicePorts(spec: JsonObject): string {
  const ports = list(spec.ports).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`);
  return ports.length ? ports.join(',') : '<none>';
}

function subjectsOf(binding: KubeObject, kind: string): string {
  const names = list(binding.subjects)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${String(s.namespace ?? '')}/${String(s.name)}` : String(s.name)));
  return names.length ? names.join(', ') : '';
}

function jobStatus(status: JsonObject): string {
  const conditions = list(status.conditions);
  const has = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (has('Suspended')) return 'Suspended';
  return 'Running';
}

const PRINTERS: Record<string, TablePrinter> = {
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    cells: podRow,
  },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (d, now) => {
      const spec = o(d.spec);
      const st = o(d.status);
      return [d.metadata.name ?? '', `${n(st.readyReplicas)}/${n(spec.replicas)}`, n(st.updatedReplicas), n(st.availableReplicas), age(d, now), joinNames(templateContainers(spec), 'name'), joinNames(templateContainers(spec), 'image'), selectorText(spec.selector)];
    },
  },
  'apps/replicasets': {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (r, now) => {
      const spec = o(r.spec);
      const st = o(r.status);
      return [r.metadata.name ?? '', n(spec.replicas), n(st.replicas), n(st.readyReplicas), age(r, now), joinNames(templateContainers(spec), 'name'), joinNames(templateContainers(spec), 'image'), selectorText(spec.selector)];
    },
  },
  'apps/statefulsets': {
    columns: [NAME, col('Ready'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1)],
    cells: (s, now) => [s.metadata.name ?? '', `${n(o(s.status).readyReplicas)}/${n(o(s.spec).replicas)}`, age(s, now), joinNames(templateContainers(o(s.spec)), 'name'), joinNames(templateContainers(o(s.spec)), 'image')],
  },
  'apps/daemonsets': {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Node Selector'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (d, now) => {
      const st = o(d.status);
      const spec = o(d.spec);
      const nodeSelector = Object.entries(o(o(o(spec.template).spec).nodeSelector)).map(([k, v]) => `${k}=${String(v)}`).join(',');
      return [d.metadata.name ?? '', n(st.desiredNumberScheduled), n(st.currentNumberScheduled), n(st.numberReady), n(st.updatedNumberScheduled), n(st.numberAvailable), nodeSelector || '<none>', age(d, now), joinNames(templateContainers(spec), 'name'), joinNames(templateContainers(spec), 'image'), selectorText(spec.selector)];
    },
  },
  'batch/jobs': {
    columns: [NAME, col('Status'), col('Completions'), col('Duration'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (j, now) => {
      const st = o(j.status);
      const spec = o(j.spec);
      const start = typeof st.startTime === 'string' ? Date.parse(st.startTime) : NaN;
      const end = typeof st.completionTime === 'string' ? Date.parse(st.completionTime) : now;
      const duration = Number.isNaN(start) ? '' : ageOf(new Date(start).toISOString(), end);
      return [j.metadata.name ?? '', jobStatus(st), `${n(st.succeeded)}/${typeof spec.completions === 'number' ? spec.completions : 1}`, duration, age(j, now), joinNames(templateContainers(spec), 'name'), joinNames(templateContainers(spec), 'image'), selectorText(spec.selector)];
    },
  },
  'batch/cronjobs': {
    columns: [NAME, col('Schedule'), col('Timezone'), col('Suspend', 'boolean'), col('Active', 'integer'), col('Last Schedule'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (c, now) => {
      const spec = o(c.spec);
      const st = o(c.status);
      const jobSpec = o(o(spec.jobTemplate).spec);
      return [c.metadata.name ?? '', String(spec.schedule ?? ''), str(spec.timeZone), spec.suspend === true, list(st.active).length, st.lastScheduleTime ? ageOf(st.lastScheduleTime, now) : '<none>', age(c, now), joinNames(templateContainers(jobSpec), 'name'), joinNames(templateContainers(jobSpec), 'image'), selectorText(jobSpec.selector)];
    },
  },
  '/services': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    cells: (s, now) => {
      const spec = o(s.spec);
      const ingress = list(o(o(s.status).loadBalancer).ingress).map((i) => String(i.ip ?? i.hostname ?? ''));
      const external = spec.type === 'ExternalName' ? str(spec.externalName) : ingress.length ? ingress.join(',') : spec.type === 'LoadBalancer' ? '<pending>' : '<none>';
      const selector = Object.entries(o(spec.selector)).map(([k, v]) => `${k}=${String(v)}`).join(',');
      return [s.metadata.name ?? '', String(spec.type ?? 'ClusterIP'), str(spec.clusterIP), external, servicePorts(spec), age(s, now), selector || '<none>'];
    },
  },
  '/configmaps': { columns: [NAME, col('Data', 'integer'), AGE], cells: (c, now) => [c.metadata.name ?? '', Object.keys(o(c.data)).length + Object.keys(o(c.binaryData)).length, age(c, now)] },
  '/secrets': { columns: [NAME, col('Type'), col('Data', 'integer'), AGE], cells: (s, now) => [s.metadata.name ?? '', String(s.type ?? 'Opaque'), Object.keys(o(s.data)).length, age(s, now)] },
  '/serviceaccounts': { columns: [NAME, col('Secrets', 'integer'), AGE], cells: (s, now) => [s.metadata.name ?? '', list(s.secrets).length, age(s, now)] },
  '/namespaces': { columns: [NAME, col('Status'), AGE], cells: (ns, now) => [ns.metadata.name ?? '', String(o(ns.status).phase ?? 'Active'), age(ns, now)] },
  '/nodes': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    cells: (node, now) => {
      const st = o(node.status);
      const ready = list(st.conditions).find((c) => c.type === 'Ready');
      const roles = Object.keys(node.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
      const address = (type: string): string => str(list(st.addresses).find((a) => a.type === type)?.address);
      const info = o(st.nodeInfo);
      return [node.metadata.name ?? '', ready?.status === 'True' ? 'Ready' : 'NotReady', roles.length ? roles.join(',') : '<none>', age(node, now), String(info.kubeletVersion ?? ''), address('InternalIP'), address('ExternalIP'), str(info.osImage, '<unknown>'), str(info.kernelVersion, '<unknown>'), str(info.containerRuntimeVersion, '<unknown>')];
    },
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1)],
    cells: (e, now) => {
      const inv = o(e.involvedObject);
      const source = o(e.source);
      return [ageOf(e.lastTimestamp ?? e.eventTime, now), String(e.type ?? ''), String(e.reason ?? ''), `${String(inv.kind ?? '').toLowerCase()}/${String(inv.name ?? '')}`, String(inv.fieldPath ?? ''), [source.component, source.host].filter(Boolean).join(', '), String(e.message ?? ''), ageOf(e.firstTimestamp ?? e.eventTime, now), String(e.count ?? 1), e.metadata.name ?? ''];
    },
  },
  '/persistentvolumeclaims': {
    columns: [NAME, col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), col('VolumeAttributesClass'), AGE, col('VolumeMode', 'string', 1)],
    cells: (p, now) => {
      const spec = o(p.spec);
      const st = o(p.status);
      const modes = (Array.isArray(st.accessModes) ? st.accessModes : []).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[String(m)] ?? String(m));
      return [p.metadata.name ?? '', String(st.phase ?? 'Pending'), String(spec.volumeName ?? ''), String(o(st.capacity).storage ?? ''), modes.join(','), String(spec.storageClassName ?? ''), str(spec.volumeAttributesClassName, '<unset>'), age(p, now), String(spec.volumeMode ?? 'Filesystem')];
    },
  },
};

function bindingPrinter(roleKind: string): TablePrinter {
  return {
    columns: [NAME, col('Role'), AGE, col('Users', 'string', 1), col('Groups', 'string', 1), col('ServiceAccounts', 'string', 1)],
    cells: (b, now) => [b.metadata.name ?? '', `${String(o(b.roleRef).kind ?? roleKind)}/${String(o(b.roleRef).name ?? '')}`, age(b, now), subjectsOf(b, 'User'), subjectsOf(b, 'Group'), subjectsOf(b, 'ServiceAccount')],
  };
}
PRINTERS['rbac.authorization.k8s.io/rolebindings'] = bindingPrinter('Role');
PRINTERS['rbac.authorization.k8s.io/clusterrolebindings'] = bindingPrinter('ClusterRole');

// Roles and the kinds without a printer use the default table convertor: Name and "Created At".
const CREATED_AT: TablePrinter = {
  columns: [NAME, col('Created At', 'date')],
  cells: (obj) => [obj.metadata.name ?? '', obj.metadata.creationTimestamp ?? ''],
};
// Custom resources without additionalPrinterColumns: Name and Age, a date column the CRD table
// convertor renders as a duration (unlike the built-in default convertor's timestamp).
const CUSTOM: TablePrinter = { columns: [NAME, col('Age', 'date')], cells: (obj, now) => [obj.metadata.name ?? '', age(obj, now)] };

/** The printer for a type: its real columns, or the default ones. */
export function printerFor(type: ResourceType): TablePrinter {
  if (type.custom) return CUSTOM;
  return PRINTERS[`${type.group}/${type.resource}`] ?? CREATED_AT;
}

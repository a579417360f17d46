import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { nowTimestamp } from './managed-fields';
import type { ResourceType } from './resource-type';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types';

/** The simulated cluster's only node; every pod is "scheduled" there. */
export const SIMULATED_NODE = 'sim-node-1';

// Alphabet and length of the real generateName suffix (no vowels, no look-alike digits).
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random five-character suffix like the real `names.SimpleNameGenerator`. */
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
}

/** Stamps what the registry sets on create: name from generateName, uid, creationTimestamp, generation. */
export function prepareCreate(type: ResourceType, obj: KubeObject, namespace: string | undefined): void {
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
  if (type.namespaced) m.namespace = namespace;
  else delete m.namespace;
  m.uid = randomUUID();
  m.creationTimestamp = nowTimestamp();
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  if (type.tracksGeneration) m.generation = 1;
  else delete m.generation;
  obj.apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
  obj.kind = type.kind;
}

function obj(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isJsonObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function setDefault(target: JsonObject, key: string, value: JsonValue): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

/** Defaults an update strategy that is absent or has no `type` (kubectl sends `strategy: {}`). */
function setStrategy(spec: JsonObject, key: string, value: JsonObject): void {
  const current = spec[key];
  if (!isJsonObject(current) || !current.type) spec[key] = { ...value, ...(isJsonObject(current) ? current : {}) };
}

function imagePullPolicy(image: unknown): string {
  const ref = typeof image === 'string' ? image : '';
  const tag = ref.includes('@') ? 'digest' : ref.slice(ref.lastIndexOf('/') + 1).split(':')[1];
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Pod spec defaults from the real defaulting functions (pkg/apis/core/v1/defaults.go). */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'securityContext', {});
  for (const list of ['initContainers', 'containers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      if (!isJsonObject(c)) continue;
      setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image));
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      setDefault(c, 'resources', {});
      for (const p of Array.isArray(c.ports) ? c.ports : []) if (isJsonObject(p)) setDefault(p, 'protocol', 'TCP');
    }
  }
}

/**
 * A cluster IP derived from the service's namespace and name: stable across runs (tests can rely on
 * it) and without allocator state. Real clusters pick at random; a clash is harmless here.
 */
function clusterIpFor(o: KubeObject): string {
  const h = parseInt(createHash('sha256').update(`${o.metadata.namespace}/${o.metadata.name}`).digest('hex').slice(0, 6), 16);
  return `10.96.${(h >> 8) % 250 + 1}.${(h % 250) + 2}`;
}

function defaultService(o: KubeObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  // Allocated once on create; updates keep whatever is stored, as the real allocator does.
  if (spec.clusterIP !== 'None' && !spec.clusterIP) spec.clusterIP = clusterIpFor(o);
  if (typeof spec.clusterIP === 'string') setDefault(spec, 'clusterIPs', [spec.clusterIP]);
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isJsonObject(p)) continue;
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p.port ?? null);
  }
  setDefault(o, 'status', { loadBalancer: {} });
}

function defaultWorkload(o: KubeObject, type: ResourceType): void {
  const spec = obj(o, 'spec');
  if (type.resource !== 'daemonsets' && type.resource !== 'jobs' && type.resource !== 'cronjobs') setDefault(spec, 'replicas', 1);
  // Only these three keep old revisions; ReplicaSet, Job and CronJob specs have no such field.
  if (type.resource === 'deployments' || type.resource === 'statefulsets' || type.resource === 'daemonsets') setDefault(spec, 'revisionHistoryLimit', 10);
  if (type.resource === 'deployments') {
    setDefault(spec, 'progressDeadlineSeconds', 600);
    setStrategy(spec, 'strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
  }
  if (type.resource === 'statefulsets') {
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    setStrategy(spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  }
  if (type.resource === 'daemonsets') setStrategy(spec, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  const template = type.resource === 'cronjobs' ? obj(obj(obj(spec, 'jobTemplate'), 'spec'), 'template') : obj(spec, 'template');
  defaultPodSpec(obj(template, 'spec'));
  if (type.resource === 'jobs' || type.resource === 'cronjobs') {
    const jobSpec = type.resource === 'cronjobs' ? obj(obj(spec, 'jobTemplate'), 'spec') : spec;
    setDefault(jobSpec, 'backoffLimit', 6);
    setDefault(jobSpec, 'completionMode', 'NonIndexed');
    setDefault(jobSpec, 'suspend', false);
    setDefault(obj(jobSpec, 'template'), 'spec', {});
    setDefault(obj(obj(jobSpec, 'template'), 'spec'), 'restartPolicy', 'Never');
  }
  if (type.resource === 'cronjobs') {
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
  }
}

/**
 * Applies the defaults the real server adds on every write (idempotent), for the built-in kinds that
 * kubectl output and tests look at. Unknown kinds are left as sent.
 */
export function applyDefaults(type: ResourceType, o: KubeObject): void {
  const m = o.metadata;
  switch (`${type.group}/${type.resource}`) {
    case '/namespaces':
      m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name ?? '' };
      setDefault(obj(o, 'spec'), 'finalizers', ['kubernetes']);
      break;
    case '/pods': {
      const spec = obj(o, 'spec');
      defaultPodSpec(spec);
      setDefault(spec, 'serviceAccountName', 'default');
      spec.serviceAccount = spec.serviceAccountName ?? 'default';
      setDefault(spec, 'nodeName', SIMULATED_NODE);
      setDefault(spec, 'enableServiceLinks', true);
      setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
      setDefault(spec, 'priority', 0);
      break;
    }
    case '/services':
      defaultService(o);
      break;
    case '/secrets':
      setDefault(o, 'type', 'Opaque');
      if (isJsonObject(o.stringData)) {
        // stringData is write-only: merged into data as base64, never stored.
        const data = obj(o, 'data');
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v ?? '')).toString('base64');
        delete o.stringData;
      }
      break;
    case '/persistentvolumeclaims': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'volumeMode', 'Filesystem');
      setDefault(spec, 'storageClassName', 'standard');
      break;
    }
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
    case 'batch/jobs':
    case 'batch/cronjobs':
      defaultWorkload(o, type);
      break;
    default:
      break;
  }
}

/**
 * Keeps what the server allocated when an update leaves it out (a Service's cluster IP, a Pod's node,
 * a claim's volume), as the real registries do instead of allocating again.
 */
export function preserveAllocated(type: ResourceType, before: KubeObject, next: KubeObject): void {
  const fields: Record<string, readonly string[]> = { '/services': ['clusterIP', 'clusterIPs'], '/pods': ['nodeName'], '/persistentvolumeclaims': ['volumeName'] };
  const keep = fields[`${type.group}/${type.resource}`];
  if (!keep || !isJsonObject(before.spec)) return;
  const spec = obj(next, 'spec');
  for (const k of keep) if (spec[k] === undefined && before.spec[k] !== undefined) spec[k] = before.spec[k];
}

/** A stable fake container ID / image digest derived from text, so repeated reads agree. */
export function fakeDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

import type { JsonObject, KubeObject } from './types';

/** One demo object to load at start, with how old it should look and which object owns it. */
export interface SeedEntry {
  readonly object: KubeObject;
  readonly ageSeconds: number;
  /** Filled into `ownerReferences` with the owner's real uid once the owner is stored. */
  readonly owner?: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  /** Part of every cluster (the system namespaces), loaded even when demo objects are not. */
  readonly system?: boolean;
}

const DAY = 86_400;
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NAMESPACES = [...SYSTEM_NAMESPACES, 'prod', 'staging'];

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

function meta(name: string, namespace?: string, labels?: Record<string, string>): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = { name };
  if (namespace) m.namespace = namespace;
  if (labels) m.labels = labels;
  return m;
}

function container(name: string, image: string, port?: number, env?: JsonObject[]): JsonObject {
  const c: JsonObject = { name, image };
  if (port) c.ports = [{ containerPort: port, name: 'http' }];
  if (env) c.env = env;
  return c;
}

function deployment(namespace: string, name: string, replicas: number, image: string, port: number): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, namespace, { app: name, tier: 'backend' }),
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container(name, image, port, [{ name: 'LOG_LEVEL', value: 'info' }])] } },
    },
  };
}

function replicaSet(namespace: string, app: string, hash: string, replicas: number, image: string, port: number): KubeObject {
  const labels = { app, 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { ...meta(`${app}-${hash}`, namespace, labels), annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container(app, image, port)] } } },
  };
}

function pod(namespace: string, name: string, labels: Record<string, string>, containers: JsonObject[], status?: JsonObject): KubeObject {
  const p: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: meta(name, namespace, labels), spec: { containers } };
  if (status) p.status = status;
  return p;
}

function crashLoopStatus(name: string, image: string): JsonObject {
  const at = new Date(Date.now() - 90_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: at, reason: 'ContainersNotReady', message: `containers with unready status: [${name}]` }],
    hostIP: '10.0.0.10',
    podIP: '10.244.0.77',
    startTime: at,
    containerStatuses: [{
      name, image, imageID: '', ready: false, restartCount: 4, started: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 1m20s restarting failed container=${name}` } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at } },
    }],
    qosClass: 'BestEffort',
  };
}

function service(namespace: string, name: string, port: number, targetPort: number, selector?: Record<string, string>, clusterIP?: string): KubeObject {
  const spec: JsonObject = { ports: [{ name: port === 443 ? 'https' : 'http', port, targetPort, protocol: 'TCP' }] };
  if (selector) spec.selector = selector;
  if (clusterIP) spec.clusterIP = clusterIP;
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(name, namespace, selector ? { app: selector.app ?? name } : { component: 'apiserver', provider: 'kubernetes' }), spec };
}

function event(namespace: string, name: string, kind: string, objectName: string, reason: string, message: string, type = 'Normal'): KubeObject {
  const at = new Date(Date.now() - 300_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1', kind: 'Event', metadata: meta(name, namespace),
    involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, name: objectName, namespace },
    reason, message, type, count: 1, firstTimestamp: at, lastTimestamp: at,
    source: { component: kind === 'Pod' ? 'kubelet' : 'deployment-controller', host: kind === 'Pod' ? 'sim-node-1' : undefined },
    reportingComponent: kind === 'Pod' ? 'kubelet' : 'deployment-controller', reportingInstance: '',
  };
}

const NODE: KubeObject = {
  apiVersion: 'v1', kind: 'Node',
  metadata: meta('sim-node-1', undefined, { 'kubernetes.io/hostname': 'sim-node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/control-plane': '' }),
  spec: { podCIDR: '10.244.0.0/24' },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    addresses: [{ type: 'InternalIP', address: '10.0.0.10' }, { type: 'Hostname', address: 'sim-node-1' }],
    capacity: { cpu: '4', memory: '16Gi', pods: '110' },
    allocatable: { cpu: '4', memory: '15Gi', pods: '110' },
    nodeInfo: {
      kubeletVersion: 'v1.35.0-gatehouse-simulator', osImage: 'Gatehouse simulated node', kernelVersion: '6.1.0-simulated',
      containerRuntimeVersion: 'containerd://2.1.0', operatingSystem: 'linux', architecture: 'amd64',
      machineID: 'simulated', systemUUID: 'simulated', bootID: 'simulated', kubeProxyVersion: '',
    },
  },
};

/**
 * The demo cluster: namespaces default, kube-system, kube-public, kube-node-lease, prod and staging; a
 * node; a Deployment `api` in prod (two pods) and `web` in staging; a crash-looping pod; services;
 * per namespace a ConfigMap and a Secret (`db-credentials` in prod and staging); RBAC; a CronJob.
 * Names are fixed so tests can refer to them.
 */
export function seedObjects(): SeedEntry[] {
  const entries: SeedEntry[] = [];
  const add = (object: KubeObject, ageSeconds = 3 * DAY, owner?: SeedEntry['owner']): void => {
    entries.push({ object, ageSeconds, owner });
  };
  for (const ns of NAMESPACES) {
    entries.push({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns) }, ageSeconds: 10 * DAY, system: SYSTEM_NAMESPACES.includes(ns) });
  }
  add(NODE, 10 * DAY);
  for (const ns of NAMESPACES) {
    add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default', ns) }, 10 * DAY);
    add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('kube-root-ca.crt', ns), data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n' } }, 10 * DAY);
  }
  add(service('default', 'kubernetes', 443, 6443, undefined, '10.96.0.1'), 10 * DAY);
  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('app-settings', 'default'), data: { 'feature.flags': 'beta=false' } });
  add({ apiVersion: 'v1', kind: 'Secret', metadata: meta('registry-credentials', 'default'), type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths":{"registry.example.com":{"auth":"ZGVtbzpkZW1v"}}}') } });
  add(pod('default', 'nginx', { run: 'nginx' }, [container('nginx', 'nginx:1.27', 80)]), 2 * DAY);

  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns', 'kube-system'), data: { Corefile: '.:53 {\n    forward . /etc/resolv.conf\n}\n' } }, 10 * DAY);
  add({ apiVersion: 'v1', kind: 'Secret', metadata: meta('bootstrap-token-abcdef', 'kube-system'), type: 'bootstrap.kubernetes.io/token', data: { 'token-id': b64('abcdef'), 'token-secret': b64('0123456789abcdef') } }, 10 * DAY);
  add(pod('kube-system', 'coredns-7db6d8ff4d-9xk2l', { 'k8s-app': 'kube-dns' }, [container('coredns', 'registry.k8s.io/coredns/coredns:v1.12.0', 53)]), 10 * DAY);
  add(service('kube-system', 'kube-dns', 53, 53, { app: 'kube-dns', 'k8s-app': 'kube-dns' }, '10.96.0.10'), 10 * DAY);

  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cluster-info', 'kube-public'), data: { kubeconfig: 'apiVersion: v1\nkind: Config\n' } }, 10 * DAY);
  add({ apiVersion: 'v1', kind: 'Secret', metadata: meta('public-demo', 'kube-public'), type: 'Opaque', data: { note: b64('nothing secret here') } }, 10 * DAY);

  add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('api', 'prod') });
  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('api-config', 'prod', { app: 'api' }), data: { 'LOG_LEVEL': 'info', 'DB_HOST': 'db.prod.internal' } });
  add({ apiVersion: 'v1', kind: 'Secret', metadata: meta('db-credentials', 'prod', { app: 'api' }), type: 'Opaque', data: { username: b64('api'), password: b64('pr0d-Sup3r-S3cret!'), host: b64('db.prod.internal') } });
  add(deployment('prod', 'api', 2, 'ghcr.io/example/api:1.4.2', 8080));
  add(replicaSet('prod', 'api', '6d4b8c7f9', 2, 'ghcr.io/example/api:1.4.2', 8080), 3 * DAY, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' });
  for (const suffix of ['m4n8q', 'x7k2p']) {
    add(pod('prod', `api-6d4b8c7f9-${suffix}`, { app: 'api', 'pod-template-hash': '6d4b8c7f9' }, [container('api', 'ghcr.io/example/api:1.4.2', 8080)]), 3 * DAY, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-6d4b8c7f9' });
  }
  add(pod('prod', 'batch-worker', { app: 'batch-worker' }, [container('worker', 'ghcr.io/example/worker:0.9.1')], crashLoopStatus('worker', 'ghcr.io/example/worker:0.9.1')), 2 * 3600);
  add(service('prod', 'api', 80, 8080, { app: 'api' }));
  add({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('api-data', 'prod'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } });
  add({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('nightly-report', 'prod'), spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container('report', 'ghcr.io/example/report:2.0.0')] } } } } } });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('api-reader', 'prod'), rules: [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] }] });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('api-reader', 'prod'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'api', namespace: 'prod' }] });
  add(event('prod', 'api-6d4b8c7f9-x7k2p.17a1', 'Pod', 'api-6d4b8c7f9-x7k2p', 'Started', 'Started container api'));
  add(event('prod', 'batch-worker.17a2', 'Pod', 'batch-worker', 'BackOff', 'Back-off restarting failed container worker in pod batch-worker_prod', 'Warning'));

  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('web-config', 'staging', { app: 'web' }), data: { 'LOG_LEVEL': 'debug' } });
  add({ apiVersion: 'v1', kind: 'Secret', metadata: meta('db-credentials', 'staging', { app: 'web' }), type: 'Opaque', data: { username: b64('web'), password: b64('st4ging-Passw0rd'), host: b64('db.staging.internal') } });
  add(deployment('staging', 'web', 1, 'ghcr.io/example/web:2.1.0', 3000));
  add(replicaSet('staging', 'web', '7c5d4f8b9', 1, 'ghcr.io/example/web:2.1.0', 3000), 3 * DAY, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  add(pod('staging', 'web-7c5d4f8b9-h2j4k', { app: 'web', 'pod-template-hash': '7c5d4f8b9' }, [container('web', 'ghcr.io/example/web:2.1.0', 3000)]), 3 * DAY, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c5d4f8b9' });
  add(service('staging', 'web', 80, 3000, { app: 'web' }));

  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('view'), rules: [{ apiGroups: ['', 'apps', 'batch'], resources: ['*'], verbs: ['get', 'list', 'watch'] }] }, 10 * DAY);
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('cluster-admin'), rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] }, 10 * DAY);
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta('cluster-admin'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }] }, 10 * DAY);
  return entries;
}

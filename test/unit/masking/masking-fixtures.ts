import type { RequestInfo } from '../../../lambdas/core/request-info';

/** RequestInfo for a resource request in tests. */
export function request(resource: string, verb = 'get', extra: Partial<RequestInfo> = {}): RequestInfo {
  return {
    isResourceRequest: true, path: `/api/v1/namespaces/shop/${resource}`, verb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1',
    namespace: 'shop', resource, subresource: '', name: '', parts: [resource], ...extra,
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A Secret as the API server returns it, created by `kubectl apply` (so last-applied embeds its values). */
export function secret(name: string, values: Record<string, string>, withKind = true): Record<string, unknown> {
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)]));
  const lastApplied = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop', annotations: {} }, stringData: values, type: 'Opaque' };
  return {
    ...(withKind ? { kind: 'Secret', apiVersion: 'v1' } : {}),
    metadata: {
      name, namespace: 'shop', uid: '6b1f1a52-8a4e-4a57-9d43-2f0b7e0e7c11', resourceVersion: '48213', creationTimestamp: '2025-01-02T03:04:05Z',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(lastApplied)}\n` },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': Object.fromEntries(Object.keys(values).map((k) => [`f:${k}`, {}])), 'f:type': {} } }],
    },
    data,
    type: 'Opaque',
  };
}

/** A realistic Deployment: nothing in it is a credential, so masking must leave it byte-for-byte alone. */
export function deployment(name: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name, namespace: 'shop', uid: 'c0a8011e-7d2b-4f0e-9a61-5b3c2d1e0f9a', resourceVersion: '991823', generation: 7, creationTimestamp: '2025-03-01T10:00:00Z',
      labels: { app: name, 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': '7d9f8c6b5d' },
      annotations: { 'deployment.kubernetes.io/revision': '7', 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' }, spec: { replicas: 3 } }) + '\n' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2025-03-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:env': { 'k:{"name":"DB_PASSWORD"}': { '.': {}, 'f:valueFrom': {} } } } } } } } } }],
    },
    spec: {
      replicas: 3, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          serviceAccountName: `${name}-sa`, automountServiceAccountToken: true, imagePullSecrets: [{ name: 'ecr-pull' }],
          containers: [{
            name: 'web', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
            args: ['--listen=:8080', '--token-ttl=3600', '--log-level=info'],
            env: [
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              { name: 'TOKEN_TTL_SECONDS', value: '3600' },
              { name: 'API_URL', value: 'https://api.shop.svc.cluster.local:8443/v1' },
              { name: 'PASSWORD_FILE', value: '/etc/secrets/password' },
            ],
            envFrom: [{ secretRef: { name: 'web-env' } }],
            ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
            volumeMounts: [{ name: 'kube-api-access-x2b7q', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }, { name: 'tls', mountPath: '/etc/tls' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] } },
          }],
          volumes: [
            { name: 'tls', secret: { secretName: 'web-tls', defaultMode: 420 } },
            { name: 'kube-api-access-x2b7q', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } },
          ],
        },
      },
    },
    status: { replicas: 3, readyReplicas: 3, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }] },
  };
}

/** A realistic running Pod. */
export function pod(name: string): Record<string, unknown> {
  const d = deployment(name) as { spec: { template: { spec: Record<string, unknown> } } };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${name}-7d9f8c6b5d-x2b7q`, generateName: `${name}-7d9f8c6b5d-`, namespace: 'shop', uid: 'f3e1c2d4-1111-4a2b-9c3d-0e1f2a3b4c5d', resourceVersion: '991900',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-7d9f8c6b5d`, uid: 'a1b2c3d4-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
      labels: { app: name, 'pod-template-hash': '7d9f8c6b5d' } },
    spec: { ...d.spec.template.spec, nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal' },
    status: { phase: 'Running', podIP: '10.0.12.77', hostIP: '10.0.12.34',
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'shop/web:1.4.2', imageID: 'docker-pullable://shop/web@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', containerID: 'containerd://4f1c0e7a9b2d3c4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789' }] },
  };
}

/** A Table as `kubectl get` asks for it, rows carrying the full objects (includeObject=Object). */
export function table(objects: Record<string, unknown>[], columns: string[][]): Record<string, unknown> {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '48213' },
    columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: 'Name must be unique', priority: 0 }, { name: 'Type', type: 'string', format: '', description: '', priority: 0 }],
    rows: objects.map((object, i) => ({ cells: columns[i], object })),
  };
}

import { maskResponse } from '../lambdas/core/masking/mask-response';
import { compilePolicy } from '../lambdas/core/policy/compile-policy';
import { decodeRequestBody } from '../lambdas/core/policy/decode-request-body';
import { compileCelCondition, toCelValue } from '../lambdas/core/policy/cel-condition';
import { evaluatePolicy } from '../lambdas/core/policy/evaluate-policy';
import { DEFAULT_PACKS_DIR } from '../lambdas/core/policy/load-policy-files';
import type { PolicyInput } from '../lambdas/core/policy/policy-types';
import type { RequestInfo } from '../lambdas/core/request-info';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchRow, formatBenchRows } from './bench-row';

const TARGET_BYTES = 5 * 1024 * 1024;

/**
 * Policy decisions per second with 200 rules, and masking throughput on 5 MB responses (a SecretList, a PodList,
 * a container log), each against the cost of merely parsing and re-serializing the same bytes in the same run.
 */
export async function runPolicyAndMaskingBench(): Promise<BenchRow[]> {
  return [...benchPolicy(), ...benchMasking()];
}

/** Own rules of the bench policy; every fourth carries a CEL condition when `cel` is set (request or object based). */
function ownRules(count: number, cel: boolean): string {
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
  return Array.from({ length: count }, (_, i) => {
    const verb = verbs[i % verbs.length]!;
    const match = [
      `verbs: [${verb}, ${verbs[(i + 3) % verbs.length]}]`,
      `resources: [${RESOURCES[i % RESOURCES.length]}]`,
      i % 3 === 0 ? `namespaces: ["team-${i % 17}-*", "svc-${i}"]` : `agents: ["repo:acme/app-${i % 23}:*"]`,
      i % 5 === 0 ? `claims: { environment: [prod, "stag*"] }` : `groups: ["g-${i % 7}-*"]`,
    ];
    if (cel && i % 4 === 0) {
      const objectVerbs = ['create', 'update', 'patch'].includes(verb) && ['create', 'update', 'patch'].includes(verbs[(i + 3) % verbs.length]!);
      match.push(objectVerbs
        ? `cel: "allContainers.exists(c, c.?image.orValue('').endsWith(':latest') || c.?securityContext.?runAsUser.orValue(1) == 0)"`
        : `cel: "request.namespace.startsWith('team-') && agent.claims.?environment.orValue('') != 'prod'"`);
    }
    return `  - id: r${i}\n    effect: ${['deny', 'approve', 'allow'][i % 3]}\n    match: { ${match.join(', ')} }\n`;
  }).join('');
}

const RESOURCES = ['pods', 'deployments', 'services', 'configmaps', 'secrets', 'jobs', 'ingresses', 'statefulsets', 'widgets', 'gadgets'];

/**
 * Decisions per second with 200 rules (the baseline and production-approval packs plus generated ones), once
 * with CEL conditions on a quarter of the generated rules and once without them, in the same run; and what one
 * CEL condition costs to evaluate on a pod.
 */
function benchPolicy(): BenchRow[] {
  const packs = readdirSync(DEFAULT_PACKS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => ({ source: f, text: readFileSync(join(DEFAULT_PACKS_DIR, f), 'utf8') }));
  const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [baseline, production-approval]\ndefaults: { "*": allow, prod: approve }\n';
  const packRules = compilePolicy([{ source: 'packs.yaml', text: header }], { packs }).rules.length;
  const build = (cel: boolean) => compilePolicy([{ source: 'bench.yaml', text: `${header}rules:\n${ownRules(200 - packRules, cel)}` }], { packs });
  const withCel = build(true);
  const plain = build(false);
  if (withCel.rules.length !== 200) throw new Error(`bench policy has ${withCel.rules.length} rules, expected 200`);
  const celRules = withCel.rules.filter((r) => r.match.cel !== null).length;
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
  const pod = { kind: 'Pod', spec: { containers: [{ name: 'a', image: 'nginx', securityContext: { runAsNonRoot: true } }], volumes: [{ name: 'v', emptyDir: {} }] } };
  const podBody = decodeRequestBody('application/json', Buffer.from(JSON.stringify(pod)));
  const patchBody = decodeRequestBody('application/json-patch+json', Buffer.from(JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 3 }])));
  const inputs: PolicyInput[] = Array.from({ length: 256 }, (_, i) => {
    const verb = verbs[i % verbs.length]!;
    const resource = RESOURCES[(i * 7) % RESOURCES.length]!;
    const namespace = ['team-3-a', 'prod', 'kube-system', 'shop', 'svc-12'][i % 5]!;
    const body = verb === 'create' && resource === 'pods' ? podBody : verb === 'patch' ? patchBody : ({ state: 'none' } as const);
    return {
      identity: { issuer: 'github', agent: `repo:acme/app-${i % 23}:ref:refs/heads/main`, session: 's', groups: [`g-${i % 7}-x`], claims: { environment: i % 2 ? 'prod' : 'staging' } },
      connection: i % 4 === 0 ? 'prod' : 'dev',
      request: req(verb, resource, namespace),
      body,
      ...(verb === 'create' && resource === 'pods' ? { object: pod } : {}),
      namespaceLabels: i % 3 === 0 ? { environment: 'production' } : ({ team: 'shop' } as Record<string, string>),
    };
  });
  const celRate = decisionsPerSecond(withCel, inputs);
  const plainRate = decisionsPerSecond(plain, inputs);
  const condition = compileCelCondition("allContainers.exists(c, c.?image.orValue('').endsWith(':latest') || c.?securityContext.?runAsUser.orValue(1) == 0)");
  const variables = { object: toCelValue(pod), oldObject: null, namespaceObject: null, request: {}, pods: [], podSpecs: [], allContainers: toCelValue(pod.spec.containers) as unknown[], agent: {}, connection: 'c' };
  const perCondition = nanosecondsPer(() => condition.evaluate(variables));
  return [
    { name: `policy decisions (200 rules, ${celRules} with CEL)`, value: celRate, unit: 'decisions/s', baseline: plainRate, ratio: celRate / plainRate },
    { name: 'one CEL condition on a pod (evaluate)', value: perCondition / 1000, unit: 'µs' },
    { name: 'pod as CEL input (convert, once per decision)', value: nanosecondsPer(() => toCelValue(pod)) / 1000, unit: 'µs' },
  ];
}

function decisionsPerSecond(policy: ReturnType<typeof compilePolicy>, inputs: readonly PolicyInput[]): number {
  for (let i = 0; i < 50_000; i++) evaluatePolicy(policy, inputs[i & 255]!);
  let n = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1) {
    for (let i = 0; i < 10_000; i++) evaluatePolicy(policy, inputs[(n + i) & 255]!);
    n += 10_000;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return n / elapsed;
}

function nanosecondsPer(op: () => unknown): number {
  for (let i = 0; i < 20_000; i++) op();
  const runs = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) op();
  return Number(process.hrtime.bigint() - started) / runs;
}

function benchMasking(): BenchRow[] {
  const secretList = Buffer.from(JSON.stringify(listOf('SecretList', (i) => secretObject(i))));
  const podList = Buffer.from(JSON.stringify(listOf('PodList', (i) => podObject(i))));
  const log = Buffer.from(logText());
  const jsonBaseline = (b: Buffer) => () => JSON.stringify(JSON.parse(b.toString('utf8')));
  return [
    throughput('masking 5 MB SecretList', secretList, () => maskResponse({ body: secretList, contentType: 'application/json', request: req('list', 'secrets', 'shop'), unmaskSecrets: false }), jsonBaseline(secretList)),
    throughput('masking 5 MB PodList', podList, () => maskResponse({ body: podList, contentType: 'application/json', request: req('list', 'pods', 'shop'), unmaskSecrets: false }), jsonBaseline(podList)),
    throughput('masking 5 MB container log', log, () => maskResponse({ body: log, contentType: 'text/plain', request: req('get', 'pods', 'shop', 'log'), unmaskSecrets: false }), () => Buffer.from(log.toString('utf8'))),
  ];
}

/** Median MB/s over several runs, for the operation and for its baseline, measured alternately so both see the same machine state. */
function throughput(name: string, input: Buffer, op: () => unknown, baseline: () => unknown): BenchRow {
  const time = (f: () => unknown) => {
    const t = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  for (let i = 0; i < 3; i++) {
    op();
    baseline();
  }
  const ops: number[] = [];
  const bases: number[] = [];
  for (let i = 0; i < 9; i++) {
    ops.push(time(op));
    bases.push(time(baseline));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const mb = input.length / 1e6;
  const value = mb / median(ops);
  const base = mb / median(bases);
  return { name, value, unit: 'MB/s', baseline: base, ratio: value / base };
}

function listOf(kind: string, item: (i: number) => Record<string, unknown>): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const it = item(i);
    size += JSON.stringify(it).length + 1;
    items.push(it);
  }
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: '123456' }, items };
}

function secretObject(i: number): Record<string, unknown> {
  const values: Record<string, string> = {};
  for (let k = 0; k < 5; k++) values[['username', 'password', 'host', 'tls.key', 'api-token'][k]] = Buffer.from(`value-${i}-${k}-${'x'.repeat(40 + ((i * k) % 80))}`).toString('base64');
  const lastApplied = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `app-${i}`, namespace: 'shop' }, data: values, type: 'Opaque' };
  return {
    metadata: {
      name: `app-${i}`, namespace: 'shop', uid: `6b1f1a52-8a4e-4a57-9d43-${String(i).padStart(12, '0')}`, resourceVersion: String(40000 + i), creationTimestamp: '2025-01-02T03:04:05Z',
      labels: { app: `app-${i % 40}`, 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': `app-${i % 40}`, 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(lastApplied)}\n` },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': Object.fromEntries(Object.keys(values).map((k) => [`f:${k}`, {}])), 'f:type': {} } }],
    },
    data: values,
    type: 'Opaque',
  };
}

function podObject(i: number): Record<string, unknown> {
  const app = `svc-${i % 60}`;
  return {
    metadata: {
      name: `${app}-7d9f8c6b5d-${i.toString(36).padStart(5, 'x')}`, generateName: `${app}-7d9f8c6b5d-`, namespace: 'shop', uid: `f3e1c2d4-1111-4a2b-9c3d-${String(i).padStart(12, '0')}`, resourceVersion: String(990000 + i), creationTimestamp: '2025-03-01T10:00:00Z',
      labels: { app, 'pod-template-hash': '7d9f8c6b5d', 'app.kubernetes.io/part-of': 'shop' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T09:59:00Z', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7d9f8c6b5d`, uid: 'a1b2c3d4-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2025-03-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { [`k:{"name":"${app}"}`]: { '.': {}, 'f:image': {}, 'f:env': {} } } } } }],
    },
    spec: {
      serviceAccountName: `${app}-sa`, nodeName: `ip-10-0-${i % 250}-${i % 200}.eu-west-1.compute.internal`, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst',
      containers: [{
        name: app, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/${app}:1.${i % 30}.0`, args: ['--listen=:8080', '--log-level=info', '--token-ttl=3600'],
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'API_URL', value: 'https://api.shop.svc.cluster.local:8443/v1' }, { name: 'LOG_FORMAT', value: 'json' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
        volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
      }],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
    },
    status: {
      phase: 'Running', podIP: `10.0.${i % 250}.${i % 200}`, startTime: '2025-03-01T10:00:01Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-03-01T10:00:09Z' }],
      containerStatuses: [{ name: app, ready: true, restartCount: 0, image: `shop/${app}:1.0`, imageID: `docker-pullable://shop/${app}@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`, containerID: 'containerd://4f1c0e7a9b2d3c4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789' }],
    },
  };
}

function logText(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const line = i % 500 === 0
      ? `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z DEBUG connecting to postgres://app:s3cr3t-${i}@db:5432/shop token=ghp_${'a'.repeat(36)}`
      : `2025-03-01T10:00:${String(i % 60).padStart(2, '0')}Z INFO request_id=${i.toString(16)} method=GET path=/api/v1/items/${i} status=200 duration_ms=${i % 97} user_agent="kube-probe/1.30"`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function req(verb: string, resource: string, namespace: string, subresource = ''): RequestInfo {
  return { isResourceRequest: true, path: `/api/v1/namespaces/${namespace}/${resource}`, verb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace, resource, subresource, name: '', parts: [resource] };
}

if (require.main === module) {
  runPolicyAndMaskingBench().then((rows) => console.log(formatBenchRows(rows)));
}

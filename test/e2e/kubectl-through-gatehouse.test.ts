import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoToken, kubeconfigFor, kubectl, upstreamRequests, upstreamCount } from './support/local-gatehouse';

jest.setTimeout(60_000);

/** Real kubectl 1.35, through local Gatehouse, against the Kubernetes API simulator. */
describe('kubectl through Gatehouse', () => {
  const kubeconfig = () => kubeconfigFor(demoToken({ run_id: 'kubectl-suite' }));
  let config: string;
  beforeAll(() => {
    config = kubeconfig();
  });

  it('lists pods in all namespaces as a table', async () => {
    const result = await kubectl(config, ['get', 'pods', '-A']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/m);
    expect(result.stdout).toMatch(/^prod\s+/m);
  });

  it('serves discovery so api-resources lists core and group resources', async () => {
    const result = await kubectl(config, ['api-resources']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod/m);
    expect(result.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
  });

  it('gets and describes single objects', async () => {
    // staging/web is left alone by every other test (the approvals tests delete prod/api).
    const get = await kubectl(config, ['get', 'deployment', 'web', '-n', 'staging', '-o', 'json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'staging' } });
    const pods = JSON.parse((await kubectl(config, ['get', 'pods', '-n', 'prod', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string } }> };
    const describe = await kubectl(config, ['describe', 'pod', pods.items[0]!.metadata.name, '-n', 'prod']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Namespace:\s+prod$/m);
  });

  it('pages a list with --chunk-size', async () => {
    const since = await upstreamCount();
    const result = await kubectl(config, ['get', 'pods', '-A', '--chunk-size=1']);
    expect(result.code).toBe(0);
    const lists = (await upstreamRequests(since)).filter((r) => r.path === '/api/v1/pods');
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.some((r) => r.query.includes('continue='))).toBe(true);
  });

  it('creates, applies (client- and server-side), patches and deletes', async () => {
    const manifest = path.join(os.tmpdir(), `gh-cm-${process.pid}.yaml`);
    const write = (value: string) => fs.writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-settings\n  namespace: default\ndata:\n  mode: ${value}\n`);
    write('one');
    expect((await kubectl(config, ['apply', '-f', manifest])).stdout).toMatch(/configmap\/e2e-settings created/);
    write('two');
    expect((await kubectl(config, ['apply', '-f', manifest])).stdout).toMatch(/configmap\/e2e-settings configured/);
    write('three');
    const ssa = await kubectl(config, ['apply', '--server-side', '--force-conflicts', '-f', manifest]);
    expect(ssa.stdout).toMatch(/serverside-applied/);
    expect((await kubectl(config, ['patch', 'configmap', 'e2e-settings', '-n', 'default', '--type=merge', '-p', '{"data":{"extra":"yes"}}'])).code).toBe(0);
    const got = JSON.parse((await kubectl(config, ['get', 'configmap', 'e2e-settings', '-n', 'default', '-o', 'json'])).stdout) as { data: Record<string, string> };
    expect(got.data).toEqual({ mode: 'three', extra: 'yes' });
    expect((await kubectl(config, ['delete', 'configmap', 'e2e-settings', '-n', 'default'])).stdout).toMatch(/deleted/);
    expect((await kubectl(config, ['get', 'configmap', 'e2e-settings', '-n', 'default'])).stderr).toMatch(/NotFound|not found/);
  });

  it('creates with kubectl create and patches a deployment strategically', async () => {
    expect((await kubectl(config, ['create', 'configmap', 'e2e-created', '-n', 'default', '--from-literal=a=b'])).code).toBe(0);
    expect((await kubectl(config, ['patch', 'deployment', 'web', '-n', 'staging', '-p', '{"spec":{"replicas":3}}'])).stdout).toMatch(/patched/);
    const deployment = JSON.parse((await kubectl(config, ['get', 'deployment', 'web', '-n', 'staging', '-o', 'json'])).stdout) as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(3);
    await kubectl(config, ['delete', 'configmap', 'e2e-created', '-n', 'default']);
  });

  it('runs a server-side dry run without creating anything', async () => {
    const result = await kubectl(config, ['create', 'configmap', 'e2e-dry', '-n', 'default', '--from-literal=a=b', '--dry-run=server']);
    expect(result.stdout).toMatch(/server dry run/);
    expect((await kubectl(config, ['get', 'configmap', 'e2e-dry', '-n', 'default'])).code).not.toBe(0);
  });

  it('prints container logs', async () => {
    const pods = JSON.parse((await kubectl(config, ['get', 'pods', '-n', 'prod', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string } }> };
    const result = await kubectl(config, ['logs', pods.items[0]!.metadata.name, '-n', 'prod']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').length).toBeGreaterThan(2);
  });

  it('reaches the cluster with a minted EKS token and the agent impersonated, never the agent token', async () => {
    const since = await upstreamCount();
    await kubectl(config, ['get', 'namespaces']);
    const [request] = await upstreamRequests(since);
    expect(request).toBeDefined();
    expect(request!.user).toBe('gatehouse-connection:demo');
    expect(request!.impersonatedUser).toBe('gatehouse:demo:demo-agent');
    expect(request!.impersonatedGroups).toContain('gatehouse:agents');
    expect(JSON.stringify(request!.headers)).not.toMatch(/eyJ/);
  });

  it('refuses watch with a message that says what to do, and sends nothing upstream', async () => {
    const since = await upstreamCount();
    const result = await kubectl(config, ['get', 'pods', '-n', 'prod', '--watch-only', '--request-timeout=5s']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Watching is not supported/);
    expect((await upstreamRequests(since)).filter((r) => r.query.includes('watch'))).toEqual([]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from './support/cli-helpers';
import { kubectl, ownSession, sessionRecords, sessionUpstreamRequests, upstreamRequestsFor } from './support/local-gatehouse';

jest.setTimeout(60_000);

/**
 * Real kubectl 1.35, through local Gatehouse, against the Kubernetes API simulator. Tests that look at what
 * reached the cluster run in a session of their own and read only that session's requests.
 */
describe('kubectl through Gatehouse', () => {
  let config: string;
  beforeAll(() => {
    config = ownSession('kubectl-suite').kubeconfig();
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
    // staging/web and its pod are left alone by every other file (the approvals tests delete prod/api, and with it
    // its pods, at any moment).
    const get = await kubectl(config, ['get', 'deployment', 'web', '-n', 'staging', '-o', 'json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'staging' } });
    const pods = JSON.parse((await kubectl(config, ['get', 'pods', '-n', 'staging', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string } }> };
    const describe = await kubectl(config, ['describe', 'pod', pods.items[0]!.metadata.name, '-n', 'staging']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Namespace:\s+staging$/m);
  });

  it('pages a list with --chunk-size', async () => {
    const own = ownSession('kubectl-chunks');
    const result = await kubectl(own.kubeconfig(), ['get', 'pods', '-A', '--chunk-size=1']);
    expect(result.code).toBe(0);
    const lists = (await sessionUpstreamRequests(own.session)).filter((r) => r.path === '/api/v1/pods');
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
    // batch-worker is no Deployment's: nothing deletes it while this runs.
    const result = await kubectl(config, ['logs', 'batch-worker', '-n', 'prod']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').length).toBeGreaterThan(2);
  });

  it('reaches the cluster with a minted EKS token and the agent impersonated, never the agent token', async () => {
    const own = ownSession('kubectl-identity');
    expect((await kubectl(own.kubeconfig(), ['get', 'namespaces'])).code).toBe(0);
    const sent = await sessionUpstreamRequests(own.session);
    expect(sent.length).toBeGreaterThan(0);
    const request = sent.find((r) => r.path === '/api/v1/namespaces');
    expect(request).toBeDefined();
    expect(request!.user).toBe('gatehouse-connection:demo');
    expect(request!.impersonatedUser).toBe('gatehouse:demo:demo-agent');
    expect(request!.impersonatedGroups).toContain('gatehouse:agents');
    for (const r of sent) expect(JSON.stringify(r.headers)).not.toMatch(/eyJ/);
  });

  it('streams a watch to the cluster as the agent, bounded by Gatehouse\'s own timeoutSeconds', async () => {
    const own = ownSession('kubectl-watch');
    const result = await kubectl(own.kubeconfig(), ['get', 'pods', '-n', 'staging', '--watch-only', '--request-timeout=3s']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // kubectl hung up after 3 s; Gatehouse then closes the cluster's stream (which logs it) and completes the
    // record: wait for both.
    const isWatch = (query: string) => /(^|&)watch=true(&|$)/.test(query);
    let watchRecords: Array<Record<string, any>> = [];
    let watches: Awaited<ReturnType<typeof upstreamRequestsFor>> = [];
    expect(await eventually(async () => {
      watchRecords = (await sessionRecords(own.session)).filter((r) => r.verb === 'watch');
      watches = (await upstreamRequestsFor(watchRecords.map((r) => String(r.requestId)))).filter((r) => isWatch(r.query));
      return watchRecords.length > 0 && watchRecords.every((r) => r.phase === 'complete') && watches.length > 0;
    }, 15_000, 200)).toBe(true);
    expect(watchRecords).toEqual([expect.objectContaining({ resource: 'pods', namespace: 'staging', outcome: 'forwarded', status: 200 })]);
    expect(watches).toEqual([expect.objectContaining({ method: 'GET', path: '/api/v1/namespaces/staging/pods', impersonatedUser: 'gatehouse:demo:demo-agent', code: 200 })]);
    expect(watches[0]!.query).toMatch(/(^|&)timeoutSeconds=\d+(&|$)/);
    expect((await sessionUpstreamRequests(own.session)).filter((r) => isWatch(r.query))).toHaveLength(1);
  });
});

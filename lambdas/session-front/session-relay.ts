import type WebSocket from 'ws';
import { matchGrant } from '../core/match-grant';
import { createStreamMasker, type StreamMasker } from '../core/masking/stream-masker';
import { exitCodeOf, gatehouseEndMessage, readClientMessage, readServerMessage } from '../core/remote-command';
import { execOptionsOf, type SessionChannel, type SessionKind, type SessionSummary } from '../core/session-recording';
import { StreamRecorder } from '../proxy/stream-recorder';
import type { AcceptedSession, SessionFrontDependencies } from './open-session';
import { portForwardTunnel, type PortDecision } from './port-forward-tunnel';

/** Why a session ended, for the record. */
export type SessionEnd = 'cluster' | 'client' | 'revoked' | 'token-expired' | 'operator' | 'time-limit' | 'protocol' | 'policy' | 'error';

/** Over this many bytes waiting for a slow peer, the other side is paused (backpressure, bounded memory). */
const HIGH_WATER_BYTES = 1024 * 1024;

/** What a live session exposes to the front (an operator's end, shutdown). */
export interface LiveSession {
  readonly requestId: string;
  /** Ends the session from Gatehouse's side, telling the agent why. */
  end(by: SessionEnd, message: string): void;
  /** Settles once the session ended and its record is complete. */
  readonly finished: Promise<SessionSummary>;
}

/**
 * Relays one accepted session between kubectl and the cluster, message by message. Exec and attach messages
 * are read as the remote-command protocol (a client may write only stdin and resize; anything else ends the
 * session); port-forward's SPDY tunnel is passed on byte for byte and counted. Every frame is recorded (masked
 * for credential patterns) in parts while the session runs. Every `checkSeconds` the session checks the grant,
 * the token's expiry and its time limit, and ends with a message to the agent when one fails. However it ends,
 * both sides are closed, the cap's place given back and the record completed with exit code, bytes and duration.
 */
export function relaySession(client: WebSocket, session: AcceptedSession, deps: SessionFrontDependencies): LiveSession {
  const { prepared, trail, identity, upstream, protocol } = session;
  const { request, connection } = prepared;
  const kind = request.subresource as SessionKind;
  const started = deps.now().getTime();
  const recorder = new StreamRecorder(deps, trail.requestId, trail.recordKey, trail.replayKey, started);
  const maskers = new Map<SessionChannel, StreamMasker>();
  const bytes: Record<string, number> = {};
  let errorText = '';
  let ended: SessionEnd | undefined;
  let resolveFinished: (summary: SessionSummary) => void = () => undefined;
  const finished = new Promise<SessionSummary>((resolve) => { resolveFinished = resolve; });

  // Frames are recorded masked, channel by channel, so a credential split over two frames is still found.
  const record = (channel: SessionChannel, data: Buffer, close = false) => {
    bytes[channel] = (bytes[channel] ?? 0) + data.length;
    let masker = maskers.get(channel);
    if (!masker) {
      // The connection's own masking patterns come with the guard's masker; the recording never unmasks.
      const input = { connection: connection.name, kind: 'lines' as const, contentType: 'text/plain', request, unmaskSecrets: false };
      masker = deps.guard.maskStream ? deps.guard.maskStream(input) : createStreamMasker(input);
      maskers.set(channel, masker);
    }
    const masked = close ? masker.end() : masker.push(data);
    const now = deps.now().getTime();
    if (masked.length) recorder.add(masked, now, { channel });
    if (close) recorder.add(Buffer.alloc(0), now, { channel, close: true });
  };

  const end = (by: SessionEnd, message?: string) => {
    if (ended) return;
    ended = by;
    clearInterval(checks);
    if (message && kind !== 'portforward' && client.readyState === client.OPEN) client.send(gatehouseEndMessage(message));
    closeBoth(by === 'protocol' ? 1008 : 1000, by === 'cluster' || by === 'client' ? '' : `gatehouse: session ended (${by})`);
    void complete();
  };

  const closeBoth = (code: number, reason: string) => {
    for (const socket of [client, upstream]) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    }
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => { client.terminate(); upstream.terminate(); }, 5000).unref();
  };

  const complete = async () => {
    for (const [channel, masker] of maskers) {
      const rest = masker.end();
      if (rest.length) recorder.add(rest, deps.now().getTime(), { channel });
    }
    await session.release();
    const connections = tunnel ? await tunnel.end() : undefined;
    const recording = await recorder.finish();
    const durationMs = deps.now().getTime() - started;
    const options = kind === 'exec' || kind === 'attach' ? execOptionsOf(prepared.query) : undefined;
    const exitCode = kind === 'portforward' ? undefined : exitCodeOf(errorText);
    const summary: SessionSummary = {
      kind, protocol, durationMs, bytes, endedBy: ended ?? 'error',
      ...(options && kind === 'exec' ? { command: options.command } : {}),
      ...(options?.container ? { container: options.container } : {}),
      ...(options ? { tty: options.tty, stdin: options.stdin } : {}),
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(connections ? { connections } : {}),
    };
    deps.metric(`session_end_${ended}`, 1, 'Count');
    const masked: Record<string, number> = {};
    for (const masker of maskers.values()) for (const [id, n] of Object.entries(masker.counts)) masked[id] = (masked[id] ?? 0) + n;
    const total = Object.values(bytes).reduce((a, b) => a + b, 0);
    await trail.streamed(101, {}, masked, false, { ...recording, units: recording.units, bytes: total, durationMs, endedBy: summary.endedBy }, summary)
      .catch((error: unknown) => deps.log('error', 'session record completion failed', { error: error instanceof Error ? error.name : 'Error' }));
    resolveFinished(summary);
  };

  // Backpressure: a peer that reads slowly pauses the other side instead of growing a buffer.
  const relay = (to: WebSocket, from: WebSocket, data: Buffer) => {
    to.send(data, { binary: true });
    if (to.bufferedAmount > HIGH_WATER_BYTES && !from.isPaused) {
      from.pause();
      const resume = () => (to.bufferedAmount > HIGH_WATER_BYTES ? setTimeout(resume, 20) : from.resume());
      setTimeout(resume, 20);
    }
  };

  const tunnel = kind === 'portforward' ? portForwardTunnel({
    now: () => deps.now().getTime(),
    decidePort: (port) => decidePort(port, session, deps),
    record: (event) => recorder.addEvent({ ...event, atMs: deps.now().getTime() - started }, deps.now().getTime()),
    refuse: (message) => {
      deps.log('info', 'port-forward tunnel refused', { message });
      end('policy', message);
    },
  }) : undefined;

  client.on('message', (raw, isBinary) => {
    const data = toBuffer(raw);
    if (!isBinary) return end('protocol', 'Gatehouse relays binary messages only on this session; the client sent text.');
    if (tunnel) {
      bytes.toPod = (bytes.toPod ?? 0) + data.length;
      // Passed on only once read: a connection to a port policy refuses never reaches the cluster.
      void tunnel.fromClient(data).then((ok) => { if (ok && !ended) relay(upstream, client, data); });
      return;
    }
    const message = readClientMessage(data, protocol);
    if (!message.ok) return end('protocol', `Gatehouse ended the session: the client sent ${message.problem}.`);
    record(message.channel, message.data, message.close);
    relay(upstream, client, data);
  });
  upstream.on('message', (raw) => {
    const data = toBuffer(raw);
    if (tunnel) {
      bytes.fromPod = (bytes.fromPod ?? 0) + data.length;
      tunnel.fromServer(data);
      return relay(client, upstream, data);
    }
    const message = readServerMessage(data);
    if (message.channel === 'error') errorText += message.data.toString('utf8');
    if (message.channel) record(message.channel, message.data, message.close);
    relay(client, upstream, data);
  });
  client.on('close', () => end('client'));
  upstream.on('close', () => end('cluster'));
  client.on('error', () => end('error'));
  upstream.on('error', () => end('error'));
  // The dialer hands the socket over paused; everything the cluster sent so far flows now that it is heard.
  upstream.resume();

  const deadline = started + deps.sessionLimits.maxSessionSeconds * 1000;
  const checks = setInterval(() => {
    void (async () => {
      const now = deps.now().getTime();
      recorder.tick(now);
      if (now >= deadline) return end('time-limit', `Gatehouse ended this session after its limit of ${deps.sessionLimits.maxSessionSeconds} s; start a new one.`);
      if (identity.tokenExpiresAtMs !== undefined && now >= identity.tokenExpiresAtMs) {
        return end('token-expired', 'Your OIDC token expired during this session, so Gatehouse ended it; get a fresh token and start a new session.');
      }
      try {
        const grants = await deps.grants.grantsFor(connection.name);
        if ('miss' in matchGrant(grants, identity, request.namespace, deps.now(), { issuers: deps.issuerNames })) {
          end('revoked', `The grant for agent "${identity.agent}" on connection "${connection.name}" was revoked or expired; Gatehouse ended this session.`);
        }
      } catch {
        // Grants cannot be read: keep the session (the next check decides), as ending it would be a guess too.
      }
    })();
  }, deps.sessionLimits.checkSeconds * 1000);

  return { requestId: trail.requestId, end: (by, message) => end(by, message), finished };
}

/**
 * Policy for one port-forward connection: the session's own request with the port added (`ports=<n>`), decided
 * with what was read from the cluster when the session opened. A port that needs a person is allowed only when
 * a person approved this session; otherwise it ends the tunnel with what to do.
 */
function decidePort(port: number, session: AcceptedSession, deps: SessionFrontDependencies): PortDecision {
  const { prepared, identity } = session;
  const query = new URLSearchParams(prepared.query);
  query.append('ports', String(port));
  const decision = deps.guard
    .inspect({ identity, connection: prepared.connection.name, request: prepared.request, contentType: '', body: Buffer.alloc(0), query: query.toString() })
    .decide(prepared.facts);
  if (decision.effect === 'allow' || (decision.effect === 'approve' && prepared.decision.effect === 'approve')) return { allowed: true };
  return {
    allowed: false,
    message: decision.effect === 'deny'
      ? `Port ${port} is denied by rule ${decision.ruleId}: ${decision.message}`
      : `Port ${port} needs a person's approval (rule ${decision.ruleId}); forward only that port (kubectl port-forward <pod> ${port}) to ask for it.`,
  };
}

function toBuffer(raw: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}

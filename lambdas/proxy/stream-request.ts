import { Readable } from 'node:stream';
import type { ProxyRequest, ProxyResponse } from '../core/api-gateway-event';
import type { AgentIdentity } from '../core/agent-identity';
import { GatehouseError, UpstreamIdleError, UpstreamResponseError } from '../core/errors';
import type { RequestInfo } from '../core/request-info';
import { toKubeStatus } from '../core/kube-status';
import { matchGrant } from '../core/match-grant';
import { createStreamMasker, type StreamMasker } from '../core/masking/stream-masker';
import type { UpstreamStream } from '../core/ports';
import { responseHeadersForClient } from '../core/upstream-headers';
import { tooLargeMessage } from '../adapters/https-upstream-client';
import { beginRequest, prepareForward, type PreparedForward, type ProxyDependencies } from './prepare-forward';
import { isOpenStream } from './refusals';
import type { RequestTrail } from './request-trail';
import { StreamRecorder } from './stream-recorder';
import { takeAgentLease, type AgentLease } from './agent-lease';
import { capWatchTimeout, STREAM_LIMIT_DEFAULTS, type StreamLimits } from './stream-limits';

/** A response whose body is either whole or a stream that is still flowing. */
export interface StreamedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | Readable;
  /**
   * What is left to do once the client has the whole response: completing the record and writing the replay
   * blob. The handler runs it after the response stream ended and before the invocation ends, so the client
   * never waits for it (the intent record, the one durable write the request needs, was written before the
   * cluster was asked). It never rejects: a write that fails leaves the record visibly incomplete.
   */
  readonly afterResponse?: () => Promise<void>;
}

/** How an open stream ended, for the record. */
export type StreamEnd = 'cluster' | 'client' | 'idle' | 'revoked' | 'time-limit' | 'error';

/**
 * One request over API Gateway's response streaming. Everything before the cluster is the shared path
 * (`prepareForward`); then a watch or a log follow is passed on as it comes, masked unit by unit, and every other
 * answer is read whole (up to `limits.maxResponseBytes`, past the 6 MB a buffered Lambda can return), masked and
 * sent. Open streams end before the platform's limits (a watch through its own `timeoutSeconds`), when the
 * cluster is idle for too long (with an ERROR event saying so) and within seconds of the agent's grant being
 * revoked.
 */
export async function streamRequest(req: ProxyRequest, deps: ProxyDependencies): Promise<StreamedResponse> {
  const limits: StreamLimits = deps.streamLimits ?? STREAM_LIMIT_DEFAULTS;
  const { identity, trail } = await beginRequest(req, deps);
  let prepared: PreparedForward;
  let lease: AgentLease | undefined;
  const admit = async (request: RequestInfo) => {
    if (isOpenStream(req, request)) lease = await takeAgentLease(identity, req.requestId, deps, { kind: 'stream', cap: limits.maxStreamsPerAgent, maxSeconds: limits.maxStreamSeconds });
  };
  try {
    prepared = await prepareForward(req, identity, trail, deps, 'streamed', admit);
  } catch (error) {
    await lease?.release();
    await trail.refused(error);
    throw error;
  }
  if (!isOpenStream(req, prepared.request)) return whole(prepared, trail, deps, limits);
  try {
    return await open(req, identity, prepared, trail, deps, limits, lease);
  } catch (error) {
    await lease?.release();
    await trail.refused(error);
    throw error;
  }
}

/** Any answer that is not an open stream: read whole, masked, recorded, as the buffered path does. */
async function whole(prepared: PreparedForward, trail: RequestTrail, deps: ProxyDependencies, limits: StreamLimits): Promise<StreamedResponse> {
  const { connection, request, decision } = prepared;
  try {
    const upstream = await deps.upstream.send(connection, prepared.upstream, { timeoutMs: deps.limits.upstreamTimeoutMs, maxResponseBytes: limits.maxResponseBytes });
    trail.upstreamAnswered(upstream.status, upstream.latencyMs);
    const headers = responseHeadersForClient(upstream.headers);
    const masked = deps.guard.mask({ connection: connection.name, body: upstream.body, contentType: headers['content-type'] ?? '', request, unmaskSecrets: decision.unmaskSecrets });
    const response: ProxyResponse = { status: upstream.status, headers, body: masked.body };
    return { ...response, afterResponse: () => trail.completed(response, masked.counts, decision.unmaskSecrets) };
  } catch (error) {
    await trail.refused(error instanceof UpstreamResponseError && /larger than/.test(error.message) ? new UpstreamResponseError(tooLargeMessage(limits.maxResponseBytes)) : error);
    throw error;
  }
}

async function open(
  req: ProxyRequest, identity: AgentIdentity, prepared: PreparedForward, trail: RequestTrail, deps: ProxyDependencies, limits: StreamLimits,
  lease: AgentLease | undefined,
): Promise<StreamedResponse> {
  const { connection, request, decision } = prepared;
  if (!deps.upstream.open) throw new GatehouseError(501, 'NotImplemented', 'This Gatehouse cannot stream answers from this connection; run the command without --watch/-f.');
  const watch = request.verb === 'watch';
  const outgoing = watch ? { ...prepared.upstream, pathAndQuery: capWatchTimeout(prepared.upstream.pathAndQuery, limits.maxStreamSeconds) } : prepared.upstream;
  const upstream = await deps.upstream.open(connection, outgoing, { timeoutMs: deps.limits.upstreamTimeoutMs, idleTimeoutMs: limits.idleSeconds * 1000 });
  trail.upstreamAnswered(upstream.status, upstream.latencyMs);
  const headers = responseHeadersForClient(upstream.headers);
  const contentType = headers['content-type'] ?? '';
  if (upstream.status !== 200) {
    // An error from the cluster is a Status, not a stream: read it whole and answer it as such.
    const chunks: Buffer[] = [];
    for await (const chunk of upstream.body) chunks.push(chunk);
    const masked = deps.guard.mask({ connection: connection.name, body: Buffer.concat(chunks), contentType, request, unmaskSecrets: decision.unmaskSecrets });
    const response: ProxyResponse = { status: upstream.status, headers, body: masked.body };
    return {
      ...response,
      afterResponse: async () => {
        await lease?.release();
        await trail.completed(response, masked.counts, decision.unmaskSecrets);
      },
    };
  }
  const maskerFor = (unmaskSecrets: boolean): StreamMasker => {
    const input = { connection: connection.name, kind: watch ? 'watch' as const : 'lines' as const, contentType, request, unmaskSecrets };
    return deps.guard.maskStream ? deps.guard.maskStream(input) : createStreamMasker(input);
  };
  const masker = maskerFor(decision.unmaskSecrets);
  const started = deps.now().getTime();
  const timers: NodeJS.Timeout[] = [];
  const clientGone = { value: false };
  // Settles once the stream's record is complete (the flow ends the client's stream first, then records).
  let markRecorded: () => void = () => undefined;
  const recorded = new Promise<void>((resolve) => { markRecorded = resolve; });
  const generator = flow(upstream, masker, { req, identity, watch, started, trail, deps, limits, headers, unmask: decision.unmaskSecrets, connection: connection.name, namespace: request.namespace, timers, clientGone, lease, maskerFor, recorded: markRecorded });
  let ended = false;
  let flowing = false;
  const body = new Readable({
    read() {
      flowing = true;
      generator.next().then(
        (step) => {
          if (step.done) {
            ended = true;
            this.push(null);
          } else this.push(step.value);
        },
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
    // The client (or API Gateway) went away: close the cluster's stream at once, so the flow wakes up from
    // its wait, ends and records the request (a generator's return() would wait for the next chunk).
    destroy(error, callback) {
      clientGone.value = !ended;
      timers.forEach(clearTimeout);
      upstream.abort();
      // Gone before the first read: the flow (which releases the lease when it ends) never started.
      if (!flowing) {
        void lease?.release();
        markRecorded();
      }
      callback(error);
    },
  });
  return { status: 200, headers, body, afterResponse: () => recorded };
}

interface FlowContext {
  readonly req: ProxyRequest;
  readonly identity: AgentIdentity;
  readonly watch: boolean;
  readonly started: number;
  readonly trail: RequestTrail;
  readonly deps: ProxyDependencies;
  readonly limits: StreamLimits;
  readonly headers: Record<string, string>;
  readonly unmask: boolean;
  readonly connection: string;
  readonly namespace: string;
  readonly timers: NodeJS.Timeout[];
  /** Set when the client went away before the stream ended. */
  readonly clientGone: { value: boolean };
  readonly lease: AgentLease | undefined;
  /** A fresh masker of this stream, with or without Secrets unmasked. */
  readonly maskerFor: (unmaskSecrets: boolean) => StreamMasker;
  /** Called once the stream's record is complete. */
  readonly recorded: () => void;
}

/**
 * The masked stream. While it waits for the cluster it wakes every `grantCheckSeconds` to check the time limit
 * and the agent's grant; it ends with an ERROR event (watch) when the grant is gone or the cluster went idle.
 * Whatever ends it (the cluster, the client going away, a limit), the upstream connection is closed and the
 * request recorded once.
 */
async function* flow(upstream: UpstreamStream, masker: StreamMasker, ctx: FlowContext): AsyncGenerator<Buffer> {
  const { deps, limits } = ctx;
  let end: StreamEnd = 'client';
  let bytes = 0;
  const deadline = ctx.started + limits.maxStreamSeconds * 1000;
  const recorder = new StreamRecorder(deps, ctx.req.requestId, ctx.trail.recordKey, ctx.trail.replayKey, ctx.started, { maxBytes: limits.maxResponseBytes });
  // What the client gets may hold Secrets in clear (a rule's unmaskSecrets); the recording never does.
  const recordMasker = ctx.unmask ? ctx.maskerFor(false) : undefined;
  const sent = (out: Buffer, recorded: Buffer): Buffer => {
    recorder.add(recorded, deps.now().getTime());
    bytes += out.length;
    return out;
  };
  /** A chunk from the cluster, masked for the client (and for the recording). */
  const chunk = (raw: Buffer) => { const out = masker.push(raw); return sent(out, recordMasker ? recordMasker.push(raw) : out); };
  /** What the maskers still hold when the stream ends. */
  const rest = () => { const out = masker.end(); return sent(out, recordMasker ? recordMasker.end() : out); };
  /** Gatehouse's own last words (an ERROR event, a notice): nothing to mask. */
  const notice = (out: Buffer) => sent(out, out);
  const iterator = upstream.body[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  try {
    for (;;) {
      pending ??= iterator.next();
      const tick = new Promise<'tick'>((resolve) => { ctx.timers.push(setTimeout(() => resolve('tick'), limits.grantCheckSeconds * 1000)); });
      let next: IteratorResult<Buffer> | 'tick';
      try {
        next = await Promise.race([pending, tick]);
      } catch (error) {
        if (error instanceof UpstreamIdleError) {
          end = 'idle';
          const tail = Buffer.concat([rest(), ctx.watch ? notice(errorEvent(error, ctx.req.requestId)) : Buffer.alloc(0)]);
          if (tail.length) yield tail;
          return;
        }
        throw error;
      } finally {
        clearTimeout(ctx.timers.pop());
      }
      if (next === 'tick') {
        const now = deps.now().getTime();
        recorder.tick(now);
        if (now >= deadline) {
          end = 'time-limit';
          const tail = rest();
          if (tail.length) yield tail;
          return;
        }
        if (!(await stillGranted(ctx))) {
          end = 'revoked';
          const words = ctx.watch ? errorEvent(revokedError(ctx), ctx.req.requestId) : Buffer.from('\n[gatehouse] the grant for this agent was revoked; the stream was ended.\n');
          yield Buffer.concat([rest(), notice(words)]);
          return;
        }
        continue;
      }
      pending = undefined;
      if (next.done) {
        end = 'cluster';
        const tail = rest();
        if (tail.length) yield tail;
        return;
      }
      const out = chunk(next.value);
      if (out.length) yield out;
    }
  } catch (error) {
    end = ctx.clientGone.value ? 'client' : 'error';
    if (end === 'error') deps.log('warn', 'stream ended with an error', { error: error instanceof Error ? error.name : 'Error' });
  } finally {
    upstream.abort();
    pending?.catch(() => undefined);
    const durationMs = deps.now().getTime() - ctx.started;
    deps.metric(`stream_end_${end}`, 1, 'Count');
    // The client's stream ends now; the recording's last part and the one completion (what the stream was:
    // events or lines, bytes, how long, what ended it) are written after, while the invocation finishes.
    void (async () => {
      await ctx.lease?.release();
      const recording = await recorder.finish();
      await ctx.trail.streamed(200, ctx.headers, masker.counts, ctx.unmask, { ...recording, units: masker.units, bytes, durationMs, endedBy: end })
        .catch((error: unknown) => deps.log('error', 'stream record completion failed', { error: error instanceof Error ? error.name : 'Error' }));
    })().finally(ctx.recorded);
  }
}

async function stillGranted(ctx: FlowContext): Promise<boolean> {
  try {
    const grants = await ctx.deps.grants.grantsFor(ctx.connection);
    return !('miss' in matchGrant(grants, ctx.identity, ctx.namespace, ctx.deps.now(), { issuers: ctx.deps.issuerNames }));
  } catch {
    // Grants cannot be read: keep the stream (the next check decides), as a refusal would be a guess too.
    return true;
  }
}

function revokedError(ctx: FlowContext): GatehouseError {
  return new GatehouseError(403, 'Forbidden', `The grant for agent "${ctx.identity.agent}" on connection "${ctx.connection}" was revoked or expired; Gatehouse ended this stream.`);
}

/** A watch ERROR event carrying a Status, as the API server ends a watch it cannot continue. */
function errorEvent(error: GatehouseError, requestId: string): Buffer {
  return Buffer.from(`${JSON.stringify({ type: 'ERROR', object: toKubeStatus(error, requestId) })}\n`);
}

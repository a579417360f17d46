import type { ProxyResponse } from '../core/api-gateway-event';
import type { RecordCompletion, RecordIntent, RecordKey, ReplayBlob } from '../core/session-record';
import type { GuardDecision, RequestGuard } from './request-guard';
import type { ProxyDependencies } from './proxy-request';
import { ServiceUnavailableError } from '../core/errors';
import { toKubeStatus } from '../core/kube-status';
import { encodeReplayBatchLine, replayBatchPartition, REPLAY_VIA_BATCH } from '../core/replay-batch';
import type { SessionSummary } from '../core/session-recording';
import { completionAttributes, encodeReplayBlob, finalItem, intentItem, recordKeyOf, REFUSED_BY_CLUSTER, replayBody, replayKey, sessionKeyOf, type StreamRecordingSummary } from '../core/session-record';

/** Request headers kept in a replay blob: enough to replay what kubectl asked for, never credentials. */
const REPLAY_REQUEST_HEADERS = ['accept', 'content-type', 'user-agent', 'kubectl-command', 'kubectl-session', 'x-amz-target'];

/**
 * How a trail renders what is not a Kubernetes request (an AWS call): its own masking of bodies for the blob,
 * and the answer a refusal gets (an AWS error, not a Status). Absent, the trail speaks Kubernetes.
 */
export interface TrailProtocol {
  /** Masks a request or response body for the replay blob, secrets always masked; throws when it cannot read it. */
  mask(body: Buffer, contentType: string, status: number): Buffer;
  /** The answer a refusal gets, with the reason and message the record keeps. */
  refusal(error: unknown, requestId: string): { readonly response: ProxyResponse; readonly reason: string; readonly message: string };
  /** The reason and message of an upstream refusal (a 403 from the service), read from its (masked) answer. */
  upstreamRefusal(response: ProxyResponse): Pick<RecordCompletion, 'errorReason' | 'errorMessage'>;
}

/** What a trail writes to and masks with: a narrow slice of the proxy's dependencies. */
export type TrailDependencies = Pick<ProxyDependencies, 'records' | 'replay' | 'replayBatches' | 'indexHeads' | 'now' | 'log' | 'metric'> & {
  readonly guard: Pick<RequestGuard, 'mask'>;
};

/**
 * The record of one request as it moves along: an intent made durable before anything is forwarded,
 * then completed with what happened, plus a replay blob in S3. Refusals are recorded once, complete.
 * Writes after the response exists never fail the request: they are logged and counted instead, and
 * the intent record left in `phase: intent` shows that the trail is incomplete.
 */
export class RequestTrail {
  private intent: RecordIntent;
  private intentWritten = false;
  private upstreamStatus?: number;
  private upstreamLatencyMs?: number;

  constructor(
    private readonly deps: TrailDependencies,
    intent: RecordIntent,
    private readonly requestBody: Buffer = Buffer.alloc(0),
    private readonly requestHeaders: Readonly<Record<string, readonly string[]>> = {},
    private readonly protocol?: TrailProtocol,
  ) {
    this.intent = intent;
  }

  /** Adds facts learned along the way. */
  update(facts: Partial<RecordIntent>): void {
    this.intent = { ...this.intent, ...facts };
  }

  /** Notes the policy decision. */
  decide(decision: GuardDecision): void {
    this.update({ decision: decision.effect, ruleId: decision.ruleId });
    this.deps.metric(`decision_${decision.effect}`, 1, 'Count');
  }

  /** Makes the intent durable; if it cannot be, the request must not go on (fail closed). */
  async writeIntent(): Promise<void> {
    try {
      await this.deps.records.putIntent(intentItem(this.intent, { head: this.isHead() }));
      this.rememberHead();
      this.intentWritten = true;
    } catch (error) {
      this.deps.log('error', 'intent record write failed', { error: error instanceof Error ? error.name : 'Error' });
      throw new ServiceUnavailableError('Gatehouse could not write the audit record for this request, so it was not forwarded; retry shortly.', 2);
    }
  }

  /** Notes the cluster's answer. */
  upstreamAnswered(status: number, latencyMs: number): void {
    this.upstreamStatus = status;
    this.upstreamLatencyMs = latencyMs;
    this.deps.metric('upstream_latency', latencyMs, 'Milliseconds');
    this.deps.metric(`upstream_${Math.floor(status / 100)}xx`, 1, 'Count');
  }

  /**
   * The request went through: write the blob and complete the record. When a policy rule let the client
   * read Secrets unmasked, the blob still gets a masked body: the response is masked again with
   * `unmaskSecrets: false`, because a replay blob outlives the request, is read by operators and
   * exported, and must never hold a Secret in clear. The record's `unmasked` flag says the client saw more.
   * When the cluster answered 403 (its RBAC or admission said no), the outcome is `refused-by-cluster`
   * with the cluster's Status reason and message, so the record never counts it as allowed.
   */
  async completed(response: ProxyResponse, maskedCounts: Readonly<Record<string, number>>, unmasked: boolean): Promise<void> {
    const recorded = unmasked ? this.remasked(response) : { response };
    const refusal = (this.upstreamStatus ?? response.status) === 403 ? (this.protocol?.upstreamRefusal ?? clusterRefusal)(response) : undefined;
    await this.finish(response, { outcome: refusal ? REFUSED_BY_CLUSTER : 'forwarded', ...refusal, maskedCounts: nonEmpty(maskedCounts), unmasked: unmasked || undefined }, recorded);
  }

  /**
   * A watch or follow ended: one completion with what the stream was (units, bytes, duration, what ended it) and
   * where its recording is; the blob keeps the request and the response's status and headers, and points to the
   * recording's parts instead of holding a body.
   */
  async streamed(
    status: number, headers: Readonly<Record<string, string>>, maskedCounts: Readonly<Record<string, number>>, unmasked: boolean, stream: StreamRecordingSummary,
    session?: SessionSummary,
  ): Promise<void> {
    const response: ProxyResponse = { status, headers, body: Buffer.alloc(0) };
    await this.finish(response, {
      upgrade: session,
      outcome: 'forwarded',
      maskedCounts: nonEmpty(maskedCounts),
      unmasked: unmasked || undefined,
      bytesOut: stream.bytes,
      streamUnits: stream.units,
      streamBytes: stream.bytes,
      streamDurationMs: stream.durationMs,
      streamEndedBy: stream.endedBy,
      streamParts: stream.parts,
      streamLastPartSha256: stream.lastPartSha256,
      streamRecordTruncated: stream.truncated,
      streamPartsFailed: stream.failedParts,
    }, { response, stream, session });
  }

  /**
   * An answer passed on as it came, without being kept (a binary S3 object: masking cannot read it, and a replay
   * blob is no place for gigabytes): the blob keeps status and headers and says what was left out.
   */
  async passedThrough(status: number, headers: Readonly<Record<string, string>>, bytesOut: number, omitted: string): Promise<void> {
    const response: ProxyResponse = { status, headers, body: Buffer.alloc(0) };
    await this.finish(response, { outcome: 'forwarded', bytesOut }, { response, bodyOmitted: omitted });
  }

  /** The request's id. */
  get requestId(): string {
    return this.intent.requestId;
  }

  /** Where this request's record is (its session and start): what completions, stream parts and approvals update. */
  get recordKey(): RecordKey {
    return recordKeyOf(this.intent.identity, this.intent.requestId, this.intent.startedAt);
  }

  /** Where this request's replay blob goes; a stream's parts go next to it. */
  get replayKey(): string {
    return replayKey(this.intent.requestId, this.intent.startedAt);
  }

  /** The request was refused or failed: record it with the Status the client sees. */
  async refused(error: unknown): Promise<void> {
    const { response, reason, message } = this.protocol?.refusal(error, this.intent.requestId) ?? kubeRefusal(error, this.intent.requestId);
    const outcome = this.intentWritten ? 'failed' : this.intent.decision === 'deny' || response.status === 403 ? 'denied' : 'rejected';
    await this.finish(response, { outcome, errorReason: reason, errorMessage: message }, { response });
  }

  /**
   * @param response what the client got (its size goes into the record).
   * @param recorded what the replay blob keeps: the same response, or one masked again.
   */
  private async finish(response: ProxyResponse, facts: Pick<RecordCompletion, 'outcome'> & Partial<RecordCompletion>, recorded: Recorded): Promise<void> {
    const { requestId, startedAt } = this.intent;
    const key = this.replayKey;
    const blob = encodeReplayBlob(this.blob(recorded));
    const line = this.deps.replayBatches
      ? encodeReplayBatchLine(replayBatchPartition(sessionKeyOf(this.intent.identity)), { key, sha256: blob.sha256, bytes: blob.bytes })
      : undefined;
    const completion: RecordCompletion = {
      status: response.status,
      upstreamStatus: this.upstreamStatus,
      upstreamLatencyMs: this.upstreamLatencyMs === undefined ? undefined : Math.round(this.upstreamLatencyMs),
      latencyMs: Math.max(0, this.deps.now().getTime() - startedAt.getTime()),
      bytesOut: response.body.length,
      replayKey: key,
      replaySha256: blob.sha256,
      replayVia: line ? REPLAY_VIA_BATCH : undefined,
      ...facts,
    };
    const i = this.intent;
    this.deps.log('debug', 'request', {
      summary: i.summary, verb: i.request?.verb, resource: i.request?.resource, namespace: i.request?.namespace, name: i.request?.name,
      decision: i.decision, ruleId: i.ruleId, outcome: completion.outcome, status: completion.status,
      upstreamStatus: completion.upstreamStatus, latencyMs: completion.latencyMs, maskedCounts: completion.maskedCounts,
    });
    this.deps.metric('latency', completion.latencyMs, 'Milliseconds');
    this.deps.metric(`outcome_${completion.outcome.replace(/-/g, '_')}`, 1, 'Count');
    const record = this.intentWritten
      ? this.deps.records.complete(this.recordKey, completionAttributes(completion, requestId))
      : this.deps.records.putFinal(finalItem(this.intent, completion, { head: this.isHead() })).then(() => this.rememberHead());
    const [replay, rec] = await Promise.allSettled([this.storeBlob(key, blob.bytes, blob.sha256, line), record]);
    if (replay.status === 'rejected') {
      this.deps.log('error', 'replay blob write failed', { error: reasonName(replay.reason), replayKey: key });
      this.deps.metric('replay_write_failed', 1, 'Count');
      await this.deps.records.complete(this.recordKey, { replayMissing: true }).catch(() => undefined);
    }
    if (rec.status === 'rejected') {
      this.deps.log('error', 'record completion failed', { error: reasonName(rec.reason) });
      this.deps.metric('record_write_failed', 1, 'Count');
    }
  }

  private isHead(): boolean {
    const { identity, connection, startedAt } = this.intent;
    return this.deps.indexHeads?.isHead(sessionKeyOf(identity), connection, startedAt) ?? true;
  }

  private rememberHead(): void {
    const { identity, connection, startedAt } = this.intent;
    this.deps.indexHeads?.remember(sessionKeyOf(identity), connection, startedAt);
  }

  /**
   * Sends the blob as a line of the replay delivery stream when it fits one, else (or when the stream refuses
   * it) as an object of its own: the reader looks in the session's batches first and then at `replayKey`, so a
   * blob that fell back is still found, and nothing is lost while the stream is unavailable.
   */
  private async storeBlob(key: string, bytes: Buffer, sha256: string, line: Buffer | undefined): Promise<void> {
    if (line && this.deps.replayBatches) {
      try {
        await this.deps.replayBatches.send(line);
        return;
      } catch (error) {
        this.deps.log('warn', 'replay delivery stream refused the blob; writing it as an object', { error: reasonName(error), replayKey: key });
        this.deps.metric('replay_batch_fallback', 1, 'Count');
      }
    }
    await this.deps.replay.put(key, bytes, sha256);
  }

  /**
   * The client's response masked with Secrets masked, for the blob. If masking cannot read it that way
   * (a Secret body that does not parse, which only unmasked policy let through), the body is left out
   * rather than stored in clear.
   */
  private remasked(response: ProxyResponse): Recorded {
    const contentType = response.headers['content-type'] ?? '';
    const request = this.intent.request;
    try {
      const body = this.protocol
        ? this.protocol.mask(response.body, contentType, response.status)
        : request
          ? this.deps.guard.mask({ connection: this.intent.connection, body: response.body, contentType, request, unmaskSecrets: false }).body
          : failMasking();
      return { response: { ...response, body } };
    } catch (error) {
      this.deps.log('warn', 'replay body left out: it cannot be masked with Secrets masked', { error: error instanceof Error ? error.name : 'Error' });
      this.deps.metric('replay_body_omitted', 1, 'Count');
      return {
        response: { ...response, body: Buffer.alloc(0) },
        bodyOmitted: `${response.body.length} bytes of ${contentType || 'unknown content'} that could not be masked with Secrets masked`,
      };
    }
  }

  private blob({ response, bodyOmitted, stream, session }: Recorded): ReplayBlob {
    const i = this.intent;
    const headers: Record<string, string> = {};
    for (const name of REPLAY_REQUEST_HEADERS) {
      const value = this.requestHeaders[name]?.[0];
      if (value) headers[name] = value;
    }
    return {
      version: 1,
      requestId: i.requestId,
      startedAt: i.startedAt.toISOString(),
      agent: i.identity.agent,
      session: i.identity.session,
      connection: i.connection,
      request: { method: i.method, path: i.path, query: i.query, headers, ...this.maskedRequestBody(headers['content-type'] ?? '') },
      response: { ...responsePart(response, bodyOmitted, stream), ...(session ? { upgrade: session } : {}) },
    };
  }

  /**
   * The request body as the replay blob keeps it: masked like a response (a Secret being created must not
   * be stored in clear). A body masking cannot read (protobuf) is left out rather than stored raw.
   */
  private maskedRequestBody(contentType: string): { body?: ReplayBlob['request']['body']; bodyOmitted?: string } {
    const request = this.intent.request;
    if ((!request && !this.protocol) || this.requestBody.length === 0) return {};
    try {
      const masked = this.protocol
        ? this.protocol.mask(this.requestBody, contentType, 0)
        : this.deps.guard.mask({ connection: this.intent.connection, body: this.requestBody, contentType, request: request!, unmaskSecrets: false }).body;
      return { body: replayBody(masked) };
    } catch {
      return { bodyOmitted: `${this.requestBody.length} bytes of ${contentType || 'unknown content'} that masking cannot read` };
    }
  }
}

/** A response as the replay blob keeps it, and why its body is missing when it had to be left out. */
interface Recorded {
  readonly response: ProxyResponse;
  readonly bodyOmitted?: string;
  readonly stream?: StreamRecordingSummary;
  readonly session?: SessionSummary;
}

/**
 * The blob's response part. `bodyOmitted` mirrors the request part's field of that name; readers that
 * do not know it see a response without a body, which is what it is.
 */
function responsePart(response: ProxyResponse, bodyOmitted: string | undefined, stream?: StreamRecordingSummary): ReplayBlob['response'] {
  return { status: response.status, headers: { ...response.headers }, body: replayBody(response.body), ...(bodyOmitted ? { bodyOmitted } : {}), ...(stream ? { stream } : {}) };
}

/** A refusal as kubectl sees it: a Status, its reason and message kept in the record. */
function kubeRefusal(error: unknown, requestId: string): { response: ProxyResponse; reason: string; message: string } {
  const status = toKubeStatus(error, requestId);
  const response: ProxyResponse = { status: status.code, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(status)) };
  return { response, reason: status.reason, message: status.message };
}

function failMasking(): never {
  throw new Error('no request classification to mask by');
}

/** Longest Status message kept in a record: enough for any RBAC or admission refusal. */
const MAX_ERROR_MESSAGE = 1024;

/**
 * What a 403 from the cluster says, for the record: the reason and message of its Status (what kubectl
 * prints as `Error from server (Forbidden): ...`), read from the body the client got (already masked).
 * A body that is not a JSON Status still makes it a refusal, just without the words.
 */
function clusterRefusal(response: ProxyResponse): Pick<RecordCompletion, 'errorReason' | 'errorMessage'> {
  try {
    const status = JSON.parse(response.body.toString('utf8')) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (status.kind !== 'Status') return {};
    return {
      errorReason: typeof status.reason === 'string' && status.reason ? status.reason : undefined,
      errorMessage: typeof status.message === 'string' && status.message ? status.message.slice(0, MAX_ERROR_MESSAGE) : undefined,
    };
  } catch {
    return {};
  }
}

function nonEmpty(counts: Readonly<Record<string, number>>): Readonly<Record<string, number>> | undefined {
  return Object.keys(counts).length ? counts : undefined;
}

function reasonName(reason: unknown): string {
  return reason instanceof Error ? reason.name : 'Error';
}

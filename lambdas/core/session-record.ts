import { createHash } from 'node:crypto';
import type { REPLAY_VIA_BATCH } from './replay-batch';
import type { StreamRecording } from './stream-recording';
import type { SessionSummary } from './session-recording';
import type { AgentIdentity } from './agent-identity';
import type { RequestInfo } from './request-info';

/** What the policy decided, or why the request never reached policy. */
export type RecordDecision = 'allow' | 'deny' | 'approve' | 'reject';

/**
 * How the request ended: `forwarded` (the cluster answered, and did not refuse), `refused-by-cluster`
 * (Gatehouse let it through and the cluster answered 403: its RBAC, an admission plugin or webhook),
 * `denied` (by a grant or policy), `rejected` (before policy), `failed` (after the intent was written:
 * the cluster could not be reached or answered badly), `pending` (in flight). Records written before
 * `refused-by-cluster` existed say `forwarded` with `upstreamStatus: 403`; readers treat both alike.
 */
export type RecordOutcome = 'pending' | 'forwarded' | 'refused-by-cluster' | 'denied' | 'rejected' | 'failed';

/** The outcome of a request the cluster itself refused (it answered 403 Forbidden). */
export const REFUSED_BY_CLUSTER = 'refused-by-cluster';

/** The request facts known before anything is forwarded. */
export interface RecordIntent {
  readonly requestId: string;
  readonly startedAt: Date;
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly request?: RequestInfo;
  readonly summary: string;
  readonly decision: RecordDecision;
  readonly ruleId?: string;
  readonly grantId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly kubectlCommand?: string;
  /** An AWS call's classification (never its parameters, which may hold secret values being written). */
  readonly aws?: AwsCallFacts;
  readonly roleSessionName?: string;
  /** What Gatehouse read from the cluster to decide (`object`: the live object a patch applies to, `namespace`). */
  readonly policyReads?: readonly string[];
  /** The approval that concerned this request: pending, or the decision that let it through or refused it. */
  readonly approval?: Readonly<Record<string, string>>;
  readonly bytesIn: number;
  readonly retentionDays: number;
}

/** What a record keeps of an AWS call: enough for `sessions`, replay and `policy test`, nothing of its body. */
export interface AwsCallFacts {
  readonly service: string;
  readonly region: string;
  /** The API operation (`GetItem`), '' when it could not be told. */
  readonly action: string;
  /** The call's resource ARNs, at most {@link MAX_AWS_RESOURCES}. */
  readonly resources: readonly string[];
}

/** Most resource ARNs a record keeps (a BatchWriteItem may name many tables; the record stays small). */
export const MAX_AWS_RESOURCES = 20;

/** The facts added once the request is over. */
export interface RecordCompletion {
  readonly outcome: Exclude<RecordOutcome, 'pending'>;
  /** The status the client saw. */
  readonly status: number;
  /** Status from the cluster, when it answered. */
  readonly upstreamStatus?: number;
  /** The Status reason and message the client saw, for refusals (Gatehouse's or the cluster's) and failures. */
  readonly errorReason?: string;
  readonly errorMessage?: string;
  readonly latencyMs: number;
  readonly upstreamLatencyMs?: number;
  readonly bytesOut: number;
  readonly maskedCounts?: Readonly<Record<string, number>>;
  readonly unmasked?: boolean;
  readonly replayKey?: string;
  readonly replaySha256?: string;
  /** `batch`: the blob went to the replay delivery stream (core/replay-batch.ts); absent: an object of its own at `replayKey`. */
  readonly replayVia?: typeof REPLAY_VIA_BATCH;
  /** Watches and follows: watch events or log chunks passed on, bytes, how long it was open and what ended it. */
  readonly streamUnits?: number;
  readonly streamBytes?: number;
  readonly streamDurationMs?: number;
  readonly streamEndedBy?: string;
  /** The stream's recording: parts written to the replay store and the SHA-256 of the last (see stream-recording.ts). */
  readonly streamParts?: number;
  readonly streamLastPartSha256?: string;
  readonly streamRecordTruncated?: boolean;
  readonly streamPartsFailed?: number;
  /**
   * An upgraded session (exec, attach, port-forward): its kind, command, exit code, bytes and how it ended.
   * (Not `session`: that is the agent's session the record belongs to.)
   */
  readonly upgrade?: SessionSummary;
}

/**
 * The `sessionKey` of an agent's records: the records table's partition key (a session's records are one
 * partition, in start order) and what the replay lines name.
 */
export function sessionKeyOf(identity: Pick<AgentIdentity, 'issuer' | 'session'>): string {
  return `session#${identity.issuer}#${identity.session}`;
}

/** Partition key prefix of request records in the records table (leases are `lease#...`, live sessions `live#...`). */
export const RECORD_KEY_PREFIX = 'session#';

/**
 * Where a record is: its session (`pk`) and `<ISO start>#<requestId>` (`startedAtId`, the table's sort key). Keyed
 * by session, a session reads in order with no index, and writing a record writes no index (docs/DATA-MODEL.md).
 */
export interface RecordKey {
  readonly pk: string;
  readonly startedAtId: string;
}

/** The key of the record of a request of this identity that started at `startedAt`. */
export function recordKeyOf(identity: Pick<AgentIdentity, 'issuer' | 'session'>, requestId: string, startedAt: Date): RecordKey {
  return { pk: sessionKeyOf(identity), startedAtId: `${startedAt.toISOString()}#${requestId}` };
}

/**
 * Outcomes whose records carry `lookupId` (the sparse, keys-only `by-request-id` index): the requests whose ids
 * an agent is shown in a refusal or failure and brings to an operator. A request that went through is found in
 * its session (`gatehouse sessions show <id> --session <s>`); indexing every record would cost a write each.
 */
const LOOKUP_OUTCOMES: ReadonlySet<RecordOutcome> = new Set(['denied', 'rejected', 'failed', REFUSED_BY_CLUSTER]);

/** A record item as stored (see docs/DATA-MODEL.md). */
export type SessionRecordItem = Record<string, unknown> & { readonly pk: string; readonly startedAtId: string; readonly requestId: string };

const MAX_QUERY = 2048;

/**
 * Builds the item written before forwarding (`phase: intent`). Only a head (core/index-heads.ts) carries the
 * `by-agent` and `by-connection` index keys; every record carries `sessionKey`.
 */
export function intentItem(intent: RecordIntent, options: { readonly head?: boolean } = {}): SessionRecordItem {
  const head = options.head ?? true;
  const startedAt = intent.startedAt.toISOString();
  const { identity } = intent;
  const info = intent.request;
  return prune({
    ...recordKeyOf(identity, intent.requestId, intent.startedAt),
    requestId: intent.requestId,
    phase: 'intent',
    outcome: 'pending',
    startedAt,
    sessionKey: sessionKeyOf(identity),
    agentKey: head ? `agent#${identity.issuer}#${identity.agent}` : undefined,
    connectionKey: head ? `conn#${intent.connection}` : undefined,
    issuer: identity.issuer,
    agent: identity.agent,
    session: identity.session,
    groups: identity.groups.length ? [...identity.groups] : undefined,
    claims: identity.claims,
    connection: intent.connection,
    method: intent.method,
    path: intent.path,
    query: intent.query.length > MAX_QUERY ? intent.query.slice(0, MAX_QUERY) : intent.query,
    verb: info?.verb,
    apiGroup: info?.apiGroup,
    apiVersion: info?.apiVersion,
    resource: info?.resource,
    subresource: info?.subresource,
    namespace: info?.namespace,
    name: info?.name,
    summary: intent.summary,
    decision: intent.decision,
    ruleId: intent.ruleId,
    grantId: intent.grantId,
    sourceIp: intent.sourceIp,
    userAgent: intent.userAgent,
    kubectlCommand: intent.kubectlCommand,
    awsService: intent.aws?.service,
    awsRegion: intent.aws?.region,
    awsAction: intent.aws?.action,
    awsResources: intent.aws?.resources.length ? intent.aws.resources.slice(0, MAX_AWS_RESOURCES) : undefined,
    roleSessionName: intent.roleSessionName,
    policyReads: intent.policyReads,
    approval: intent.approval,
    bytesIn: intent.bytesIn,
    expiresAtEpoch: Math.floor(intent.startedAt.getTime() / 1000) + intent.retentionDays * 86_400,
  });
}

/**
 * The attributes set when the request is over (`phase: complete`), with the `lookupId` index key when the outcome
 * is one an agent reports by id (refused or failed).
 */
export function completionAttributes(completion: RecordCompletion, requestId: string): Record<string, unknown> {
  return prune({ phase: 'complete', ...completion, lookupId: LOOKUP_OUTCOMES.has(completion.outcome) ? requestId : undefined });
}

/** A record that is written once, complete, because the request never got as far as forwarding. */
export function finalItem(intent: RecordIntent, completion: RecordCompletion, options: { readonly head?: boolean } = {}): SessionRecordItem {
  return { ...intentItem(intent, options), ...completionAttributes(completion, intent.requestId) };
}

/** A request or response body in a replay blob: text when it is UTF-8, base64 otherwise. */
export interface ReplayBody {
  readonly encoding: 'utf8' | 'base64';
  readonly data: string;
}

/** The replay blob: one request and its (masked) response, enough to replay a session in order. */
export interface ReplayBlob {
  readonly version: 1;
  readonly requestId: string;
  readonly startedAt: string;
  readonly agent: string;
  readonly session: string;
  readonly connection: string;
  readonly request: { readonly method: string; readonly path: string; readonly query: string; readonly headers: Readonly<Record<string, string>>; readonly body?: ReplayBody; readonly bodyOmitted?: string };
  readonly response: {
    readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body?: ReplayBody; readonly bodyOmitted?: string;
    /** A watch or follow: its content is in parts next to this blob, unit by unit with times (stream-recording.ts). */
    readonly stream?: StreamRecordingSummary;
    /** An exec, attach or port-forward session: its frames are the units of `stream` (session-recording.ts). */
    readonly upgrade?: SessionSummary;
  };
}

/** What a blob says of a streamed response's recording (the parts and the last part's SHA-256), and how the stream went. */
export type StreamRecordingSummary = StreamRecording & {
  readonly durationMs: number;
  readonly endedBy: string;
};

/** Where a request's replay blob lives. Date-partitioned so lifecycle rules and listings stay cheap. */
export function replayKey(requestId: string, startedAt: Date): string {
  const iso = startedAt.toISOString();
  return `replay/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${requestId}.json`;
}

/** Serialises a blob and its SHA-256, which goes into the record so replay can prove the blob is intact. */
export function encodeReplayBlob(blob: ReplayBlob): { readonly bytes: Buffer; readonly sha256: string } {
  const bytes = Buffer.from(JSON.stringify(blob));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Encodes a body for a replay blob. */
export function replayBody(body: Buffer | undefined): ReplayBody | undefined {
  if (!body || body.length === 0) return undefined;
  const text = body.toString('utf8');
  return Buffer.byteLength(text) === body.length && !text.includes('\uFFFD')
    ? { encoding: 'utf8', data: text }
    : { encoding: 'base64', data: body.toString('base64') };
}

function prune<T extends Record<string, unknown>>(item: T): T {
  for (const key of Object.keys(item)) if (item[key] === undefined || item[key] === '') delete item[key];
  return item;
}

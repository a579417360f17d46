import type { RecordCompletion, ReplayBlob } from '../lambdas/core/session-record';
import type { RecordedUnit } from '../lambdas/core/stream-recording';

/**
 * A records-table item as the CLI reads it (see lambdas/core/session-record.ts for how it is written).
 * Everything but the keys is optional: an intent record has no completion fields yet, and older or
 * newer writers may add or drop attributes.
 */
/** Watches and follows: the stream facts of the record (see lambdas/core/session-record.ts). */
type StreamFacts = Pick<RecordCompletion, 'streamUnits' | 'streamBytes' | 'streamDurationMs' | 'streamEndedBy' | 'streamParts' | 'streamLastPartSha256' | 'streamRecordTruncated' | 'streamPartsFailed'>;

/** Exec, attach and port-forward: the session summary of the completed record (`upgrade`; absent while the session runs). */
type SessionFacts = Pick<RecordCompletion, 'upgrade'>;

export interface RequestRecord extends StreamFacts, SessionFacts {
  readonly pk: string;
  readonly requestId: string;
  readonly startedAt: string;
  readonly startedAtId?: string;
  readonly phase?: 'intent' | 'complete';
  readonly outcome?: 'pending' | 'forwarded' | 'denied' | 'rejected' | 'failed';
  readonly issuer?: string;
  readonly agent?: string;
  readonly session?: string;
  readonly groups?: readonly string[];
  readonly claims?: Readonly<Record<string, string>>;
  readonly connection?: string;
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly verb?: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly summary?: string;
  readonly decision?: 'allow' | 'deny' | 'approve' | 'reject';
  readonly ruleId?: string;
  readonly grantId?: string;
  readonly approvedBy?: string;
  /** Who approved a held request (approval workflow), and their display name. */
  readonly approver?: string;
  readonly approverName?: string;
  readonly approvalId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly kubectlCommand?: string;
  /** AWS calls (`/aws/<connection>`): the service, region, API action ('' when unknown) and resource ARNs. */
  readonly awsService?: string;
  readonly awsRegion?: string;
  readonly awsAction?: string;
  readonly awsResources?: readonly string[];
  readonly roleSessionName?: string;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly status?: number;
  readonly upstreamStatus?: number;
  readonly errorReason?: string;
  readonly errorMessage?: string;
  readonly latencyMs?: number;
  readonly upstreamLatencyMs?: number;
  readonly maskedCounts?: Readonly<Record<string, number>>;
  readonly unmasked?: boolean;
  readonly replayKey?: string;
  readonly replaySha256?: string;
  /** `batch`: the blob was sent in the session's replay batches (lambdas/core/replay-batch.ts). */
  readonly replayVia?: RecordCompletion['replayVia'];
  readonly replayMissing?: boolean;
  readonly sessionKey?: string;
  readonly expiresAtEpoch?: number;
}

/** What the integrity check of a replay blob found. */
export type Integrity =
  /** The blob's SHA-256 equals the record's. */
  | 'ok'
  /** The blob exists but its SHA-256 differs: it was changed after it was written. */
  | 'mismatch'
  /** The record names a blob that is not there. */
  | 'missing'
  /** The proxy recorded that it could not write the blob (`replayMissing`). */
  | 'not-written'
  /** The request is still in flight: no blob yet. */
  | 'pending'
  /** The blob was sent to the replay delivery stream moments ago and its batch is not written yet. */
  | 'delivering';

/** A record with its replay blob (when there is one and it is intact). */
export interface ReplayEntry {
  readonly record: RequestRecord;
  readonly integrity: Integrity;
  /** Only set when integrity is `ok`: a blob that fails its check is never shown as if it were evidence. */
  readonly blob?: ReplayBlob;
  /** SHA-256 actually found, for mismatch reports. */
  readonly actualSha256?: string;
  /**
   * A watch or follow: what the client received, unit by unit with times (only when its parts check out). An exec,
   * attach or port-forward session: its frames or connection events, each naming its channel (session-recording.ts).
   */
  readonly stream?: readonly RecordedUnit[];
  /** What is wrong with a stream's recording (a part missing, changed or out of order): integrity is `mismatch`. */
  readonly streamProblem?: string;
  /** Damaged lines in the session's replay batches, reported with a blob that is missing (one may have been it). */
  readonly batchProblems?: readonly string[];
}

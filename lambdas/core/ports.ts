import type { Grant } from './grant';
import type { IssuerConfig, ConnectionConfig } from './gateway-config';
import type { RoleSessionRequest } from './role-session';
import type { RecordKey, SessionRecordItem } from './session-record';

/**
 * The ports the proxy talks through. Each has one thin adapter in `lambdas/adapters/` with its AWS SDK
 * client injected, and tests or local mode can hand in the same adapters pointed at local servers.
 */

/** Verifies a bearer JWT against the configured issuers. */
export interface TokenVerifier {
  /** Resolves with the verified claims and the issuer that signed them; rejects with a GatehouseError. */
  verify(token: string): Promise<{ readonly claims: Readonly<Record<string, unknown>>; readonly issuer: IssuerConfig }>;
}

/** Reads grants. */
export interface GrantStore {
  /** Every grant on a connection (expired ones included; matching decides). */
  grantsFor(connection: string): Promise<readonly Grant[]>;
}

/** Writes session records. */
export interface RecordStore {
  /** Writes the intent record; must reject if it could not be made durable. */
  putIntent(item: SessionRecordItem): Promise<void>;
  /** Completes an intent record (or adds to one: a stream's parts, an approval's decision). */
  complete(key: RecordKey, attributes: Readonly<Record<string, unknown>>): Promise<void>;
  /** Writes a record that is complete from the start (refused requests). */
  putFinal(item: SessionRecordItem): Promise<void>;
}

/** Stores replay blobs. */
export interface ReplayStore {
  put(key: string, bytes: Buffer, sha256: string): Promise<void>;
}

/**
 * Sends replay blobs in batches: each line (core/replay-batch.ts) is one record of a delivery stream, which writes
 * a session's lines into shared S3 objects. Rejects when the stream did not take the line.
 */
export interface ReplayBatchSink {
  send(line: Buffer): Promise<void>;
}

/**
 * Leases on an agent's open streams (watches, log follows), so operators can cap how many one agent holds at
 * once. A lease ends when released or, if its Lambda died first, at `expiresAt`.
 */
export interface StreamLeases {
  /**
   * Takes a lease for `leaseId` unless `key` already holds `cap` live ones; answers how many were live before.
   * Rejects when the count cannot be established (the caller fails closed).
   */
  acquire(key: string, leaseId: string, expiresAt: Date, cap: number): Promise<{ readonly acquired: boolean; readonly live: number }>;
  /** Gives a lease back; a lease already gone is fine. */
  release(key: string, leaseId: string): Promise<void>;
}

/** Temporary AWS credentials. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Assumes a connection's role for an agent. */
export interface RoleAssumer {
  credentialsFor(request: RoleSessionRequest): Promise<AwsCredentials>;
}

/** A request to the cluster, fully built: the agent cannot influence the host. */
export interface UpstreamRequest {
  readonly method: string;
  /** Path and query, starting with `/`. */
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Buffer;
}

/** The cluster's answer, buffered. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
  readonly latencyMs: number;
}

/** The cluster's answer as it comes: status and headers first, then the body chunk by chunk. */
export interface UpstreamStream {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Time to the status line. */
  readonly latencyMs: number;
  /** The body; ends when the cluster ends it, throws `UpstreamIdleError` after the idle timeout. */
  readonly body: AsyncIterable<Buffer>;
  /** Stops reading and closes the connection to the cluster (the client went away, the grant was revoked). */
  abort(): void;
}

/** Sends requests to a connection's cluster. */
export interface UpstreamClient {
  /** Rejects with a GatehouseError (unreachable, timeout, too large). */
  send(connection: ConnectionConfig, request: UpstreamRequest, options: { readonly timeoutMs: number; readonly maxResponseBytes: number }): Promise<UpstreamResponse>;
  /**
   * Opens a request whose answer is read as a stream (watch, follow, large lists). Rejects with a GatehouseError
   * when the cluster cannot be reached or does not answer within `timeoutMs`.
   */
  open?(connection: ConnectionConfig, request: UpstreamRequest, options: { readonly timeoutMs: number; readonly idleTimeoutMs: number }): Promise<UpstreamStream>;
}

/** An upgraded session (exec, attach, port-forward) that is open on a session front right now. */
export interface LiveSessionEntry {
  readonly requestId: string;
  readonly issuer: string;
  readonly agent: string;
  /** The agent session the request belongs to (records and replay name it). */
  readonly session: string;
  readonly connection: string;
  readonly kind: string;
  /** What it is, e.g. `exec pods/web-0 in namespace prod: sh -c ...`. */
  readonly summary: string;
  readonly startedAt: string;
  /** Unix seconds after which the entry is stale (a front that died without removing it). */
  readonly expiresAt: number;
  /** Set by an operator (`gatehouse sessions end`): the front ends the session at its next check. */
  readonly endRequestedBy?: string;
  readonly endReason?: string;
}

/** Where session fronts list their open sessions, and where operators ask for one to end. */
export interface LiveSessionRegistry {
  register(entry: LiveSessionEntry): Promise<void>;
  unregister(requestId: string): Promise<void>;
  /** The entries that have not expired. */
  list(now: Date): Promise<readonly LiveSessionEntry[]>;
  /** Marks a live session to be ended; false when no such session is open. */
  requestEnd(requestId: string, by: string, reason?: string): Promise<boolean>;
}

/** An AWS call, signed for its real endpoint: the URL comes from configuration and the service table only. */
export interface AwsUpstreamRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Sends signed calls to AWS service endpoints (public CAs; plain http only for local mode's stand-ins). */
export interface AwsUpstreamClient {
  /** Rejects with a GatehouseError when the service cannot be reached or does not answer within `timeoutMs`. */
  open(request: AwsUpstreamRequest, options: { readonly timeoutMs: number; readonly idleTimeoutMs: number }): Promise<UpstreamStream>;
}

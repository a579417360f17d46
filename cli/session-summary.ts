import { REFUSED_BY_CLUSTER } from '../lambdas/core/session-record';
import { requestFate } from './format';
import type { RequestRecord } from './types';

/** What happened to a request, as `gatehouse sessions` counts it. */
export type RequestFate = 'allowed' | 'refusedByCluster' | 'denied' | 'held' | 'failed' | 'pending';

/** The words for a fate in tables (`sessions requests`). */
export const FATE_LABELS: Readonly<Record<RequestFate, string>> = {
  allowed: 'allowed', refusedByCluster: 'refused by cluster', denied: 'denied', held: 'held', failed: 'failed', pending: 'pending',
};

/**
 * Whether the cluster refused the request (it answered 403: RBAC, admission): `outcome:
 * refused-by-cluster`, or, in records written before that outcome existed, `forwarded` with
 * `upstreamStatus: 403`.
 */
export function refusedByCluster(record: Pick<RequestRecord, 'outcome' | 'upstreamStatus'>): boolean {
  // cli/types.ts predates the outcome; read it as the string it is stored as.
  const outcome: string | undefined = record.outcome;
  return outcome === REFUSED_BY_CLUSTER || (outcome === 'forwarded' && record.upstreamStatus === 403);
}

/** A request's fate: refused by the cluster before anything else (even an approved request can be), else as `requestFate`. */
export function fateOf(record: Pick<RequestRecord, 'decision' | 'outcome' | 'upstreamStatus'>): RequestFate {
  return refusedByCluster(record) ? 'refusedByCluster' : requestFate(record);
}

/** One session's requests, counted. */
export interface SessionSummary {
  readonly issuer: string;
  readonly session: string;
  readonly agent: string;
  readonly connections: readonly string[];
  readonly first: string;
  readonly last: string;
  readonly requests: number;
  readonly allowed: number;
  /** Let through by Gatehouse, refused by the cluster (403). Not counted in `allowed`. */
  readonly refusedByCluster: number;
  readonly denied: number;
  readonly held: number;
  readonly failed: number;
  readonly pending: number;
}

/**
 * Groups records into sessions (issuer + session claim) and counts what happened to their requests:
 * allowed (forwarded, and the cluster did not refuse), refused by the cluster (forwarded, and the cluster
 * answered 403), denied (refused by grant or policy, or rejected), held (waiting for a person's approval),
 * failed (allowed but the cluster could not be reached or answered badly) and pending (in flight, or a
 * trail the proxy could not complete). Most recently active first.
 */
export function summarizeSessions(records: readonly RequestRecord[]): SessionSummary[] {
  const sessions = new Map<string, { -readonly [K in keyof SessionSummary]: SessionSummary[K] } & { connectionSet: Set<string> }>();
  for (const r of records) {
    const key = `${r.issuer ?? ''}#${r.session ?? ''}`;
    let s = sessions.get(key);
    if (!s) {
      s = { issuer: r.issuer ?? '', session: r.session ?? '', agent: r.agent ?? '', connections: [], connectionSet: new Set(), first: r.startedAt, last: r.startedAt, requests: 0, allowed: 0, refusedByCluster: 0, denied: 0, held: 0, failed: 0, pending: 0 };
      sessions.set(key, s);
    }
    s.requests += 1;
    s[fateOf(r)] += 1;
    if (r.connection) s.connectionSet.add(r.connection);
    if (r.startedAt < s.first) s.first = r.startedAt;
    if (r.startedAt > s.last) s.last = r.startedAt;
  }
  return [...sessions.values()]
    .map(({ connectionSet, ...s }) => ({ ...s, connections: [...connectionSet].sort() }))
    .sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
}

/** Records in the order they started (request id breaks ties), the order a replay plays them in. */
export function byStart<T extends Pick<RequestRecord, 'startedAt' | 'requestId'>>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => (a.startedAt === b.startedAt ? a.requestId.localeCompare(b.requestId) : a.startedAt < b.startedAt ? -1 : 1));
}

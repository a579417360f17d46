import type { AgentIdentity } from './agent-identity';
import { TooManyRequestsError } from './errors';

/** Partition key prefix of lease items in the records table (records are `session#...`). */
export const STREAM_LEASE_KEY_PREFIX = 'lease#';

/**
 * The sort key (`startedAtId`) of the records table's items that are one per partition key: leases and the live
 * sessions. The table is keyed by session and start for the records; these items only need the partition key.
 */
export const SINGLE_ITEM_SORT_KEY = '-';

/** Partition key prefix of the live-sessions item in the records table (the session front's open sessions). */
export const LIVE_SESSIONS_KEY_PREFIX = 'live#';

/** Whose streams are counted together: one agent of one issuer, across its connections and sessions. */
export function streamLeaseKey(identity: Pick<AgentIdentity, 'issuer' | 'agent'>): string {
  return `${identity.issuer}:${identity.agent}`;
}

/** The leases of a stored map that have not expired (entries that are not numbers are dropped). */
export function liveLeases(stored: unknown, now: Date): Record<string, number> {
  const live: Record<string, number> = {};
  if (!stored || typeof stored !== 'object') return live;
  const nowSeconds = now.getTime() / 1000;
  for (const [id, expires] of Object.entries(stored as Record<string, unknown>)) {
    if (typeof expires === 'number' && expires > nowSeconds) live[id] = expires;
  }
  return live;
}

/** The 429 an agent gets for one stream too many; it says what to do. */
export function tooManyStreamsError(agent: string, cap: number, what = 'streams (watches and log follows)', setting = 'limits.maxStreamsPerAgent'): TooManyRequestsError {
  return new TooManyRequestsError(
    `Agent "${agent}" already has ${cap} open ${what}, the most this Gatehouse allows one agent `
      + `(${setting}); stop one of them, or wait for one to end, and retry.`,
    5,
  );
}

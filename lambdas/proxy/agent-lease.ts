import type { AgentIdentity } from '../core/agent-identity';
import { ServiceUnavailableError } from '../core/errors';
import { streamLeaseKey, tooManyStreamsError } from '../core/stream-lease';
import type { ProxyDependencies } from './prepare-forward';

/** One open stream or session counted against its agent's cap, until released. */
export interface AgentLease {
  /** Gives the place back; safe to call more than once. */
  release(): Promise<void>;
}

/** What is being counted: watches and follows (`stream`) or upgraded sessions (`session`), each under its own cap. */
export interface AgentLeaseKind {
  readonly kind: 'stream' | 'session';
  readonly cap: number;
  /** The longest such stream or session may stay open; the lease outlives it by a minute. */
  readonly maxSeconds: number;
}

const WORDING = {
  stream: { key: '', counted: 'streams', what: 'streams (watches and log follows)', setting: 'limits.maxStreamsPerAgent' },
  session: { key: 'session#', counted: 'sessions', what: 'sessions (exec, attach, port-forward)', setting: 'sessionFront.maxSessionsPerAgent' },
} as const;

/**
 * Counts one more open stream or session against the agent's cap with the stream leases: one over is a 429, a
 * count that cannot be read is a 503 (the cap is the operator's control, so it fails closed). The lease outlives the
 * longest stream or session by a minute, so a process that dies mid-way frees its place by itself. Without leases
 * configured, nothing is counted.
 */
export async function takeAgentLease(identity: AgentIdentity, requestId: string, deps: ProxyDependencies, limit: AgentLeaseKind): Promise<AgentLease | undefined> {
  const leases = deps.streamLeases;
  if (!leases) return undefined;
  const words = WORDING[limit.kind];
  const key = `${words.key}${streamLeaseKey(identity)}`;
  const expiresAt = new Date(deps.now().getTime() + (limit.maxSeconds + 60) * 1000);
  let taken: Awaited<ReturnType<typeof leases.acquire>>;
  try {
    taken = await leases.acquire(key, requestId, expiresAt, limit.cap);
  } catch (error) {
    deps.log('error', `${limit.kind} lease failed`, { error: error instanceof Error ? error.name : 'Error' });
    throw new ServiceUnavailableError(`Gatehouse could not count your open ${words.counted}, so it cannot tell whether this one is within your limit; retry shortly.`, 2);
  }
  if (!taken.acquired) {
    deps.metric(`${limit.kind}_cap_refused`, 1, 'Count');
    throw tooManyStreamsError(identity.agent, limit.cap, words.what, words.setting);
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await leases.release(key, requestId).catch((error: unknown) => deps.log('warn', `${limit.kind} lease release failed`, { error: error instanceof Error ? error.name : 'Error' }));
    },
  };
}

/**
 * Limits of streamed answers, set so clients survive them: API Gateway ends a streamed response after 15
 * minutes and after 5 idle minutes (regional), so Gatehouse ends streams itself first and cleanly.
 */
export interface StreamLimits {
  /** Longest stream; a watch gets this as its `timeoutSeconds` (the server then ends it cleanly). @default 600 */
  readonly maxStreamSeconds: number;
  /** A stream the cluster sends nothing on for this long is ended (watch: with an ERROR event). @default 240 */
  readonly idleSeconds: number;
  /** How often the agent's grant is checked again during a stream (a revoked grant ends it). @default 5 */
  readonly grantCheckSeconds: number;
  /** Largest answer read whole (lists past the 6 MB of a buffered Lambda). @default 64 MiB */
  readonly maxResponseBytes: number;
  /** Open streams one agent may hold at once; one more is a 429. @default 20 */
  readonly maxStreamsPerAgent: number;
}

/** The defaults, within API Gateway's limits. */
export const STREAM_LIMIT_DEFAULTS: StreamLimits = {
  maxStreamSeconds: 600,
  idleSeconds: 240,
  grantCheckSeconds: 5,
  maxResponseBytes: 64 * 1024 * 1024,
  maxStreamsPerAgent: 20,
};

/**
 * The watch's path with `timeoutSeconds` at most `maxSeconds`: added when absent, lowered when larger. A value the
 * server would refuse (not an integer) is left for the server to refuse.
 */
export function capWatchTimeout(pathAndQuery: string, maxSeconds: number): string {
  const at = pathAndQuery.indexOf('?');
  const path = at < 0 ? pathAndQuery : pathAndQuery.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : pathAndQuery.slice(at + 1));
  const current = query.get('timeoutSeconds');
  if (current !== null && !/^[+-]?\d+$/.test(current)) return pathAndQuery;
  if (current !== null && Number(current) > 0 && Number(current) <= maxSeconds) return pathAndQuery;
  query.set('timeoutSeconds', String(maxSeconds));
  return `${path}?${query.toString()}`;
}

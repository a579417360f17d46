/**
 * Which records carry the `by-agent` and `by-connection` index keys. Every record is in its session's partition
 * of the table; the two indexes hold only "heads": the first record of each session on each connection in each
 * UTC hour, as seen by one container (containers do not share memory, so a session may get a head from each:
 * harmless). A listing by agent or connection finds the heads, then reads each session from the table.
 *
 * Why: an index entry per record would be one more write per request (about $0.63 per million for each index)
 * for two listings operators run a few times a day. Heads keep them to a few writes per session. The hour bucket lets a listing of a time range start its head
 * query an hour before the range and still find every session active in it.
 */
export class IndexHeads {
  private readonly seen = new Map<string, true>();

  /** @param capacity heads remembered; the oldest is forgotten first (a forgotten one is simply written again). */
  constructor(private readonly capacity = 10_000) {}

  /** Whether a record of this session, connection and start time would be a head (nothing is remembered yet). */
  isHead(sessionKey: string, connection: string, startedAt: Date): boolean {
    return !this.seen.has(headKey(sessionKey, connection, startedAt));
  }

  /** Remembers a head once its record is durable (a head whose write failed is tried again on the next record). */
  remember(sessionKey: string, connection: string, startedAt: Date): void {
    const key = headKey(sessionKey, connection, startedAt);
    if (this.seen.has(key)) return;
    this.seen.set(key, true);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** How far before a listing's start its head query must begin: a head may start the hour the session was active. */
export const HEAD_WINDOW_MS = 3_600_000;

function headKey(sessionKey: string, connection: string, startedAt: Date): string {
  return `${startedAt.toISOString().slice(0, 13)}|${connection}|${sessionKey}`;
}

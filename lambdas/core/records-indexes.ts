/** The records table's indexes (docs/DATA-MODEL.md), shared by the CDK table, local mode's table and the readers. */
/**
 * The records table's GSIs: name -> partition key. All project only the keys: the heads indexes name sessions
 * (the table's `pk` is the session), `by-request-id` names one record; readers then read the table. Keys-only, a
 * completion (which changes no index key) writes no index.
 */
export const RECORDS_INDEXES = {
  /** Sessions by agent: only each session's heads (lambdas/core/index-heads.ts), sorted by `startedAtId`. */
  'by-agent': 'agentKey',
  /** Sessions by connection: heads only, sorted by `startedAtId`. */
  'by-connection': 'connectionKey',
  /** Sparse: the records of refused and failed requests (`lookupId`, see session-record.ts), by request id. */
  'by-request-id': 'lookupId',
} as const;

/** The indexes sorted by start, like the table. */
export const SORTED_BY_START: ReadonlySet<string> = new Set(['by-agent', 'by-connection']);


import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { REPLAY_VIA_BATCH } from '../lambdas/core/replay-batch';
import { RECORD_KEY_PREFIX, replayKey, type ReplayBlob } from '../lambdas/core/session-record';
import { endedAt, ReplayBatchReader } from './replay-batch-reader';
import { checkStreamParts, streamPartKey } from '../lambdas/core/stream-recording';
import { fromAwsError, UsageError } from './errors';
import { byStart } from './session-summary';
import type { Target } from './target';
import { HEAD_WINDOW_MS } from '../lambdas/core/index-heads';
import { startedAtCondition, type TimeRange } from './time-range';
import type { ReplayEntry, RequestRecord } from './types';

/** Which records to read. Every filter given must match; the narrowest index is used. */
export interface RecordFilters {
  readonly session?: string;
  readonly agent?: string;
  readonly connection?: string;
  /** Issuer name; without it, every issuer the target knows is tried. */
  readonly issuer?: string;
  /** One request's full id (a filter: the sessions are still read in the range). */
  readonly requestId?: string;
  readonly range?: TimeRange;
}

/** Called after each page with the number of records read so far (for progress). */
export type OnRecords = (count: number) => void;

/**
 * Reads the records matching the filters, in start order. A session is one partition of the table, read with the
 * time range on the `startedAtId` sort key. By agent or connection, the `by-agent` or `by-connection` index holds
 * only each session's heads (lambdas/core/index-heads.ts), keys only: those are found from an hour before the
 * range, and each session they name (the head's `pk`) is then read from the table. Other filters become filter
 * expressions. When the issuer is unknown it asks each issuer's key, and when no issuer is known at all it falls
 * back to a scan.
 */
export async function findRecords(target: Target, filters: RecordFilters, onRecords?: OnRecords): Promise<RequestRecord[]> {
  const issuers = filters.issuer ? [filters.issuer] : (target.issuers ?? []).map((i) => i.name);
  const connections = filters.connection ? [filters.connection] : [...new Set([...(target.connections ?? []).map((c) => c.name), ...target.servers.keys()])];
  const found = new Map<string, RequestRecord>();
  const report = () => onRecords?.(found.size);
  const add = (items: readonly RequestRecord[]) => { for (const item of items) found.set(item.requestId, item); report(); };
  const sessions = new Set<string>();
  if (filters.session && issuers.length) {
    for (const issuer of issuers) sessions.add(`session#${issuer}#${filters.session}`);
  } else if (filters.agent && issuers.length) {
    for (const issuer of issuers) await findHeads(target, 'by-agent', 'agentKey', `agent#${issuer}#${filters.agent}`, filters.range, sessions);
  } else if (connections.length) {
    for (const connection of connections) await findHeads(target, 'by-connection', 'connectionKey', `conn#${connection}`, filters.range, sessions);
  } else if (filters.session || filters.agent) {
    throw new UsageError('This target does not say which issuers or connections exist; pass --issuer <name> (or --connection <name>), or --config <gatehouse.config.yaml>.');
  } else {
    add(await scanAll(target, filters, report));
    return byStart([...found.values()]);
  }
  const filter = filterExpression(filters, ['session', 'issuer']);
  const range = startedAtCondition(filters.range ?? {});
  for (const sessionKey of [...sessions].sort()) {
    await paginate(target, {
      TableName: target.recordsTable,
      KeyConditionExpression: `pk = :key${range ? ` AND ${range.expression}` : ''}`,
      ExpressionAttributeValues: { ':key': sessionKey, ...range?.values, ...filter?.values },
      ...(filter ? { FilterExpression: filter.expression, ...names(filter.names) } : {}),
    }, add);
  }
  return byStart([...found.values()]);
}

/**
 * The sessions named by an index's heads for one key: from an hour before the range's start (a head is the first
 * record of its hour) to its end. The index holds only keys; a head's `pk` is its session.
 */
async function findHeads(target: Target, index: string, keyName: string, key: string, range: TimeRange | undefined, sessions: Set<string>): Promise<void> {
  const widened = startedAtCondition({ ...range, ...(range?.from ? { from: new Date(range.from.getTime() - HEAD_WINDOW_MS) } : {}) });
  await paginate(target, {
    TableName: target.recordsTable,
    IndexName: index,
    KeyConditionExpression: `${keyName} = :key${widened ? ` AND ${widened.expression}` : ''}`,
    ExpressionAttributeValues: { ':key': key, ...widened?.values },
  }, (items) => {
    for (const item of items) sessions.add(String((item as { pk?: unknown }).pk));
  });
}

/**
 * One request's record by its id alone, or undefined: found through the sparse `by-request-id` index, which holds
 * the requests an agent is shown an id for (refused or failed). A request that went through is found in its
 * session (`findRecords` with the session, agent or connection).
 */
export async function getRecord(target: Target, requestId: string): Promise<RequestRecord | undefined> {
  try {
    const found = await target.documents.send(new QueryCommand({
      TableName: target.recordsTable, IndexName: 'by-request-id', KeyConditionExpression: 'lookupId = :id', ExpressionAttributeValues: { ':id': requestId }, Limit: 1,
    }));
    const key = found.Items?.[0] as { pk: string; startedAtId: string } | undefined;
    if (!key) return undefined;
    const result = await target.documents.send(new GetCommand({ TableName: target.recordsTable, Key: { pk: key.pk, startedAtId: key.startedAtId }, ConsistentRead: true }));
    return result.Item as RequestRecord | undefined;
  } catch (error) {
    throw fromAwsError(error, `records table ${target.recordsTable}`);
  }
}

/**
 * Loads a record's replay blob and checks it against the SHA-256 in the record. A blob that does not
 * match is not returned: what it says cannot be trusted. A blob written moments ago may still be on its
 * way (the proxy writes record and blob in parallel), so a missing fresh blob is asked for once more.
 */
export async function loadEntry(target: Target, record: RequestRecord, now: () => Date = () => new Date(), batchWaitMs = 15_000): Promise<ReplayEntry> {
  const entry = await loadBlobEntry(target, record, now, batchWaitMs);
  return entry.integrity === 'ok' || entry.integrity === 'pending' ? withStream(target, entry) : entry;
}

/**
 * A watch or follow: fetches its recording's parts and checks them (whole, chained, the last one the recorded
 * one). A stream whose Lambda died mid-way has no blob, but its record names the parts that were written.
 */
async function withStream(target: Target, entry: ReplayEntry): Promise<ReplayEntry> {
  const { record } = entry;
  const summary = entry.blob?.response.stream;
  const parts = summary?.parts ?? record.streamParts ?? 0;
  if (!summary && !parts) return entry;
  const lastPartSha256 = summary?.lastPartSha256 ?? record.streamLastPartSha256;
  if (summary && record.streamLastPartSha256 !== undefined && record.streamLastPartSha256 !== summary.lastPartSha256) {
    return { record, integrity: 'mismatch', streamProblem: `the blob names last part ${summary.lastPartSha256}, the record ${record.streamLastPartSha256}` };
  }
  const key = record.replayKey ?? replayKey(record.requestId, new Date(record.startedAt));
  const fetched: Array<Uint8Array | undefined> = [];
  for (let part = 1; part <= parts; part++) fetched.push(await fetchBlob(target, streamPartKey(key, part)));
  const check = checkStreamParts(record.requestId, fetched, { parts, lastPartSha256 });
  if (!check.ok) return { record, integrity: 'mismatch', streamProblem: check.problem };
  return { ...entry, integrity: entry.integrity === 'pending' ? 'ok' : entry.integrity, stream: check.units };
}

async function loadBlobEntry(target: Target, record: RequestRecord, now: () => Date, batchWaitMs: number): Promise<ReplayEntry> {
  if (!record.replayKey) return { record, integrity: record.replayMissing || record.phase === 'complete' ? 'not-written' : 'pending' };
  if (record.replayVia === REPLAY_VIA_BATCH) return loadBatchedEntry(target, record, now, batchWaitMs);
  let bytes = await fetchBlob(target, record.replayKey);
  if (!bytes && now().getTime() - Date.parse(record.startedAt) < 60_000) {
    await new Promise((r) => setTimeout(r, 750));
    bytes = await fetchBlob(target, record.replayKey);
  }
  if (!bytes) return { record, integrity: record.replayMissing ? 'not-written' : 'missing' };
  return checkedEntry(record, bytes);
}

/**
 * A blob sent in the session's batches: found there (any copy whose SHA-256 is the record's; Firehose may deliver
 * twice), or as an object of its own when the delivery stream refused it, or not yet, while its batch may still be
 * on its way. A copy that differs from the record is a mismatch; a blob gone past the delivery window is missing.
 */
async function loadBatchedEntry(target: Target, record: RequestRecord, now: () => Date, waitMs: number): Promise<ReplayEntry> {
  const reader = batchReader(target);
  let lookup = await reader.find(record, 0);
  if (!lookup.copies.length) {
    const bytes = await fetchBlob(target, record.replayKey!);
    if (bytes) return checkedEntry(record, bytes);
    lookup = await reader.find(record, waitMs);
  }
  const intact = lookup.copies.find((copy) => copy.sha256 === record.replaySha256);
  if (intact) return checkedEntry(record, intact.bytes);
  if (lookup.copies.length) return { record, integrity: 'mismatch', actualSha256: lookup.copies[0]!.sha256 };
  if (record.replayMissing) return { record, integrity: 'not-written' };
  if (now().getTime() - endedAt(record) < reader.deliveryWindowMs) return { record, integrity: 'delivering' };
  return { record, integrity: 'missing', ...(lookup.problems.length ? { batchProblems: lookup.problems } : {}) };
}

function checkedEntry(record: RequestRecord, bytes: Uint8Array): ReplayEntry {
  const actualSha256 = createHash('sha256').update(bytes).digest('hex');
  if (actualSha256 !== record.replaySha256) return { record, integrity: 'mismatch', actualSha256 };
  return { record, integrity: 'ok', blob: JSON.parse(Buffer.from(bytes).toString('utf8')) as ReplayBlob, actualSha256 };
}

const batchReaders = new WeakMap<Target, ReplayBatchReader>();

/** One batch reader per target, so every entry a command loads shares the session's listing. */
function batchReader(target: Target): ReplayBatchReader {
  let reader = batchReaders.get(target);
  if (!reader) {
    reader = new ReplayBatchReader(target);
    batchReaders.set(target, reader);
  }
  return reader;
}

/** Loads many entries, a few at a time, keeping their order. */
export async function loadEntries(target: Target, records: readonly RequestRecord[], onLoaded?: (done: number) => void, concurrency = 8): Promise<ReplayEntry[]> {
  batchReader(target).expect(records.filter((r) => r.replayVia === REPLAY_VIA_BATCH));
  const entries: ReplayEntry[] = new Array(records.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < records.length) {
      const i = next++;
      entries[i] = await loadEntry(target, records[i]!);
      onLoaded?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  return entries;
}

async function fetchBlob(target: Target, key: string): Promise<Uint8Array | undefined> {
  try {
    const result = await target.s3.send(new GetObjectCommand({ Bucket: target.replayBucket, Key: key }));
    return await result.Body!.transformToByteArray();
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw fromAwsError(error, `replay bucket ${target.replayBucket}`);
  }
}

async function paginate(target: Target, input: QueryCommandInput, onItems: (items: RequestRecord[]) => void): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    let page;
    try {
      page = await target.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    } catch (error) {
      throw fromAwsError(error, `records table ${target.recordsTable}`);
    }
    onItems((page.Items ?? []) as RequestRecord[]);
    start = page.LastEvaluatedKey;
  } while (start);
}

async function scanAll(target: Target, filters: RecordFilters, report: () => void): Promise<RequestRecord[]> {
  const found: RequestRecord[] = [];
  const filter = filterExpression(filters, [], true);
  let start: Record<string, unknown> | undefined;
  do {
    const input: ScanCommandInput = { TableName: target.recordsTable, ExclusiveStartKey: start, ...(filter ? { FilterExpression: filter.expression, ...names(filter.names), ExpressionAttributeValues: filter.values } : {}) };
    let page;
    try {
      page = await target.documents.send(new ScanCommand(input));
    } catch (error) {
      throw fromAwsError(error, `records table ${target.recordsTable}`);
    }
    // The table also holds the proxy's stream leases and the live sessions: only request records are records.
    found.push(...((page.Items ?? []) as RequestRecord[]).filter((item) => String((item as { pk?: unknown }).pk ?? '').startsWith(RECORD_KEY_PREFIX)));
    report();
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

function filterExpression(filters: RecordFilters, skip: ReadonlyArray<keyof RecordFilters>, withRange = false): { expression: string; names: Record<string, string>; values: Record<string, string> } | undefined {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const attr of ['session', 'agent', 'connection', 'issuer', 'requestId'] as const) {
    const value = filters[attr];
    if (value === undefined || skip.includes(attr)) continue;
    parts.push(`#f_${attr} = :f_${attr}`);
    names[`#f_${attr}`] = attr;
    values[`:f_${attr}`] = value;
  }
  if (withRange) {
    const range = startedAtCondition(filters.range ?? {});
    if (range) parts.push(range.expression);
    Object.assign(values, range?.values);
  }
  return parts.length ? { expression: parts.join(' AND '), names, values } : undefined;
}

/** DynamoDB refuses an empty ExpressionAttributeNames map. */
function names(map: Record<string, string>): { ExpressionAttributeNames?: Record<string, string> } {
  return Object.keys(map).length ? { ExpressionAttributeNames: map } : {};
}

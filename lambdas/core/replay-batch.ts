import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Replay blobs travel in batches: each request's blob is one record sent to an Amazon Data Firehose delivery
 * stream (Direct PUT), which writes many of them into one S3 object per session partition and buffer interval.
 * One S3 PUT per request costs more than API Gateway itself ($5 per million); a Firehose record of a few KB costs
 * about $0.15 per million (docs/DATA-MODEL.md). This file is the format both ends agree on: the proxy encodes a
 * line, the delivery stream partitions on it, the CLI finds and checks it.
 */

/** Firehose's largest record: 1,000 KiB of data (before base64). Larger blobs are written to S3 directly. */
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;

/**
 * The delivery stream's dynamic-partitioning query (JQ, run by Firehose on each record): the partition is the
 * line's `p`, a hash of the session, so one session's blobs land in one folder whatever the session's name holds.
 */
export const REPLAY_BATCH_PARTITION_QUERY = '{session: .p}';

/** Where the delivery stream writes batches (Firehose's S3 prefix syntax). */
export const REPLAY_BATCH_PREFIX = 'replay-batches/session=!{partitionKeyFromQuery:session}/';

/** Where the delivery stream writes records it could not deliver or partition. */
export const REPLAY_BATCH_ERROR_PREFIX = 'replay-batches-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/';

/**
 * How long the deployed delivery stream buffers before writing (its `IntervalInSeconds`): a blob is readable at
 * most about this long after its request ended. Dynamic partitioning needs at least 60 s.
 */
export const REPLAY_BATCH_BUFFER_SECONDS = 60;

/** The record's `replayVia` when its blob went through the delivery stream. */
export const REPLAY_VIA_BATCH = 'batch';

/** The partition of a session: 16 hex characters of the SHA-256 of its record `sessionKey`. */
export function replayBatchPartition(sessionKey: string): string {
  return createHash('sha256').update(sessionKey).digest('hex').slice(0, 16);
}

/** The S3 folder holding a partition's batches (REPLAY_BATCH_PREFIX with the partition filled in). */
export function replayBatchFolder(partition: string): string {
  return REPLAY_BATCH_PREFIX.replace('!{partitionKeyFromQuery:session}', partition);
}

/** One blob in a batch. */
export interface ReplayBatchEntry {
  /** The blob's replay key (what the record's `replayKey` says; stream parts hang off it). */
  readonly key: string;
  /** SHA-256 of the blob bytes, as the record says. */
  readonly sha256: string;
  readonly bytes: Buffer;
}

/**
 * One Firehose record: a JSON line `{"v":1,"p":partition,"k":key,"h":sha256,"z":base64(gzip(blob))}` and a
 * newline (Firehose concatenates records as they are). Gzip first: Firehose bills ingested bytes, and a masked
 * list of 100 pods shrinks about tenfold. Undefined when the line would exceed Firehose's record limit.
 */
export function encodeReplayBatchLine(partition: string, entry: ReplayBatchEntry): Buffer | undefined {
  const line = Buffer.from(`${JSON.stringify({ v: 1, p: partition, k: entry.key, h: entry.sha256, z: gzipSync(entry.bytes).toString('base64') })}\n`);
  return line.length <= FIREHOSE_MAX_RECORD_BYTES ? line : undefined;
}

/** What one batch object holds: its blobs by key (a key Firehose delivered twice appears twice) and its bad lines. */
export interface DecodedReplayBatch {
  readonly entries: ReadonlyMap<string, readonly ReplayBatchEntry[]>;
  /** Lines that are not a readable record, or whose blob does not match the line's own hash: never trusted. */
  readonly problems: readonly string[];
}

/** Reads a batch object line by line; a damaged line is reported, the others still read. */
export function decodeReplayBatch(object: Buffer, name = 'batch'): DecodedReplayBatch {
  const entries = new Map<string, ReplayBatchEntry[]>();
  const problems: string[] = [];
  const lines = object.toString('utf8').split('\n');
  lines.forEach((text, index) => {
    if (!text) return;
    const where = `${name} line ${index + 1}`;
    let line: { v?: unknown; k?: unknown; h?: unknown; z?: unknown };
    try {
      line = JSON.parse(text) as typeof line;
    } catch {
      problems.push(`${where} is not JSON`);
      return;
    }
    if (line.v !== 1 || typeof line.k !== 'string' || typeof line.h !== 'string' || typeof line.z !== 'string') {
      problems.push(`${where} is not a version 1 replay record`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = gunzipSync(Buffer.from(line.z, 'base64'));
    } catch {
      problems.push(`${where} (${line.k}) does not decompress`);
      return;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== line.h) {
      problems.push(`${where} (${line.k}) holds a blob with SHA-256 ${actual}, the line says ${line.h}`);
      return;
    }
    const list = entries.get(line.k) ?? [];
    list.push({ key: line.k, sha256: line.h, bytes });
    entries.set(line.k, list);
  });
  return { entries, problems };
}

import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeZ85, encodeZ85 } from './z85';

/**
 * Replay blobs travel in batches: each request's blob is one record sent to an Amazon Data Firehose delivery
 * stream (Direct PUT), which concatenates every record of a buffer interval, all sessions together, into one S3
 * object under an hour prefix. One S3 PUT per request costs more than API Gateway itself ($5 per million); a
 * Firehose record of a few KB costs about $0.15 per million (docs/DATA-MODEL.md). The stream does not partition
 * by session: dynamic partitioning would add $0.02/GB, one delivered object per session and interval ($0.005 per
 * 1,000) and ~$51 a month of JQ processing. Readers find a blob by time instead (cli/replay-batch-reader.ts).
 * This file is the format both ends agree on: the proxy encodes a line, the CLI finds and checks it.
 */

/** Firehose's largest record: 1,000 KiB of data (before base64). Larger blobs are written to S3 directly. */
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;

/** The folder every batch is under; Firehose adds the UTC hour of the object's oldest record. */
const BATCH_FOLDER = 'replay-batches/';

/**
 * Where the delivery stream writes batches (Firehose's S3 prefix syntax): the UTC hour the object's oldest record
 * arrived in, e.g. `replay-batches/2026/12/01/10/`. Written out rather than left to Firehose's default hour prefix,
 * so the layout the reader lists is visible here.
 */
export const REPLAY_BATCH_PREFIX = `${BATCH_FOLDER}!{timestamp:yyyy/MM/dd/HH}/`;

/**
 * Where the delivery stream writes what it could not deliver. Firehose requires an error prefix once the prefix
 * has expressions, and `!{firehose:error-output-type}` in it once it has expressions of its own. Without a
 * processor or dynamic partitioning nothing is routed here today; it stays a separate folder the role may write.
 */
export const REPLAY_BATCH_ERROR_PREFIX = 'replay-batches-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/';

/**
 * How long the deployed delivery stream buffers before writing (its `IntervalInSeconds`): a blob is readable at
 * most about this long after its request ended. Firehose allows 0 to 900 s; a minute keeps `gatehouse replay` of
 * a command just run short to wait for, and still gathers a minute of the whole gateway's lines into one object.
 */
export const REPLAY_BATCH_BUFFER_SECONDS = 60;

/**
 * How much the deployed delivery stream buffers before writing (its `SizeInMBs`, 1 to 128 MiB). Only a busy
 * gateway reaches it within the interval; there, smaller objects let a reader looking for one blob stop after the
 * few MiB nearest its time instead of 128, at one more S3 PUT ($0.005 per 1,000) per 8 MiB of lines.
 */
export const REPLAY_BATCH_BUFFER_MIB = 8;

/** The record's `replayVia` when its blob went through the delivery stream. */
export const REPLAY_VIA_BATCH = 'batch';

/**
 * The session tag of a line (`p`): 16 hex characters of the SHA-256 of the record's `sessionKey`. No longer routes
 * anything; readers use it to keep only the lines of the sessions they read from objects all sessions share.
 */
export function replayBatchPartition(sessionKey: string): string {
  return createHash('sha256').update(sessionKey).digest('hex').slice(0, 16);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The hour prefix (REPLAY_BATCH_PREFIX evaluated) of an instant, in UTC: `replay-batches/yyyy/MM/dd/HH/`. */
export function replayBatchHourPrefix(at: number): string {
  const d = new Date(at);
  return `${BATCH_FOLDER}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
}

/**
 * A session's folder in the layout of streams with dynamic partitioning (before issue 9), `replay-batches/session=<p>/`:
 * where the blobs of records written then still are.
 */
export function legacyReplayBatchFolder(partition: string): string {
  return `${BATCH_FOLDER}session=${partition}/`;
}

/**
 * Firehose's object name, `<prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.ext]`: the time (UTC, to the
 * second) is the last six numbers before the UUID, whatever dashes the stream name holds.
 */
const OBJECT_NAME = /-\d+-(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\.[A-Za-z0-9]+)?$/;

/** The time in a Firehose object name (epoch ms), or undefined for a name Firehose did not give. */
export function replayBatchObjectTime(objectKey: string): number | undefined {
  const m = OBJECT_NAME.exec(objectKey.slice(objectKey.lastIndexOf('/') + 1));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const at = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  // Date.parse rolls some impossible dates over (Feb 30); a name that does not round-trip is not Firehose's.
  return Number.isNaN(at) || new Date(at).toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}` ? undefined : at;
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
 * One Firehose record: a JSON line `{"v":2,"p":session tag,"k":key,"h":sha256,"n":gzip length,"y":Z85(gzip(blob))}`
 * and a newline (Firehose concatenates records as they are). Gzip first: Firehose bills ingested bytes, and a
 * masked list of 100 pods shrinks about twenty-fold. Z85 rather than base64 (version 1, still read: `"z"`): 25%
 * over the gzip instead of 33%, which keeps that list in three of Firehose's 5 KB billing units instead of four.
 * `p` costs nothing billed. Undefined when the line would exceed Firehose's record limit.
 */
export function encodeReplayBatchLine(partition: string, entry: ReplayBatchEntry): Buffer | undefined {
  const gzipped = gzipSync(entry.bytes);
  const line = Buffer.from(`${JSON.stringify({ v: 2, p: partition, k: entry.key, h: entry.sha256, n: gzipped.length, y: encodeZ85(gzipped) })}\n`);
  return line.length <= FIREHOSE_MAX_RECORD_BYTES ? line : undefined;
}

/** A line of a batch, read as far as its key: its blob is still compressed (see openReplayBatchLine). */
export interface ReplayBatchLine {
  readonly key: string;
  readonly sha256: string;
  /** The session tag, when the line has one. */
  readonly partition?: string;
  /** The gzipped blob as the line carries it: Z85 with its length (version 2) or base64 (version 1). */
  readonly blob: { readonly encoding: 'z85'; readonly text: string; readonly length: number } | { readonly encoding: 'base64'; readonly text: string };
  /** `<object> line <n>`, for problems. */
  readonly where: string;
}

/** What one batch object holds, unopened: its lines in order (a line Firehose delivered twice is there twice). */
export interface ParsedReplayBatch {
  readonly lines: readonly ReplayBatchLine[];
  /** Lines that are not a readable record: never trusted, and they could be anyone's blob. */
  readonly problems: readonly string[];
}

/** Reads a batch object line by line without decompressing any blob; a damaged line is reported, the others still read. */
export function parseReplayBatch(object: Buffer, name = 'batch'): ParsedReplayBatch {
  const lines: ReplayBatchLine[] = [];
  const problems: string[] = [];
  object.toString('utf8').split('\n').forEach((text, index) => {
    if (!text) return;
    const where = `${name} line ${index + 1}`;
    let line: { v?: unknown; p?: unknown; k?: unknown; h?: unknown; z?: unknown; y?: unknown; n?: unknown };
    try {
      line = JSON.parse(text) as typeof line;
    } catch {
      problems.push(`${where} is not JSON`);
      return;
    }
    const blob = line === null || typeof line !== 'object' ? undefined
      : line.v === 2 && typeof line.y === 'string' && typeof line.n === 'number' ? { encoding: 'z85' as const, text: line.y, length: line.n }
        : line.v === 1 && typeof line.z === 'string' ? { encoding: 'base64' as const, text: line.z } : undefined;
    if (!blob || typeof line.k !== 'string' || typeof line.h !== 'string') {
      problems.push(`${where} is not a version 1 or 2 replay record`);
      return;
    }
    lines.push({ key: line.k, sha256: line.h, blob, where, ...(typeof line.p === 'string' ? { partition: line.p } : {}) });
  });
  return { lines, problems };
}

/** Decompresses a line's blob and checks it against the line's own hash: the entry, or why it cannot be trusted. */
export function openReplayBatchLine(line: ReplayBatchLine): { readonly entry: ReplayBatchEntry } | { readonly problem: string } {
  let bytes: Buffer;
  try {
    const gzipped = line.blob.encoding === 'z85' ? decodeZ85(line.blob.text, line.blob.length) : Buffer.from(line.blob.text, 'base64');
    if (!gzipped) return { problem: `${line.where} (${line.key}) is not Z85` };
    bytes = gunzipSync(gzipped);
  } catch {
    return { problem: `${line.where} (${line.key}) does not decompress` };
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== line.sha256) return { problem: `${line.where} (${line.key}) holds a blob with SHA-256 ${actual}, the line says ${line.sha256}` };
  return { entry: { key: line.key, sha256: line.sha256, bytes } };
}

/** What one batch object holds, opened: its blobs by key (a key Firehose delivered twice appears twice) and its bad lines. */
export interface DecodedReplayBatch {
  readonly entries: ReadonlyMap<string, readonly ReplayBatchEntry[]>;
  /** Lines that are not a readable record, or whose blob does not match the line's own hash: never trusted. */
  readonly problems: readonly string[];
}

/** Reads and opens every line of a batch object (for tools and tests; the CLI opens only the lines it wants). */
export function decodeReplayBatch(object: Buffer, name = 'batch'): DecodedReplayBatch {
  const parsed = parseReplayBatch(object, name);
  const entries = new Map<string, ReplayBatchEntry[]>();
  const problems = [...parsed.problems];
  for (const line of parsed.lines) {
    const opened = openReplayBatchLine(line);
    if ('problem' in opened) {
      problems.push(opened.problem);
      continue;
    }
    entries.set(line.key, [...(entries.get(line.key) ?? []), opened.entry]);
  }
  return { entries, problems };
}

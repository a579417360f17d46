import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import {
  legacyReplayBatchFolder, openReplayBatchLine, parseReplayBatch, REPLAY_BATCH_BUFFER_SECONDS, replayBatchHourPrefix,
  replayBatchObjectTime, replayBatchPartition, type ReplayBatchEntry, type ReplayBatchLine,
} from '../lambdas/core/replay-batch';
import { sessionKeyOf } from '../lambdas/core/session-record';
import { fromAwsError } from './errors';
import type { Target } from './target';
import type { RequestRecord } from './types';

/** What the batches around a record's time say about its blob. */
export interface BatchLookup {
  /** Every copy of the blob found (Firehose delivers at least once, so a blob may be there twice). */
  readonly copies: readonly ReplayBatchEntry[];
  /** Damaged lines in the batches read for it (they could be this blob's). */
  readonly problems: readonly string[];
}

/** How long past its buffer interval a batch may still take to land (S3 writes, a busy stream or machine). */
const DELIVERY_SLACK_SECONDS = 10;
/**
 * Slack on each side of the window of object names searched: the proxy sends the line a moment after the end it
 * records, the SDK may retry the put for seconds, and names are cut to the second. A wider window costs reads only
 * for a blob that is not there: the search goes nearest first and stops at an intact copy.
 */
const WINDOW_SLACK_SECONDS = 30;
/** Objects read at once for one lookup: enough to hide S3's latency, few enough to stop soon after a find. */
const READ_CONCURRENCY = 4;
/** Unreadable lines reported per object; a foreign file would otherwise report every line it has. */
const MAX_PROBLEMS_PER_OBJECT = 5;
const HOUR_MS = 3_600_000;

interface Listing {
  keys: readonly string[];
  listedAt: number;
  pending?: Promise<void>;
}

/** A batch object as read: only the lines of the sessions wanted then (and lines without a session tag). */
interface BatchObject {
  readonly lines: ReadonlyMap<string, readonly ReplayBatchLine[]>;
  readonly problems: readonly string[];
  readonly partitions: ReadonlySet<string>;
  /** Whether lines of other sessions were left out (a lookup of one of those must read it again). */
  readonly dropped: boolean;
}

/** One line opened: the blob, or why it cannot be trusted. Opened once however many lookups ask. */
type Opened = ReturnType<typeof openReplayBatchLine>;

/**
 * Finds replay blobs in the delivery stream's batch objects (core/replay-batch.ts). Firehose writes every session's
 * lines into one object per buffer interval (or size), named by time under an hour prefix, so a record's line is
 * in an object named within [end - interval - slack, end + interval + slack] of the end of its request: Firehose
 * stamps the prefix with the arrival of the object's oldest record, and that window also holds if a name carried
 * the delivery time. Each hour prefix is listed once per reader (again, at most once a second, only while a blob
 * may still be on its way), each object is read once, the nearest to the record's time first, and only the lines
 * whose key is wanted are decompressed. Records of the partitioned layout (before issue 9) are found in their
 * session's folder, listed once per session.
 */
export class ReplayBatchReader {
  private readonly listings = new Map<string, Listing>();
  private readonly objects = new Map<string, Promise<BatchObject>>();
  private readonly opened = new WeakMap<ReplayBatchLine, Opened>();
  /** The session tags of every record looked up so far: the lines an object read keeps. */
  private readonly partitions = new Set<string>();

  constructor(
    private readonly target: Pick<Target, 's3' | 'replayBucket' | 'replayBatchBufferSeconds'>,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  private get intervalMs(): number {
    return (this.target.replayBatchBufferSeconds ?? REPLAY_BATCH_BUFFER_SECONDS) * 1000;
  }

  /** How long after a request ended its batch may still be on its way: the stream's buffer interval plus slack. */
  get deliveryWindowMs(): number {
    return this.intervalMs + DELIVERY_SLACK_SECONDS * 1000;
  }

  /**
   * Names the records a command will look up, before it does: an object read for any of them then keeps the lines
   * of all their sessions, so a command over many sessions (an export) reads each shared object once instead of
   * once per session it holds.
   */
  expect(records: readonly RequestRecord[]): void {
    for (const record of records) this.partitions.add(replayBatchPartition(recordSessionKey(record)));
  }

  /**
   * The copies of a record's blob in the batches around its time. While the record is inside the delivery window
   * and not found, the hour prefixes are listed again each second until it appears or `maxWaitMs` has passed.
   */
  async find(record: RequestRecord, maxWaitMs = 15_000): Promise<BatchLookup> {
    const partition = replayBatchPartition(recordSessionKey(record));
    this.partitions.add(partition);
    const end = endedAt(record);
    const giveUpAt = Math.min(this.now() + maxWaitMs, end + this.deliveryWindowMs);
    for (;;) {
      const lookup = await this.look(record, partition, end);
      if (lookup.copies.length || this.now() >= giveUpAt) return lookup;
      await this.sleep(1000);
    }
  }

  private async look(record: RequestRecord, partition: string, end: number): Promise<BatchLookup> {
    const spread = this.intervalMs + WINDOW_SLACK_SECONDS * 1000;
    const [from, to] = [end - spread, end + spread];
    const want = { key: record.replayKey!, sha256: record.replaySha256, partition, from, to, end };
    const hours: string[] = [];
    for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour <= to; hour += HOUR_MS) hours.push(replayBatchHourPrefix(hour));
    const read = new Set<string>();
    const found = { copies: [] as ReplayBatchEntry[], problems: [] as string[] };
    const intact = (): boolean => found.copies.some((c) => c.sha256 === want.sha256);
    const search = async (folders: readonly string[], refresh: boolean): Promise<void> => {
      const listed = await Promise.all(folders.map((f) => this.listed(f, refresh)));
      const names = listed.flat().filter((name) => !read.has(name) && inWindow(name, want));
      names.forEach((name) => read.add(name));
      const result = await this.search(byNearest(names, end), want);
      found.copies.push(...result.copies);
      found.problems.push(...result.problems);
    };
    await search(hours, false);
    // Not there yet: objects written since the last listing, while one may still land.
    if (!intact() && this.now() < end + this.deliveryWindowMs) await search(hours, true);
    if (!intact()) await search([legacyReplayBatchFolder(partition)], false);
    return found;
  }

  /** Reads objects nearest first, a few at a time, until one holds an intact copy; copies come in the objects' order. */
  private async search(names: readonly string[], want: Want): Promise<BatchLookup> {
    const results: Array<{ copies: ReplayBatchEntry[]; problems: readonly string[] }> = [];
    let next = 0;
    let done = false;
    const worker = async (): Promise<void> => {
      while (!done && next < names.length) {
        const i = next++;
        const object = await this.object(names[i]!, want.partition);
        const copies: ReplayBatchEntry[] = [];
        const problems = [...object.problems];
        for (const line of object.lines.get(want.key) ?? []) {
          const opened = this.open(line);
          if ('problem' in opened) problems.push(opened.problem);
          else copies.push(opened.entry);
        }
        results[i] = { copies, problems };
        if (copies.some((c) => c.sha256 === want.sha256)) done = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
    const read = results.filter(Boolean);
    return { copies: read.flatMap((r) => r.copies), problems: read.flatMap((r) => r.problems) };
  }

  private open(line: ReplayBatchLine): Opened {
    let opened = this.opened.get(line);
    if (!opened) {
      opened = openReplayBatchLine(line);
      this.opened.set(line, opened);
    }
    return opened;
  }

  /** A folder's object keys, listed once; listed again when `refresh` and the last listing is over a second old. */
  private async listed(prefix: string, refresh: boolean): Promise<readonly string[]> {
    let listing = this.listings.get(prefix);
    if (!listing) {
      listing = { keys: [], listedAt: 0 };
      this.listings.set(prefix, listing);
    } else {
      await listing.pending;
      if (!refresh || this.now() - listing.listedAt < 1000) return listing.keys;
    }
    // One listing at a time per folder: concurrent lookups share it.
    const current = listing;
    current.pending ??= this.list(prefix).then((keys) => { current.keys = keys; }).finally(() => { current.pending = undefined; });
    await current.pending;
    return current.keys;
  }

  private async list(prefix: string): Promise<string[]> {
    const listing = this.listings.get(prefix)!;
    listing.listedAt = this.now();
    const { s3, replayBucket } = this.target;
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: replayBucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.NextContinuationToken;
      } while (token);
    } catch (error) {
      throw fromAwsError(error, `replay bucket ${replayBucket}`);
    }
    return keys;
  }

  /** An object as read, read again only for a session whose lines were left out of it (Firehose never rewrites one). */
  private async object(name: string, partition: string): Promise<BatchObject> {
    const cached = this.objects.get(name);
    if (cached) {
      const object = await cached;
      if (!object.dropped || object.partitions.has(partition)) return object;
    }
    const reading = this.read(name, new Set(this.partitions));
    this.objects.set(name, reading);
    reading.catch(() => this.objects.delete(name));
    return reading;
  }

  private async read(name: string, partitions: ReadonlySet<string>): Promise<BatchObject> {
    const { s3, replayBucket } = this.target;
    let body: Buffer;
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: replayBucket, Key: name }));
      body = Buffer.from(await got.Body!.transformToByteArray());
    } catch (error) {
      // Listed, then expired by the bucket's retention before it was read: nothing in it any more.
      if ((error as { name?: string }).name === 'NoSuchKey') return { lines: new Map(), problems: [], partitions, dropped: false };
      throw fromAwsError(error, `replay bucket ${replayBucket}`);
    }
    const text = wholeObjectGunzipped(body);
    if (!text) return { lines: new Map(), problems: [`${name} is gzip-compressed but does not decompress`], partitions, dropped: false };
    const parsed = parseReplayBatch(text, name);
    const lines = new Map<string, ReplayBatchLine[]>();
    let dropped = false;
    for (const line of parsed.lines) {
      if (line.partition !== undefined && !partitions.has(line.partition)) {
        dropped = true;
        continue;
      }
      lines.set(line.key, [...(lines.get(line.key) ?? []), line]);
    }
    const problems = parsed.problems.length > MAX_PROBLEMS_PER_OBJECT
      ? [...parsed.problems.slice(0, MAX_PROBLEMS_PER_OBJECT), `${name}: ${parsed.problems.length - MAX_PROBLEMS_PER_OBJECT} more lines that are not replay records`]
      : parsed.problems;
    return { lines, problems, partitions, dropped };
  }
}

interface Want {
  readonly key: string;
  readonly sha256?: string;
  readonly partition: string;
  readonly from: number;
  readonly to: number;
  readonly end: number;
}

/**
 * Whether an object's name is in the window; a name that carries no Firehose time is read anyway (it is in a batch
 * folder, and a blob is better found late than not). Names are cut to the second, hence the second before `from`.
 */
function inWindow(name: string, want: Want): boolean {
  const at = replayBatchObjectTime(name);
  return at === undefined || (at >= want.from - 1000 && at <= want.to);
}

/** Nearest to the record's end first (the line is in the object opened just before it, or one delivered just after). */
function byNearest(names: readonly string[], end: number): string[] {
  const distance = (name: string): number => {
    const at = replayBatchObjectTime(name);
    return at === undefined ? Number.POSITIVE_INFINITY : Math.abs(at - end);
  };
  return [...names].sort((a, b) => distance(a) - distance(b) || a.localeCompare(b));
}

/**
 * The object's lines: as they are, or unzipped when the whole object is gzip (a stream switched to GZIP compression
 * writes `.gz` objects of the same lines). Undefined when it starts like gzip and is not.
 */
function wholeObjectGunzipped(body: Buffer): Buffer | undefined {
  if (body[0] !== 0x1f || body[1] !== 0x8b) return body;
  try {
    return gunzipSync(body);
  } catch {
    return undefined;
  }
}

/** A record's `sessionKey`, or the one its issuer and session make (what the proxy wrote it from). */
export function recordSessionKey(record: Pick<RequestRecord, 'sessionKey' | 'issuer' | 'session'>): string {
  return record.sessionKey ?? sessionKeyOf({ issuer: String(record.issuer), session: String(record.session) });
}

/** When the request ended (its blob was sent then), as well as the record tells. */
export function endedAt(record: RequestRecord): number {
  return Date.parse(record.startedAt) + (record.latencyMs ?? 0) + (record.streamDurationMs ?? 0);
}

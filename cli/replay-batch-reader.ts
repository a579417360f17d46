import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { decodeReplayBatch, REPLAY_BATCH_BUFFER_SECONDS, replayBatchFolder, replayBatchPartition, type ReplayBatchEntry } from '../lambdas/core/replay-batch';
import { sessionKeyOf } from '../lambdas/core/session-record';
import { fromAwsError } from './errors';
import type { Target } from './target';
import type { RequestRecord } from './types';

/** What the session's batches say about one record's blob. */
export interface BatchLookup {
  /** Every copy of the blob found (Firehose delivers at least once, so a blob may be there twice). */
  readonly copies: readonly ReplayBatchEntry[];
  /** Damaged lines in the session's batches (they could be this blob's). */
  readonly problems: readonly string[];
}

/** How long past its buffer interval a batch may still take to land (S3 writes, a busy stream or machine). */
const DELIVERY_SLACK_SECONDS = 10;

interface Folder {
  readonly entries: Map<string, ReplayBatchEntry[]>;
  readonly problems: string[];
  readonly objectsRead: Set<string>;
  listedAt: number;
  listing?: Promise<void>;
}

/**
 * Finds replay blobs in a session's batch objects (core/replay-batch.ts). A folder is read once per command and
 * read again only for objects it has not seen (Firehose never rewrites an object), at most once a second, so a
 * session of hundreds of requests costs one listing and a few GETs, not one GET per request.
 */
export class ReplayBatchReader {
  private readonly folders = new Map<string, Folder>();

  constructor(
    private readonly target: Pick<Target, 's3' | 'replayBucket' | 'replayBatchBufferSeconds'>,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** How long after a request ended its batch may still be on its way: the stream's buffer interval plus slack. */
  get deliveryWindowMs(): number {
    return ((this.target.replayBatchBufferSeconds ?? REPLAY_BATCH_BUFFER_SECONDS) + DELIVERY_SLACK_SECONDS) * 1000;
  }

  /**
   * The copies of a record's blob in its session's batches. While the record is inside the delivery window and
   * not found, the folder is listed again each second until it appears or `maxWaitMs` has passed.
   */
  async find(record: RequestRecord, maxWaitMs = 15_000): Promise<BatchLookup> {
    const folderName = replayBatchFolder(replayBatchPartition(recordSessionKey(record)));
    const key = record.replayKey!;
    const giveUpAt = Math.min(this.now() + maxWaitMs, endedAt(record) + this.deliveryWindowMs);
    for (;;) {
      const folder = await this.read(folderName, key);
      const copies = folder.entries.get(key);
      if (copies?.length || this.now() >= giveUpAt) return { copies: copies ?? [], problems: [...folder.problems] };
      await this.sleep(1000);
    }
  }

  /**
   * The folder as last read, read again for objects it has not seen when it does not hold `key` and was last listed
   * over a second ago (a caller that polls, like `replay --follow`, sees a batch written since).
   */
  private async read(name: string, key: string): Promise<Folder> {
    let folder = this.folders.get(name);
    if (!folder) {
      folder = { entries: new Map(), problems: [], objectsRead: new Set(), listedAt: 0 };
      this.folders.set(name, folder);
    } else {
      await folder.listing;
      if (folder.entries.has(key) || this.now() - folder.listedAt < 1000) return folder;
    }
    // One listing at a time per folder: concurrent lookups of one session share it.
    folder.listing ??= this.list(name, folder).finally(() => { folder!.listing = undefined; });
    await folder.listing;
    return folder;
  }

  private async list(name: string, folder: Folder): Promise<void> {
    folder.listedAt = this.now();
    const { s3, replayBucket } = this.target;
    let token: string | undefined;
    try {
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: replayBucket, Prefix: name, ContinuationToken: token }));
        // Firehose names objects by delivery time, so key order is the order the batches were written.
        for (const object of page.Contents ?? []) {
          if (!object.Key || folder.objectsRead.has(object.Key)) continue;
          const got = await s3.send(new GetObjectCommand({ Bucket: replayBucket, Key: object.Key }));
          const decoded = decodeReplayBatch(Buffer.from(await got.Body!.transformToByteArray()), object.Key);
          for (const [key, copies] of decoded.entries) folder.entries.set(key, [...(folder.entries.get(key) ?? []), ...copies]);
          folder.problems.push(...decoded.problems);
          folder.objectsRead.add(object.Key);
        }
        token = page.NextContinuationToken;
      } while (token);
    } catch (error) {
      throw fromAwsError(error, `replay bucket ${replayBucket}`);
    }
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

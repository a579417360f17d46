import type { RecordStore, ReplayStore } from '../core/ports';
import type { SessionChannel } from '../core/session-recording';
import type { RecordKey } from '../core/session-record';
import { encodeStreamPart, recordedUnit, streamPartKey, type RecordedUnit, type StreamRecording } from '../core/stream-recording';

/** When the recorder writes a part. */
export interface StreamRecorderOptions {
  /** A part is written once its first unit is this old. @default 5000 */
  readonly flushMs?: number;
  /** ... or once this many bytes are waiting. @default 262144 */
  readonly flushBytes?: number;
  /** Recording stops past this many bytes (the client still gets the rest). @default 67108864 */
  readonly maxBytes?: number;
}

/** What the recorder writes with. */
export interface StreamRecorderDependencies {
  readonly replay: ReplayStore;
  readonly records: Pick<RecordStore, 'complete'>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  readonly metric: (name: string, value: number, unit: 'Count' | 'Milliseconds' | 'Bytes') => void;
}

/**
 * Records a stream while it flows: units (masked, as the client got them, with Secrets masked) are buffered and
 * written as chained parts every few seconds or few hundred KiB, each followed by a record update naming the
 * parts so far, so a Lambda that dies mid-stream leaves what passed, provably. Writes run one after another in
 * the background: the stream never waits for the replay store, and a failed write is logged, counted and shows
 * as a gap at replay rather than failing the stream.
 */
export class StreamRecorder {
  private readonly flushMs: number;
  private readonly flushBytes: number;
  private readonly maxBytes: number;
  private pending: RecordedUnit[] = [];
  private pendingBytes = 0;
  private firstPendingAt = 0;
  private parts = 0;
  private units = 0;
  private bytes = 0;
  private truncated = false;
  private failedParts = 0;
  private previousSha256: string | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: StreamRecorderDependencies,
    private readonly requestId: string,
    /** The request's record, which each part written updates (so a stream that dies mid-way still names its parts). */
    private readonly recordKey: RecordKey,
    private readonly replayKey: string,
    private readonly openedAtMs: number,
    options: StreamRecorderOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 5000;
    this.flushBytes = options.flushBytes ?? 256 * 1024;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Adds what the client just received (for a session, what travelled on `frame.channel`); writes a part when
   * one is due. An empty unit is only kept when it marks a channel's close.
   */
  add(unit: Buffer, nowMs: number, frame?: { readonly channel: SessionChannel; readonly close?: true }): void {
    if (!unit.length && !frame?.close) return;
    if (this.bytes + unit.length > this.maxBytes) {
      this.truncated = true;
      return;
    }
    if (!this.pending.length) this.firstPendingAt = nowMs;
    const recorded = recordedUnit(unit, nowMs - this.openedAtMs);
    this.pending.push(frame ? { ...recorded, channel: frame.channel, ...(frame.close ? { close: true as const } : {}) } : recorded);
    this.pendingBytes += unit.length;
    this.bytes += unit.length;
    this.units += 1;
    this.tick(nowMs);
  }

  /** Adds a unit that is an event rather than bytes (a port-forward connection opened or closed). */
  addEvent(unit: RecordedUnit, nowMs: number): void {
    if (!this.pending.length) this.firstPendingAt = nowMs;
    this.pending.push(unit);
    this.pendingBytes += 128;
    this.units += 1;
    this.tick(nowMs);
  }

  /** Writes a part if the oldest waiting unit is old enough or enough bytes wait (also called on idle ticks). */
  tick(nowMs: number): void {
    if (this.pending.length && (this.pendingBytes >= this.flushBytes || nowMs - this.firstPendingAt >= this.flushMs)) this.flush();
  }

  /** Writes what is left and waits for every write; answers what the record and blob say of the recording. */
  async finish(): Promise<StreamRecording> {
    if (this.pending.length) this.flush();
    await this.writes;
    return {
      parts: this.parts,
      units: this.units,
      bytes: this.bytes,
      ...(this.previousSha256 ? { lastPartSha256: this.previousSha256 } : {}),
      ...(this.truncated ? { truncated: true } : {}),
      ...(this.failedParts ? { failedParts: this.failedParts } : {}),
    };
  }

  private flush(): void {
    const part = ++this.parts;
    const encoded = encodeStreamPart({ version: 1, requestId: this.requestId, part, previousSha256: this.previousSha256, units: this.pending });
    // The chain follows what was meant to be written: a part that fails leaves a gap replay reports, and the
    // parts after it still prove their own order.
    this.previousSha256 = encoded.sha256;
    this.pending = [];
    this.pendingBytes = 0;
    const key = streamPartKey(this.replayKey, part);
    this.writes = this.writes.then(async () => {
      try {
        await this.deps.replay.put(key, encoded.bytes, encoded.sha256);
      } catch (error) {
        this.failedParts += 1;
        this.deps.log('error', 'stream part write failed', { error: error instanceof Error ? error.name : 'Error', part });
        this.deps.metric('replay_write_failed', 1, 'Count');
        return;
      }
      // The record names the parts so far: if the Lambda dies now, replay still knows what to expect.
      await this.deps.records.complete(this.recordKey, { streamParts: part, streamLastPartSha256: encoded.sha256 })
        .catch((error: unknown) => this.deps.log('warn', 'stream part not noted on the record', { error: error instanceof Error ? error.name : 'Error', part }));
    });
  }
}

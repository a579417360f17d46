import { createHash } from 'node:crypto';
import { replayBody, type ReplayBody } from './session-record';
import type { PortForwardEvent, SessionFrame } from './session-recording';

/**
 * How a watch or a log follow is kept for replay: in parts written to the replay store while the stream flows
 * (a stream that dies mid-way keeps what passed), each unit (a watch event, a run of log lines) masked and
 * stamped with its time since the stream opened. Parts are chained: each names the SHA-256 of the one before,
 * and the record names the last, so a part changed, removed or reordered shows at replay.
 */

/**
 * One unit of a recorded stream: what the client received at `atMs` after the stream opened. A session's units
 * (exec, attach, port-forward) also name their channel (session-recording.ts).
 */
export type RecordedUnit = (ReplayBody & { readonly atMs: number; readonly channel?: undefined }) | SessionFrame | PortForwardEvent;

/** One part of a recorded stream, as stored. */
export interface StreamPart {
  readonly version: 1;
  readonly requestId: string;
  /** 1, 2, 3...: parts are written in order. */
  readonly part: number;
  /** SHA-256 of the part before (null for the first). */
  readonly previousSha256: string | null;
  readonly units: readonly RecordedUnit[];
}

/** What the record and the replay blob say about a stream's recording. */
export interface StreamRecording {
  readonly parts: number;
  readonly units: number;
  readonly bytes: number;
  /** SHA-256 of the last part written; absent when nothing flowed. */
  readonly lastPartSha256?: string;
  /** Recording stopped at the byte cap; the client still got the rest. */
  readonly truncated?: boolean;
  /** Parts that could not be written (the replay store failed); replay reports the gap. */
  readonly failedParts?: number;
}

/** Where part `part` of the stream whose blob is at `replayKey` lives: next to the blob, in its own folder. */
export function streamPartKey(replayKey: string, part: number): string {
  return `${replayKey.replace(/\.json$/, '')}/part-${String(part).padStart(6, '0')}.json`;
}

/** A unit as a part keeps it (text when it is UTF-8). */
export function recordedUnit(bytes: Buffer, atMs: number): RecordedUnit {
  return { atMs, ...(replayBody(bytes) ?? { encoding: 'utf8', data: '' }) };
}

/** Serialises a part and its SHA-256. */
export function encodeStreamPart(part: StreamPart): { readonly bytes: Buffer; readonly sha256: string } {
  const bytes = Buffer.from(JSON.stringify(part));
  return { bytes, sha256: sha256(bytes) };
}

/** What checking a recording's parts found. */
export type StreamCheck =
  | { readonly ok: true; readonly units: readonly RecordedUnit[] }
  | { readonly ok: false; readonly problem: string; readonly units: readonly RecordedUnit[] };

/**
 * Checks fetched parts against the recording (part `i` of `parts` is part number `i + 1`, undefined when it is
 * missing): every part present, each naming the SHA-256 of the one before, the last one's SHA-256 the recorded
 * one. Answers the units of the parts that check out, in order, up to the first problem.
 */
export function checkStreamParts(requestId: string, parts: ReadonlyArray<Uint8Array | undefined>, recording: Pick<StreamRecording, 'parts' | 'lastPartSha256'>): StreamCheck {
  const units: RecordedUnit[] = [];
  let previous: string | null = null;
  for (let i = 0; i < recording.parts; i++) {
    const bytes = parts[i];
    if (!bytes) return { ok: false, problem: `part ${i + 1} of ${recording.parts} is missing`, units };
    let part: StreamPart;
    try {
      part = JSON.parse(Buffer.from(bytes).toString('utf8')) as StreamPart;
    } catch {
      return { ok: false, problem: `part ${i + 1} is not a stream part`, units };
    }
    if (part.requestId !== requestId || part.part !== i + 1) return { ok: false, problem: `part ${i + 1} belongs to request ${part.requestId} part ${part.part}`, units };
    if (part.previousSha256 !== previous) return { ok: false, problem: `part ${i + 1} does not follow part ${i} (chain broken)`, units };
    previous = sha256(bytes);
    units.push(...part.units);
  }
  if (recording.parts > 0 && previous !== recording.lastPartSha256) {
    return { ok: false, problem: `the last part has SHA-256 ${previous}, the record says ${recording.lastPartSha256}`, units };
  }
  return { ok: true, units };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

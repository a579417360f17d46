import type { SessionFrame, SessionSummary } from '../lambdas/core/session-recording';
import { decodeFrames, resizeOf } from './session-transcript';

/**
 * An exec or attach session as an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/), so
 * `asciinema play session.cast` (or the web player) shows it as its terminal did. Pure: in goes the recording,
 * out comes the file's text.
 *
 * The file is newline-delimited JSON: a header object, then one `[time, code, data]` array per event, with `time`
 * the seconds (float) since the session opened: `"o"` output (stdout and stderr), `"i"` input (stdin), `"r"`
 * resize (`"{cols}x{rows}"`). Data is text: each channel's bytes decoded as UTF-8 across frames, what is not
 * UTF-8 as replacement characters, as asciinema's own recorder does. Frames on the error channel (the Status that
 * ends the session) and half-closes are not terminal events and are left out.
 */

/** The terminal size when no resize frame says otherwise (asciinema's and kubectl's default). */
export const DEFAULT_SIZE = { width: 80, height: 24 } as const;

/** What the file is made of. */
export interface AsciicastInput {
  /** When the session opened (ISO time): the header's `timestamp`, whole Unix seconds. */
  readonly startedAt: string;
  /** The session's frames, in order, with `atMs` since it opened. */
  readonly frames: readonly SessionFrame[];
  /** The summary, when the session ended: its duration, and whether it had a tty. */
  readonly summary?: SessionSummary;
  /** The header's `command`: what ran in the container (`sh -c 'echo hi'`); left out when empty. */
  readonly command?: string;
  readonly title?: string;
  /** Whether the session had a tty; without one, output's bare line feeds become CRLF, as the client's terminal showed them. */
  readonly tty?: boolean;
  /** The header's `idle_time_limit` in seconds: players cut longer pauses to it. */
  readonly idleTimeLimit?: number;
  /** The header's `env`. @default `{"TERM": "xterm"}` with a tty (what container runtimes set), else `{}` */
  readonly env?: Readonly<Record<string, string>>;
}

/** One event line's content. */
export type AsciicastEvent = readonly [time: number, code: 'o' | 'i' | 'r', data: string];

/** The header object (the file's first line). */
export interface AsciicastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  readonly timestamp?: number;
  readonly duration?: number;
  readonly idle_time_limit?: number;
  readonly command?: string;
  readonly title?: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The header and events of the file. The first resize sets the header's size; every later one is an `"r"` event. */
export function asciicastParts(input: AsciicastInput): { readonly header: AsciicastHeader; readonly events: readonly AsciicastEvent[] } {
  const tty = input.tty ?? input.summary?.tty ?? false;
  const frames = decodeFrames(input.frames);
  const firstResize = frames.findIndex((f) => f.channel === 'resize' && resizeOf(f.text));
  const size = firstResize >= 0 ? resizeOf(frames[firstResize]!.text)! : DEFAULT_SIZE;
  const events: AsciicastEvent[] = [];
  let last = 0;
  frames.forEach((frame, i) => {
    // Events are in time order; a frame stamped before the one ahead of it (clock skew) is shown with it.
    const time = seconds(Math.max(last, frame.atMs));
    last = Math.max(last, frame.atMs);
    if (frame.channel === 'resize') {
      const resize = resizeOf(frame.text);
      if (resize && i !== firstResize) events.push([time, 'r', `${resize.width}x${resize.height}`]);
    } else if (frame.text !== '' && (frame.channel === 'stdout' || frame.channel === 'stderr')) {
      events.push([time, 'o', tty ? frame.text : frame.text.replace(/\r?\n/g, '\r\n')]);
    } else if (frame.text !== '' && frame.channel === 'stdin') {
      events.push([time, 'i', frame.text]);
    }
  });
  const timestamp = Math.floor(Date.parse(input.startedAt) / 1000);
  const header: AsciicastHeader = {
    version: 2,
    width: size.width,
    height: size.height,
    ...(Number.isFinite(timestamp) ? { timestamp } : {}),
    ...(input.summary ? { duration: seconds(input.summary.durationMs) } : {}),
    ...(input.idleTimeLimit !== undefined ? { idle_time_limit: input.idleTimeLimit } : {}),
    ...(input.command ? { command: input.command } : {}),
    ...(input.title ? { title: input.title } : {}),
    env: input.env ?? (tty ? { TERM: 'xterm' } : {}),
  };
  return { header, events };
}

/** The asciicast v2 file: the header line, then one line per event, each ending in a new line. */
export function asciicast(input: AsciicastInput): string {
  const { header, events } = asciicastParts(input);
  return [header, ...events].map((line) => `${JSON.stringify(line)}\n`).join('');
}

/** Milliseconds as seconds with microsecond precision (the format's float). */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1_000_000;
}

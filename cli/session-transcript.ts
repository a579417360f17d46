import { exitCodeOf } from '../lambdas/core/remote-command';
import { execOptionsOf, type PortForwardEvent, type SessionChannel, type SessionFrame, type SessionKind, type SessionSummary } from '../lambdas/core/session-recording';
import type { RecordedUnit } from '../lambdas/core/stream-recording';
import { formatBytes, formatDuration, shellQuote } from './format';
import type { ReplayEntry, RequestRecord } from './types';

/**
 * An exec, attach or port-forward session in the transcript (`gatehouse replay`): the kubectl command that opened
 * it, then the session as the terminal showed it, or its port-forward connections, then how it ended. Pure:
 * replay.ts plays it at its recorded pace with {@link playSession}, asciicast.ts reads the same decoded frames.
 */

const SUBRESOURCE_KIND: Readonly<Record<string, SessionKind>> = { exec: 'exec', attach: 'attach', portforward: 'portforward' };

/** The kind of session a request opened, from its summary or its subresource; undefined for other requests. */
export function sessionKind(record: RequestRecord, summary: SessionSummary | undefined = record.upgrade): SessionKind | undefined {
  return summary?.kind ?? SUBRESOURCE_KIND[record.subresource ?? ''];
}

/** The session summary (`upgrade`): the blob's (checked against the record's SHA-256), else the record's. */
export function sessionSummaryOf(entry: ReplayEntry): SessionSummary | undefined {
  return entry.blob?.response.upgrade ?? entry.record.upgrade;
}

/** Whether an entry is a session that ran (it has a summary or recorded frames), not e.g. an exec that was denied. */
export function isSessionEntry(entry: ReplayEntry): boolean {
  if (!sessionKind(entry.record, sessionSummaryOf(entry))) return false;
  return sessionSummaryOf(entry) !== undefined || (entry.stream ?? []).some((u) => u.channel !== undefined);
}

/** `sh -c 'echo hi'`: a command's words as a shell would take them. */
export function commandText(command: readonly string[]): string {
  return command.map(shellQuote).join(' ');
}

/**
 * The kubectl command that opens the session: `kubectl exec web-1 -n prod -c app -it -- sh -c 'echo hi'`,
 * `kubectl attach web-1 -c app -i`, `kubectl port-forward pod/web-1 8080 -n prod`. From the summary when the
 * record has one, else from the query, as the server decodes it.
 */
export function sessionCommandLine(record: RequestRecord): string {
  const kind = sessionKind(record)!;
  const summary = record.upgrade;
  const query = new URLSearchParams(record.query ?? '');
  const namespace = record.namespace ? ['-n', record.namespace] : [];
  if (kind === 'portforward') {
    const ports = query.getAll('ports').flatMap((p) => p.split(',')).filter(Boolean);
    const known = ports.length ? ports : [...new Set((summary?.connections ?? []).map((c) => String(c.port)))];
    return ['kubectl', 'port-forward', `pod/${record.name ?? '?'}`, ...known, ...namespace].join(' ');
  }
  const options = execOptionsOf(query);
  const command = summary?.command ?? options.command;
  const container = summary?.container ?? options.container;
  const flags = `${(summary?.stdin ?? options.stdin) ? 'i' : ''}${(summary?.tty ?? options.tty) ? 't' : ''}`;
  const words = ['kubectl', kind, record.name ?? '?', ...namespace, ...(container ? ['-c', shellQuote(container)] : []), ...(flags ? [`-${flags}`] : [])];
  if (kind === 'exec' && command.length) words.push('--', commandText(command));
  return words.join(' ');
}

/** A frame of an exec or attach session with its bytes decoded as text (UTF-8, per channel, across frames). */
export interface DecodedFrame {
  readonly atMs: number;
  readonly channel: SessionChannel;
  readonly text: string;
  readonly bytes: number;
  /** Not text: bytes that are not UTF-8 (a `kubectl cp` tar stream, say). */
  readonly binary: boolean;
  readonly close?: true;
}

/** The exec or attach frames among a recording's units (port-forward events and watch units left out). */
export function sessionFrames(units: readonly RecordedUnit[]): SessionFrame[] {
  return units.filter((u): u is SessionFrame => u.channel !== undefined && u.channel !== 'portforward');
}

/** The port-forward events among a recording's units. */
export function portForwardEvents(units: readonly RecordedUnit[]): PortForwardEvent[] {
  return units.filter((u): u is PortForwardEvent => u.channel === 'portforward');
}

/**
 * Decodes frames the way a terminal reads its input: each channel is one byte stream, decoded as UTF-8 with
 * replacement characters for what is not, a character split across two frames joined again. A frame kept in
 * base64 is binary content unless it decodes cleanly (a split character does).
 */
export function decodeFrames(frames: readonly SessionFrame[]): DecodedFrame[] {
  const decoders = new Map<SessionChannel, InstanceType<typeof TextDecoder>>();
  const decoded: DecodedFrame[] = frames.map((frame) => {
    const bytes = Buffer.from(frame.data, frame.encoding === 'base64' ? 'base64' : 'utf8');
    let decoder = decoders.get(frame.channel);
    if (!decoder) decoders.set(frame.channel, (decoder = new TextDecoder('utf-8')));
    const text = decoder.decode(bytes, { stream: true });
    return { atMs: frame.atMs, channel: frame.channel, text, bytes: bytes.length, binary: frame.encoding === 'base64' && /[\uFFFD\0]/.test(text), ...(frame.close ? { close: true as const } : {}) };
  });
  // Bytes left mid-character when a channel ended: a terminal shows them as one replacement character.
  for (const [channel, decoder] of decoders) {
    const rest = decoder.decode();
    if (rest) decoded.push({ atMs: decoded.at(-1)?.atMs ?? 0, channel, text: rest, bytes: 0, binary: false });
  }
  return decoded;
}

/** `{"Width":80,"Height":24}` from a resize frame, or undefined when it is not one. */
export function resizeOf(text: string): { readonly width: number; readonly height: number } | undefined {
  try {
    const size = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    const width = Number(size.Width);
    const height = Number(size.Height);
    return Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

/** What the error channel's final Status says: an exit code (read as the front reads it), or a failure kubectl prints as `error: ...`. */
export function statusOf(text: string): { readonly exitCode?: number; readonly error?: string } | undefined {
  const exitCode = exitCodeOf(text);
  if (exitCode !== undefined) return { exitCode };
  try {
    const status = JSON.parse(text) as { status?: string; reason?: string; message?: string };
    return status.status === 'Failure' ? { error: status.message ?? status.reason ?? 'failure' } : undefined;
  } catch {
    return undefined;
  }
}

/** The exit code: the summary's, else the error channel's Status (which may come in more than one frame). */
export function sessionExitCode(summary: SessionSummary | undefined, frames: readonly DecodedFrame[]): number | undefined {
  if (summary?.exitCode !== undefined) return summary.exitCode;
  return statusOf(frames.filter((f) => f.channel === 'error').map((f) => f.text).join(''))?.exitCode;
}

/** Text a pager or a terminal can be trusted with. `real`: for a terminal at pace (cursor moves and modes kept). */
export function safeTerminalText(text: string, real = false): string {
  return text
    // One pass over escape sequences. OSC, DCS, SOS, PM, APC strings (titles, clipboard writes as OSC 52, terminal
    // queries) never pass; of CSI, colours (SGR) always, cursor moves, erases and modes only to a real terminal,
    // never reports or window operations; character set choices (`ESC ( B`, line drawing) and cursor save/restore
    // only to a real terminal; a lone ESC or any other sequence is dropped.
    .replace(/\u001b(?:[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)|\[[0-?]*[ -/]*[@-~]|[ -/]+[0-~]|[78]|[^[\]PX^_]?)/g, (seq) => {
      if (seq.startsWith('\u001b[')) return seq.endsWith('m') || (real && /[A-HJKSTdfhlr]$/.test(seq)) ? seq : '';
      return real && /^\u001b(?:[78]|[()][0-~])$/.test(seq) ? seq : '';
    })
    // Other C0 controls (bell, ...) and the 8-bit C1 controls some terminals obey; DEL erases like a backspace.
    .replace(/[\u0000-\u0007\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/g, (c) => (c === '\u007f' ? '\b' : ''));
}

/** A line as a terminal leaves it after carriage returns and backspaces (progress bars, a shell's echo of erased keys). */
export function settledLine(line: string): string {
  if (!/[\r\b]/.test(line)) return line;
  const cells: string[] = [];
  let col = 0;
  for (const ch of line.replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')) {
    if (ch === '\r') col = 0;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else cells[col++] = ch;
  }
  return cells.join('').replace(/\s+$/, '');
}

/** One piece of the terminal view, written when the frame at `atMs` arrived. */
export interface TerminalChunk {
  readonly atMs: number;
  readonly text: string;
}

const STDERR_PREFIX = '[stderr] ';
const STDIN_PREFIX = '> ';

/**
 * The session as its terminal showed it, chunk by chunk: stdout as is (CRLF as new lines), stderr lines marked
 * `[stderr] ` (without a tty; with one, the cluster merges them), stdin lines as `> ` (without a tty; with one the
 * shell echoes what was typed), binary content as a count, resizes as notes, and the error channel's Status as
 * kubectl prints it. `real`: chunks for a real terminal at pace (control sequences kept, CR as CR, no notes).
 */
export function terminalChunks(frames: readonly DecodedFrame[], tty: boolean, real = false): TerminalChunk[] {
  const chunks: TerminalChunk[] = [];
  let atLineStart = true;
  let open: SessionChannel | undefined;
  const emit = (atMs: number, text: string, channel?: SessionChannel, prefix = '') => {
    if (text === '') return;
    let out = '';
    if (!atLineStart && open !== channel) out += '\n';
    const starting = atLineStart || open !== channel;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (i > 0) out += '\n';
      if (line !== '' && (i > 0 || starting)) out += prefix;
      out += line;
    });
    atLineStart = text.endsWith('\n');
    open = atLineStart ? undefined : channel;
    chunks.push({ atMs, text: out });
  };
  const note = (atMs: number, text: string) => emit(atMs, `${text}\n`, undefined);
  let errorText = '';
  for (const frame of frames) {
    if (frame.channel === 'resize') {
      const size = resizeOf(frame.text);
      if (size && !real) note(frame.atMs, `[terminal resized to ${size.width}x${size.height}]`);
      continue;
    }
    if (frame.channel === 'error') {
      // The Status may span frames: it is shown once it parses.
      errorText += frame.text;
      const status = statusOf(errorText);
      if (status) errorText = '';
      if (status?.error) note(frame.atMs, `error: ${safeTerminalText(status.error)}`);
      else if (status?.exitCode) note(frame.atMs, `command terminated with exit code ${status.exitCode}`);
      continue;
    }
    if (frame.channel === 'stdin' && tty) continue;
    if (frame.binary) {
      note(frame.atMs, `${frame.channel === 'stdin' ? STDIN_PREFIX : frame.channel === 'stderr' ? STDERR_PREFIX : ''}[binary ${frame.channel}, ${frame.bytes} bytes]`);
      continue;
    }
    const safe = safeTerminalText(frame.text, real);
    // A real terminal takes CRLF and CR as they came; the transcript makes lines of them.
    const text = real ? safe : safe.replace(/\r\n/g, '\n');
    if (frame.channel === 'stdout' || (frame.channel === 'stderr' && tty)) emit(frame.atMs, text, 'stdout');
    else emit(frame.atMs, text, frame.channel, frame.channel === 'stderr' ? STDERR_PREFIX : STDIN_PREFIX);
  }
  if (!atLineStart) chunks.push({ atMs: chunks.at(-1)?.atMs ?? 0, text: '\n' });
  return chunks;
}

/** How the session ended: `(exit code 3, 12.4 s, 120 B in, 3.2 KiB out, ended by cluster)`. */
export function sessionEndLine(entry: ReplayEntry, frames: readonly DecodedFrame[]): string {
  const summary = sessionSummaryOf(entry);
  const recording = recordingNote(entry);
  if (!summary) return `(session still open, or its front stopped before completing the record: what passed until then${recording})`;
  const sum = (channel: SessionChannel) => summary.bytes[channel] ?? frames.filter((f) => f.channel === channel).reduce((n, f) => n + f.bytes, 0);
  const code = sessionExitCode(summary, frames);
  return `(${code === undefined ? 'no exit code: the session ended before the cluster reported one' : `exit code ${code}`}, ${formatDuration(summary.durationMs)}, `
    + `${formatBytes(sum('stdin'))} in, ${formatBytes(sum('stdout') + sum('stderr'))} out, ended by ${summary.endedBy}${recording})`;
}

function recordingNote(entry: ReplayEntry): string {
  const stream = entry.blob?.response.stream;
  const truncated = stream?.truncated ?? entry.record.streamRecordTruncated;
  const failed = stream?.failedParts ?? entry.record.streamPartsFailed;
  return `${truncated ? '; recording stopped at its size cap' : ''}${failed ? `; ${failed} part(s) of the recording could not be written` : ''}`;
}

/** Whether the session had a terminal (`-t`): from its summary, else its query. */
export function ttyOf(entry: ReplayEntry): boolean {
  return sessionSummaryOf(entry)?.tty ?? execOptionsOf(new URLSearchParams(entry.record.query ?? '')).tty;
}

/** The lines of a session in the transcript, after the header and request lines. */
export function renderSession(entry: ReplayEntry, options: { readonly maxBodyLines?: number } = {}): string[] {
  const summary = sessionSummaryOf(entry);
  if (sessionKind(entry.record, summary) === 'portforward') return renderPortForward(entry);
  const frames = decodeFrames(sessionFrames(entry.stream ?? []));
  const text = terminalChunks(frames, ttyOf(entry)).map((c) => c.text).join('');
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n').map(settledLine);
  const max = options.maxBodyLines;
  const shown = max && lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more lines (use --max-body-lines 0 for all)`] : lines;
  return [...shown, sessionEndLine(entry, frames)];
}

/** A port-forward: one line per connection (port, opened, closed, bytes each way), then the totals. */
export function renderPortForward(entry: ReplayEntry): string[] {
  const connections = new Map<string, { port: number; openedAt?: number; closedAt?: number; toPod: number; fromPod: number }>();
  for (const event of portForwardEvents(entry.stream ?? [])) {
    const c = connections.get(event.connectionId) ?? { port: event.port, toPod: 0, fromPod: 0 };
    if (event.event === 'open') c.openedAt = event.atMs;
    else c.closedAt = event.atMs;
    c.toPod = Math.max(c.toPod, event.bytesToPod);
    c.fromPod = Math.max(c.fromPod, event.bytesFromPod);
    connections.set(event.connectionId, c);
  }
  const at = (ms: number | undefined) => (ms === undefined ? '?' : `+${(ms / 1000).toFixed(3)}s`);
  const lines = [...connections.values()].map((c, i) =>
    `connection ${i + 1}: port ${c.port}, opened ${at(c.openedAt)}, ${c.closedAt === undefined ? 'still open when the recording ends' : `closed ${at(c.closedAt)}`}, `
    + `${formatBytes(c.toPod)} to pod, ${formatBytes(c.fromPod)} from pod`);
  const summary = sessionSummaryOf(entry);
  const count = summary?.connections ? summary.connections.reduce((n, c) => n + c.count, 0) : connections.size;
  const toPod = summary?.bytes.toPod ?? [...connections.values()].reduce((n, c) => n + c.toPod, 0);
  const fromPod = summary?.bytes.fromPod ?? [...connections.values()].reduce((n, c) => n + c.fromPod, 0);
  const totals = `${count} connection(s), ${formatBytes(toPod)} to pod, ${formatBytes(fromPod)} from pod`;
  const end = summary
    ? `(${totals}, ${formatDuration(summary.durationMs)}, ended by ${summary.endedBy}${recordingNote(entry)})`
    : `(port-forward still open, or its front stopped before completing the record: ${totals} so far${recordingNote(entry)})`;
  return [...lines, end];
}

/** The line shown for a session whose record has no completion and no recording yet. */
export function liveSessionLine(record: RequestRecord): string {
  return `(session live: ${sessionKind(record)} still in flight, nothing recorded yet; run again when it ends, or use --follow)`;
}

/** What `replay --json` adds for a session: its summary and every frame (with `atMs` and `channel`). */
export function sessionJson(entry: ReplayEntry): Record<string, unknown> {
  return { session: sessionSummaryOf(entry), frames: entry.stream ?? [] };
}

/** How {@link playSession} writes and waits. */
export interface Player {
  write(text: string): void;
  /** Waits this many milliseconds (injected: tests do not wait). */
  sleep(ms: number): Promise<void>;
  /** Idle gaps longer than this are cut to it (asciinema's idle time limit). */
  readonly maxIdleMs: number;
  /** True once the operator pressed Ctrl-C. */
  stopped(): boolean;
}

/**
 * Plays an exec or attach session at its recorded pace: each piece of terminal output when its frame arrived,
 * with the gaps between them (cut to `maxIdleMs`). Answers false when stopped before the end.
 */
export async function playSession(entry: ReplayEntry, player: Player): Promise<boolean> {
  const frames = decodeFrames(sessionFrames(entry.stream ?? []));
  let previous = 0;
  for (const chunk of terminalChunks(frames, ttyOf(entry), true)) {
    const gap = Math.min(Math.max(0, chunk.atMs - previous), player.maxIdleMs);
    previous = Math.max(previous, chunk.atMs);
    if (gap > 0) await player.sleep(gap);
    if (player.stopped()) return false;
    player.write(chunk.text);
  }
  player.write(`${sessionEndLine(entry, frames)}\n`);
  return true;
}

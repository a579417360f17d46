import { asciicast, asciicastParts, type AsciicastEvent, type AsciicastInput } from '../../../cli/asciicast';
import type { SessionChannel, SessionFrame, SessionSummary } from '../../../lambdas/core/session-recording';

/** The asciicast v2 writer (https://docs.asciinema.org/manual/asciicast/v2/): header and events of one exec session. */
const text = (atMs: number, channel: SessionChannel, data: string): SessionFrame => ({ atMs, channel, encoding: 'utf8', data });
const bytes = (atMs: number, channel: SessionChannel, data: number[]): SessionFrame => ({ atMs, channel, encoding: 'base64', data: Buffer.from(data).toString('base64') });
const resize = (atMs: number, width: number, height: number): SessionFrame => text(atMs, 'resize', JSON.stringify({ Width: width, Height: height }));

const SUMMARY: SessionSummary = { kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['sh'], tty: true, stdin: true, exitCode: 0, durationMs: 12_400, bytes: { stdin: 3, stdout: 20 }, endedBy: 'cluster' };
const BASE: AsciicastInput = { startedAt: '2026-12-02T10:00:00.750Z', frames: [] };

describe('asciicast header', () => {
  it.each<[string, Partial<AsciicastInput>, Record<string, unknown>]>([
    ['80x24 when no resize frame says otherwise, no tty: empty env', {}, { version: 2, width: 80, height: 24, timestamp: 1_796_205_600, env: {} }],
    ['the size of the first resize frame', { frames: [resize(0, 120, 40), resize(900, 100, 30)] }, { width: 120, height: 40 }],
    ['the duration of an ended session, TERM of a tty', { summary: SUMMARY }, { duration: 12.4, env: { TERM: 'xterm' } }],
    ['command and title as given', { command: "sh -c 'echo hi'", title: 'kubectl exec web-1 -it -- sh' }, { command: "sh -c 'echo hi'", title: 'kubectl exec web-1 -it -- sh' }],
    ['the idle time limit players cut pauses to', { idleTimeLimit: 2 }, { idle_time_limit: 2 }],
  ])('has %s', (_case, input, expected) => {
    // Arrange
    const cast = { ...BASE, ...input };
    // Act
    const { header } = asciicastParts(cast);
    // Assert
    expect(header).toMatchObject(expected);
  });

  it('leaves out what it does not know rather than writing empty fields', () => {
    // Act
    const { header } = asciicastParts({ ...BASE, startedAt: 'not a time' });
    // Assert
    expect(Object.keys(header)).toEqual(['version', 'width', 'height', 'env']);
  });
});

describe('asciicast events', () => {
  it.each<[string, boolean, SessionFrame[], AsciicastEvent[]]>([
    ['stdout of a session without a tty, its line feeds as CRLF (the client terminal showed them so)', false, [text(150, 'stdout', 'hi\nthere\n')], [[0.15, 'o', 'hi\r\nthere\r\n']]],
    ['stdout of a tty as the pty wrote it', true, [text(310, 'stdout', '\r\nbin  etc\r\n/ # ')], [[0.31, 'o', '\r\nbin  etc\r\n/ # ']]],
    ['stderr as output too', false, [text(1, 'stdout', 'a'), text(2, 'stderr', 'oops\r\n')], [[0.001, 'o', 'a'], [0.002, 'o', 'oops\r\n']]],
    ['stdin as input', true, [text(100, 'stdin', 'l'), text(1_234.5678, 'stdin', '\r')], [[0.1, 'i', 'l'], [1.234568, 'i', '\r']]],
    ['resizes after the first as "r" events', true, [resize(0, 120, 40), text(5, 'stdout', '$ '), resize(4_050, 90, 30)], [[0.005, 'o', '$ '], [4.05, 'r', '90x30']]],
    ['no event for the error channel, half-closes or malformed resizes', false, [text(10, 'stdin', ''), { ...text(11, 'stdin', ''), close: true }, text(12, 'resize', 'nope'), text(13, 'error', '{"status":"Success"}')], []],
    ['a character split across two binary frames joined again', false, [bytes(1, 'stdout', [0x68, 0xc3]), bytes(2, 'stdout', [0xa9, 0x0a])], [[0.001, 'o', 'h'], [0.002, 'o', 'é\r\n']]],
    ['bytes that are not UTF-8 as replacement characters', true, [bytes(1, 'stdout', [0x61, 0xff, 0x62])], [[0.001, 'o', 'a\uFFFDb']]],
    ['a channel that ends mid-character as one replacement character', true, [bytes(1, 'stdout', [0x61, 0xe2, 0x82])], [[0.001, 'o', 'a'], [0.001, 'o', '\uFFFD']]],
    ['a frame stamped before the one ahead of it at that one\'s time (events stay in order)', true, [text(500, 'stdout', 'a'), text(400, 'stdout', 'b')], [[0.5, 'o', 'a'], [0.5, 'o', 'b']]],
  ])('writes %s', (_case, tty, frames, expected) => {
    // Act
    const { events } = asciicastParts({ ...BASE, frames, tty });
    // Assert
    expect(events).toEqual(expected);
  });
});

describe('asciicast file', () => {
  it('is a header line and one JSON array per event, each on its own line', () => {
    // Arrange
    const frames = [resize(0, 100, 30), text(50, 'stdout', '/ # '), text(100, 'stdin', 'exit\r'), text(120, 'stdout', 'exit\r\n'), text(130, 'error', '{"status":"Success"}')];
    // Act
    const file = asciicast({ ...BASE, frames, summary: SUMMARY, command: 'sh', title: 'kubectl exec web-1 -it -- sh' });
    // Assert
    expect(file.endsWith('\n')).toBe(true);
    const lines = file.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { version: 2, width: 100, height: 30, timestamp: 1_796_205_600, duration: 12.4, command: 'sh', title: 'kubectl exec web-1 -it -- sh', env: { TERM: 'xterm' } },
      [0.05, 'o', '/ # '],
      [0.1, 'i', 'exit\r'],
      [0.12, 'o', 'exit\r\n'],
    ]);
  });
});

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine, type CommandContext } from '../../../cli/command';
import { exportCommand } from '../../../cli/commands/export';
import { replayCommandWith } from '../../../cli/commands/replay';
import { CliError, EXIT } from '../../../cli/errors';
import { loadEntry } from '../../../cli/record-reader';
import { safeTerminalText, settledLine } from '../../../cli/session-transcript';
import type { Target } from '../../../cli/target';
import { entryJson, renderEntry } from '../../../cli/transcript';
import type { RequestRecord } from '../../../cli/types';
import type { SessionChannel, SessionSummary } from '../../../lambdas/core/session-recording';
import { encodeStreamPart, streamPartKey, type RecordedUnit } from '../../../lambdas/core/stream-recording';
import { fakeIo } from './fake-io';

/**
 * `gatehouse replay` and `gatehouse export --format asciicast` of sessions the session front recorded: exec and
 * attach frames as a terminal, port-forward connections, pace, integrity. Records, blobs and parts are built here
 * the way the front writes them.
 */
const frame = (atMs: number, channel: SessionChannel, data: string, extra: { close?: true } = {}): RecordedUnit => ({ atMs, channel, encoding: 'utf8', data, ...extra });
const exitStatus = (code: number) => JSON.stringify({ metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } });
const connection = (atMs: number, event: 'open' | 'close', connectionId: string, bytesToPod: number, bytesFromPod: number): RecordedUnit => ({ atMs, channel: 'portforward', event, port: 8080, connectionId, bytesToPod, bytesFromPod, encoding: 'utf8', data: '' });

interface Recorded { readonly records: RequestRecord[]; readonly objects: Map<string, Buffer> }

/** Stores one request as the front does: the units in two chained parts, the blob naming them, the completed record. */
function record(store: Recorded, requestId: string, options: { subresource?: string; query: string; units: RecordedUnit[]; summary?: SessionSummary; complete?: boolean }): RequestRecord {
  const key = `replay/2026/12/02/${requestId}.json`;
  const half = Math.ceil(options.units.length / 2);
  const first = encodeStreamPart({ version: 1, requestId, part: 1, previousSha256: null, units: options.units.slice(0, half) });
  const second = encodeStreamPart({ version: 1, requestId, part: 2, previousSha256: first.sha256, units: options.units.slice(half) });
  store.objects.set(streamPartKey(key, 1), first.bytes);
  store.objects.set(streamPartKey(key, 2), second.bytes);
  const path = `/api/v1/namespaces/prod/pods/web-1${options.subresource ? `/${options.subresource}` : ''}`;
  const base = {
    pk: `req#${requestId}`, requestId, startedAt: '2026-12-02T10:00:00.000Z', issuer: 'github', agent: 'demo-agent', session: 'run-42', connection: 'prod',
    method: 'GET', path, query: options.query, verb: options.subresource ? 'create' : 'get', resource: 'pods', subresource: options.subresource, namespace: 'prod', name: 'web-1',
    decision: 'allow', ruleId: 'default', streamParts: 2, streamLastPartSha256: second.sha256,
  } as const;
  if (options.complete === false) {
    const live = { ...base, phase: 'intent', outcome: 'pending' } as RequestRecord;
    store.records.push(live);
    return live;
  }
  const stream = { parts: 2, units: options.units.length, bytes: 500, lastPartSha256: second.sha256, durationMs: options.summary?.durationMs ?? 0, endedBy: options.summary?.endedBy ?? 'client' };
  const blob = Buffer.from(JSON.stringify({
    version: 1, requestId, startedAt: base.startedAt, agent: 'demo-agent', session: 'run-42', connection: 'prod',
    request: { method: 'GET', path, query: options.query, headers: {} },
    response: { status: 101, headers: {}, stream, ...(options.summary ? { upgrade: options.summary } : {}) },
  }));
  store.objects.set(key, blob);
  const done = {
    ...base, phase: 'complete', outcome: 'forwarded', status: 101, latencyMs: options.summary?.durationMs, replayKey: key, replaySha256: createHash('sha256').update(blob).digest('hex'),
    ...(options.summary ? { upgrade: options.summary } : {}),
  } as RequestRecord;
  store.records.push(done);
  return done;
}

/** `kubectl exec web-1 -c app -i -- sh` that read two commands from stdin, wrote stdout and stderr, and exited 3. */
function execWithStderr(store: Recorded): RequestRecord {
  return record(store, 'e1-exec', {
    subresource: 'exec',
    query: 'command=sh&container=app&stdin=true&stdout=true&stderr=true',
    units: [
      frame(100, 'stdin', 'echo hi\nls /nope\n'),
      frame(150, 'stdout', 'hi\n'),
      frame(160, 'stderr', 'ls: /nope: No such file or directory\n'),
      frame(200, 'stdin', '', { close: true }),
      frame(210, 'error', exitStatus(3)),
    ],
    summary: { kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['sh'], container: 'app', tty: false, stdin: true, exitCode: 3, durationMs: 12_400, bytes: { stdin: 120, stdout: 3_277, stderr: 40 }, endedBy: 'cluster' },
  });
}

/** `kubectl exec web-1 -it -- sh -c 'echo hi; sh'`: a tty, typed keys echoed, CRLF, two resizes and a 20 s pause. */
function ttyExec(store: Recorded): RequestRecord {
  return record(store, 'e2-tty', {
    subresource: 'exec',
    query: 'command=sh&command=-c&command=echo+hi%3B+sh&stdin=true&stdout=true&tty=true',
    units: [
      frame(0, 'resize', '{"Width":120,"Height":40}'),
      frame(50, 'stdout', 'hi\r\n/ # '),
      frame(100, 'stdin', 'l'),
      frame(101, 'stdout', 'l'),
      frame(200, 'stdin', 's'),
      frame(201, 'stdout', 's'),
      frame(300, 'stdin', '\r'),
      frame(310, 'stdout', '\r\nbin  etc\r\n/ # '),
      frame(20_310, 'resize', '{"Width":100,"Height":30}'),
      frame(20_400, 'stdout', 'exit\r\n'),
      frame(20_410, 'error', '{"metadata":{},"status":"Success"}'),
    ],
    summary: { kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['sh', '-c', 'echo hi; sh'], tty: true, stdin: true, exitCode: 0, durationMs: 20_500, bytes: { stdin: 3, stdout: 30 }, endedBy: 'client' },
  });
}

/** `kubectl port-forward pod/web-1 8080` with two connections. */
function portForward(store: Recorded): RequestRecord {
  return record(store, 'p1-forward', {
    subresource: 'portforward',
    query: 'ports=8080',
    units: [connection(210, 'open', '0', 0, 0), connection(1_500, 'open', '1', 0, 0), connection(3_400, 'close', '0', 120, 3_277), connection(5_000, 'close', '1', 120, 3_277)],
    summary: { kind: 'portforward', protocol: 'portforward.k8s.io', durationMs: 12_400, bytes: { toPod: 240, fromPod: 6_554 }, connections: [{ port: 8080, count: 2, bytesToPod: 240, bytesFromPod: 6_554 }], endedBy: 'client' },
  });
}

/** A plain `kubectl get pod web-1`: no session. */
function getPod(store: Recorded): RequestRecord {
  const key = 'replay/2026/12/02/g1-get.json';
  const blob = Buffer.from(JSON.stringify({ version: 1, requestId: 'g1-get', request: { method: 'GET', path: '/api/v1/namespaces/prod/pods/web-1', query: '', headers: {} }, response: { status: 200, headers: { 'content-type': 'application/json' }, body: { encoding: 'utf8', data: '{"kind":"Pod"}' } } }));
  store.objects.set(key, blob);
  const get = {
    pk: 'req#g1-get', requestId: 'g1-get', startedAt: '2026-12-02T09:59:00.000Z', phase: 'complete', issuer: 'github', agent: 'demo-agent', session: 'run-42', method: 'GET', path: '/api/v1/namespaces/prod/pods/web-1',
    query: '', verb: 'get', resource: 'pods', namespace: 'prod', name: 'web-1', decision: 'allow', outcome: 'forwarded', status: 200, replayKey: key, replaySha256: createHash('sha256').update(blob).digest('hex'),
  } as RequestRecord;
  store.records.push(get);
  return get;
}

function emptyStore(): Recorded {
  return { records: [], objects: new Map() };
}

function target(store: Recorded): Target {
  return {
    kind: 'stack', name: 'Gatehouse', region: 'eu-west-1', recordsTable: 'records', replayBucket: 'bucket', servers: new Map(), issuers: [{ name: 'github' }],
    documents: {
      send: async (command: { constructor: { name: string }; input: { Key?: { pk: string } } }) => (command.constructor.name === 'GetCommand'
        ? { Item: store.records.find((r) => r.pk === command.input.Key?.pk) }
        : { Items: [...store.records].sort((a, b) => a.startedAt.localeCompare(b.startedAt)) }),
    },
    s3: {
      send: async (command: { input: { Key: string } }) => {
        const body = store.objects.get(command.input.Key);
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      },
    },
  } as unknown as Target;
}

/** Runs `gatehouse <argv>` against the store, sleeping nowhere (each sleep asked for is noted). */
async function gatehouse(store: Recorded, argv: string[], cwd = process.cwd()) {
  const io = fakeIo({ cwd });
  const sleeps: number[] = [];
  const parsed = parseCommandLine(argv, [replayCommandWith({ sleep: async (ms) => void sleeps.push(ms) }), exportCommand]);
  if ('help' in parsed) throw new Error('help asked for');
  const ctx: CommandContext = {
    io, values: parsed.values, positionals: parsed.positionals, json: parsed.values.json === true, now: () => new Date('2026-12-02T11:00:00Z'),
    target: async () => target(store), interrupted: () => new Promise(() => undefined),
  };
  let code: number;
  try {
    code = (await parsed.spec.run(ctx)) ?? EXIT.ok;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    code = error.exitCode;
  }
  return { code, out: io.out(), err: io.err(), sleeps };
}

async function transcriptOf(store: Recorded, request: RequestRecord): Promise<string[]> {
  return renderEntry(await loadEntry(target(store), request)).trimEnd().split('\n');
}

describe('replaying an exec session', () => {
  it('shows the kubectl command, stdin as typed lines, stdout, stderr marked, the exit code and the totals', async () => {
    // Arrange
    const store = emptyStore();
    const exec = execWithStderr(store);
    // Act
    const lines = await transcriptOf(store, exec);
    // Assert
    expect(lines[0]).toBe('$ kubectl exec web-1 -n prod -c app -i -- sh   # agent demo-agent, 2026-12-02T10:00:00Z, allowed (rule default), 101 Switching Protocols, 12.4 s');
    expect(lines[1]).toMatch(/^> GET \/api\/v1\/namespaces\/prod\/pods\/web-1\/exec\?command=sh&container=app.*\(request e1-exec\)$/);
    expect(lines.slice(2)).toEqual([
      '> echo hi',
      '> ls /nope',
      'hi',
      '[stderr] ls: /nope: No such file or directory',
      'command terminated with exit code 3',
      '(exit code 3, 12.4 s, 120 B in, 3.2 KiB out, ended by cluster)',
    ]);
  });

  it('shows a tty session as the terminal did: CRLF as lines, typed keys through their echo, resizes noted', async () => {
    // Arrange
    const store = emptyStore();
    const tty = ttyExec(store);
    // Act
    const lines = await transcriptOf(store, tty);
    // Assert
    expect(lines[0]).toMatch(/^\$ kubectl exec web-1 -n prod -it -- sh -c 'echo hi; sh'   # /);
    expect(lines.slice(2)).toEqual([
      '[terminal resized to 120x40]',
      'hi',
      '/ # ls',
      'bin  etc',
      '/ # ',
      '[terminal resized to 100x30]',
      'exit',
      '(exit code 0, 20.5 s, 3 B in, 30 B out, ended by client)',
    ]);
  });

  it('prints a failure Status as kubectl does, even when it came in two frames', async () => {
    // Arrange
    const store = emptyStore();
    const status = JSON.stringify({ metadata: {}, status: 'Failure', message: 'exec: "bash": executable file not found in $PATH', reason: 'InternalError' });
    const failed = record(store, 'e5-failed', {
      subresource: 'exec',
      query: 'command=bash&stdout=true&stderr=true',
      units: [frame(30, 'error', status.slice(0, 20)), frame(31, 'error', status.slice(20))],
      summary: { kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['bash'], tty: false, stdin: false, durationMs: 40, bytes: { error: status.length }, endedBy: 'cluster' },
    });
    // Act
    const lines = await transcriptOf(store, failed);
    // Assert
    expect(lines.slice(2)).toEqual([
      'error: exec: "bash": executable file not found in $PATH',
      '(no exit code: the session ended before the cluster reported one, 40 ms, 0 B in, 0 B out, ended by cluster)',
    ]);
  });

  it('prints every frame with its channel and time under --json', async () => {
    // Arrange
    const store = emptyStore();
    execWithStderr(store);
    // Act
    const { code, out } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github', '--json']);
    // Assert
    expect(code).toBe(EXIT.ok);
    const line = JSON.parse(out.trim()) as { command: string; session: SessionSummary; frames: Array<{ atMs: number; channel: string }> };
    expect(line.command).toBe('kubectl exec web-1 -n prod -c app -i -- sh');
    expect(line.session).toMatchObject({ kind: 'exec', exitCode: 3 });
    expect(line.frames.map((f) => `${f.atMs} ${f.channel}`)).toEqual(['100 stdin', '150 stdout', '160 stderr', '200 stdin', '210 error']);
  });

  it('shows a session whose record has no completion yet as live', async () => {
    // Arrange: the record is still the intent and no part is named yet.
    const store = emptyStore();
    const live = record(store, 'e3-live', { subresource: 'exec', query: 'command=sh&stdin=true', units: [frame(10, 'stdout', 'x')], complete: false });
    const nothingYet = { ...live, streamParts: undefined, streamLastPartSha256: undefined } as RequestRecord;
    // Act
    const lines = await transcriptOf(store, nothingYet);
    // Assert
    expect(lines[0]).toMatch(/# agent demo-agent, .*, in flight$/);
    expect(lines[2]).toBe('(session live: exec still in flight, nothing recorded yet; run again when it ends, or use --follow)');
  });

  it('shows what passed of a session that is still open', async () => {
    // Arrange: parts written while it runs, named by the record, no blob yet.
    const store = emptyStore();
    const live = record(store, 'e4-open', { subresource: 'exec', query: 'command=sh&stdin=true', units: [frame(10, 'stdout', 'one\n'), frame(20, 'stdout', 'two\n')], complete: false });
    // Act
    const lines = await transcriptOf(store, live);
    // Assert
    expect(lines.slice(2)).toEqual(['one', 'two', '(session still open, or its front stopped before completing the record: what passed until then)']);
  });

  it('reports a broken part chain as an integrity failure, withholds the session and exits 4', async () => {
    // Arrange: part 1 edited after it was written.
    const store = emptyStore();
    execWithStderr(store);
    const part = streamPartKey('replay/2026/12/02/e1-exec.json', 1);
    store.objects.set(part, Buffer.from(store.objects.get(part)!.toString().replace('echo hi', 'echo ho')));
    // Act
    const { code, out, err } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github']);
    // Assert
    expect(code).toBe(EXIT.integrity);
    expect(err).toContain('INTEGRITY FAILURE: request e1-exec: recorded stream: part 2 does not follow part 1 (chain broken)');
    expect(out).toContain('!! INTEGRITY FAILURE: the recorded stream of request e1-exec fails its check');
    expect(out).not.toContain('echo h');
  });
});

describe('replaying a port-forward', () => {
  it('shows one line per connection and the totals', async () => {
    // Arrange
    const store = emptyStore();
    const forward = portForward(store);
    // Act
    const lines = await transcriptOf(store, forward);
    // Assert
    expect(lines[0]).toMatch(/^\$ kubectl port-forward pod\/web-1 8080 -n prod   # /);
    expect(lines.slice(2)).toEqual([
      'connection 1: port 8080, opened +0.210s, closed +3.400s, 120 B to pod, 3.2 KiB from pod',
      'connection 2: port 8080, opened +1.500s, closed +5.000s, 120 B to pod, 3.2 KiB from pod',
      '(2 connection(s), 240 B to pod, 6.4 KiB from pod, 12.4 s, ended by client)',
    ]);
  });
});

describe('replay --pace real', () => {
  it('sleeps the recorded gaps between frames, cutting idle gaps to --max-idle', async () => {
    // Arrange
    const store = emptyStore();
    ttyExec(store);
    // Act
    const { code, out, sleeps } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github', '--request', 'e2', '--pace', 'real', '--max-idle', '1s']);
    // Assert: output at 50, 101, 201, 310, 20400 ms; the 20 s pause cut to 1 s.
    expect(code).toBe(EXIT.ok);
    expect(sleeps).toEqual([50, 51, 100, 109, 1_000]);
    expect(out).toContain('hi\r\n/ # ls\r\nbin  etc\r\n/ # exit\r\n');
    expect(out.trimEnd().split('\n').at(-1)).toBe('(exit code 0, 20.5 s, 3 B in, 30 B out, ended by client)');
  });

  it('cuts idle gaps to 2 s unless told otherwise', async () => {
    // Arrange
    const store = emptyStore();
    ttyExec(store);
    // Act
    const { sleeps } = await gatehouse(store, ['replay', '--session', 'run-42', '--issuer', 'github', '--request', 'e2-tty', '--pace', 'real']);
    // Assert
    expect(sleeps.at(-1)).toBe(2_000);
  });

  it('plays nothing and exits 4 when the session fails its integrity check', async () => {
    // Arrange: the blob was changed after it was written.
    const store = emptyStore();
    ttyExec(store);
    const key = 'replay/2026/12/02/e2-tty.json';
    store.objects.set(key, Buffer.from(store.objects.get(key)!.toString().replace('"endedBy":"client"', '"endedBy":"cluster"')));
    // Act
    const { code, out, err, sleeps } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github', '--request', 'e2', '--pace', 'real']);
    // Assert
    expect(code).toBe(EXIT.integrity);
    expect(err).toMatch(/INTEGRITY FAILURE: request e2-tty: replay blob replay\/2026\/12\/02\/e2-tty.json has SHA-256 [0-9a-f]{64}, the record says [0-9a-f]{64}/);
    expect(sleeps).toEqual([]);
    expect(out).not.toContain('bin  etc');
  });

  it('prints at once without --pace', async () => {
    // Arrange
    const store = emptyStore();
    ttyExec(store);
    // Act
    const { code, sleeps } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github', '--request', 'e2']);
    // Assert
    expect(code).toBe(EXIT.ok);
    expect(sleeps).toEqual([]);
  });

  it.each<[string, string[], RegExp]>([
    ['without --request', ['--pace', 'real'], /--pace real plays one exec or attach session: give --request <id>/],
    ['for a port-forward', ['--request', 'p1', '--pace', 'real'], /--pace real plays exec and attach sessions; request p1-forward is `kubectl port-forward pod\/web-1 8080 -n prod`/],
    ['with an unknown pace', ['--request', 'e2', '--pace', 'fast'], /--pace takes instant or real, not "fast"/],
  ])('refuses %s', async (_case, args, message) => {
    // Arrange
    const store = emptyStore();
    ttyExec(store);
    portForward(store);
    // Act
    const { code, err } = await gatehouse(store, ['replay', 'run-42', '--issuer', 'github', ...args]);
    // Assert
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(message);
  });
});

describe('export --format asciicast', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cast-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the asciicast v2 file of one exec session', async () => {
    // Arrange
    const store = emptyStore();
    ttyExec(store);
    // Act
    const { code, err } = await gatehouse(store, ['export', 'run-42', '--issuer', 'github', '--request', 'e2', '--format', 'asciicast', '--max-idle', '2s', '-o', 'tty.cast'], dir);
    // Assert
    expect(code).toBe(EXIT.ok);
    expect(err).toContain('Exported exec session e2-tty (11 frame(s), 20.5 s) to tty.cast; play it with `asciinema play tty.cast`.');
    const lines = fs.readFileSync(path.join(dir, 'tty.cast'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      {
        version: 2, width: 120, height: 40, timestamp: 1_796_205_600, duration: 20.5, idle_time_limit: 2, command: "sh -c 'echo hi; sh'",
        title: "kubectl exec web-1 -n prod -it -- sh -c 'echo hi; sh' (agent demo-agent, request e2-tty)", env: { TERM: 'xterm' },
      },
      [0.05, 'o', 'hi\r\n/ # '],
      [0.1, 'i', 'l'],
      [0.101, 'o', 'l'],
      [0.2, 'i', 's'],
      [0.201, 'o', 's'],
      [0.3, 'i', '\r'],
      [0.31, 'o', '\r\nbin  etc\r\n/ # '],
      [20.31, 'r', '100x30'],
      [20.4, 'o', 'exit\r\n'],
    ]);
  });

  it('takes the only exec session of the selection when no --request is given, and writes to stdout', async () => {
    // Arrange
    const store = emptyStore();
    getPod(store);
    execWithStderr(store);
    // Act
    const { code, out } = await gatehouse(store, ['export', '--session', 'run-42', '--issuer', 'github', '--format', 'asciicast']);
    // Assert
    expect(code).toBe(EXIT.ok);
    expect(out.split('\n').slice(1, 3)).toEqual(['[0.1,"i","echo hi\\nls /nope\\n"]', '[0.15,"o","hi\\r\\n"]']);
  });

  it.each<[string, (store: Recorded) => void, string[], RegExp]>([
    ['a request that is not a session', getPod, ['--request', 'g1-get'], /Request g1-get is not an exec or attach session \(`kubectl get pods\/web-1 -n prod`\); --format asciicast writes only those\./],
    ['a port-forward', portForward, ['--request', 'p1'], /Request p1-forward is not an exec or attach session .*a port-forward has no terminal/],
    ['a selection with two exec sessions and no --request', (s) => { execWithStderr(s); ttyExec(s); }, [], /give --request <id> \(this selection has 2: e1-exec, e2-tty\)/],
  ])('refuses %s', async (_case, arrange, args, message) => {
    // Arrange
    const store = emptyStore();
    arrange(store);
    // Act
    const { code, err } = await gatehouse(store, ['export', 'run-42', '--issuer', 'github', '--format', 'asciicast', ...args], dir);
    // Assert
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(message);
  });

  it('writes nothing and exits 4 when the session fails its integrity check', async () => {
    // Arrange: the last part is gone.
    const store = emptyStore();
    ttyExec(store);
    store.objects.delete(streamPartKey('replay/2026/12/02/e2-tty.json', 2));
    // Act
    const { code, err } = await gatehouse(store, ['export', 'run-42', '--issuer', 'github', '--request', 'e2', '--format', 'asciicast', '-o', 'tty.cast'], dir);
    // Assert
    expect(code).toBe(EXIT.integrity);
    expect(err).toContain('INTEGRITY FAILURE: request e2-tty: recorded stream: part 2 of 2 is missing');
    expect(fs.existsSync(path.join(dir, 'tty.cast'))).toBe(false);
  });
});

describe('terminal text in a transcript', () => {
  it.each<[string, string, boolean, string]>([
    ['keeps colours', 'a \u001b[31mred\u001b[0m b', false, 'a \u001b[31mred\u001b[0m b'],
    ['drops a title or clipboard write (OSC)', 'x\u001b]0;pwned\u0007y\u001b]52;c;aGk=\u001b\\z', true, 'xyz'],
    ['drops terminal reports and window operations', 'a\u001b[6nb\u001b[8;1;1tc', true, 'abc'],
    ['keeps cursor moves only for a real terminal', 'a\u001b[2Jb\u001b[Hc', false, 'abc'],
    ['keeps cursor moves for a real terminal', 'a\u001b[2Jb', true, 'a\u001b[2Jb'],
    ['drops bells and 8-bit controls', 'a\u0007b\u009bc', false, 'abc'],
    ['drops a character set choice, whole, from a transcript', 'a\u001b(B\u001b[mb', false, 'a\u001b[mb'],
    ['keeps a character set choice for a real terminal', '\u001b(0q\u001b(B', true, '\u001b(0q\u001b(B'],
  ])('%s', (_case, input, real, expected) => {
    // Act / Assert
    expect(safeTerminalText(input, real)).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['a progress bar overwritten by carriage returns', '10%\r50%\r100%', '100%'],
    ['a shell echo of an erased key', 'lsx\b \b', 'ls'],
    ['a plain line', 'plain  ', 'plain  '],
  ])('settles %s as the terminal leaves it', (_case, line, expected) => {
    // Act / Assert
    expect(settledLine(line)).toBe(expected);
  });
});

describe('a session in replay --json', () => {
  it('carries the summary and the frames instead of a stream', async () => {
    // Arrange
    const store = emptyStore();
    const forward = portForward(store);
    // Act
    const json = entryJson(await loadEntry(target(store), forward));
    // Assert
    expect(json).toMatchObject({ command: 'kubectl port-forward pod/web-1 8080 -n prod', session: { kind: 'portforward' }, frames: expect.arrayContaining([expect.objectContaining({ event: 'open', connectionId: '0' })]) });
    expect(json).not.toHaveProperty('stream');
  });
});

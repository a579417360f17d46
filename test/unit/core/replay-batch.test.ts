import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  decodeReplayBatch, encodeReplayBatchLine, FIREHOSE_MAX_RECORD_BYTES, legacyReplayBatchFolder, openReplayBatchLine, parseReplayBatch,
  replayBatchHourPrefix, replayBatchObjectTime, replayBatchPartition,
} from '../../../lambdas/core/replay-batch';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const entry = (key: string, text: string) => ({ key, sha256: sha(Buffer.from(text)), bytes: Buffer.from(text) });

describe('replay batch lines', () => {
  it('gives one session one tag whatever its name holds, and different sessions different ones', () => {
    const p = replayBatchPartition('session#demo#ci/run 7/../x');

    expect(p).toMatch(/^[0-9a-f]{16}$/);
    expect(replayBatchPartition('session#demo#ci/run 7/../x')).toBe(p);
    expect(replayBatchPartition('session#demo#ci/run 8')).not.toBe(p);
    expect(legacyReplayBatchFolder(p)).toBe(`replay-batches/session=${p}/`);
  });

  it('reads back, in order, the blobs of lines Firehose concatenated into one object', () => {
    const a = entry('replay/2026/12/02/a.json', '{"request":1}');
    const b = entry('replay/2026/12/02/b.json', '{"request":2}');

    const batch = decodeReplayBatch(Buffer.concat([encodeReplayBatchLine('p1', a)!, encodeReplayBatchLine('p2', b)!]));

    expect(batch.problems).toEqual([]);
    expect([...batch.entries.keys()]).toEqual([a.key, b.key]);
    expect(batch.entries.get(b.key)![0]!.bytes.toString()).toBe('{"request":2}');
  });

  it('carries the session tag and the blob gzipped in Z85, one line ending in a newline', () => {
    const big = entry('k', JSON.stringify({ rows: Array.from({ length: 500 }, (_, i) => ({ name: `pod-${i}`, status: 'Running' })) }));

    const line = encodeReplayBatchLine('0123456789abcdef', big)!;

    const parsed = JSON.parse(line.toString()) as { n: number; y: string };
    expect(parsed).toMatchObject({ v: 2, p: '0123456789abcdef', k: 'k', h: big.sha256, n: gzipSync(big.bytes).length });
    expect(parsed.y.length).toBe(Math.ceil(parsed.n / 4) * 5);
    expect(line.length).toBeLessThan(big.bytes.length / 4);
    expect(line.toString().endsWith('\n')).toBe(true);
  });

  it('reads a line without a session tag as well as one with it', () => {
    const a = entry('k', 'untagged');
    const { p: _tag, ...untagged } = JSON.parse(encodeReplayBatchLine('p', a)!.toString()) as Record<string, unknown>;

    const parsed = parseReplayBatch(Buffer.from(`${JSON.stringify(untagged)}\n`));

    expect(parsed.lines).toEqual([expect.objectContaining({ key: 'k', sha256: a.sha256 })]);
    expect(parsed.lines[0]!.partition).toBeUndefined();
    expect(openReplayBatchLine(parsed.lines[0]!)).toEqual({ entry: { key: 'k', sha256: a.sha256, bytes: Buffer.from('untagged') } });
  });

  it('reads a version 1 line (base64) as well as a version 2 one (Z85)', () => {
    const a = entry('replay/v1.json', '{"written":"before Z85"}');
    const v1 = `${JSON.stringify({ v: 1, p: 'p', k: a.key, h: a.sha256, z: gzipSync(a.bytes).toString('base64') })}\n`;

    const batch = decodeReplayBatch(Buffer.concat([Buffer.from(v1), encodeReplayBatchLine('p', entry('replay/v2.json', 'now'))!]));

    expect(batch.problems).toEqual([]);
    expect(batch.entries.get(a.key)![0]!.bytes.toString()).toBe('{"written":"before Z85"}');
    expect(batch.entries.get('replay/v2.json')![0]!.bytes.toString()).toBe('now');
  });

  it('writes a gzipped list of 100 pods in about 6% fewer bytes than base64 would', () => {
    const pods = { kind: 'PodList', items: Array.from({ length: 100 }, (_, i) => ({ metadata: { name: `web-${i}`, uid: createHash('sha256').update(String(i)).digest('hex') }, status: { podIP: `10.0.${i}.7` } })) };
    const blob = entry('k', JSON.stringify(pods));

    const z85 = encodeReplayBatchLine('p', blob)!.length;
    const base64 = Buffer.byteLength(JSON.stringify({ v: 1, p: 'p', k: 'k', h: blob.sha256, z: gzipSync(blob.bytes).toString('base64') })) + 1;

    expect(z85).toBeLessThan(base64 * 0.95);
  });

  it('finds the keys of an object without decompressing a blob', () => {
    const damaged = `${JSON.stringify({ v: 1, p: 'p', k: 'k', h: sha(Buffer.from('x')), z: 'bm90Z3ppcA==' })}\n`;

    const parsed = parseReplayBatch(Buffer.from(damaged), 'batch-1');

    expect(parsed).toEqual({ lines: [{ key: 'k', sha256: sha(Buffer.from('x')), partition: 'p', blob: { encoding: 'base64', text: 'bm90Z3ppcA==' }, where: 'batch-1 line 1' }], problems: [] });
    expect(openReplayBatchLine(parsed.lines[0]!)).toEqual({ problem: 'batch-1 line 1 (k) does not decompress' });
  });

  it('keeps both copies of a record Firehose delivered twice', () => {
    const line = encodeReplayBatchLine('p', entry('k', 'same'))!;

    expect(decodeReplayBatch(Buffer.concat([line, line])).entries.get('k')).toHaveLength(2);
  });

  it('refuses a blob too large for one Firehose record', () => {
    const random = Buffer.from(Array.from({ length: FIREHOSE_MAX_RECORD_BYTES }, (_, i) => (i * 7919) % 251));
    const incompressible = createHash('sha512');
    const bytes = Buffer.concat(Array.from({ length: 16_000 }, (_, i) => incompressible.copy().update(String(i)).digest()));

    expect(encodeReplayBatchLine('p', { key: 'k', sha256: sha(bytes), bytes })).toBeUndefined();
    expect(encodeReplayBatchLine('p', { key: 'k', sha256: sha(random), bytes: random })).toBeDefined();
  });

  it.each([
    ['a line that is not JSON', Buffer.from('not json\n'), / is not JSON$/],
    ['a line of another version', Buffer.from('{"v":3,"k":"k","h":"h","y":"","n":0}\n'), / is not a version 1 or 2 replay record$/],
    ['a version 2 line without its length', Buffer.from('{"v":2,"k":"k","h":"h","y":"HelloWorld"}\n'), / is not a version 1 or 2 replay record$/],
    ['a line that is JSON null', Buffer.from('null\n'), / is not a version 1 or 2 replay record$/],
    ['a version 2 blob that is not Z85', Buffer.from('{"v":2,"k":"k","h":"h","y":"Hello Worl","n":8}\n'), /\(k\) is not Z85/],
    ['a blob that does not decompress', Buffer.from('{"v":1,"k":"k","h":"h","z":"bm90Z3ppcA=="}\n'), /\(k\) does not decompress/],
    ['a blob changed after its line was written', Buffer.from(`${JSON.stringify({ v: 1, k: 'k', h: sha(Buffer.from('original')), z: gzipSync('changed').toString('base64') })}\n`), /\(k\) holds a blob with SHA-256 [0-9a-f]{64}, the line says/],
  ])('reports %s and still reads the lines around it', (_name, damaged, problem) => {
    const good = encodeReplayBatchLine('p', entry('good', 'ok'))!;

    const batch = decodeReplayBatch(Buffer.concat([good, damaged, good]), 'batch-1');

    expect(batch.problems).toEqual([expect.stringMatching(problem)]);
    expect(batch.problems[0]).toMatch(/^batch-1 line 2/);
    expect(batch.entries.get('good')).toHaveLength(2);
    expect(batch.entries.has('k')).toBe(false);
  });
});

describe('replay batch layout', () => {
  it.each([
    ['an instant', Date.UTC(2026, 11, 1, 10, 59, 59, 999), 'replay-batches/2026/12/01/10/'],
    ['the first instant of an hour', Date.UTC(2026, 11, 1, 11), 'replay-batches/2026/12/01/11/'],
    ['the last hour of a year', Date.UTC(2026, 11, 31, 23, 30), 'replay-batches/2026/12/31/23/'],
  ])('puts %s in its UTC hour prefix', (_name, at, prefix) => {
    expect(replayBatchHourPrefix(at)).toBe(prefix);
  });

  it.each([
    ['a Firehose object name', 'replay-batches/2026/12/01/10/gatehouse-replay-1-2026-12-01-10-01-02-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', Date.UTC(2026, 11, 1, 10, 1, 2)],
    ['a stream name full of dashes and digits', 'x/my-stream-2-1-3-2026-01-02-03-04-05-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['a compressed object', 'x/s-12-2026-01-02-03-04-05-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.gz', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['a name without the UUID', 'x/s-1-2026-01-02-03-04-05', undefined],
    ['an impossible date', 'x/s-1-2026-02-30-03-04-05-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', undefined],
    ['a name with the time in its folder only', 'x/2026-01-02-03-04-05-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/batch', undefined],
  ])('reads the time of %s', (_name, key, at) => {
    expect(replayBatchObjectTime(key)).toBe(at);
  });
});

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  decodeReplayBatch, encodeReplayBatchLine, FIREHOSE_MAX_RECORD_BYTES, replayBatchFolder, replayBatchPartition,
} from '../../../lambdas/core/replay-batch';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const entry = (key: string, text: string) => ({ key, sha256: sha(Buffer.from(text)), bytes: Buffer.from(text) });

describe('replay batches', () => {
  it('gives one session one partition whatever its name holds, and different sessions different ones', () => {
    const p = replayBatchPartition('session#demo#ci/run 7/../x');
    expect(p).toMatch(/^[0-9a-f]{16}$/);
    expect(replayBatchPartition('session#demo#ci/run 7/../x')).toBe(p);
    expect(replayBatchPartition('session#demo#ci/run 8')).not.toBe(p);
    expect(replayBatchFolder(p)).toBe(`replay-batches/session=${p}/`);
  });

  it('reads back, in order, the blobs of lines Firehose concatenated into one object', () => {
    const a = entry('replay/2026/12/02/a.json', '{"request":1}');
    const b = entry('replay/2026/12/02/b.json', '{"request":2}');
    const object = Buffer.concat([encodeReplayBatchLine('p1', a)!, encodeReplayBatchLine('p1', b)!]);
    const batch = decodeReplayBatch(object);
    expect(batch.problems).toEqual([]);
    expect([...batch.entries.keys()]).toEqual([a.key, b.key]);
    expect(batch.entries.get(b.key)![0]!.bytes.toString()).toBe('{"request":2}');
  });

  it('carries the partition the delivery stream partitions on, and the blob gzipped', () => {
    const big = entry('k', JSON.stringify({ rows: Array.from({ length: 500 }, (_, i) => ({ name: `pod-${i}`, status: 'Running' })) }));
    const line = encodeReplayBatchLine('0123456789abcdef', big)!;
    expect(JSON.parse(line.toString())).toMatchObject({ v: 1, p: '0123456789abcdef', k: 'k', h: big.sha256 });
    expect(line.length).toBeLessThan(big.bytes.length / 4);
    expect(line.toString().endsWith('\n')).toBe(true);
  });

  it('keeps both copies of a record Firehose delivered twice', () => {
    const a = entry('k', 'same');
    const line = encodeReplayBatchLine('p', a)!;
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
    ['a line of another version', Buffer.from('{"v":2,"k":"k","h":"h","z":""}\n'), / is not a version 1 replay record$/],
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

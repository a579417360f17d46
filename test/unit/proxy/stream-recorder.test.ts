import type { RecordKey } from '../../../lambdas/core/session-record';
import { checkStreamParts, streamPartKey, type StreamPart } from '../../../lambdas/core/stream-recording';
import { StreamRecorder } from '../../../lambdas/proxy/stream-recorder';

const KEY = 'replay/2026/12/02/req-1.json';
const RECORD: RecordKey = { pk: 'session#ci#bot/7', startedAtId: '2026-12-02T10:00:00.000Z#req-1' };

function stores(options: { failPart?: number } = {}) {
  const objects = new Map<string, Buffer>();
  const updates: Array<Record<string, unknown>> = [];
  const deps = {
    replay: {
      put: async (key: string, bytes: Buffer) => {
        if (options.failPart !== undefined && key === streamPartKey(KEY, options.failPart)) throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
        objects.set(key, bytes);
      },
    },
    records: {
      complete: async (key: RecordKey, attributes: Record<string, unknown>) => {
        expect(key).toEqual(RECORD);
        updates.push(attributes);
      },
    },
    log: () => undefined,
    metric: () => undefined,
  };
  const parts = (n: number) => Array.from({ length: n }, (_, i) => objects.get(streamPartKey(KEY, i + 1)));
  return { deps, objects, updates, parts };
}

const event = (name: string) => Buffer.from(`{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"${name}"}}}\n`);

describe('recording a stream while it flows', () => {
  it('writes a part once its first unit is 5 s old, and notes it on the record', async () => {
    // Arrange
    const s = stores();
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 1_000);
    // Act
    recorder.add(event('a'), 1_200);
    recorder.add(event('b'), 3_000);
    recorder.tick(6_100);
    const recording = await recorder.finish();
    // Assert
    expect(recording).toMatchObject({ parts: 1, units: 2 });
    const part = JSON.parse(s.objects.get(streamPartKey(KEY, 1))!.toString()) as StreamPart;
    expect(part.units.map((u) => u.atMs)).toEqual([200, 2000]);
    expect(part.units[0]!.data).toContain('"name":"a"');
    expect(s.updates).toEqual([{ streamParts: 1, streamLastPartSha256: recording.lastPartSha256 }]);
  });

  it('keeps a unit that waits less than 5 s for the next part, and writes it at the end', async () => {
    const s = stores();
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0);
    recorder.add(event('a'), 100);
    recorder.tick(4_000);
    expect(s.objects.size).toBe(0);
    const recording = await recorder.finish();
    expect(recording.parts).toBe(1);
  });

  it('writes a part as soon as 256 KiB wait', async () => {
    const s = stores();
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0);
    recorder.add(Buffer.alloc(300 * 1024, 'x'), 10);
    recorder.add(event('after'), 20);
    const recording = await recorder.finish();
    expect(recording.parts).toBe(2);
  });

  it('stops recording at the byte cap and says so', async () => {
    const s = stores();
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0, { maxBytes: 100 });
    recorder.add(event('a'), 1);
    recorder.add(event('b'), 2);
    expect(await recorder.finish()).toMatchObject({ units: 1, truncated: true });
  });

  it('records nothing for a stream on which nothing flowed', async () => {
    const s = stores();
    expect(await new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0).finish()).toEqual({ parts: 0, units: 0, bytes: 0 });
    expect(s.objects.size).toBe(0);
  });

  it('chains parts so that replay can prove them whole and in order', async () => {
    // Arrange: three parts.
    const s = stores();
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0);
    for (const [i, at] of [[1, 10], [2, 6_000], [3, 12_000]] as const) {
      recorder.add(event(`p${i}`), at);
      recorder.tick(at + 5_000);
    }
    const recording = await recorder.finish();
    // Act
    const intact = checkStreamParts('req-1', s.parts(3), recording);
    const parts = s.parts(3);
    const swapped = checkStreamParts('req-1', [parts[1], parts[0], parts[2]], recording);
    const truncated = checkStreamParts('req-1', parts.slice(0, 2), { parts: 2, lastPartSha256: recording.lastPartSha256 });
    const missing = checkStreamParts('req-1', [parts[0], undefined, parts[2]], recording);
    const edited = checkStreamParts('req-1', [parts[0], parts[1], Buffer.from(parts[2]!.toString().replace('p3', 'p4'))], recording);
    // Assert
    expect(intact).toMatchObject({ ok: true });
    expect(intact.units.map((u) => u.data.match(/"name":"(\w+)"/)![1])).toEqual(['p1', 'p2', 'p3']);
    expect(swapped).toMatchObject({ ok: false, problem: expect.stringMatching(/part 1 belongs to request req-1 part 2/) });
    expect(truncated).toMatchObject({ ok: false, problem: expect.stringMatching(/the last part has SHA-256 .* the record says/) });
    expect(missing).toMatchObject({ ok: false, problem: 'part 2 of 3 is missing' });
    expect(edited).toMatchObject({ ok: false, problem: expect.stringMatching(/the last part has SHA-256/) });
  });

  it('counts a part the replay store refused, and keeps writing the parts after it', async () => {
    const s = stores({ failPart: 1 });
    const recorder = new StreamRecorder(s.deps, 'req-1', RECORD, KEY, 0);
    recorder.add(event('a'), 0);
    recorder.tick(5_000);
    recorder.add(event('b'), 6_000);
    const recording = await recorder.finish();
    expect(recording).toMatchObject({ parts: 2, failedParts: 1 });
    expect(s.objects.has(streamPartKey(KEY, 2))).toBe(true);
    expect(checkStreamParts('req-1', s.parts(2), recording)).toMatchObject({ ok: false, problem: 'part 1 of 2 is missing' });
  });

  it('puts parts next to the blob, in its own folder, in order by name', () => {
    expect(streamPartKey(KEY, 1)).toBe('replay/2026/12/02/req-1/part-000001.json');
    expect(streamPartKey(KEY, 12) > streamPartKey(KEY, 9)).toBe(true);
  });
});

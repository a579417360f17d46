import { createHash } from 'node:crypto';
import { loadEntry } from '../../../cli/record-reader';
import type { Target } from '../../../cli/target';
import { renderEntry } from '../../../cli/transcript';
import type { RequestRecord } from '../../../cli/types';
import { encodeStreamPart, streamPartKey, type RecordedUnit } from '../../../lambdas/core/stream-recording';

/**
 * `gatehouse replay` of a watch: the blob points to chained parts; each event is shown with its time, and a part
 * changed or missing withholds the stream with an integrity failure.
 */
const KEY = 'replay/2026/12/02/w1.json';
const unit = (atMs: number, data: string): RecordedUnit => ({ atMs, encoding: 'utf8', data });
const added = (name: string) => `{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"${name}","namespace":"staging","resourceVersion":"7"}}}\n`;

function recordedWatch() {
  const first = encodeStreamPart({ version: 1, requestId: 'w1', part: 1, previousSha256: null, units: [unit(120, added('a')), unit(2500, added('b'))] });
  const second = encodeStreamPart({ version: 1, requestId: 'w1', part: 2, previousSha256: first.sha256, units: [unit(7000, '{"type":"DELETED","object":{"kind":"ConfigMap","metadata":{"name":"a","namespace":"staging"}}}\n')] });
  const summary = { parts: 2, units: 3, bytes: 400, lastPartSha256: second.sha256, durationMs: 9000, endedBy: 'client' };
  const blob = Buffer.from(JSON.stringify({ version: 1, requestId: 'w1', request: { method: 'GET', path: '/api/v1/namespaces/staging/configmaps', query: 'watch=true', headers: {} }, response: { status: 200, headers: { 'content-type': 'application/json' }, stream: summary } }));
  const objects = new Map<string, Buffer>([[KEY, blob], [streamPartKey(KEY, 1), first.bytes], [streamPartKey(KEY, 2), second.bytes]]);
  const record: RequestRecord = {
    pk: 'req#w1', requestId: 'w1', startedAt: '2026-12-02T10:00:00Z', phase: 'complete', verb: 'watch', method: 'GET', path: '/api/v1/namespaces/staging/configmaps', query: 'watch=true',
    replayKey: KEY, replaySha256: createHash('sha256').update(blob).digest('hex'), streamParts: 2, streamLastPartSha256: second.sha256,
  } as RequestRecord;
  return { objects, record };
}

function target(objects: Map<string, Buffer>): Target {
  return {
    replayBucket: 'b',
    s3: {
      send: async (command: { input: { Key: string } }) => {
        const body = objects.get(command.input.Key);
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      },
    },
  } as unknown as Target;
}

describe('replaying a recorded watch', () => {
  it('shows each event with its time since the watch opened, then how the stream ended', async () => {
    // Arrange
    const { objects, record } = recordedWatch();
    // Act
    const text = renderEntry(await loadEntry(target(objects), record));
    // Assert
    const lines = text.split('\n').filter((l) => l.startsWith('[+'));
    expect(lines).toEqual([
      '[+0.120s] ADDED    ConfigMap staging/a (resourceVersion 7)',
      '[+2.500s] ADDED    ConfigMap staging/b (resourceVersion 7)',
      '[+7.000s] DELETED  ConfigMap staging/a',
    ]);
    expect(text).toContain('(stream of 3 events, 400 bytes, 9.0 s, ended by client)');
  });

  it.each<[string, (objects: Map<string, Buffer>) => void, RegExp]>([
    ['a part deleted', (o) => o.delete(streamPartKey(KEY, 2)), /part 2 of 2 is missing/],
    ['a part edited', (o) => o.set(streamPartKey(KEY, 1), Buffer.from(o.get(streamPartKey(KEY, 1))!.toString().replace('\\"b\\"', '\\"c\\"'))), /part 2 does not follow part 1/],
    ['the parts swapped', (o) => { const one = o.get(streamPartKey(KEY, 1))!; o.set(streamPartKey(KEY, 1), o.get(streamPartKey(KEY, 2))!); o.set(streamPartKey(KEY, 2), one); }, /part 1 belongs to request w1 part 2/],
  ])('withholds the stream and reports an integrity failure when %s', async (_case, tamper, problem) => {
    // Arrange
    const { objects, record } = recordedWatch();
    tamper(objects);
    // Act
    const entry = await loadEntry(target(objects), record);
    const text = renderEntry(entry);
    // Assert
    expect(entry).toMatchObject({ integrity: 'mismatch', streamProblem: expect.stringMatching(problem) });
    expect(text).toMatch(/!! INTEGRITY FAILURE: the recorded stream of request w1 fails its check/);
    expect(text).not.toContain('[+0.120s]');
  });

  it('shows what passed of a stream whose Lambda died before completing the record', async () => {
    // Arrange: no blob; the record names the one part written.
    const { objects, record } = recordedWatch();
    objects.delete(KEY);
    const died = { ...record, phase: 'intent', replayKey: undefined, replaySha256: undefined, streamParts: 1, streamLastPartSha256: createHash('sha256').update(objects.get(streamPartKey(KEY, 1))!).digest('hex') } as RequestRecord;
    // Act
    const text = renderEntry(await loadEntry(target(objects), died));
    // Assert
    expect(text.split('\n').filter((l) => l.startsWith('[+'))).toHaveLength(2);
    expect(text).toContain('its Lambda stopped before completing the record');
  });
});

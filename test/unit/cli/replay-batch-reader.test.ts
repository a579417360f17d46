import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadEntries, loadEntry } from '../../../cli/record-reader';
import { ReplayBatchReader } from '../../../cli/replay-batch-reader';
import type { Target } from '../../../cli/target';
import type { RequestRecord } from '../../../cli/types';
import { encodeReplayBatchLine, replayBatchFolder, replayBatchPartition } from '../../../lambdas/core/replay-batch';

const SESSION_KEY = 'session#ci#bot/run-1';
const FOLDER = replayBatchFolder(replayBatchPartition(SESSION_KEY));

function blob(requestId: string, status = 200): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(JSON.stringify({ version: 1, requestId, response: { status, headers: {} } }));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function record(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    pk: `req#${requestId}`, requestId, startedAt: '2026-12-01T10:00:00.000Z', latencyMs: 20, phase: 'complete', sessionKey: SESSION_KEY,
    replayKey: `replay/2026/12/01/${requestId}.json`, replaySha256: blob(requestId).sha256, replayVia: 'batch', ...overrides,
  };
}

function line(requestId: string, content = blob(requestId)): Buffer {
  return encodeReplayBatchLine(replayBatchPartition(SESSION_KEY), { key: `replay/2026/12/01/${requestId}.json`, ...content })!;
}

/** An S3 bucket in memory that counts listings and GETs. */
function bucket(objects: Map<string, Buffer>) {
  const calls = { lists: 0, gets: 0 };
  const s3 = {
    send: async (command: unknown) => {
      if (command instanceof ListObjectsV2Command) {
        calls.lists++;
        const prefix = command.input.Prefix ?? '';
        return { Contents: [...objects.keys()].filter((k) => k.startsWith(prefix)).sort().map((Key) => ({ Key })) };
      }
      if (command instanceof GetObjectCommand) {
        calls.gets++;
        const body = objects.get(command.input.Key!);
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      }
      throw new Error('unexpected command');
    },
  };
  const target = { kind: 'stack', replayBucket: 'replay', replayBatchBufferSeconds: 60, s3 } as unknown as Target;
  return { target, calls };
}

describe('replay of batched blobs', () => {
  it('finds each blob of a session in its batches, reading the folder once for all of them', async () => {
    // Arrange: two batch objects of the session, three requests.
    const objects = new Map([
      [`${FOLDER}gatehouse-replay-1-2026-12-01-10-01-00-a`, Buffer.concat([line('r1'), line('r2')])],
      [`${FOLDER}gatehouse-replay-1-2026-12-01-10-02-00-b`, line('r3')],
    ]);
    const { target, calls } = bucket(objects);

    // Act
    const entries = await loadEntries(target, [record('r1'), record('r2'), record('r3')]);

    // Assert
    expect(entries.map((e) => [e.integrity, e.blob?.requestId])).toEqual([['ok', 'r1'], ['ok', 'r2'], ['ok', 'r3']]);
    expect(calls).toEqual({ lists: 1, gets: 2 });
  });

  it('reports a blob whose copy in the batch differs from the record as an integrity failure, without its content', async () => {
    // Arrange: someone rewrote the line, with a hash of its own that matches the new content.
    const forged = blob('r1', 201);
    const { target } = bucket(new Map([[`${FOLDER}batch-a`, line('r1', forged)]]));

    // Act
    const entry = await loadEntry(target, record('r1'));

    // Assert
    expect(entry).toMatchObject({ integrity: 'mismatch', actualSha256: forged.sha256 });
    expect(entry.blob).toBeUndefined();
  });

  it('accepts a blob Firehose delivered twice', async () => {
    const { target } = bucket(new Map([[`${FOLDER}batch-a`, line('r1')], [`${FOLDER}batch-b`, line('r1')]]));

    expect((await loadEntry(target, record('r1'))).integrity).toBe('ok');
  });

  it('finds a blob the proxy wrote as an object because the delivery stream refused it', async () => {
    const { bytes } = blob('r1');
    const { target } = bucket(new Map([['replay/2026/12/01/r1.json', bytes]]));

    const entry = await loadEntry(target, record('r1'), () => new Date('2026-12-02T00:00:00Z'));

    expect(entry).toMatchObject({ integrity: 'ok', blob: { requestId: 'r1' } });
  });

  it('reports a blob gone past the delivery window as missing, naming the damaged lines of the session', async () => {
    const { target } = bucket(new Map([[`${FOLDER}batch-a`, Buffer.concat([line('r2'), Buffer.from('{"v":1,"k":"replay/2026/12/01/r1.json","h":"00","z":"AAAA"}\n')])]]));

    const entry = await loadEntry(target, record('r1'), () => new Date('2026-12-01T10:05:00Z'));

    expect(entry.integrity).toBe('missing');
    expect(entry.batchProblems).toEqual([expect.stringMatching(/batch-a line 2 \(replay\/2026\/12\/01\/r1\.json\) does not decompress/)]);
  });

  it('says a fresh blob is still being delivered instead of calling it missing', async () => {
    // Arrange: the request ended 10 s ago; its batch is not written yet.
    const { target } = bucket(new Map());
    let now = Date.parse('2026-12-01T10:00:10Z');
    const reader = new ReplayBatchReader(target, () => now, async (ms) => { now += ms; });

    // Act: the reader waits (on its clock) for up to 15 s, then gives up.
    const lookup = await reader.find(record('r1'));

    // Assert
    expect(lookup.copies).toEqual([]);
    expect(now - Date.parse('2026-12-01T10:00:10Z')).toBe(15_000);
    const entry = await loadEntry(target, record('r1'), () => new Date('2026-12-01T10:00:30Z'));
    expect(entry.integrity).toBe('delivering');
  });

  it('answers at once that a fresh blob is still being delivered when asked not to wait (follow mode polls instead)', async () => {
    const { target, calls } = bucket(new Map());
    const startedAt = new Date(Date.now() - 2000).toISOString();

    const entry = await loadEntry(target, record('r1', { startedAt }), () => new Date(), 0);

    expect(entry.integrity).toBe('delivering');
    expect(calls.lists).toBe(1);
  });

  it('sees a batch written since its last look when asked again a second later without waiting (replay --follow polls so)', async () => {
    // Arrange
    const objects = new Map<string, Buffer>();
    const { target, calls } = bucket(objects);
    let now = Date.parse('2026-12-01T10:00:01Z');
    const reader = new ReplayBatchReader(target, () => now);
    expect((await reader.find(record('r1'), 0)).copies).toHaveLength(0);

    // Act: the batch is written; the caller asks again at once, then two seconds later.
    objects.set(`${FOLDER}batch-a`, line('r1'));
    const atOnce = await reader.find(record('r1'), 0);
    now += 2000;
    const later = await reader.find(record('r1'), 0);

    // Assert
    expect(atOnce.copies).toHaveLength(0);
    expect(later.copies).toHaveLength(1);
    expect(calls.lists).toBe(2);
  });

  it('waits for a batch that is written while it looks, and reads only the new object', async () => {
    // Arrange
    const objects = new Map([[`${FOLDER}batch-a`, line('r2')]]);
    const { target, calls } = bucket(objects);
    let now = Date.parse('2026-12-01T10:00:01Z');
    const reader = new ReplayBatchReader(target, () => now, async (ms) => {
      now += ms;
      if (now >= Date.parse('2026-12-01T10:00:04Z')) objects.set(`${FOLDER}batch-b`, line('r1'));
    });

    // Act
    const lookup = await reader.find(record('r1'));

    // Assert
    expect(lookup.copies).toHaveLength(1);
    expect(calls.gets).toBe(2);
    expect(calls.lists).toBe(4);
  });
});

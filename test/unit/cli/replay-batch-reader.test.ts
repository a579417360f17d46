import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadEntries, loadEntry } from '../../../cli/record-reader';
import { ReplayBatchReader } from '../../../cli/replay-batch-reader';
import type { Target } from '../../../cli/target';
import type { RequestRecord } from '../../../cli/types';
import { encodeReplayBatchLine, legacyReplayBatchFolder, replayBatchHourPrefix, replayBatchPartition } from '../../../lambdas/core/replay-batch';

const SESSION_KEY = 'session#ci#bot/run-1';
const OTHER_SESSION_KEY = 'session#ci#bot/run-2';
/** Most records here end at 10:30:00.020, the middle of an hour, so one hour prefix is listed. */
const STARTED_AT = '2026-12-01T10:30:00.000Z';

function blob(requestId: string, status = 200): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(JSON.stringify({ version: 1, requestId, response: { status, headers: {} } }));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const keyOf = (requestId: string): string => `replay/2026/12/01/${requestId}.json`;

function record(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    pk: SESSION_KEY, requestId, startedAt: STARTED_AT, latencyMs: 20, phase: 'complete', sessionKey: SESSION_KEY,
    replayKey: keyOf(requestId), replaySha256: blob(requestId).sha256, replayVia: 'batch', ...overrides,
  };
}

function line(requestId: string, content = blob(requestId), sessionKey = SESSION_KEY): Buffer {
  return encodeReplayBatchLine(replayBatchPartition(sessionKey), { key: keyOf(requestId), ...content })!;
}

let uuids = 0;
/** Firehose's name for an object whose oldest record arrived at `at`: under that hour, the time to the second. */
function objectKey(at: string, stream = 'gatehouse-replay-batches'): string {
  const t = Date.parse(at);
  const time = new Date(t).toISOString().slice(0, 19).replace(/[-T:]/g, '-');
  return `${replayBatchHourPrefix(t)}${stream}-1-${time}-0a1b2c3d-4e5f-4a6b-8c7d-${String(++uuids).padStart(12, '0')}`;
}

/** An S3 bucket in memory that counts listings (by prefix) and GETs (by key). */
function bucket(objects: Map<string, Buffer>) {
  const calls = { lists: 0, gets: 0, listed: [] as string[], got: [] as string[] };
  const s3 = {
    send: async (command: unknown) => {
      if (command instanceof ListObjectsV2Command) {
        calls.lists++;
        const prefix = command.input.Prefix ?? '';
        calls.listed.push(prefix);
        return { Contents: [...objects.keys()].filter((k) => k.startsWith(prefix)).sort().map((Key) => ({ Key })) };
      }
      if (command instanceof GetObjectCommand) {
        const body = objects.get(command.input.Key!);
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        calls.gets++;
        calls.got.push(command.input.Key!);
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      }
      throw new Error('unexpected command');
    },
  };
  const target = { kind: 'stack', replayBucket: 'replay', replayBatchBufferSeconds: 60, s3 } as unknown as Target;
  return { target, calls };
}

/** Long after every record here: their delivery windows are over, so nothing waits. */
const LATER = () => new Date('2026-12-02T00:00:00Z');

afterEach(() => jest.restoreAllMocks());

describe('replay of batched blobs', () => {
  it('finds each blob of a command in the objects around its time, listing the hour once and reading each object once', async () => {
    // Arrange: three requests a minute apart; Firehose wrote two objects.
    const objects = new Map([
      [objectKey('2026-12-01T10:30:00Z'), Buffer.concat([line('r1'), line('r2')])],
      [objectKey('2026-12-01T10:31:05Z'), line('r3')],
    ]);
    const { target, calls } = bucket(objects);
    const records = [record('r1'), record('r2', { latencyMs: 40_000 }), record('r3', { latencyMs: 80_000 })];

    // Act
    const entries = await loadEntries(target, records);

    // Assert
    expect(entries.map((e) => [e.integrity, e.blob?.requestId])).toEqual([['ok', 'r1'], ['ok', 'r2'], ['ok', 'r3']]);
    expect(calls).toMatchObject({ lists: 1, gets: 2, listed: ['replay-batches/2026/12/01/10/'] });
  });

  it("on a busy gateway, keeps only the wanted session's lines of the objects every session shares and decompresses only the wanted one", async () => {
    // Arrange: each object holds 40 requests of other sessions around one of ours; another session's line is damaged.
    const others = (n: number) => Array.from({ length: 40 }, (_, i) => line(`other-${n}-${i}`, blob(`other-${n}-${i}`), `${OTHER_SESSION_KEY}-${i}`));
    const damaged = Buffer.from(`${JSON.stringify({ v: 1, p: replayBatchPartition(OTHER_SESSION_KEY), k: keyOf('other-x'), h: '00', z: 'AAAA' })}\n`);
    const objects = new Map([
      [objectKey('2026-12-01T10:29:10Z'), Buffer.concat([...others(1), damaged])],
      [objectKey('2026-12-01T10:29:59Z'), Buffer.concat([...others(2).slice(0, 20), line('r1'), ...others(2).slice(20)])],
      [objectKey('2026-12-01T10:30:58Z'), Buffer.concat(others(3))],
    ]);
    const { target } = bucket(objects);
    const reader = new ReplayBatchReader(target, () => LATER().getTime());
    const gunzip = jest.spyOn(zlib, 'gunzipSync');

    // Act
    const lookup = await reader.find(record('r1'));

    // Assert
    expect(lookup.copies.map((c) => c.bytes.toString())).toEqual([blob('r1').bytes.toString()]);
    expect(lookup.problems).toEqual([]);
    expect(gunzip).toHaveBeenCalledTimes(1);
  });

  it('reads the objects nearest the record first and stops once one holds an intact copy', async () => {
    // Arrange: eight objects around the record's end (10:30:00), its line in the one opened two seconds before.
    const offsets = [-50, -35, -20, -2, 15, 30, 45, 60];
    const keys = offsets.map((s) => objectKey(new Date(Date.parse('2026-12-01T10:30:00Z') + s * 1000).toISOString()));
    const objects = new Map(keys.map((key, i) => [key, offsets[i] === -2 ? line('r1') : line(`other-${i}`)]));
    const { target, calls } = bucket(objects);

    // Act
    const entry = await loadEntry(target, record('r1'), LATER);

    // Assert: the four nearest are read at once (the concurrency), the rest not.
    expect(entry.integrity).toBe('ok');
    expect(calls.got.sort()).toEqual([keys[2], keys[3], keys[4], keys[5]].sort());
  });

  it("finds a record whose line landed in the next hour's prefix", async () => {
    // Arrange: the request ended two seconds before 11:00; its line arrived, and its object opened, after.
    const { target, calls } = bucket(new Map([[objectKey('2026-12-01T11:00:03Z'), line('r1')]]));

    // Act
    const entry = await loadEntry(target, record('r1', { startedAt: '2026-12-01T10:59:58.000Z' }), LATER);

    // Assert
    expect(entry).toMatchObject({ integrity: 'ok', blob: { requestId: 'r1' } });
    expect(calls.listed).toEqual(['replay-batches/2026/12/01/10/', 'replay-batches/2026/12/01/11/']);
  });

  it.each([
    ['in one object', () => new Map([[objectKey('2026-12-01T10:30:00Z'), Buffer.concat([line('r1'), line('r1')])]])],
    ['in two objects', () => new Map([[objectKey('2026-12-01T10:30:00Z'), line('r1')], [objectKey('2026-12-01T10:30:30Z'), line('r1')]])],
  ])('accepts a blob Firehose delivered twice %s', async (_name, objects) => {
    const { target } = bucket(objects());

    expect((await loadEntry(target, record('r1'), LATER)).integrity).toBe('ok');
  });

  it.each([
    // Someone rewrote the line, with a hash of its own that matches the new content.
    ['only a rewritten copy', [line('r1', blob('r1', 201))], { integrity: 'mismatch', actualSha256: blob('r1', 201).sha256 }],
    ['a rewritten copy and an intact one', [line('r1', blob('r1', 201)), line('r1')], { integrity: 'ok' }],
    ['a line whose blob is not what its own hash says', [line('r1', { bytes: blob('r1', 201).bytes, sha256: blob('r1').sha256 })],
      { integrity: 'missing', batchProblems: [expect.stringMatching(/line 1 \(replay\/2026\/12\/01\/r1\.json\) holds a blob with SHA-256 [0-9a-f]{64}, the line says/)] }],
    ['a line that does not decompress', [Buffer.from(`{"v":1,"p":"${replayBatchPartition(SESSION_KEY)}","k":"replay/2026/12/01/r1.json","h":"00","z":"AAAA"}\n`)],
      { integrity: 'missing', batchProblems: [expect.stringMatching(/line 1 \(replay\/2026\/12\/01\/r1\.json\) does not decompress/)] }],
  ])('judges a record whose object holds %s', async (_name, lines, expected) => {
    // Arrange
    const { target } = bucket(new Map([[objectKey('2026-12-01T10:30:00Z'), Buffer.concat(lines)]]));

    // Act
    const entry = await loadEntry(target, record('r1'), LATER);

    // Assert
    expect(entry).toMatchObject(expected);
    if (entry.integrity !== 'ok') expect(entry.blob).toBeUndefined();
  });

  it('reports objects that are not replay lines or not gzip as problems, and still reads the others', async () => {
    // Arrange: a binary file, an object that starts like gzip and is not, and the record's object.
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));
    const objects = new Map([
      [objectKey('2026-12-01T10:30:01Z'), garbage],
      [objectKey('2026-12-01T10:30:02Z'), Buffer.from([0x1f, 0x8b, 1, 2, 3])],
      [objectKey('2026-12-01T10:30:03Z'), line('r2')],
    ]);
    const { target } = bucket(objects);

    // Act
    const [found, missing] = await loadEntries(target, [record('r2'), record('r1')]);

    // Assert
    expect(found!.integrity).toBe('ok');
    expect(missing!.integrity).toBe('missing');
    expect(missing!.batchProblems).toEqual(expect.arrayContaining([
      expect.stringMatching(/10-30-01-.* line \d+ is not (JSON|a version 1 replay record)$/),
      expect.stringMatching(/10-30-01-.*: \d+ more lines that are not replay records$/),
      expect.stringMatching(/10-30-02-.* is gzip-compressed but does not decompress$/),
    ]));
    expect(missing!.batchProblems!.filter((p) => p.includes('10-30-01-'))).toHaveLength(6);
  });

  it('reads an object gzipped whole, as a stream with GZIP compression writes it', async () => {
    const { target } = bucket(new Map([[`${objectKey('2026-12-01T10:30:00Z')}.gz`, zlib.gzipSync(line('r1'))]]));

    expect((await loadEntry(target, record('r1'), LATER)).integrity).toBe('ok');
  });

  it("reads only the objects named within the stream's interval and slack of the record's end, and any name Firehose did not give", async () => {
    // Arrange: the line is in an object named too long before and one too long after; a foreign name holds it too.
    const objects = new Map([
      [objectKey('2026-12-01T10:28:20Z'), line('r1')],
      [objectKey('2026-12-01T10:31:40Z'), line('r1')],
      ['replay-batches/2026/12/01/10/copied-by-hand.jsonl', line('r2')],
    ]);
    const { target, calls } = bucket(objects);

    // Act
    const entry = await loadEntry(target, record('r1'), LATER);

    // Assert
    expect(entry.integrity).toBe('missing');
    expect(calls.got).toEqual(['replay-batches/2026/12/01/10/copied-by-hand.jsonl']);
  });

  it('finds the blobs of records written before issue 9 in their session folder, listing it once', async () => {
    // Arrange: the partitioned layout put a session's lines under replay-batches/session=<p>/.
    const folder = legacyReplayBatchFolder(replayBatchPartition(SESSION_KEY));
    const objects = new Map([[`${folder}gatehouse-replay-batches-1-2026-12-01-10-30-00-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`, Buffer.concat([line('r1'), line('r2')])]]);
    const { target, calls } = bucket(objects);

    // Act
    const entries = await loadEntries(target, [record('r1'), record('r2')], undefined, 1);

    // Assert
    expect(entries.map((e) => e.integrity)).toEqual(['ok', 'ok']);
    expect(calls.listed).toEqual(['replay-batches/2026/12/01/10/', folder]);
  });

  it('reads a shared object once for a command that loads the entries of several sessions', async () => {
    // Arrange: one object holds lines of two sessions, both in the command's records.
    const objects = new Map([[objectKey('2026-12-01T10:30:00Z'), Buffer.concat([line('r1'), line('r2', blob('r2'), OTHER_SESSION_KEY), line('r3')])]]);
    const { target, calls } = bucket(objects);
    const records = [record('r1'), record('r2', { sessionKey: OTHER_SESSION_KEY, pk: OTHER_SESSION_KEY }), record('r3')];

    // Act: one at a time, as when a command has more records than it loads at once.
    const entries = await loadEntries(target, records, undefined, 1);

    // Assert
    expect(entries.map((e) => e.integrity)).toEqual(['ok', 'ok', 'ok']);
    expect(calls.gets).toBe(1);
  });

  it("reads a shared object again only for a session whose lines it left out", async () => {
    // Arrange: one object holds a line of each session; r1 and r3 are ours, r2 another session's.
    const objects = new Map([[objectKey('2026-12-01T10:30:00Z'), Buffer.concat([line('r1'), line('r2', blob('r2'), OTHER_SESSION_KEY), line('r3')])]]);
    const { target, calls } = bucket(objects);
    const reader = new ReplayBatchReader(target, () => LATER().getTime());

    // Act
    const ours = await reader.find(record('r1'));
    const alsoOurs = await reader.find(record('r3'));
    const theirs = await reader.find(record('r2', { sessionKey: OTHER_SESSION_KEY }));

    // Assert
    expect([ours, alsoOurs, theirs].map((l) => l.copies.length)).toEqual([1, 1, 1]);
    expect(calls.gets).toBe(2);
  });

  it('finds a blob the proxy wrote as an object because the delivery stream refused it', async () => {
    const { bytes } = blob('r1');
    const { target } = bucket(new Map([['replay/2026/12/01/r1.json', bytes]]));

    const entry = await loadEntry(target, record('r1'), LATER);

    expect(entry).toMatchObject({ integrity: 'ok', blob: { requestId: 'r1' } });
  });

  it('says a fresh blob is still being delivered instead of calling it missing', async () => {
    // Arrange: the request ended 10 s ago; its batch is not written yet.
    const { target } = bucket(new Map());
    let now = Date.parse('2026-12-01T10:30:10Z');
    const reader = new ReplayBatchReader(target, () => now, async (ms) => { now += ms; });

    // Act: the reader waits (on its clock) for up to 15 s, then gives up.
    const lookup = await reader.find(record('r1'));

    // Assert
    expect(lookup.copies).toEqual([]);
    expect(now - Date.parse('2026-12-01T10:30:10Z')).toBe(15_000);
    const entry = await loadEntry(target, record('r1'), () => new Date('2026-12-01T10:30:30Z'));
    expect(entry.integrity).toBe('delivering');
  });

  it('answers at once that a fresh blob is still being delivered when asked not to wait (follow mode polls instead)', async () => {
    const { target, calls } = bucket(new Map());
    const startedAt = new Date(Date.now() - 2000).toISOString();

    const entry = await loadEntry(target, record('r1', { startedAt }), () => new Date(), 0);

    expect(entry.integrity).toBe('delivering');
    // The hours of the window once each, and the legacy session folder once.
    expect(new Set(calls.listed).size).toBe(calls.listed.length);
  });

  it('sees a batch written since its last look when asked again a second later without waiting (replay --follow polls so)', async () => {
    // Arrange
    const objects = new Map<string, Buffer>();
    const { target, calls } = bucket(objects);
    let now = Date.parse('2026-12-01T10:30:01Z');
    const reader = new ReplayBatchReader(target, () => now);
    expect((await reader.find(record('r1'), 0)).copies).toHaveLength(0);

    // Act: the batch is written; the caller asks again at once, then two seconds later.
    objects.set(objectKey('2026-12-01T10:30:00Z'), line('r1'));
    const atOnce = await reader.find(record('r1'), 0);
    now += 2000;
    const later = await reader.find(record('r1'), 0);

    // Assert
    expect(atOnce.copies).toHaveLength(0);
    expect(later.copies).toHaveLength(1);
    const hour = 'replay-batches/2026/12/01/10/';
    expect(calls.listed).toEqual([hour, legacyReplayBatchFolder(replayBatchPartition(SESSION_KEY)), hour]);
  });

  it('waits for a batch that is written while it looks, and reads only the new object', async () => {
    // Arrange
    const objects = new Map([[objectKey('2026-12-01T10:29:50Z'), line('r2')]]);
    const { target, calls } = bucket(objects);
    let now = Date.parse('2026-12-01T10:30:01Z');
    const reader = new ReplayBatchReader(target, () => now, async (ms) => {
      now += ms;
      if (now >= Date.parse('2026-12-01T10:30:04Z')) objects.set(objectKey('2026-12-01T10:30:00Z'), line('r1'));
    });

    // Act
    const lookup = await reader.find(record('r1'));

    // Assert: the hour listed on the first look and each second after, until the object is there.
    expect(lookup.copies).toHaveLength(1);
    expect(calls.gets).toBe(2);
    expect(calls.listed.filter((p) => p === 'replay-batches/2026/12/01/10/')).toHaveLength(4);
  });
});

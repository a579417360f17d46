import { createHash } from 'node:crypto';
import { exportLine } from '../../../cli/commands/export';
import { loadEntry } from '../../../cli/record-reader';
import type { Target } from '../../../cli/target';
import type { RequestRecord } from '../../../cli/types';

const blobBytes = Buffer.from(JSON.stringify({ version: 1, requestId: 'r1', response: { status: 200, headers: {} } }));
const sha = createHash('sha256').update(blobBytes).digest('hex');
const record = (overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  pk: 'req#r1', requestId: 'r1', startedAt: '2026-01-01T00:00:00Z', phase: 'complete', replayKey: 'replay/2026/01/01/r1.json', replaySha256: sha, ...overrides,
});

function targetWithObject(body: Buffer | undefined): Target {
  return {
    replayBucket: 'b',
    s3: {
      send: async () => {
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      },
    },
  } as unknown as Target;
}

describe('loadEntry', () => {
  it('returns the blob when its SHA-256 matches the record', async () => {
    const entry = await loadEntry(targetWithObject(blobBytes), record());

    expect(entry.integrity).toBe('ok');
    expect(entry.blob?.requestId).toBe('r1');
  });

  it('reports a changed blob as a mismatch and does not return its content', async () => {
    const tampered = Buffer.from(blobBytes.toString().replace('200', '201'));

    const entry = await loadEntry(targetWithObject(tampered), record());

    expect(entry).toMatchObject({ integrity: 'mismatch', actualSha256: createHash('sha256').update(tampered).digest('hex') });
    expect(entry.blob).toBeUndefined();
  });

  it('reports a blob the record names but that is gone as missing', async () => {
    expect((await loadEntry(targetWithObject(undefined), record())).integrity).toBe('missing');
  });

  it.each<[Partial<RequestRecord>, string]>([
    [{ phase: 'intent', replayKey: undefined, replaySha256: undefined }, 'pending'],
    [{ replayMissing: true, replayKey: undefined }, 'not-written'],
  ])('knows a record without a blob: %j', async (overrides, integrity) => {
    expect((await loadEntry(targetWithObject(undefined), record(overrides))).integrity).toBe(integrity);
  });
});

describe('exportLine', () => {
  it('drops table keys, leads with the identifying fields and adds the integrity result', () => {
    const line = exportLine({ record: record({ sessionKey: 'session#x#y', agent: 'a', status: 200 } as Partial<RequestRecord>), integrity: 'ok' });

    expect(line.type).toBe('gatehouse.request');
    expect(Object.keys(line).slice(0, 4)).toEqual(['type', 'requestId', 'startedAt', 'agent']);
    expect(line).not.toHaveProperty('pk');
    expect(line).not.toHaveProperty('sessionKey');
    expect(line.integrity).toBe('ok');
  });
});

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  decodeReplayBatch, encodeReplayBatchLine, REPLAY_BATCH_BUFFER_MIB, REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PREFIX, replayBatchHourPrefix, replayBatchObjectTime,
} from '../../../lambdas/core/replay-batch';
import { startFirehoseStandIn, type FirehoseDeliveredObject, type FirehoseStandIn, type FirehoseStandInStream } from '../../../local/firehose-stand-in';
import { startS3Server, type S3Server } from '../../../local/s3-server';

const REGION = 'us-east-1';
const CALLER = { accessKeyId: 'AKIAFIREHOSETEST0001', secretAccessKey: 'firehose-stand-in-test-secret' };
const BUCKET = 'replays';
const STREAM: FirehoseStandInStream = {
  name: 'gatehouse-replays', bucket: BUCKET, prefix: REPLAY_BATCH_PREFIX, errorOutputPrefix: REPLAY_BATCH_ERROR_PREFIX,
  bufferIntervalSeconds: 900, bufferSizeBytes: REPLAY_BATCH_BUFFER_MIB * 1024 * 1024,
};
/** Firehose's object name: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`. */
const objectName = (stream: string): RegExp => new RegExp(`^${stream}-1-\\d{4}(-\\d\\d){5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);

let s3Server: S3Server;
let s3: S3Client;
let standIn: FirehoseStandIn | undefined;
let firehose: FirehoseClient;
let logLines: string[];
let firstLogLine: Promise<string>;

beforeAll(async () => {
  s3Server = await startS3Server({ directory: fs.mkdtempSync(path.join(os.tmpdir(), 'firehose-stand-in-')), buckets: [BUCKET], credentials: CALLER });
  s3 = new S3Client({
    endpoint: s3Server.endpoint, region: REGION, forcePathStyle: true, credentials: CALLER,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  s3.destroy();
  await s3Server.close();
});
afterEach(async () => {
  firehose?.destroy();
  await standIn?.close();
  standIn = undefined;
});

function client(credentials: { accessKeyId: string; secretAccessKey: string }): FirehoseClient {
  return new FirehoseClient({ endpoint: standIn!.url, region: REGION, credentials, maxAttempts: 1 });
}

function line(partition: string, key: string): Buffer {
  const bytes = Buffer.from(`blob of ${key}`);
  return encodeReplayBatchLine(partition, { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes })!;
}

async function objectsUnder(prefix: string, bucket = BUCKET): Promise<Array<{ key: string; body: Buffer }>> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Promise.all((listed.Contents ?? []).map(async ({ Key }) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    return { key: Key!, body: Buffer.from(await got.Body!.transformToByteArray()) };
  }));
}

/** The objects a stream wrote under the batch prefix (its name is in each object's). */
async function objectsOf(stream: string): Promise<Array<{ key: string; body: Buffer }>> {
  return (await objectsUnder('replay-batches/')).filter((o) => o.key.slice(o.key.lastIndexOf('/') + 1).startsWith(`${stream}-1-`));
}

/** Starts a stand-in whose one stream has a fresh name (keeping each test's objects apart in the shared bucket). */
async function startNamed(stream: Partial<FirehoseStandInStream> = {}, retryDurationSeconds?: number): Promise<string> {
  const name = `${STREAM.name}-${Math.random().toString(36).slice(2, 8)}`;
  logLines = [];
  let onLog: (text: string) => void = () => undefined;
  firstLogLine = new Promise((resolve) => { onLog = resolve; });
  standIn = await startFirehoseStandIn({
    region: REGION, callerCredentials: CALLER, s3, streams: [{ ...STREAM, ...stream, name }],
    retryDurationSeconds, log: (text) => { logLines.push(text); onLog(text); },
  });
  firehose = client(CALLER);
  return name;
}

describe('Firehose stand-in delivery', () => {
  it('writes the records of a buffer, in order and undelimited, to one object under the hour of the first, with a Firehose object name', async () => {
    // Arrange
    const name = await startNamed();
    const lines = [line('a1b2c3d4e5f60718', 'r/1'), line('a1b2c3d4e5f60718', 'r/2'), line('a1b2c3d4e5f60718', 'r/3')];
    const before = Date.now();

    // Act
    for (const data of lines) await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: data } }));
    await standIn!.flush();

    // Assert
    const [object, ...others] = await objectsOf(name);
    expect(others).toEqual([]);
    const named = replayBatchObjectTime(object!.key)!;
    expect(object!.key).toBe(`${replayBatchHourPrefix(named)}${object!.key.slice(object!.key.lastIndexOf('/') + 1)}`);
    expect(object!.key.slice(object!.key.lastIndexOf('/') + 1)).toMatch(objectName(name));
    expect(named).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(named).toBeLessThanOrEqual(Date.now());
    expect(object!.body).toEqual(Buffer.concat(lines));
    expect([...decodeReplayBatch(object!.body).entries.keys()]).toEqual(['r/1', 'r/2', 'r/3']);
    expect(standIn).toMatchObject({ recordsReceived: 3, putCalls: 3, objectsWritten: 1, recordsBuffered: 0 });
  });

  it("writes every session's records of one buffer into the same object, in the order they came", async () => {
    const name = await startNamed();
    const records = [line('aaaaaaaaaaaaaaa1', 'a/1'), line('bbbbbbbbbbbbbbb2', 'b/1'), line('aaaaaaaaaaaaaaa1', 'a/2')];

    await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
    await standIn!.flush();

    expect((await objectsOf(name)).map((o) => o.body)).toEqual([Buffer.concat(records)]);
    expect(standIn!.objectsWritten).toBe(1);
  });

  it('writes records that are not JSON as they are, as Firehose does without processing, and nothing to the error prefix', async () => {
    const name = await startNamed();
    const records = [Buffer.from('not json at all'), Buffer.from('{"v":1,"k":"no-tag"}\n')];

    const answer = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((Data) => ({ Data })) }));
    await standIn!.flush();

    expect(answer.FailedPutCount).toBe(0);
    expect((await objectsOf(name)).map((o) => o.body)).toEqual([Buffer.concat(records)]);
    expect((await objectsUnder('replay-batches-failed/')).filter((o) => o.key.includes(name))).toEqual([]);
  });

  it('writes a buffer once its interval has passed since its first record, without a flush', async () => {
    const name = await startNamed({ bufferIntervalSeconds: 0.2 });
    const written = once(standIn!.events, 'object') as Promise<[FirehoseDeliveredObject]>;

    await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('ccccccccccccccc3', 'c/1') } }));
    const bufferedAfterPut = standIn!.recordsBuffered;
    const [object] = await written;

    expect(bufferedAfterPut).toBe(1);
    expect(object).toMatchObject({ stream: name, records: 1 });
    expect((await objectsUnder(object.key))[0].body).toEqual(line('ccccccccccccccc3', 'c/1'));
  });

  it('writes a buffer as soon as it reaches the buffer size', async () => {
    const first = line('ddddddddddddddd4', 'd/1');
    const name = await startNamed({ bufferSizeBytes: first.length + 1 });
    const written = once(standIn!.events, 'object') as Promise<[FirehoseDeliveredObject]>;

    await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [{ Data: first }, { Data: line('ddddddddddddddd4', 'd/2') }] }));
    const [object] = await written;

    expect(object.records).toBe(2);
    expect(standIn!.recordsBuffered).toBe(0);
  });

  it('retries a failed S3 write with the same key until it succeeds, logging each failure', async () => {
    const bucket = `late-bucket-${Date.now()}`;
    const name = await startNamed({ bucket, bufferIntervalSeconds: 0.05 }, 60);
    const written = once(standIn!.events, 'object') as Promise<[FirehoseDeliveredObject]>;

    await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('eeeeeeeeeeeeeee5', 'e/1') } }));
    const firstFailure = await firstLogLine;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const [object] = await written;

    expect(firstFailure).toMatch(new RegExp(`^Firehose stand-in: writing s3://${bucket}/.* failed \\(attempt 1\\), retrying: NoSuchBucket`));
    expect(standIn!.writeFailures).toBeGreaterThanOrEqual(1);
    expect(logLines.every((l) => !l.includes('gave up'))).toBe(true);
    expect((await objectsUnder(object.key, bucket)).map((o) => o.body)).toEqual([line('eeeeeeeeeeeeeee5', 'e/1')]);
  });
});

describe('Firehose stand-in API', () => {
  it('answers PutRecordBatch with one RecordId per record, FailedPutCount 0 and Encrypted false', async () => {
    const name = await startNamed();

    const answer = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [{ Data: line('f', '1') }, { Data: line('f', '2') }] }));

    expect(answer).toMatchObject({ FailedPutCount: 0, Encrypted: false });
    expect(answer.RequestResponses).toHaveLength(2);
    expect(new Set(answer.RequestResponses!.map((r) => r.RecordId)).size).toBe(2);
    expect(answer.RequestResponses!.every((r) => typeof r.RecordId === 'string' && r.RecordId.length > 0 && r.ErrorCode === undefined)).toBe(true);
  });

  it('answers PutRecord with a RecordId and Encrypted false', async () => {
    const name = await startNamed();

    const answer = await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('f', '1') } }));

    expect(answer).toMatchObject({ Encrypted: false, RecordId: expect.any(String) });
  });

  it('refuses puts with ServiceUnavailableException while switched to refusing, and takes them again after', async () => {
    // Arrange
    const name = await startNamed();
    const put = () => firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('f', '1') } }));
    standIn!.refusePuts(true);

    // Act / Assert
    await expect(put()).rejects.toMatchObject({ name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } });
    expect(standIn!.recordsReceived).toBe(0);
    standIn!.refusePuts(false);
    await expect(put()).resolves.toMatchObject({ RecordId: expect.any(String) });
    expect(standIn!.recordsReceived).toBe(1);
  });

  it('refuses a request signed with the wrong secret with InvalidSignatureException and buffers nothing', async () => {
    const name = await startNamed();
    const forger = client({ accessKeyId: CALLER.accessKeyId, secretAccessKey: 'not-the-secret' });

    const put = forger.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('f', '1') } }));

    await expect(put).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    expect(standIn!.recordsReceived).toBe(0);
    forger.destroy();
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const name = await startNamed();
    const stranger = client({ accessKeyId: 'AKIASTRANGER00000000', secretAccessKey: CALLER.secretAccessKey });

    const put = stranger.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('f', '1') } }));

    await expect(put).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } });
    stranger.destroy();
  });

  it('answers an unsigned request in the JSON 1.1 error shape, MissingAuthenticationTokenException', async () => {
    const name = await startNamed();

    const response = await fetch(standIn!.url, {
      method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Firehose_20150804.PutRecord' },
      body: JSON.stringify({ DeliveryStreamName: name, Record: { Data: Buffer.from('{}').toString('base64') } }),
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    expect(standIn).toMatchObject({ putCalls: 1, recordsReceived: 0 });
  });

  it('answers an unknown delivery stream with ResourceNotFoundException naming the stream and the account', async () => {
    await startNamed();

    const put = firehose.send(new PutRecordCommand({ DeliveryStreamName: 'no-such-stream', Record: { Data: line('f', '1') } }));

    await expect(put).rejects.toMatchObject({
      name: 'ResourceNotFoundException', message: 'Firehose no-such-stream under account 111122223333 not found.', $metadata: { httpStatusCode: 400 },
    });
  });

  it('takes a record of exactly 1,000 KiB and refuses one byte more with a validation error on record.data', async () => {
    const name = await startNamed();

    // One after the other: a refusal that came back while the first put was still awaited would be unhandled.
    const largest = await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: Buffer.alloc(1_024_000, 'x') } }));
    const tooLarge = firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: Buffer.alloc(1_024_001, 'x') } }));

    expect(largest).toMatchObject({ RecordId: expect.any(String) });
    await expect(tooLarge).rejects.toMatchObject({
      name: 'ValidationException', $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(/^1 validation error detected: .* at 'record\.data' failed to satisfy constraint: Member must have length less than or equal to 1024000$/),
    });
    expect(standIn!.recordsReceived).toBe(1);
  });

  it('refuses a batch of 501 records with a validation error, and a batch over 4 MiB with InvalidArgumentException', async () => {
    const name = await startNamed();

    const tooMany = firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('{}') })) }));
    await expect(tooMany).rejects.toBeDefined();
    const tooBig = firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(1_000_000, 'x') })) }));

    await expect(tooMany).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'records' failed to satisfy constraint: Member must have length less than or equal to 500") });
    await expect(tooBig).rejects.toMatchObject({ name: 'InvalidArgumentException', message: 'Records size exceeds 4 MB limit', $metadata: { httpStatusCode: 400 } });
    expect(standIn!.recordsReceived).toBe(0);
  });

  it('describes a stream as an active Direct PUT stream with its prefixes, its buffering and no processing', async () => {
    const name = await startNamed();

    const { DeliveryStreamDescription: d } = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));

    expect(d).toMatchObject({ DeliveryStreamName: name, DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', VersionId: '1' });
    const destination = d!.Destinations![0].ExtendedS3DestinationDescription!;
    expect(destination).toMatchObject({
      Prefix: REPLAY_BATCH_PREFIX, ErrorOutputPrefix: REPLAY_BATCH_ERROR_PREFIX, BucketARN: `arn:aws:s3:::${BUCKET}`,
      BufferingHints: { IntervalInSeconds: 900, SizeInMBs: REPLAY_BATCH_BUFFER_MIB }, ProcessingConfiguration: { Enabled: false },
    });
    expect(destination.DynamicPartitioningConfiguration).toBeUndefined();
  });
});

describe('Firehose stand-in start-up', () => {
  it('takes a fixed prefix without an error prefix, as Firehose does, and adds the UTC hour to it', async () => {
    const name = await startNamed({ prefix: 'plain/', errorOutputPrefix: undefined });

    await firehose.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: line('f', '1') } }));
    await standIn!.flush();

    const [object] = (await objectsUnder('plain/')).filter((o) => o.key.includes(name));
    expect(object!.key).toMatch(new RegExp(`^plain/\\d{4}/\\d\\d/\\d\\d/\\d\\d/${name}-1-`));
  });

  it.each([
    ['a prefix with a partition key, which needs dynamic partitioning', { prefix: 'x/!{partitionKeyFromQuery:session}/' }, /needs dynamic partitioning/],
    ['a prefix with expressions but no error prefix', { errorOutputPrefix: undefined }, /ErrorOutputPrefix can't be null when Prefix contains expressions/],
    ['an error prefix with expressions but no error-output-type', { errorOutputPrefix: 'failed/!{timestamp:yyyy}/' }, /must include !\{firehose:error-output-type\}/],
    ['a buffer interval over 900 s', { bufferIntervalSeconds: 901 }, /at most 900 s/],
    ['a buffer size over 128 MiB', { bufferSizeBytes: 128 * 1024 * 1024 + 1 }, /at most 128 MiB/],
    ['a prefix that evaluates past 512 characters', { prefix: `${'x'.repeat(510)}/!{timestamp:yyyy}/` }, /more than 512 characters/],
  ])('refuses %s', async (_, stream, message) => {
    const starting = startFirehoseStandIn({ region: REGION, callerCredentials: CALLER, s3, streams: [{ ...STREAM, ...stream }] });

    await expect(starting).rejects.toThrow(message);
  });
});

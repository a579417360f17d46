import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { verifyAuthorizationHeader } from '../lambdas/core/sigv4';
import { readLimitedBody } from './read-limited-body';
import { evaluatePrefix, hasExpressions, MAX_EVALUATED_PREFIX, objectNameSuffix, parsePrefix, type PrefixTemplate } from './firehose-prefix';

/**
 * LOCAL STAND-IN for Amazon Data Firehose (there is none to be had offline): Direct PUT delivery streams to S3,
 * without dynamic partitioning or processors, as Gatehouse deploys its replay stream. It speaks Firehose's JSON 1.1
 * protocol (`PutRecord`, `PutRecordBatch`, a minimal `DescribeDeliveryStream`) well enough for the real
 * `@aws-sdk/client-firehose`, SigV4-verifies every request strictly, answers and fails with the real shapes and
 * limits, and writes objects through the injected S3 client where the real service would: every record of a buffer
 * concatenated as it is (no delimiter, whatever it holds: records are opaque without processing) into
 * `<evaluated prefix><stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, flushed by buffer interval or size, one buffer a stream.
 */

/** One delivery stream (its ExtendedS3DestinationConfiguration, reduced to what is emulated). */
export interface FirehoseStandInStream {
  readonly name: string;
  readonly bucket: string;
  /** `Prefix`, e.g. REPLAY_BATCH_PREFIX; without a timestamp expression, Firehose's UTC hour is appended. */
  readonly prefix: string;
  /** `ErrorOutputPrefix`, e.g. REPLAY_BATCH_ERROR_PREFIX; required, as by Firehose, once `prefix` has expressions. */
  readonly errorOutputPrefix?: string;
  /** `IntervalInSeconds`: up to 900 as in Firehose, and fractions of a second allowed (Firehose takes whole seconds from 0). */
  readonly bufferIntervalSeconds: number;
  /** `SizeInMBs` in bytes: up to 128 MiB as in Firehose, and under its 1 MiB minimum allowed, so tests can fill a buffer. */
  readonly bufferSizeBytes: number;
}

/** Options of the stand-in. */
export interface FirehoseStandInOptions {
  readonly host?: string;
  readonly port?: number;
  /** Region the credential scope must name. */
  readonly region: string;
  /** @default '111122223333' */
  readonly accountId?: string;
  /** The only credentials it accepts (what the proxy Lambda's execution role would have); no session token. */
  readonly callerCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly streams: readonly FirehoseStandInStream[];
  /** Where objects are written (PutObject), e.g. a client of local/s3-server.ts. */
  readonly s3: S3Client;
  /**
   * How long a failed S3 write is retried before its object is given up (logged). Firehose keeps retrying an S3
   * destination for up to 24 hours; a local process is not kept that long. @default 300 s
   */
  readonly retryDurationSeconds?: number;
  /** Clock for arrival times and signature checks. @default the real one */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

/** An object the stand-in wrote. */
export interface FirehoseDeliveredObject {
  readonly stream: string;
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
  readonly bytes: number;
}

/** A running stand-in. Events: `object` (FirehoseDeliveredObject, once written), `write-failed` (an object given up). */
export interface FirehoseStandIn {
  readonly url: string;
  readonly port: number;
  readonly events: EventEmitter;
  /** Records accepted. */
  readonly recordsReceived: number;
  /** PutRecord and PutRecordBatch calls that reached the endpoint, answered or refused. */
  readonly putCalls: number;
  readonly objectsWritten: number;
  /** S3 writes that failed (each retry counts). */
  readonly writeFailures: number;
  /** Records buffered and not yet written. */
  readonly recordsBuffered: number;
  /** Writes everything buffered now; resolves when every pending object is written (or given up). */
  flush(): Promise<void>;
  /**
   * While on, puts are refused with ServiceUnavailableException (HTTP 503, what Firehose answers when a stream is
   * throttled or unavailable), so tests can watch the proxy fall back without losing a blob.
   */
  refusePuts(on: boolean): void;
  /** Stops taking requests, then flushes. */
  close(): Promise<void>;
}

interface Stream { config: FirehoseStandInStream; prefix: PrefixTemplate }
interface StreamBuffer { stream: Stream; chunks: Buffer[]; size: number; records: number; firstArrival: Date; timer: NodeJS.Timeout }
interface FirehoseError { status: number; type: string; message: string }
type Answer = Record<string, unknown> | FirehoseError;

const JSON_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'Firehose_20150804.';
/** Firehose's limits: 1,000 KiB of data a record, 500 records and 4 MiB a batch. */
const MAX_RECORD = 1_024_000;
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_BODY = 8 * 1024 * 1024;
/** Firehose's buffering bounds without dynamic partitioning. */
const MAX_INTERVAL_SECONDS = 900;
const MAX_BUFFER_BYTES = 128 * 1024 * 1024;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const err = (status: number, type: string, message: string): FirehoseError => ({ status, type, message });
const isError = (a: Answer): a is FirehoseError => typeof a.status === 'number' && typeof a.type === 'string';
const validation = (problems: string[]): FirehoseError => err(400, 'ValidationException',
  `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`);
const javaBuffer = (n: number): string => `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;

/** Starts the stand-in on 127.0.0.1 (random port unless given). Throws on a stream configuration Firehose would refuse. */
export async function startFirehoseStandIn(o: FirehoseStandInOptions): Promise<FirehoseStandIn> {
  const now = o.now ?? (() => new Date());
  const log = o.log ?? (() => undefined);
  const accountId = o.accountId ?? '111122223333';
  const retryMs = (o.retryDurationSeconds ?? 300) * 1000;
  const streams = new Map<string, Stream>();
  for (const config of o.streams) {
    if (!STREAM_NAME.test(config.name)) throw new Error(`Delivery stream name '${config.name}' must be 1 to 64 characters of [a-zA-Z0-9_.-].`);
    if (streams.has(config.name)) throw new Error(`Delivery stream '${config.name}' is configured twice.`);
    if (!(config.bufferIntervalSeconds > 0 && config.bufferIntervalSeconds <= MAX_INTERVAL_SECONDS)) {
      throw new Error(`Delivery stream '${config.name}' needs a buffer interval above 0 and at most ${MAX_INTERVAL_SECONDS} s, got ${config.bufferIntervalSeconds}.`);
    }
    if (!(config.bufferSizeBytes > 0 && config.bufferSizeBytes <= MAX_BUFFER_BYTES)) {
      throw new Error(`Delivery stream '${config.name}' needs a buffer size above 0 and at most 128 MiB, got ${config.bufferSizeBytes} bytes.`);
    }
    const prefix = parsePrefix(config.prefix, 'prefix');
    if (config.errorOutputPrefix === undefined || config.errorOutputPrefix === '') {
      if (hasExpressions(config.prefix)) throw new Error(`Delivery stream '${config.name}': ErrorOutputPrefix can't be null when Prefix contains expressions.`);
    } else parsePrefix(config.errorOutputPrefix, 'error');
    // The longest a timestamp can make it: Firehose refuses a prefix that evaluates past 512 characters.
    if (evaluatePrefix(prefix, { arrival: new Date(Date.UTC(2000, 11, 31, 23, 59, 59, 999)) }).length > MAX_EVALUATED_PREFIX) {
      throw new Error(`Delivery stream '${config.name}': the Prefix evaluates to more than ${MAX_EVALUATED_PREFIX} characters.`);
    }
    streams.set(config.name, { config, prefix });
  }
  const events = new EventEmitter();
  const buffers = new Map<string, StreamBuffer>();
  const pending = new Set<Promise<void>>();
  const counts = { recordsReceived: 0, putCalls: 0, objectsWritten: 0, writeFailures: 0 };
  let closing = false;
  let refusing = false;

  /** Buffers one record in its stream's buffer, sealing the buffer once it reaches its size. */
  function accept(stream: Stream, data: Buffer, arrival: Date): void {
    counts.recordsReceived++;
    const id = stream.config.name;
    let buffer = buffers.get(id);
    if (!buffer) {
      // The interval runs from the buffer's first record, which also names the object.
      const timer = setTimeout(() => seal(id), stream.config.bufferIntervalSeconds * 1000);
      timer.unref();
      buffer = { stream, chunks: [], size: 0, records: 0, firstArrival: arrival, timer };
      buffers.set(id, buffer);
    }
    buffer.chunks.push(data);
    buffer.size += data.length;
    buffer.records++;
    if (buffer.size >= stream.config.bufferSizeBytes) seal(id);
  }

  function seal(id: string): void {
    const buffer = buffers.get(id);
    if (!buffer) return;
    clearTimeout(buffer.timer);
    buffers.delete(id);
    const delivery = deliver(buffer).finally(() => pending.delete(delivery));
    pending.add(delivery);
  }

  /** Writes one object, retrying a failed write (same key) with backoff for the retry duration, as Firehose does. */
  async function deliver(b: StreamBuffer): Promise<void> {
    const { config } = b.stream;
    const key = evaluatePrefix(b.stream.prefix, { arrival: b.firstArrival }) + objectNameSuffix(config.name, b.firstArrival);
    const body = Buffer.concat(b.chunks);
    const firstTry = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await o.s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body }));
        counts.objectsWritten++;
        const written: FirehoseDeliveredObject = { stream: config.name, bucket: config.bucket, key, records: b.records, bytes: body.length };
        events.emit('object', written);
        return;
      } catch (error) {
        counts.writeFailures++;
        const reason = `${(error as Error).name}: ${(error as Error).message}`;
        if (Date.now() - firstTry >= retryMs) {
          log(`Firehose stand-in: gave up writing s3://${config.bucket}/${key} (${b.records} records) after ${attempt} attempts: ${reason}`);
          events.emit('write-failed', { stream: config.name, bucket: config.bucket, key, records: b.records, bytes: body.length, reason });
          return;
        }
        log(`Firehose stand-in: writing s3://${config.bucket}/${key} failed (attempt ${attempt}), retrying: ${reason}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 5000, Math.max(0, retryMs - (Date.now() - firstTry)))));
      }
    }
  }

  /** Checks a record's Data: a base64 string whose decoded length is within Firehose's record limit. */
  function decode(data: unknown, field: string, problems: string[]): Buffer | FirehoseError | undefined {
    if (data === undefined || data === null) { problems.push(`Value null at '${field}' failed to satisfy constraint: Member must not be null`); return undefined; }
    if (typeof data !== 'string' || !BASE64.test(data)) return err(400, 'SerializationException', `Could not decode '${field}' as a base64 blob.`);
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > MAX_RECORD) problems.push(`Value '${javaBuffer(bytes.length)}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD}`);
    return bytes;
  }

  function streamOf(name: unknown, problems: string[]): Stream | FirehoseError | undefined {
    if (name === undefined || name === null) { problems.push("Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null"); return undefined; }
    if (typeof name !== 'string') return err(400, 'SerializationException', "'DeliveryStreamName' must be a string.");
    if (name.length < 1 || name.length > 64) problems.push(`Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length between 1 and 64`);
    else if (!STREAM_NAME.test(name)) problems.push(`Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
    return streams.get(name);
  }

  const notFound = (name: unknown): FirehoseError => err(400, 'ResourceNotFoundException', `Firehose ${String(name)} under account ${accountId} not found.`);
  const recordId = (): string => randomBytes(168).toString('base64');

  function operate(operation: string, input: Record<string, unknown>): Answer {
    const problems: string[] = [];
    const stream = streamOf(input.DeliveryStreamName, problems);
    if (stream && 'status' in stream) return stream;
    if (operation === 'DescribeDeliveryStream') {
      if (problems.length) return validation(problems);
      return stream ? { DeliveryStreamDescription: describe(stream) } : notFound(input.DeliveryStreamName);
    }
    if (operation === 'PutRecord') {
      const record = input.Record as { Data?: unknown } | null | undefined;
      if (record === undefined || record === null) problems.push("Value null at 'record' failed to satisfy constraint: Member must not be null");
      const data = record === undefined || record === null ? undefined : decode(record.Data, 'record.data', problems);
      if (data && 'status' in data) return data;
      if (problems.length) return validation(problems);
      if (!stream) return notFound(input.DeliveryStreamName);
      accept(stream, data!, now());
      return { RecordId: recordId(), Encrypted: false };
    }
    const records = input.Records;
    if (records === undefined || records === null) problems.push("Value null at 'records' failed to satisfy constraint: Member must not be null");
    else if (!Array.isArray(records)) return err(400, 'SerializationException', "'Records' must be a list.");
    const list = Array.isArray(records) ? records as Array<{ Data?: unknown } | null> : [];
    if (Array.isArray(records) && (list.length < 1 || list.length > MAX_BATCH_RECORDS)) {
      problems.push(`Value '[${list.length} records]' at 'records' failed to satisfy constraint: Member must have length ${list.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_BATCH_RECORDS}`}`);
    }
    const decoded: Buffer[] = [];
    for (const [i, record] of list.entries()) {
      const data = decode(record?.Data, `records.${i + 1}.member.data`, problems);
      if (data && 'status' in data) return data;
      if (data) decoded.push(data);
    }
    if (problems.length) return validation(problems);
    if (!stream) return notFound(input.DeliveryStreamName);
    if (decoded.reduce((sum, d) => sum + d.length, 0) > MAX_BATCH_BYTES) return err(400, 'InvalidArgumentException', 'Records size exceeds 4 MB limit');
    const arrival = now();
    for (const data of decoded) accept(stream, data, arrival);
    return { FailedPutCount: 0, Encrypted: false, RequestResponses: decoded.map(() => ({ RecordId: recordId() })) };
  }

  function describe(s: Stream): Record<string, unknown> {
    const { config } = s;
    return {
      DeliveryStreamName: config.name, DeliveryStreamARN: `arn:aws:firehose:${o.region}:${accountId}:deliverystream/${config.name}`,
      DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', VersionId: '1', CreateTimestamp: Math.floor(started / 1000), HasMoreDestinations: false,
      DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
      Destinations: [{
        DestinationId: 'destinationId-000000000001',
        ExtendedS3DestinationDescription: {
          BucketARN: `arn:aws:s3:::${config.bucket}`, Prefix: config.prefix,
          ...(config.errorOutputPrefix ? { ErrorOutputPrefix: config.errorOutputPrefix } : {}),
          RoleARN: `arn:aws:iam::${accountId}:role/firehose-stand-in`, CompressionFormat: 'UNCOMPRESSED',
          BufferingHints: { IntervalInSeconds: config.bufferIntervalSeconds, SizeInMBs: config.bufferSizeBytes / (1024 * 1024) },
          EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
          ProcessingConfiguration: { Enabled: false, Processors: [] },
        },
      }],
    };
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (operation === 'PutRecord' || operation === 'PutRecordBatch') counts.putCalls++;
    const body = await readLimitedBody(req, MAX_BODY);
    if (body === undefined) return err(413, 'SerializationException', 'Request body too large.');
    if (closing) return err(503, 'ServiceUnavailableException', 'The Firehose stand-in is shutting down.');
    if (!req.headers.authorization) return err(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const { accessKeyId, secretAccessKey } = o.callerCredentials;
    const verified = verifyAuthorizationHeader(
      { method: req.method ?? 'POST', path, query, headers: req.headers, body },
      { lookupSecret: (id) => (id === accessKeyId ? secretAccessKey : undefined), service: 'firehose', region: o.region, now: now() },
    );
    if (!verified.ok) {
      const type = { IncompleteSignature: 'IncompleteSignatureException', InvalidClientTokenId: 'UnrecognizedClientException', SignatureDoesNotMatch: 'InvalidSignatureException', RequestExpired: 'InvalidSignatureException' }[verified.code];
      return err(400, type, verified.message);
    }
    if (verified.sessionToken !== undefined) return err(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (req.method !== 'POST' || path !== '/' || !['PutRecord', 'PutRecordBatch', 'DescribeDeliveryStream'].includes(operation)) {
      return err(400, 'UnknownOperationException', `The stand-in serves POST / with X-Amz-Target ${TARGET_PREFIX}PutRecord, PutRecordBatch or DescribeDeliveryStream.`);
    }
    if (refusing && operation !== 'DescribeDeliveryStream') return err(503, 'ServiceUnavailableException', 'Slow down.');
    if (!/^application\/(x-amz-json-1\.1|json)\b/i.test(req.headers['content-type'] ?? '')) return err(400, 'SerializationException', `Expected Content-Type ${JSON_TYPE}.`);
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return err(400, 'SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return err(400, 'SerializationException', 'The request body must be a JSON object.');
    return operate(operation, input as Record<string, unknown>);
  }

  const started = Date.now();
  const server = createServer((req, res) => {
    handle(req).then(
      (answer) => respond(res, answer),
      (error: unknown) => { log(`Firehose stand-in failed a request: ${String(error)}`); respond(res, err(500, 'ServiceUnavailableException', 'The stand-in failed to process the request.')); },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;

  async function flush(): Promise<void> {
    for (const id of [...buffers.keys()]) seal(id);
    while (pending.size > 0) await Promise.all([...pending]);
  }

  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    events,
    get recordsReceived() { return counts.recordsReceived; },
    get putCalls() { return counts.putCalls; },
    get objectsWritten() { return counts.objectsWritten; },
    get writeFailures() { return counts.writeFailures; },
    get recordsBuffered() { return [...buffers.values()].reduce((n, b) => n + b.records, 0); },
    flush,
    refusePuts(on) { refusing = on; },
    async close() {
      closing = true;
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      await flush();
    },
  };
}

function respond(res: ServerResponse, answer: Answer): void {
  const requestId = randomUUID();
  const failed = isError(answer);
  const text = JSON.stringify(failed ? { __type: answer.type, message: answer.message } : answer);
  const headers: Record<string, string | number> = { 'content-type': JSON_TYPE, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(text) };
  if (failed) headers['x-amzn-errortype'] = answer.type;
  res.writeHead(failed ? answer.status : 200, headers);
  res.end(text);
}

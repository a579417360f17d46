import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ReplayBatchReader } from '../cli/replay-batch-reader';
import { encodeReplayBatchLine, REPLAY_BATCH_BUFFER_MIB, REPLAY_BATCH_BUFFER_SECONDS, replayBatchPartition, REPLAY_VIA_BATCH } from '../lambdas/core/replay-batch';
import { RECORDS_INDEXES } from '../lambdas/core/records-indexes';
import { LOCAL_DEFAULTS } from '../local/local-defaults';
import type { BenchRow } from './bench-row';
import { PRICES } from './prices';

/** Where the cost model sends its requests and reads what they left behind. */
export interface CostModelTargets {
  readonly agent: https.Agent;
  readonly gateway: (path: string) => string;
  readonly gatewayToken: string;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly control: string };
  readonly recordsTable: string;
  /** The session the cost model's requests belong to (its records are that partition of the table). */
  readonly sessionKey: string;
  readonly replayBucket: string;
  /** Local mode's log file: what CloudWatch Logs would ingest from the proxy. */
  readonly logFile: string;
  /** The proxy function's memory (lib/proxy-function.ts default). */
  readonly lambdaMemoryGb: number;
  /** Days records and replay blobs are kept (config `retentionDays`, default 400). */
  readonly retentionDays: number;
  /** How soon the (stand-in) delivery stream writes a batch. */
  readonly replayBatchBufferSeconds: number;
}

/** The stated typical mix: what share of requests is of each kind. */
const MIX = [
  { kind: 'discovery', share: 0.2, method: 'GET', path: '/apis' },
  { kind: 'get one pod', share: 0.39, method: 'GET', path: '/api/v1/namespaces/bench/pods/bench-pod-7' },
  { kind: 'list 100 pods', share: 0.3, method: 'GET', path: '/api/v1/namespaces/bench/pods' },
  { kind: 'write (create configmap)', share: 0.1, method: 'POST', path: '/api/v1/namespaces/bench/configmaps' },
  { kind: 'watch (1 s)', share: 0.01, method: 'GET', path: '/api/v1/namespaces/bench/configmaps?watch=true&timeoutSeconds=1' },
] as const;
const SAMPLES = 5;
/** Firehose bills each record rounded up to 5 KB. */
const FIREHOSE_RECORD_UNIT = 5 * 1024;

/**
 * The records table's GSIs project only keys (lambdas/core/records-indexes.ts): an item that has an index's key costs
 * that index one write (a keys-only entry is far under 1 KB) when the key is written, and an update that changes no
 * index key (a completion, a stream part) costs none. A record has by-agent and by-connection keys only when it is a
 * session's head (lambdas/core/index-heads.ts), and `lookupId` only when it was refused or failed.
 * An index entry of the keys only: the table's keys and the index's, about this many bytes plus DynamoDB's 100 of overhead. */
const KEYS_ONLY_ENTRY_BYTES = 200;
/** Attributes the completion adds (what is not in the intent write). */
const COMPLETION_ATTRIBUTES = new Set([
  'phase', 'lookupId', 'outcome', 'status', 'upstreamStatus', 'errorReason', 'errorMessage', 'latencyMs', 'upstreamLatencyMs', 'bytesOut', 'maskedCounts', 'unmasked',
  'replayKey', 'replaySha256', 'replayMissing', 'streamUnits', 'streamBytes', 'streamDurationMs', 'streamEndedBy', 'streamParts', 'streamLastPartSha256',
]);

/** What one kind of request costs, measured. */
interface Measured {
  readonly kind: string;
  readonly share: number;
  readonly latencyMs: number;
  readonly tableWru: number;
  readonly gsiWru: number;
  readonly reads: number;
  readonly s3Puts: number;
  readonly firehoseRecords: number;
  /** Bytes sent to Firehose, and billed (each record rounded up to 5 KB). */
  readonly firehoseBytes: number;
  readonly firehoseBilledBytes: number;
  readonly storedBytes: number;
  readonly logBytes: number;
}

/**
 * Cost per million requests of the stated mix, per component, at list prices (bench/prices.ts), from what this
 * run measured: record item sizes as DynamoDB sizes them (every GSI write counted again), replay blob sizes,
 * S3 and DynamoDB calls counted at local mode's counting proxies, log bytes written per request, and the
 * latency each request took (billed Lambda duration at most that).
 */
export async function runCostModel(t: CostModelTargets): Promise<{ rows: BenchRow[]; table: string }> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  // Local mode's S3 server checks signatures against local mode's own caller credentials.
  const s3 = new S3Client({ endpoint: t.endpoints.s3, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_DEFAULTS.callerCredentials });
  const batches = new ReplayBatchReader({ s3, replayBucket: t.replayBucket, replayBatchBufferSeconds: t.replayBatchBufferSeconds });
  const measured: Measured[] = [];
  // Log bytes are measured over the whole run and shared evenly: a request's lines barely depend on its kind, and
  // metrics are published once a minute at most, so per kind they would land in whichever kind's samples ran then.
  const logBefore = fs.statSync(t.logFile).size;
  for (const kind of MIX) {
    const before = await awsCalls(t);
    const sent: Array<{ requestId: string; ms: number }> = [];
    for (let i = 0; i < SAMPLES; i++) {
      const body = kind.method === 'POST' ? JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cost-${Date.now().toString(36)}-${i}` }, data: { mode: 'bench' } }) : undefined;
      sent.push(await send(t, kind.method, kind.path, body));
    }
    // Completion and replay are written as the request ends: wait until every record is complete.
    const items = await Promise.all(sent.map((s) => completedRecord(documents, t.recordsTable, t.sessionKey, s.requestId)));
    const after = await awsCalls(t);
    let tableWru = 0;
    let gsiWru = 0;
    let writes = 0;
    let storedBytes = 0;
    let firehoseBytes = 0;
    let firehoseBilledBytes = 0;
    for (const item of items) {
      const finalSize = itemSize(item);
      const intentSize = itemSize(Object.fromEntries(Object.entries(item).filter(([k]) => !COMPLETION_ATTRIBUTES.has(k))));
      const gsis = Object.values(RECORDS_INDEXES).filter((key) => key in item).length;
      const parts = Number(item.streamParts ?? 0);
      // Intent put, completion update (billed at the larger of before and after), and one update per stream part.
      // A watch also takes and gives back its stream lease (a small item, no index).
      const lease = item.verb === 'watch' ? 2 : 0;
      tableWru += wru(intentSize) + wru(finalSize) + parts * wru(finalSize) + lease;
      writes += 2 + parts + lease;
      gsiWru += gsis;
      storedBytes += finalSize + gsis * KEYS_ONLY_ENTRY_BYTES;
      if (item.replayVia === REPLAY_VIA_BATCH) {
        const line = await batchLine(batches, item);
        firehoseBytes += line;
        firehoseBilledBytes += Math.ceil(line / FIREHOSE_RECORD_UNIT) * FIREHOSE_RECORD_UNIT;
        storedBytes += line;
      } else if (typeof item.replayKey === 'string') {
        storedBytes += await objectSize(s3, t.replayBucket, item.replayKey);
      }
    }
    const n = SAMPLES;
    measured.push({
      kind: kind.kind,
      share: kind.share,
      latencyMs: median(sent.map((s) => s.ms)),
      tableWru: tableWru / n,
      gsiWru: gsiWru / n,
      reads: Math.max(0, (after.dynamodbCalls - before.dynamodbCalls - writes) / n),
      s3Puts: (after.s3Calls - before.s3Calls) / n,
      firehoseRecords: (after.firehoseCalls - before.firehoseCalls) / n,
      firehoseBytes: firehoseBytes / n,
      firehoseBilledBytes: firehoseBilledBytes / n,
      storedBytes: storedBytes / n,
      logBytes: 0,
    });
  }
  const logBytes = (fs.statSync(t.logFile).size - logBefore) / (MIX.length * SAMPLES);
  return costTable(measured.map((m) => ({ ...m, logBytes })), t);
}

function costTable(measured: readonly Measured[], t: CostModelTargets): { rows: BenchRow[]; table: string } {
  const mix = (f: (m: Measured) => number) => measured.reduce((sum, m) => sum + m.share * f(m), 0);
  const components: Array<[string, number, boolean]> = [
    ['API Gateway REST requests', PRICES.apiGatewayRestPerMillion, true],
    ['DynamoDB writes, records table', mix((m) => m.tableWru) * PRICES.dynamodbPerMillionWru, true],
    ['DynamoDB writes, GSIs (agent, connection heads; refused ids)', mix((m) => m.gsiWru) * PRICES.dynamodbPerMillionWru, true],
    ['DynamoDB reads (grants, cached 5 s; leases)', mix((m) => m.reads) * PRICES.dynamodbPerMillionRru, true],
    ['S3 PUTs (blobs over a Firehose record, stream parts)', mix((m) => m.s3Puts) * PRICES.s3PutPer1000 * 1000, true],
    ['Firehose Direct PUT (replay lines, 5 KB units)', (mix((m) => m.firehoseBilledBytes) / 1e9) * 1e6 * PRICES.firehosePerGb, true],
    // Firehose writes one object per buffer (REPLAY_BATCH_BUFFER_MIB of lines, or the interval), each an S3 PUT.
    [`S3 PUTs by Firehose (one per ${REPLAY_BATCH_BUFFER_MIB} MiB of replay lines)`, (mix((m) => m.firehoseBytes) * 1e6 / (REPLAY_BATCH_BUFFER_MIB * 2 ** 20)) * PRICES.s3PutPer1000 / 1000, true],
    [`storage, per month kept (S3 blobs + items; kept ${t.retentionDays} days)`, (mix((m) => m.storedBytes) / 1e9) * 1e6 * PRICES.s3StoragePerGbMonth, false],
    ['CloudWatch Logs (access log, proxy lines, metrics)', (mix((m) => m.logBytes) / 1e9) * 1e6 * PRICES.cloudwatchLogsPerGbIngested, true],
    ['Lambda requests', PRICES.lambdaRequestsPerMillion, false],
    [`Lambda GB-seconds (${t.lambdaMemoryGb} GB x measured latency)`, (mix((m) => m.latencyMs) / 1000) * t.lambdaMemoryGb * 1e6 * PRICES.lambdaPerGbSecond, false],
  ];
  const total = components.filter(([, , counted]) => counted).reduce((sum, [, usd]) => sum + usd, 0);
  const target = 1.5 * PRICES.apiGatewayRestPerMillion;
  const lines = [
    `Cost per million requests, mix ${measured.map((m) => `${Math.round(m.share * 100)}% ${m.kind}`).join(', ')}; ${PRICES.source}`,
    ...components.map(([name, usd, counted]) => `  ${name.padEnd(62)} $${usd.toFixed(2).padStart(6)}${counted ? '' : '   (not in the target)'}`),
    // Three decimals on the total: near the target, the cents the rounded rows hide decide which side it is on.
    `  ${'total, excluding Lambda compute and storage'.padEnd(62)} $${total.toFixed(3).padStart(6)}   target $${target.toFixed(2)} (1.5x API Gateway): ${(total / target).toFixed(3)}x`,
    `  fixed, not per request: at most one replay batch object per ${REPLAY_BATCH_BUFFER_SECONDS} s while requests flow, $${((30 * 86_400 / REPLAY_BATCH_BUFFER_SECONDS) * PRICES.s3PutPer1000 / 1000).toFixed(2)} a month of S3 PUTs`,
    '  measured per request: ' + measured.map((m) => `${m.kind}: ${m.tableWru.toFixed(1)}+${m.gsiWru.toFixed(1)} WRU, ${m.s3Puts.toFixed(1)} PUT, ${m.firehoseRecords.toFixed(1)} Firehose record of ${Math.round(m.firehoseBytes)} B, ${Math.round(m.storedBytes)} B stored, ${Math.round(m.logBytes)} B logs`).join('; '),
  ];
  return {
    rows: [{ name: 'cost per million requests of the mix (no compute, storage)', value: total, unit: 'USD', baseline: PRICES.apiGatewayRestPerMillion, ratio: total / PRICES.apiGatewayRestPerMillion }],
    table: lines.join('\n'),
  };
}

/** DynamoDB's item size: attribute names plus values (numbers about one byte per two digits). */
export function itemSize(value: unknown, isTop = true): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').length / 2) + 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + itemSize(v, false), 0);
  const entries = Object.entries(value as Record<string, unknown>);
  return (isTop ? 0 : 3) + entries.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + itemSize(v, false) + (isTop ? 0 : 1), 0);
}

function wru(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

async function completedRecord(documents: DynamoDBDocumentClient, table: string, sessionKey: string, requestId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // The session's latest records: the ones this run just sent are among them.
    const { Items } = await documents.send(new QueryCommand({
      TableName: table, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': sessionKey, ':id': requestId },
      FilterExpression: 'requestId = :id', ScanIndexForward: false, ConsistentRead: true,
    }));
    const Item = Items?.[0];
    if (Item?.phase === 'complete' || Date.now() > deadline) {
      if (!Item) throw new Error(`no record for request ${requestId}`);
      return Item;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The size of the Firehose line that carried a record's blob, re-encoded from the blob found in its batch. */
async function batchLine(batches: ReplayBatchReader, item: Record<string, unknown>): Promise<number> {
  const { copies } = await batches.find(item as never, 10_000);
  const copy = copies.find((c) => c.sha256 === item.replaySha256);
  if (!copy) throw new Error(`request ${String(item.requestId)}: its replay blob is not in the replay batches`);
  return encodeReplayBatchLine(replayBatchPartition(String(item.sessionKey)), copy)!.length;
}

async function objectSize(s3: S3Client, bucket: string, key: string): Promise<number> {
  return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
}

function send(t: CostModelTargets, method: string, path: string, body?: string): Promise<{ requestId: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = https.request(t.gateway(path), { agent: t.agent, method, headers: { authorization: `Bearer ${t.gatewayToken}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const requestId = String(res.headers['x-amzn-requestid'] ?? '');
        if (!res.statusCode || res.statusCode >= 400 || !requestId) reject(new Error(`${method} ${path}: ${res.statusCode}`));
        else resolve({ requestId, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function awsCalls(t: CostModelTargets): Promise<{ dynamodbCalls: number; s3Calls: number; firehoseCalls: number }> {
  // A fresh connection each time (node:http without an agent): the control server closes idle keep-alive sockets
  // that fetch's pool would reuse.
  return new Promise((resolve, reject) => {
    http.get(`${t.endpoints.control}/aws-calls`, { agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => { try { resolve(JSON.parse(text)); } catch (error) { reject(error); } });
    }).on('error', reject);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

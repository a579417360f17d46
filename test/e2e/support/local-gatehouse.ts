import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReplayBatchReader } from '../../../cli/replay-batch-reader';
import { decodeReplayBatch, encodeReplayBatchLine, REPLAY_VIA_BATCH } from '../../../lambdas/core/replay-batch';
import { renderKubeconfig } from '../../../local/kubeconfig';
import { signJwt } from '../../../local/sign-jwt';
import { e2eReadyFile } from './global-setup';
import { LOCAL_TABLES } from '../../../local/create-tables';

/**
 * Every e2e file shares one local Gatehouse (`main`), and jest may run the files in parallel workers. So a
 * test reads only what it caused: its own session's records (`ownSession`, `sessionRecords`) and the
 * cluster requests carrying its request ids (`upstreamRequestsFor`, `sessionUpstreamRequests`), never
 * "everything since a moment". What only exists per process (AWS call counters) is read on the `isolated`
 * instance, inside `withIsolatedGatehouse`.
 */

/** Which local Gatehouse: the shared one, or the one tests take turns on (see global-setup.ts). */
export type Instance = 'main' | 'isolated';

/** What the global setup wrote about a running local Gatehouse. */
export interface LocalGatehouse {
  readonly gatewayUrl: string;
  /** The session front (lambdas/session-front): every request, plus exec, attach, cp and port-forward. */
  readonly sessionFrontUrl: string;
  readonly server: string;
  readonly issuer: string;
  readonly audience: string;
  readonly caFile: string;
  readonly stateDir: string;
  readonly logFile: string;
  readonly pid: number;
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly sts: string; readonly simulator: string; readonly control: string; readonly slack: string };
}

/** Reads a running local Gatehouse's coordinates. */
export function localGatehouse(instance: Instance = 'main'): LocalGatehouse {
  const ready = JSON.parse(fs.readFileSync(e2eReadyFile(), 'utf8')) as LocalGatehouse & { isolated: LocalGatehouse };
  return instance === 'main' ? ready : ready.isolated;
}

/** Signs a token with the demo issuer's real key. `claims` override the defaults. */
export function demoToken(claims: Record<string, unknown> = {}, ttlSeconds = 600, instance: Instance = 'main'): string {
  const gh = localGatehouse(instance);
  const key = createPrivateKey(fs.readFileSync(path.join(gh.stateDir, 'demo-issuer-key.pem')));
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { iss: gh.issuer, aud: gh.audience, sub: 'demo-agent', iat: now, nbf: now - 5, exp: now + ttlSeconds, run_id: 'e2e-run', ...claims },
    { alg: 'RS256', key, kid: 'gatehouse-demo-1' },
  );
}

/**
 * Writes a kubeconfig for the given token (and connection) into the state dir and returns its path: through the
 * API Gateway front (the Lambda's handler) by default, or through the session front.
 */
export function kubeconfigFor(token: string, connection = 'demo', instance: Instance = 'main', front: 'gateway' | 'session' = 'gateway'): string {
  const gh = localGatehouse(instance);
  const file = path.join(gh.stateDir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
  const base = front === 'session' ? gh.sessionFrontUrl : gh.gatewayUrl;
  fs.writeFileSync(file, renderKubeconfig({ name: 'e2e', server: `${base}/k8s/${connection}`, caPem: fs.readFileSync(gh.caFile, 'utf8'), user: { token } }));
  return file;
}

/** A test's own session: a run id nobody else uses, so its records and cluster requests are its alone. */
export interface OwnSession {
  readonly agent: string;
  readonly runId: string;
  /** `<agent>/<run id>`, as records and the CLI name it. */
  readonly session: string;
  readonly token: string;
  /** `authorization: Bearer <token>`, for `rawRequest`. */
  readonly headers: Readonly<Record<string, string>>;
  /** A kubeconfig for this session on `connection` (default `demo`). */
  kubeconfig(connection?: string): string;
  /** The same through the session front (exec, attach, cp, port-forward). */
  sessionKubeconfig(connection?: string): string;
}

/** A string no other test (or earlier run) uses. */
export function unique(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Opens a session of the test's own, named `<label>-<unique>`. `agent` defaults to demo-agent; other agents
 * are granted through the demo ops group unless `groups` says otherwise.
 */
export function ownSession(label: string, options: { readonly agent?: string; readonly groups?: readonly string[]; readonly claims?: Record<string, unknown>; readonly instance?: Instance } = {}): OwnSession {
  const agent = options.agent ?? 'demo-agent';
  const runId = `${label}-${unique()}`;
  const groups = options.groups ?? (agent === 'demo-agent' ? undefined : ['gatehouse-demo-ops']);
  const token = demoToken({ sub: agent, run_id: runId, ...(groups ? { groups } : {}), ...options.claims }, 600, options.instance);
  return {
    agent, runId, session: `${agent}/${runId}`, token,
    headers: { authorization: `Bearer ${token}` },
    kubeconfig: (connection = 'demo') => kubeconfigFor(token, connection, options.instance),
    sessionKubeconfig: (connection = 'demo') => kubeconfigFor(token, connection, options.instance, 'session'),
  };
}

/** The result of running kubectl. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real kubectl 1.35 with a kubeconfig; never throws on a non-zero exit. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  const binary = path.resolve(__dirname, '../../../.cache/kubectl/kubectl');
  return new Promise((resolve) => {
    const child = execFile(binary, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A request as the simulated cluster received it (tokens removed). */
export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case names; `audit-id` is Gatehouse's request id (`<id>-object` / `<id>-namespace` for the reads policy makes). */
  readonly headers: Record<string, string | string[]>;
  readonly user?: string;
  readonly impersonatedUser?: string;
  readonly impersonatedGroups?: string[];
  readonly code: number;
}

/**
 * Every request that reached the main instance's simulated cluster, from index `since` on: every test's,
 * so only right while no other file runs. Read your own with `upstreamRequestsFor` instead.
 */
export async function upstreamRequests(since = 0): Promise<UpstreamRequest[]> {
  const res = await fetch(`${localGatehouse().endpoints.control}/upstream-requests?since=${since}`);
  return (await res.json()) as never;
}

/** How many requests the simulated cluster has received so far, from every test (see `upstreamRequests`). */
export async function upstreamCount(): Promise<number> {
  return (await upstreamRequests()).length;
}

/**
 * The requests that reached the simulated cluster on behalf of these Gatehouse request ids (the `audit-id`
 * Gatehouse sends), including the reads policy made for them, in the order the cluster received them.
 */
export async function upstreamRequestsFor(requestIds: readonly string[], instance: Instance = 'main'): Promise<UpstreamRequest[]> {
  const out: UpstreamRequest[] = [];
  for (let i = 0; i < requestIds.length; i += 50) {
    const query = requestIds.slice(i, i + 50).map((id) => `auditId=${encodeURIComponent(id)}`).join('&');
    out.push(...((await (await fetch(`${localGatehouse(instance).endpoints.control}/upstream-requests?${query}`)).json()) as UpstreamRequest[]));
  }
  return out;
}

/** The Gatehouse request id of a response (API Gateway's `x-amzn-requestid`, also the record's `requestId`). */
export function requestIdOf(response: { readonly headers: Record<string, string | string[] | undefined> }): string {
  const id = response.headers['x-amzn-requestid'];
  if (typeof id !== 'string' || !id) throw new Error('the response carries no x-amzn-requestid: it did not come through the gateway');
  return id;
}

/**
 * A session's records in the order the requests started. A request's record is completed, and its replay blob
 * written beside it, just after its response has gone out (the intent record is the one write before it), so
 * this waits, up to `settleMs` (10 s), until none is still in flight and every blob a completed record names exists; a
 * record that stays in flight (an open watch) is returned as it is.
 */
export async function sessionRecords(session: string, options: { readonly issuer?: string; readonly instance?: Instance; readonly settleMs?: number } = {}): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + (options.settleMs ?? 10_000);
  const present = new Set<string>();
  for (;;) {
    const items = await readSessionRecords(session, options);
    const settled = items.every((r) => r.phase !== 'intent') && (await blobsPresent(items, present, options.instance));
    if (settled || Date.now() >= deadline) return items;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether the replay blob of every completed record can be read (those found are remembered in `present`). */
async function blobsPresent(items: ReadonlyArray<Record<string, any>>, present: Set<string>, instance?: Instance): Promise<boolean> {
  for (const r of items) {
    const key = r.replayKey;
    if (r.phase !== 'complete' || typeof key !== 'string' || r.replayMissing || present.has(key)) continue;
    if (!(await findReplayBlob(r, instance, 0))) return false;
    present.add(key);
  }
  return true;
}

/**
 * A record's replay blob as stored: its copy in the replay batches (the one whose SHA-256 is the
 * record's, else any, so a test can see a changed one), or the object at `replayKey`; undefined when neither
 * exists within `waitMs`. Read with the CLI's own batch reader.
 */
export async function findReplayBlob(record: Record<string, any>, instance: Instance = 'main', waitMs = 5000): Promise<Buffer | undefined> {
  const client = s3(instance);
  try {
    const reader = new ReplayBatchReader({ s3: client, replayBucket: 'gatehouse-replay', replayBatchBufferSeconds: 1 });
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (record.replayVia === REPLAY_VIA_BATCH) {
        const { copies } = await reader.find(record as never, 0);
        const copy = copies.find((c) => c.sha256 === record.replaySha256) ?? copies[0];
        if (copy) return copy.bytes;
      }
      const object = await client.send(new GetObjectCommand({ Bucket: 'gatehouse-replay', Key: String(record.replayKey) })).catch(() => undefined);
      if (object) return Buffer.from(await object.Body!.transformToByteArray());
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

/** Like findReplayBlob, but a blob that cannot be found fails the test. */
export async function replayBlobOf(record: Record<string, any>, instance: Instance = 'main'): Promise<Buffer> {
  const bytes = await findReplayBlob(record, instance);
  if (!bytes) throw new Error(`no replay blob for request ${record.requestId} (${record.replayKey}, via ${record.replayVia ?? 'object'})`);
  return bytes;
}

/**
 * Changes a record's stored replay blob as someone with write access to the bucket could: its line in the
 * batch holding it (given a line hash of its own, so the batch still reads), or its object.
 */
export async function tamperWithBlob(record: Record<string, any>, change: (text: string) => string, instance: Instance = 'main'): Promise<void> {
  const client = s3(instance);
  const Bucket = 'gatehouse-replay';
  try {
    if (record.replayVia !== REPLAY_VIA_BATCH) {
      const original = await (await client.send(new GetObjectCommand({ Bucket, Key: record.replayKey }))).Body!.transformToString();
      await client.send(new PutObjectCommand({ Bucket, Key: record.replayKey, Body: change(original), ContentType: 'application/json' }));
      return;
    }
    // Every session's lines share the batches (under replay-batches/<UTC hour>/); local mode holds few enough to read them all.
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'replay-batches/', ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    for (const Key of keys) {
      const text = await (await client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();
      let changed = false;
      const lines = text.split('\n').map((line) => {
        if (!line || (JSON.parse(line) as { k: string }).k !== record.replayKey) return line;
        const { entries } = decodeReplayBatch(Buffer.from(`${line}\n`));
        const bytes = Buffer.from(change(entries.get(record.replayKey)![0]!.bytes.toString('utf8')));
        changed = true;
        return encodeReplayBatchLine(JSON.parse(line).p, { key: record.replayKey, sha256: createHash('sha256').update(bytes).digest('hex'), bytes })!.toString().trimEnd();
      });
      if (changed) {
        await client.send(new PutObjectCommand({ Bucket, Key, Body: lines.join('\n') }));
        return;
      }
    }
    throw new Error(`the replay blob of request ${record.requestId} is in none of the replay batches`);
  } finally {
    client.destroy();
  }
}

async function readSessionRecords(session: string, options: { readonly issuer?: string; readonly instance?: Instance }): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents(options.instance).send(new QueryCommand({
      // A session is one partition of the records table, in start order.
      TableName: LOCAL_TABLES.records, KeyConditionExpression: 'pk = :s',
      ExpressionAttributeValues: { ':s': `session#${options.issuer ?? 'demo'}#${session}` }, ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => String(a.startedAtId).localeCompare(String(b.startedAtId)));
}

/** What reached the simulated cluster for a session's requests (its records name their request ids). */
export async function sessionUpstreamRequests(session: string, instance: Instance = 'main'): Promise<UpstreamRequest[]> {
  const ids = (await sessionRecords(session, { instance })).map((r) => String(r.requestId));
  return ids.length ? upstreamRequestsFor(ids, instance) : [];
}

/** Counts of calls an instance's gateway made to STS, DynamoDB, S3 and Firehose since it started: read them inside `withIsolatedGatehouse`. */
export async function awsCalls(instance: Instance = 'main'): Promise<{ assumeRoleCalls: number; getCallerIdentityCalls: number; dynamodbCalls: number; s3Calls: number; firehoseCalls: number }> {
  return (await (await fetch(`${localGatehouse(instance).endpoints.control}/aws-calls`)).json()) as never;
}

/** Makes an instance's Firehose stand-in refuse (or accept again) the proxy's replay lines: use inside `withIsolatedGatehouse`. */
export async function refuseFirehosePuts(on: boolean, instance: Instance = 'isolated'): Promise<void> {
  const response = await fetch(`${localGatehouse(instance).endpoints.control}/faults/firehose?refuse=${on}`, { method: 'POST' });
  if (!response.ok) throw new Error(`the control server did not switch the Firehose stand-in (${response.status})`);
}

/**
 * Runs `use` while no other test uses the isolated instance: tests in other workers that need it wait (up
 * to `timeoutMs`) and then take their turn. A lock left by a worker that died is taken over.
 */
export async function withIsolatedGatehouse<T>(use: (gatehouse: LocalGatehouse) => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const gh = localGatehouse('isolated');
  const lock = path.join(gh.stateDir, 'in-use.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(lock);
      if (owner && !processAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the isolated Gatehouse stayed in use (by pid ${owner}) for ${timeoutMs} ms`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await use(gh);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The pid that holds the lock; 0 while it is being taken or released. */
function lockOwner(lock: string): number {
  try {
    return Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A document client on a local mode's DynamoDB Local. */
export function documents(instance: Instance = 'main'): DynamoDBDocumentClient {
  const gh = localGatehouse(instance);
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: gh.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
}

/** An S3 client on a local mode's S3 server. */
export function s3(instance: Instance = 'main'): S3Client {
  const gh = localGatehouse(instance);
  return new S3Client({
    endpoint: gh.endpoints.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Sends a raw HTTPS request to the gateway (for what kubectl cannot be made to send). */
export async function rawRequest(pathAndQuery: string, init: { method?: string; headers?: Record<string, string | string[]>; body?: string; instance?: Instance } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const https = await import('node:https');
  const gh = localGatehouse(init.instance);
  const url = new URL(gh.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: url.hostname, port: url.port, method: init.method ?? 'GET', path: pathAndQuery, headers: init.headers, ca: fs.readFileSync(gh.caFile) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

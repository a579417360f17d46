import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { sessionKeyOf } from '../lambdas/core/session-record';
import { LOCAL_DEFAULTS as D } from '../local/local-defaults';
import { renderKubeconfig } from '../local/kubeconfig';
import type { BenchRow } from './bench-row';

/** What the sessions bench needs from the running local mode. */
export interface SessionBenchOptions {
  /** The session front's URL and a demo agent's token for it (`run_id` names the session). */
  readonly frontUrl: string;
  readonly tokenFor: (runId: string, agent?: string) => string;
  /** The simulated cluster and an EKS token that reaches it directly (the baseline). */
  readonly simulatorUrl: string;
  readonly directToken: string;
  readonly caPem: string;
  readonly dynamodbEndpoint: string;
  readonly recordsTable: string;
  readonly stateDir: string;
}

const ROUND_TRIPS = Number(process.env.BENCH_EXEC_ROUND_TRIPS ?? 200);
const CONCURRENT_SESSIONS = 50;
const CAT = '/api/v1/namespaces/default/pods/nginx/exec?command=cat&stdin=true&stdout=true&stderr=true';
const PROD_POD = 'api-6d4b8c7f9-m4n8q';

/**
 * `npm run bench`'s session figures, through the session front and direct to the cluster in the same run:
 * exec round-trip (a line typed on stdin to its echo on stdout, over one open `cat`), session setup (open to
 * exit of `echo`), port-forward throughput with kubectl 1.35 on both sides, and 50 exec sessions at once, each
 * checked for its output, its exit code and a completed record.
 */
export async function runSessionBench(options: SessionBenchOptions): Promise<BenchRow[]> {
  const front = (p: string) => `${options.frontUrl.replace('https', 'wss')}/k8s/${D.connection}${p}`;
  const direct = (p: string) => `${options.simulatorUrl.replace('https', 'wss')}${p}`;
  const frontToken = options.tokenFor('bench-sessions');
  const rows: BenchRow[] = [];

  const rttThrough = await execRoundTrips(front(CAT), frontToken, options.caPem);
  const rttDirect = await execRoundTrips(direct(CAT), options.directToken, options.caPem);
  rows.push({ name: 'exec round-trip (stdin line to stdout echo): p50', value: rttThrough.p50, unit: 'ms', baseline: rttDirect.p50, ratio: rttThrough.p50 / rttDirect.p50 });
  rows.push({ name: 'exec round-trip: p99', value: rttThrough.p99, unit: 'ms', baseline: rttDirect.p99, ratio: rttThrough.p99 / rttDirect.p99 });

  const echo = '/api/v1/namespaces/default/pods/nginx/exec?command=echo&command=hi&stdout=true&stderr=true';
  const openThrough = await median(20, () => wholeSession(front(echo), frontToken, options.caPem));
  const openDirect = await median(20, () => wholeSession(direct(echo), options.directToken, options.caPem));
  rows.push({ name: 'exec session, open to exit (echo hi): p50', value: openThrough, unit: 'ms', baseline: openDirect, ratio: openThrough / openDirect });

  const kubeconfig = (server: string, token: string) => {
    const file = path.join(options.stateDir, `bench-kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, renderKubeconfig({ name: 'bench', server, caPem: options.caPem, user: { token } }));
    return file;
  };
  const pfThrough = await portForwardThroughput(kubeconfig(`${options.frontUrl}/k8s/${D.connection}`, frontToken));
  const pfDirect = await portForwardThroughput(kubeconfig(options.simulatorUrl, options.directToken));
  rows.push({ name: 'port-forward throughput (1 MiB HTTP bodies, both ways)', value: pfThrough, unit: 'MiB/s', baseline: pfDirect, ratio: pfThrough / pfDirect });

  const concurrent = await concurrentSessions(options, front);
  rows.push(
    { name: `${CONCURRENT_SESSIONS} concurrent exec sessions: wall time`, value: concurrent.wallMs, unit: 'ms' },
    { name: `${CONCURRENT_SESSIONS} concurrent exec sessions: errors`, value: concurrent.errors, unit: 'sessions' },
    { name: `${CONCURRENT_SESSIONS} concurrent exec sessions: completed records`, value: concurrent.recorded, unit: 'records' },
  );
  return rows;
}

function open(url: string, token: string, caPem: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['v5.channel.k8s.io'], { ca: caPem, headers: { authorization: `Bearer ${token}` } });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** One `cat` session: a line written, its echo awaited, ROUND_TRIPS times. */
async function execRoundTrips(url: string, token: string, caPem: string): Promise<{ p50: number; p99: number }> {
  const socket = await open(url, token, caPem);
  const times: number[] = [];
  let waiting: ((text: string) => void) | undefined;
  let received = '';
  socket.on('message', (raw: Buffer) => {
    if (raw[0] !== 1) return;
    received += raw.subarray(1).toString();
    if (received.endsWith('\n')) { const line = received; received = ''; waiting?.(line); }
  });
  for (let i = 0; i < ROUND_TRIPS + 20; i++) {
    const started = performance.now();
    const echoed = new Promise<string>((resolve) => { waiting = resolve; });
    socket.send(Buffer.concat([Buffer.from([0]), Buffer.from(`line ${i}\n`)]));
    await echoed;
    if (i >= 20) times.push(performance.now() - started);
  }
  socket.send(Buffer.from([255, 0]));
  await new Promise((resolve) => socket.once('close', resolve));
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

/** Opens a session and waits for the cluster to end it; answers the output. */
async function wholeSession(url: string, token: string, caPem: string): Promise<number> {
  const started = performance.now();
  const socket = await open(url, token, caPem);
  await new Promise((resolve) => socket.once('close', resolve));
  return performance.now() - started;
}

async function median(n: number, run: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await run());
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

/** kubectl port-forward to the pod's HTTP echo, then 1 MiB POSTs through it: MiB per second, both directions counted. */
async function portForwardThroughput(kubeconfig: string): Promise<number> {
  const kubectl = path.resolve(__dirname, '../.cache/kubectl/kubectl');
  const child = spawn(kubectl, ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'prod', `pod/${PROD_POD}`, ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 30_000);
      const onData = (c: Buffer) => {
        out += c.toString();
        const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (match) { clearTimeout(timer); resolve(Number(match[1])); }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
    const body = Buffer.alloc(1024 * 1024, 'x');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = () => new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent, headers: { 'content-length': body.length } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => { n += c.length; });
        res.on('end', () => resolve(n));
      });
      req.on('error', reject);
      req.end(body);
    });
    await post();
    const started = performance.now();
    let bytes = 0;
    for (let i = 0; i < 10; i++) bytes += body.length + (await post());
    agent.destroy();
    return bytes / 1024 / 1024 / ((performance.now() - started) / 1000);
  } finally {
    child.kill('SIGINT');
  }
}

/**
 * 50 exec sessions at once, by 50 agents (one agent may hold only `maxSessionsPerAgent`, 5 by default, at once):
 * outputs, exit codes, and records complete.
 */
async function concurrentSessions(options: SessionBenchOptions, front: (p: string) => string): Promise<{ wallMs: number; errors: number; recorded: number }> {
  const run = `bench-concurrent-${Date.now().toString(36)}`;
  const agents = Array.from({ length: CONCURRENT_SESSIONS }, (_, i) => `bench-agent-${i}`);
  const started = performance.now();
  const results = await Promise.all(agents.map(async (agent, i) => {
    try {
      const socket = await open(front(`/api/v1/namespaces/default/pods/nginx/exec?command=echo&command=session-${i}&stdout=true&stderr=true`), options.tokenFor(run, agent), options.caPem);
      let out = '';
      let error = '';
      socket.on('message', (raw: Buffer) => { if (raw[0] === 1) out += raw.subarray(1).toString(); if (raw[0] === 3) error += raw.subarray(1).toString(); });
      await new Promise((resolve) => socket.once('close', resolve));
      return out === `session-${i}\n` && /"Success"/.test(error);
    } catch {
      return false;
    }
  }));
  const wallMs = performance.now() - started;
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: options.dynamodbEndpoint, region: D.region, credentials: D.callerCredentials }));
  let recorded = 0;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(agents.map(async (agent) => {
      const { Items = [] } = await documents.send(new QueryCommand({
        TableName: options.recordsTable, KeyConditionExpression: 'pk = :k',
        ExpressionAttributeValues: { ':k': sessionKeyOf({ issuer: 'demo', session: `${agent}/${run}` }) },
      }));
      return Items.filter((r) => r.subresource === 'exec' && r.phase === 'complete' && r.upgrade?.exitCode === 0).length;
    }));
    recorded = counts.reduce((a, b) => a + b, 0);
    if (recorded >= CONCURRENT_SESSIONS) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  documents.destroy();
  return { wallMs, errors: results.filter((ok) => !ok).length, recorded };
}

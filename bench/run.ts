import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mintEksToken } from '../lambdas/core/eks-token';
import { sessionKeyOf } from '../lambdas/core/session-record';
import { LOCAL_DEFAULTS as D } from '../local/local-defaults';
import { signJwt } from '../local/sign-jwt';
import { type BenchRow, formatBenchRows } from './bench-row';
import { peakRssMiB, startLocalGatehouse } from './local-gatehouse-process';
import { runPolicyAndMaskingBench } from './policy-and-masking';
import { runColdStartBench } from './cold-start';
import { runCostModel } from './cost-model';
import { runRequestPathBench } from './request-paths';
import { runSessionBench } from './sessions';
import { runStreamingBench } from './streaming';
import { runAwsBench } from './aws-calls';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const PODS = 100;
/** `BENCH_ONLY=cost`: only the cost model (seeded the same way), for working on it; the figures in the README come from a full run. */
const ONLY_COST = process.env.BENCH_ONLY === 'cost';

interface LoadResult { readonly rps: number; readonly p50: number; readonly p99: number }

/**
 * `npm run bench`: the request path measured in one run, direct to the (simulated) cluster and through
 * local Gatehouse (same handler as the Lambda, DynamoDB Local, S3 server, STS stand-in), with the ratio;
 * AWS calls per request on the warm path; watch and logs -f streams through Gatehouse and direct; the proxy's
 * own cost per request, buffered against streamed; then policy and masking throughput against JSON parse+serialize.
 */
async function main(): Promise<void> {
  const local = await startLocalGatehouse();
  try {
    const { ready } = local;
    const ca = fs.readFileSync(ready.caFile);
    const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca });
    const gatewayToken = demoToken(local.stateDir, ready);
    const gateway = (p: string) => `${ready.gatewayUrl}/k8s/${D.connection}${p}`;
    const costTargets = () => ({
      agent, gateway, gatewayToken, endpoints: ready.endpoints, recordsTable: ready.env.GATEHOUSE_RECORDS_TABLE!, sessionKey: sessionKeyOf({ issuer: 'demo', session: `${D.demoAgent}/bench` }), replayBucket: ready.env.GATEHOUSE_REPLAY_BUCKET!,
      logFile: local.logFile, lambdaMemoryGb: 1, retentionDays: 400,
      replayBatchBufferSeconds: Number(ready.env.GATEHOUSE_REPLAY_BATCH_BUFFER_SECONDS ?? 1),
    });
    await seedPods(agent, gateway, gatewayToken);
    if (ONLY_COST) {
      const cost = await runCostModel(costTargets());
      console.log(`${cost.table}\n\nlog file: ${local.logFile}`);
      return;
    }

    const eksToken = await directEksToken(ready);
    const direct = (p: string) => `${ready.endpoints.simulator}${p}`;
    const rows: BenchRow[] = [];
    for (const [name, p] of [['list 100 pods', `/api/v1/namespaces/bench/pods`], ['get one pod', `/api/v1/namespaces/bench/pods/bench-pod-7`]] as const) {
      const base = await load(agent, direct(p), eksToken);
      const before = await awsCalls(ready);
      const through = await load(agent, gateway(p), gatewayToken);
      const after = await awsCalls(ready);
      const n = REQUESTS + warmup();
      rows.push(
        { name: `${name}: requests/s through Gatehouse`, value: through.rps, unit: 'req/s', baseline: base.rps, ratio: through.rps / base.rps },
        { name: `${name}: p50 latency`, value: through.p50, unit: 'ms', baseline: base.p50, ratio: through.p50 / base.p50 },
        { name: `${name}: p99 latency`, value: through.p99, unit: 'ms', baseline: base.p99, ratio: through.p99 / base.p99 },
        { name: `${name}: STS calls per request`, value: (after.assumeRoleCalls - before.assumeRoleCalls) / n, unit: 'calls' },
        { name: `${name}: DynamoDB calls per request`, value: (after.dynamodbCalls - before.dynamodbCalls) / n, unit: 'calls' },
        { name: `${name}: S3 calls per request`, value: (after.s3Calls - before.s3Calls) / n, unit: 'calls' },
        { name: `${name}: Firehose records per request`, value: (after.firehoseCalls - before.firehoseCalls) / n, unit: 'calls' },
      );
    }
    if (ready.endpoints.aws) {
      rows.push(...(await runAwsBench({
        gatewayUrl: ready.gatewayUrl, caFile: ready.caFile, aws: ready.endpoints.aws, token: demoToken(local.stateDir, ready, { runId: 'bench-aws' }),
        stateDir: local.stateDir, requests: REQUESTS, concurrency: CONCURRENCY,
      })));
    }
    rows.push(...(await runStreamingBench({ agent, gateway, gatewayToken, direct, directToken: eksToken })));
    rows.push(...(await runSessionBench({
      frontUrl: ready.sessionFrontUrl, simulatorUrl: ready.endpoints.simulator, directToken: eksToken, caPem: ca.toString('utf8'),
      tokenFor: (runId, agentName) => demoToken(local.stateDir, ready, { runId, agent: agentName }),
      dynamodbEndpoint: ready.endpoints.dynamodb, recordsTable: ready.env.GATEHOUSE_RECORDS_TABLE!, stateDir: local.stateDir,
    })));
    rows.push({ name: 'peak RSS of local mode (handler, simulator, stand-ins)', value: peakRssMiB(local.child.pid!), unit: 'MiB' });
    rows.push(...(await runRequestPathBench()));
    rows.push(...runColdStartBench());
    const cost = await runCostModel(costTargets());
    rows.push(...cost.rows);
    rows.push(...(await runPolicyAndMaskingBench()));
    console.log(`\nGatehouse benchmark: ${REQUESTS} requests per scenario, concurrency ${CONCURRENCY}; baseline = direct to the cluster (same run)\n`);
    console.log(formatBenchRows(rows));
    console.log(`\n${cost.table}`);
    console.log(`\nmachine: ${process.platform} ${process.arch}, ${require('node:os').cpus().length} cores, Node ${process.version}`);
  } finally {
    local.stop();
  }
}

function warmup(): number {
  return Math.min(50, REQUESTS);
}

async function load(agent: https.Agent, url: string, token: string): Promise<LoadResult> {
  for (let i = 0; i < warmup(); i += 1) await get(agent, url, token);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < REQUESTS) {
      next += 1;
      const t = performance.now();
      await get(agent, url, token);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: REQUESTS / seconds, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) };
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function get(agent: https.Agent, url: string, token: string, method = 'GET', body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent, method, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 400 ? resolve(res.statusCode) : reject(new Error(`${method} ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function seedPods(agent: https.Agent, gateway: (p: string) => string, token: string): Promise<void> {
  await get(agent, gateway('/api/v1/namespaces'), token, 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
  for (let i = 0; i < PODS; i += 1) {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-pod-${i}`, namespace: 'bench', labels: { app: 'bench' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'bench' }] }] } };
    await get(agent, gateway('/api/v1/namespaces/bench/pods'), token, 'POST', JSON.stringify(pod));
  }
}

function demoToken(stateDir: string, ready: { issuer: string; audience: string }, who: { runId?: string; agent?: string } = {}): string {
  const key = createPrivateKey(fs.readFileSync(path.join(stateDir, 'demo-issuer-key.pem')));
  const now = Math.floor(Date.now() / 1000);
  // Agents other than demo-agent are granted through the demo ops group.
  const groups = who.agent && who.agent !== D.demoAgent ? { groups: ['gatehouse-demo-ops'] } : {};
  return signJwt({ iss: ready.issuer, aud: ready.audience, sub: who.agent ?? D.demoAgent, iat: now, exp: now + 3600, run_id: who.runId ?? 'bench', ...groups }, { alg: 'RS256', key, kid: 'gatehouse-demo-1' });
}

/** The baseline's credentials: what an agent holding the connection role directly would send. */
async function directEksToken(ready: { endpoints: { sts: string } }): Promise<string> {
  const sts = new STSClient({ endpoint: ready.endpoints.sts, region: D.region, credentials: D.callerCredentials });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: D.roleArn, RoleSessionName: 'bench-direct' }));
  const c = out.Credentials!;
  return mintEksToken({ credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken }, clusterName: D.clusterName, region: D.region, now: new Date() }).token;
}

async function awsCalls(ready: { endpoints: { control: string } }): Promise<{ assumeRoleCalls: number; dynamodbCalls: number; s3Calls: number; firehoseCalls: number }> {
  return (await (await fetch(`${ready.endpoints.control}/aws-calls`)).json()) as never;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

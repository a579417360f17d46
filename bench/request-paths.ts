import { Readable } from 'node:stream';
import { loadGatewayPolicy } from '../lib/config/load-gateway-policy';
import type { ProxyRequest } from '../lambdas/core/api-gateway-event';
import type { ConnectionConfig, GatewayConfig } from '../lambdas/core/gateway-config';
import { createRequestGuard } from '../lambdas/proxy/create-request-guard';
import { proxyRequest, type ProxyDependencies } from '../lambdas/proxy/proxy-request';
import { streamRequest } from '../lambdas/proxy/stream-request';
import type { BenchRow } from './bench-row';

const ITERATIONS = Number(process.env.BENCH_PATH_ITERATIONS ?? 2000);

/**
 * The proxy's own cost per request, buffered (the handler before response streaming) against streamed (the
 * handler now), over the same in-memory ports and the real guard with the default policy, in the same run: a
 * list of 100 pods and a get of one. Nothing here waits on I/O, so the difference is the path itself.
 */
export async function runRequestPathBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [name, path, body] of [['list 100 pods', '/api/v1/namespaces/bench/pods', podList(100)], ['get one pod', '/api/v1/namespaces/bench/pods/web-7', JSON.stringify(pod(7))]] as const) {
    const deps = dependencies(Buffer.from(body));
    const req = (i: number): ProxyRequest => ({
      requestId: `bench-${i}`, method: 'GET', connection: 'bench', clusterPath: path, rawQuery: 'limit=500',
      headers: { authorization: ['Bearer agent-jwt'], accept: ['application/json'] }, body: Buffer.alloc(0),
    });
    // Interleaved rounds, best of three each, so neither side gains from running after the other warmed the JIT.
    const buffered: number[] = [];
    const streamed: number[] = [];
    for (let round = 0; round < 3; round++) {
      buffered.push(await timePerRequest(async (i) => { await proxyRequest(req(i), deps); }));
      streamed.push(await timePerRequest(async (i) => { await drain((await streamRequest(req(i), deps)).body); }));
    }
    const [b, t] = [Math.min(...buffered), Math.min(...streamed)];
    rows.push({ name: `${name}: proxy path, streamed handler`, value: t, unit: 'µs/req', baseline: b, ratio: t / b });
  }
  return rows;
}

async function timePerRequest(run: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await run(i);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await run(i);
  return ((performance.now() - started) * 1000) / ITERATIONS;
}

async function drain(body: Buffer | Readable): Promise<void> {
  if (Buffer.isBuffer(body)) return;
  for await (const chunk of body) void chunk;
}

function dependencies(upstreamBody: Buffer): ProxyDependencies {
  const connection: ConnectionConfig = {
    name: 'bench', clusterName: 'bench', region: 'us-east-1', endpoint: 'https://bench.cluster.example', certificateAuthorityData: '',
    roleArn: 'arn:aws:iam::111122223333:role/gatehouse-bench',
  };
  const config = { issuers: [], connections: [connection] } as unknown as GatewayConfig;
  const { serialized } = loadGatewayPolicy(config, process.cwd());
  const grant = { grantId: 'g-bench', connection: 'bench', principalType: 'agent', principal: 'bench-agent', createdAt: '', createdBy: '', source: 'cli' } as const;
  return {
    connections: new Map([['bench', connection]]),
    issuerNames: ['ci'],
    limits: { maxRequestBodyBytes: 1_048_576, upstreamTimeoutMs: 25_000 },
    retentionDays: 30,
    verifier: { verify: async () => ({ claims: { sub: 'bench-agent', run_id: '1' }, issuer: { name: 'ci', issuer: 'https://ci.example', audience: ['gatehouse'], sessionClaim: 'run_id' } }) },
    grants: { grantsFor: async () => [grant] },
    records: { putIntent: async () => undefined, complete: async () => undefined, putFinal: async () => undefined },
    replay: { put: async () => undefined },
    roles: { credentialsFor: async () => ({ accessKeyId: 'ASIAXXXXXXXXXXXXXXXX', secretAccessKey: 'secret', sessionToken: 'token' }) },
    upstream: {
      send: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: upstreamBody, latencyMs: 1 }),
    },
    clusterFacts: { read: async () => ({}) },
    guard: createRequestGuard(config, serialized),
    now: () => new Date(),
    log: () => undefined,
    annotate: () => undefined,
    metric: () => undefined,
  };
}

function pod(i: number) {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, namespace: 'bench', labels: { app: 'web' }, resourceVersion: String(1000 + i) },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'bench' }] }] },
    status: { phase: 'Running', podIP: `10.0.0.${i % 250}` },
  };
}

function podList(n: number): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '2000' }, items: Array.from({ length: n }, (_, i) => pod(i)) });
}

import https from 'node:https';
import { FOLLOW_BURST_ANNOTATION } from '../local/kube-api-simulator/read-handlers';
import type { BenchRow } from './bench-row';

/** How to reach the cluster through Gatehouse and directly, with each side's credential. */
export interface StreamingBenchTargets {
  readonly agent: https.Agent;
  readonly gateway: (path: string) => string;
  readonly gatewayToken: string;
  readonly direct: (path: string) => string;
  readonly directToken: string;
}

const CONFIGMAPS = Number(process.env.BENCH_WATCH_OBJECTS ?? 1000);
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 5);

/**
 * Streams, through Gatehouse and direct to the (simulated) cluster in the same run: a watch's time to its first
 * event and its events per second (the ADDED events of `CONFIGMAPS` existing objects, each masked on its own
 * through Gatehouse), and a `logs -f` of a chatty container in lines per second (masked line by line). Each
 * figure is the median of `ROUNDS` runs.
 */
export async function runStreamingBench(t: StreamingBenchTargets): Promise<BenchRow[]> {
  await seed(t);
  const watchPath = '/api/v1/namespaces/bench-watch/configmaps?watch=true&timeoutSeconds=30';
  const logsPath = '/api/v1/namespaces/bench-watch/pods/chatty/log?follow=true';
  const through = { watch: [] as Stream[], logs: [] as Stream[] };
  const direct = { watch: [] as Stream[], logs: [] as Stream[] };
  for (let round = 0; round < ROUNDS; round++) {
    direct.watch.push(await stream(t.agent, t.direct(watchPath), t.directToken, CONFIGMAPS));
    through.watch.push(await stream(t.agent, t.gateway(watchPath), t.gatewayToken, CONFIGMAPS));
    direct.logs.push(await stream(t.agent, t.direct(logsPath), t.directToken));
    through.logs.push(await stream(t.agent, t.gateway(logsPath), t.gatewayToken));
  }
  const ttfe = (s: Stream[]) => median(s.map((x) => x.firstMs));
  const rate = (s: Stream[]) => median(s.map((x) => x.units / (x.lastMs / 1000)));
  const rows: BenchRow[] = [
    { name: `watch of ${CONFIGMAPS} objects: time to first event`, value: ttfe(through.watch), unit: 'ms', baseline: ttfe(direct.watch), ratio: ttfe(through.watch) / ttfe(direct.watch) },
    { name: `watch of ${CONFIGMAPS} objects: events/s`, value: rate(through.watch), unit: 'events/s', baseline: rate(direct.watch), ratio: rate(through.watch) / rate(direct.watch) },
    { name: `logs -f of ${LOG_LINES} lines: time to first line`, value: ttfe(through.logs), unit: 'ms', baseline: ttfe(direct.logs), ratio: ttfe(through.logs) / ttfe(direct.logs) },
    { name: `logs -f of ${LOG_LINES} lines: lines/s`, value: rate(through.logs), unit: 'lines/s', baseline: rate(direct.logs), ratio: rate(through.logs) / rate(direct.logs) },
  ];
  const short = through.watch.find((s) => s.units < CONFIGMAPS) ?? through.logs.find((s) => s.units < LOG_LINES);
  if (short) throw new Error(`a stream through Gatehouse ended early with ${short.units} units; see the local mode log`);
  return rows;
}

/** One stream's timings: first unit and the last one awaited, from the request; units counted. */
interface Stream {
  readonly firstMs: number;
  readonly lastMs: number;
  readonly units: number;
}

/**
 * Reads a stream until `untilUnits` newline-terminated units have arrived (then closes it: a watch stays open)
 * or the server ends it.
 */
function stream(agent: https.Agent, url: string, token: string, untilUnits = Infinity): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first = 0;
    let units = 0;
    let done = false;
    const req = https.request(url, { agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${url}: ${res.statusCode}`));
        res.resume();
        return;
      }
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ firstMs: first - started, lastMs: performance.now() - started, units });
      };
      res.on('data', (chunk: Buffer) => {
        if (!first) first = performance.now();
        for (const byte of chunk) if (byte === 0x0a) units += 1;
        if (units >= untilUnits) {
          finish();
          req.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', () => finish());
    });
    req.on('error', (error) => { if (!done) reject(error); });
    req.end();
  });
}

async function seed(t: StreamingBenchTargets): Promise<void> {
  await send(t, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-watch' } });
  for (let i = 0; i < CONFIGMAPS; i += 1) {
    await send(t, '/api/v1/namespaces/bench-watch/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench' } }, data: { mode: 'bench', index: String(i) } });
  }
  await send(t, '/api/v1/namespaces/bench-watch/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'chatty', annotations: { [FOLLOW_BURST_ANNOTATION]: String(LOG_LINES) } },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
  });
}

/** Creates an object directly on the cluster (seeding is not what is measured). */
function send(t: StreamingBenchTargets, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(t.direct(path), { agent: t.agent, method: 'POST', headers: { authorization: `Bearer ${t.directToken}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 400 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

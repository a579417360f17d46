import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { BenchRow } from './bench-row';

const ROOT = path.resolve(__dirname, '..');
const LOADS = Number(process.env.BENCH_COLD_LOADS ?? 7);

/**
 * The proxy's cold start as this machine can measure it: the bundle as `cdk deploy` builds it (esbuild, CJS,
 * node22, minified, the AWS SDK bundled; lib/lambda-bundling.ts), and the CPU time a fresh Node process spends
 * loading it (median of `LOADS`; CPU rather than wall time, so a busy machine moves it less). The baseline is
 * the floor every Lambda on this stack pays: middy, Powertools' logger and the DynamoDB document client.
 */
export function runColdStartBench(): BenchRow[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cold-'));
  try {
    const floorEntry = path.join(dir, 'floor.ts');
    fs.writeFileSync(floorEntry, [
      `import middy from '${ROOT}/node_modules/@middy/core';`,
      `import { Logger } from '${ROOT}/node_modules/@aws-lambda-powertools/logger';`,
      `import { DynamoDBClient } from '${ROOT}/node_modules/@aws-sdk/client-dynamodb';`,
      `import { DynamoDBDocumentClient } from '${ROOT}/node_modules/@aws-sdk/lib-dynamodb';`,
      'const logger = new Logger();',
      'const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));',
      'export const handler = middy(async () => { logger.info("x"); return documents; });',
    ].join('\n'));
    const proxy = bundle(path.join(ROOT, 'lambdas/proxy/handler.ts'), path.join(dir, 'proxy.js'));
    const floor = bundle(floorEntry, path.join(dir, 'floor.js'));
    const proxyLoad = loadCpuMs(proxy.file);
    const floorLoad = loadCpuMs(floor.file);
    return [
      { name: 'proxy bundle (minified, SDK bundled)', value: proxy.bytes / 1024, unit: 'KiB', baseline: floor.bytes / 1024, ratio: proxy.bytes / floor.bytes },
      { name: 'proxy module load, CPU time', value: proxyLoad, unit: 'ms', baseline: floorLoad, ratio: proxyLoad / floorLoad },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function bundle(entry: string, outfile: string): { file: string; bytes: number } {
  buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', minify: true, logLevel: 'error' });
  return { file: outfile, bytes: fs.statSync(outfile).size };
}

/** CPU milliseconds to require the bundle in a fresh process, with the Lambda runtime's streaming global stubbed. */
function loadCpuMs(file: string): number {
  const script = [
    'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };',
    'const before = process.cpuUsage();',
    `require(${JSON.stringify(file)});`,
    'const used = process.cpuUsage(before);',
    'process.stdout.write(String((used.user + used.system) / 1000));',
  ].join('\n');
  const runs = Array.from({ length: LOADS }, () => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

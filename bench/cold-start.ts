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
 * the floor every Lambda on this stack pays: middy, Powertools' logger and the DynamoDB document client. It also
 * measures the option not taken (the SDK the Lambda runtime ships instead of the lockfile's), against the real one.
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
    // The option not taken, measured in the same run: the AWS SDK left to the one the Lambda runtime ships.
    const runtimeSdk = bundle(path.join(ROOT, 'lambdas/proxy/handler.ts'), path.join(dir, 'proxy-runtime-sdk.js'), RUNTIME_PROVIDED);
    const proxyLoad = loadCpuMs(proxy.file);
    const floorLoad = loadCpuMs(floor.file);
    const runtimeSdkLoad = loadCpuMs(runtimeSdk.file);
    return [
      { name: 'proxy bundle (minified, SDK bundled)', value: proxy.bytes / 1024, unit: 'KiB', baseline: floor.bytes / 1024, ratio: proxy.bytes / floor.bytes },
      { name: 'proxy module load, CPU time', value: proxyLoad, unit: 'ms', baseline: floorLoad, ratio: proxyLoad / floorLoad },
      { name: 'option: proxy bundle, SDK from the runtime', value: runtimeSdk.bytes / 1024, unit: 'KiB', baseline: proxy.bytes / 1024, ratio: runtimeSdk.bytes / proxy.bytes },
      { name: 'option: module load, SDK from the runtime', value: runtimeSdkLoad, unit: 'ms', baseline: proxyLoad, ratio: runtimeSdkLoad / proxyLoad },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the Node.js Lambda runtimes ship: AWS SDK v3 and the Smithy packages it is built on. */
const RUNTIME_PROVIDED = ['@aws-sdk/*', '@smithy/*'];

function bundle(entry: string, outfile: string, external: readonly string[] = []): { file: string; bytes: number } {
  buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', minify: true, logLevel: 'error', external: [...external] });
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
  // NODE_PATH: a bundle that leaves the SDK out finds it in this repository's node_modules, as the runtime's own.
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
  const runs = Array.from({ length: LOADS }, () => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] })));
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What local mode wrote once it was ready. */
export interface LocalEndpoints {
  readonly gatewayUrl: string;
  readonly sessionFrontUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly caFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: {
    readonly dynamodb: string; readonly s3: string; readonly sts: string; readonly simulator: string; readonly control: string;
    /** The workload account behind `/aws/local-aws`. */
    readonly aws?: { readonly dynamodb: string; readonly s3: string };
  };
}

/** Starts local mode as the README does, in a throwaway state dir, and waits until it is ready. */
export async function startLocalGatehouse(): Promise<{ ready: LocalEndpoints; stateDir: string; logFile: string; child: ChildProcess; stop(): void }> {
  const root = path.resolve(__dirname, '..');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const readyFile = path.join(stateDir, 'ready.json');
  const log = fs.openSync(path.join(stateDir, 'gatehouse.log'), 'a');
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['local/main.ts', '--port', '0', '--issuer-port', '0', '--session-front-port', '0', '--state-dir', stateDir, '--no-persist', '--ready-file', readyFile], {
    cwd: root, stdio: ['ignore', log, log], detached: true, // INFO, as deployed: the cost model counts the log bytes CloudWatch would ingest.
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' },
  });
  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`local mode did not start; see ${stateDir}/gatehouse.log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    ready: JSON.parse(fs.readFileSync(readyFile, 'utf8')) as LocalEndpoints,
    stateDir,
    logFile: path.join(stateDir, 'gatehouse.log'),
    child,
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Peak resident memory (VmHWM), in MiB, of the largest node process in the group: local mode runs behind a
 * tsx wrapper and re-executes itself once, and the largest is the one serving requests.
 */
export function peakRssMiB(pid: number): number {
  let peak = 0;
  for (const entry of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const pgid = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[2];
      if (Number(pgid) !== pid) continue;
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1];
      if (name !== 'node') continue;
      peak = Math.max(peak, Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // process ended meanwhile
    }
  }
  return peak;
}

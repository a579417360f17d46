import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createLocalCa, issueServerCertificate } from '../../../local/local-ca';
import { freePort } from '../../../local/free-port';
import { startMisbehavingUpstream } from './misbehaving-upstream';

/**
 * Where the end-to-end tests find the running local Gatehouse: a file per jest run (the global setup
 * exports its path to the test workers), so two runs on one machine never read or stop each other's.
 */
export function e2eReadyFile(): string {
  return process.env.GATEHOUSE_E2E_READY_FILE ?? path.resolve(__dirname, '../../../.cache/e2e/ready.json');
}

/** What the global setup writes about one running local mode (local/main.ts's ready file plus these). */
interface StartedInstance extends Record<string, unknown> {
  readonly pid: number;
  readonly stateDir: string;
  readonly logFile: string;
}

/**
 * Starts local mode exactly as the README's command does (a child process running local/main.ts), on free
 * ports with `stateDir`, and resolves once it has written its ready file.
 */
async function startLocalMode(root: string, stateDir: string, config: Record<string, unknown>): Promise<StartedInstance> {
  const configFile = path.join(stateDir, 'e2e-config.yaml');
  fs.writeFileSync(configFile, stringify(config));
  const readyFile = path.join(stateDir, 'ready.json');
  const logFile = path.join(stateDir, 'gatehouse.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    path.join(root, 'node_modules/.bin/tsx'),
    ['local/main.ts', '--port', '0', '--issuer-port', '0', '--session-front-port', '0', '--state-dir', stateDir, '--no-persist', '--ready-file', readyFile, '--config', configFile],
    { cwd: root, stdio: ['ignore', out, out], detached: true, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' } },
  );
  fs.closeSync(out);
  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`local mode did not start (exit ${child.exitCode}); log:\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.unref();
  return { ...(JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Record<string, unknown>), pid: child.pid!, stateDir, logFile };
}

/**
 * Starts two local modes side by side and writes where they are to the ready file:
 * - the main one, which every test shares (tests tell their own requests apart by session, agent or
 *   request id, so any number of jest workers may use it at once);
 * - `isolated`, for the tests that need a Gatehouse nobody else is using at the moment: the held approvals
 *   (it holds requests for their decision, as deployed by default, and its approvals time out after 30 s, where
 *   the main instance answers pending at once and waits the default 30 min, so no other approval test races a
 *   timeout) and the AWS call counts, which only exist per process. They take
 *   turns through `withIsolatedGatehouse` (local-gatehouse.ts).
 */
export default async function globalSetup(): Promise<void> {
  require('../../../scripts/prepare-kubectl.js').kubectlPath();
  const root = path.resolve(__dirname, '../../..');
  process.env.GATEHOUSE_E2E_READY_FILE = path.resolve(__dirname, `../../../.cache/e2e/ready-${process.pid}.json`);
  fs.mkdirSync(path.dirname(e2eReadyFile()), { recursive: true });
  fs.rmSync(e2eReadyFile(), { force: true });
  // The CA is made here (both local modes reuse it) so the misbehaving cluster's certificate verifies: only
  // its behaviour is broken, not its TLS.
  const ca = createLocalCa();
  const stateDir = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-e2e-${name}-`));
    fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
    fs.writeFileSync(path.join(dir, 'ca-key.pem'), ca.keyPem);
    return dir;
  };
  const misbehaving = await startMisbehavingUpstream(issueServerCertificate(ca));
  (globalThis as Record<string, unknown>).__misbehavingUpstream = misbehaving;
  const closedPort = await freePort();
  const connection = (name: string, endpoint: string) => ({
    name, clusterName: name, region: 'us-east-1', endpoint, certificateAuthorityData: Buffer.from(ca.certPem).toString('base64'),
    roleArn: `arn:aws:iam::111122223333:role/gatehouse-${name}`,
  });
  // The default policy plus approvals for the approval tests' agents (approval-*), see test/e2e/approvals.test.ts.
  const policyFiles = [path.join(root, 'test/e2e/fixtures/approvals-policy.yaml')];
  // personClaims make approval-self@example.com local mode's approver.
  const personClaims = { 'approval-self@example.com': 'U0LOCALAPPROVER' };
  const started: StartedInstance[] = [];
  try {
    const [main, isolated] = await Promise.all([
      startLocalMode(root, stateDir('main'), {
        connections: [connection('unreachable', `https://127.0.0.1:${closedPort}`), connection('misbehaving', misbehaving.url)],
        grants: [{ connection: 'unreachable', agent: 'demo-agent' }, { connection: 'misbehaving', agent: 'demo-agent' }],
        // 16 MiB: a 7 MB list streams through (streaming.test.ts), the misbehaving cluster's ~20 MB one does not.
        // streamIdleSeconds 15: the stalled watch (streaming.test.ts) ends within the test; no other watch here
        // stays silent that long.
        limits: { upstreamTimeoutMs: 3000, maxRequestBodyBytes: 262144, maxResponseBytes: 16 * 1024 * 1024, streamIdleSeconds: 15 },
        policyFiles,
        // Answer "pending" at once: these approval tests read that answer and then click. Holding a request for
        // its decision (the default) is tested on the isolated instance.
        approvals: { personClaims, holdSeconds: 0 },
      }).then((s) => (started.push(s), s)),
      startLocalMode(root, stateDir('isolated'), {
        policyFiles,
        // Short enough for the expiry test, long enough for a click while kubectl is held (default hold, 240 s).
        approvals: { timeoutMinutes: 0.5, personClaims },
        // Small enough for the stream cap test (streaming.test.ts) to reach it.
        limits: { maxStreamsPerAgent: 2 },
      }).then((s) => (started.push(s), s)),
    ]);
    fs.writeFileSync(e2eReadyFile(), JSON.stringify({ ...main, isolated }));
  } catch (error) {
    for (const instance of started) stopProcessGroup(instance.pid, 'SIGKILL');
    await misbehaving.close();
    throw error;
  }
}

/** Signals a local mode's whole process group (it runs DynamoDB Local and re-executes itself). */
export function stopProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

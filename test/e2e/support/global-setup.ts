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

/**
 * Starts local mode exactly as the README's command does (a child process running local/main.ts), on free
 * ports with a throwaway state dir, and waits until it has written its ready file.
 */
export default async function globalSetup(): Promise<void> {
  require('../../../scripts/prepare-kubectl.js').kubectlPath();
  const root = path.resolve(__dirname, '../../..');
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
  process.env.GATEHOUSE_E2E_READY_FILE = path.resolve(__dirname, `../../../.cache/e2e/ready-${process.pid}.json`);
  fs.mkdirSync(path.dirname(e2eReadyFile()), { recursive: true });
  fs.rmSync(e2eReadyFile(), { force: true });
  // The CA is made here (local mode reuses it) so the misbehaving cluster's certificate verifies: only
  // its behaviour is broken, not its TLS.
  const ca = createLocalCa();
  fs.writeFileSync(path.join(stateDir, 'ca.pem'), ca.certPem);
  fs.writeFileSync(path.join(stateDir, 'ca-key.pem'), ca.keyPem);
  const misbehaving = await startMisbehavingUpstream(issueServerCertificate(ca));
  (globalThis as Record<string, unknown>).__misbehavingUpstream = misbehaving;
  const closedPort = await freePort();
  const connection = (name: string, endpoint: string) => ({
    name, clusterName: name, region: 'us-east-1', endpoint, certificateAuthorityData: Buffer.from(ca.certPem).toString('base64'),
    roleArn: `arn:aws:iam::111122223333:role/gatehouse-${name}`,
  });
  const configFile = path.join(stateDir, 'e2e-config.yaml');
  fs.writeFileSync(configFile, stringify({
    connections: [connection('unreachable', `https://127.0.0.1:${closedPort}`), connection('misbehaving', misbehaving.url)],
    grants: [{ connection: 'unreachable', agent: 'demo-agent' }, { connection: 'misbehaving', agent: 'demo-agent' }],
    limits: { upstreamTimeoutMs: 3000, maxRequestBodyBytes: 262144 },
    // The default policy plus approvals for the approval tests' agents (approval-*), see test/e2e/approvals.test.ts.
    policyFiles: [path.join(root, 'test/e2e/fixtures/approvals-policy.yaml')],
    // Short enough for the expiry test; personClaims make approval-self@example.com local mode's approver.
    approvals: { timeoutMinutes: 0.25, personClaims: { 'approval-self@example.com': 'U0LOCALAPPROVER' } },
  }));
  const readyFile = path.join(stateDir, 'ready.json');
  const logFile = path.join(stateDir, 'gatehouse.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    path.join(root, 'node_modules/.bin/tsx'),
    ['local/main.ts', '--port', '0', '--issuer-port', '0', '--state-dir', stateDir, '--no-persist', '--ready-file', readyFile, '--config', configFile],
    { cwd: root, stdio: ['ignore', out, out], detached: true, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' } },
  );
  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`local mode did not start (exit ${child.exitCode}); log:\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(e2eReadyFile(), JSON.stringify({ ...ready, pid: child.pid, stateDir, logFile }));
  child.unref();
}

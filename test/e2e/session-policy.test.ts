import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { kubectl, localGatehouse, ownSession, sessionRecords, withIsolatedGatehouse } from './support/local-gatehouse';

jest.setTimeout(90_000);

/**
 * Policy, approvals, attach and port-forward on the session front, with real kubectl 1.35. The rules are in
 * test/e2e/fixtures/approvals-policy.yaml (agents named session-*): no `rm -rf`, exec in prod held for a
 * person, no forwarding of port 5432.
 */
const KUBECTL = path.resolve(__dirname, '../../.cache/kubectl/kubectl');
const PROD_POD = 'api-6d4b8c7f9-m4n8q';

/** A long-running kubectl whose output can be waited on. */
function start(kubeconfig: string, args: readonly string[]) {
  const child: ChildProcess = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } });
  let stdout = '';
  let stderr = '';
  const changed: Array<() => void> = [];
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); changed.forEach((f) => f()); });
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); changed.forEach((f) => f()); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { changed.forEach((f) => f()); resolve(code); }));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor: (pattern: RegExp, ms = 30_000) => new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)), ms);
      const check = () => {
        const match = pattern.exec(stdout + stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      };
      changed.push(check);
      check();
    }),
  };
}

describe('policy on sessions', () => {
  it('denies an exec of rm -rf with the rule\'s message, and never opens it on the cluster', async () => {
    // Arrange
    const s = ownSession('no-rm', { agent: `session-rm-${Date.now().toString(36)}` });
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['exec', '-n', 'staging', 'web-7c5d4f8b9-h2j4k', '--', 'rm', '-rf', '/app']);
    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Deleting files recursively in a pod is not allowed/);
    const records = (await sessionRecords(s.session)).filter((r) => r.subresource === 'exec');
    // kubectl asks twice (WebSocket, then its SPDY fallback); both are denied by the rule, neither reaches the cluster.
    expect(records.length).toBeGreaterThanOrEqual(1);
    for (const record of records) expect(record).toMatchObject({ outcome: 'denied', ruleId: 'e2e/session-no-rm-rf' });
  });

  it('lets other commands in the same pod through', async () => {
    // Arrange
    const s = ownSession('other-cmd', { agent: `session-ok-${Date.now().toString(36)}` });
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['exec', '-n', 'staging', 'web-7c5d4f8b9-h2j4k', '--', 'ls', '/app']);
    // Assert
    expect(result.code).toBe(0);
  });

  it('holds an exec into prod until a person approves in Slack, then runs it', async () => {
    await withIsolatedGatehouse(async (gh) => {
      // Arrange
      const s = ownSession('held-exec', { agent: `session-held-${Date.now().toString(36)}`, instance: 'isolated' });
      const kubeconfig = s.sessionKubeconfig();
      // Act: kubectl waits for its upgrade while the test plays the approver.
      const exec = start(kubeconfig, ['exec', '-n', 'prod', PROD_POD, '--', 'cat', '/etc/hostname']);
      const approvalId = await approvalAsked(gh.stateDir, s.agent);
      const approved = await approve(gh.stateDir, approvalId);
      const code = await exec.exited;
      // Assert
      expect(approved).toBe(0);
      expect(code).toBe(0);
      expect(exec.output().stdout.trim()).toBe(PROD_POD);
      const record = (await sessionRecords(s.session, { instance: 'isolated' })).find((r) => r.subresource === 'exec' && r.outcome === 'forwarded');
      expect(record).toMatchObject({ decision: 'approve', approval: { approvalId, outcome: 'approved' } });
      expect(record!.upgrade).toMatchObject({ exitCode: 0 });
    });
  });
});

describe('attach and port-forward', () => {
  it('attaches to a container\'s main process, relays what the agent types, and records it', async () => {
    // Arrange
    const s = ownSession('attach');
    const attach = start(s.sessionKubeconfig(), ['attach', '-i', '-n', 'staging', 'web-7c5d4f8b9-h2j4k']);
    await attach.waitFor(/main process of pod staging\/web-7c5d4f8b9-h2j4k/);
    // Act
    attach.child.stdin!.write('hello main process\n');
    await attach.waitFor(/hello main process/);
    attach.child.kill('SIGINT');
    await attach.exited;
    // Assert
    const record = await eventuallyRecord(s.session, (r) => r.subresource === 'attach' && r.phase === 'complete');
    expect(record.upgrade).toMatchObject({ kind: 'attach', stdin: true });
    expect(record.upgrade.bytes.stdin).toBeGreaterThan(0);
  });

  it('forwards a pod port: an HTTP request through it reaches the pod, and the connection is recorded', async () => {
    // Arrange: a pod of the test's own, serving on 8080.
    const s = ownSession('port-forward');
    const pod = await podWithPort(s.sessionKubeconfig(), `pf-${s.runId}`);
    const forward = start(s.sessionKubeconfig(), ['port-forward', '-n', 'staging', `pod/${pod}`, ':8080']);
    const [, port] = await forward.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    // Act
    const answer = await get(`http://127.0.0.1:${port}/hello`);
    forward.child.kill('SIGINT');
    await forward.exited;
    // Assert
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(pod);
    const record = await eventuallyRecord(s.session, (r) => r.subresource === 'portforward' && r.phase === 'complete');
    expect(record.upgrade).toMatchObject({ kind: 'portforward', protocol: 'SPDY/3.1+portforward.k8s.io' });
    expect(record.upgrade.connections).toEqual([expect.objectContaining({ port: 8080, count: 1 })]);
    expect(record.upgrade.connections[0].bytesFromPod).toBeGreaterThan(0);
  });

  it('ends a tunnel when the agent connects to a port policy denies, and records why', async () => {
    // Arrange
    const s = ownSession('db-port', { agent: `session-db-${Date.now().toString(36)}` });
    const pod = await podWithPort(s.sessionKubeconfig(), `pf-${s.runId}`);
    const forward = start(s.sessionKubeconfig(), ['port-forward', '-n', 'staging', `pod/${pod}`, ':5432']);
    const [, port] = await forward.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 5432/);
    // Act
    await get(`http://127.0.0.1:${port}/`).catch(() => undefined);
    const code = await forward.exited;
    // Assert: kubectl lost its tunnel; the record says policy ended it.
    expect(code).not.toBe(0);
    const record = await eventuallyRecord(s.session, (r) => r.subresource === 'portforward' && r.phase === 'complete');
    expect(record.upgrade).toMatchObject({ endedBy: 'policy' });
  });
});

/** Creates a pod of the test's own in staging that declares port 8080 (the simulator serves an HTTP echo there). */
async function podWithPort(kubeconfig: string, name: string): Promise<string> {
  const manifest = JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: name.slice(0, 63).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, ''), namespace: 'staging' },
    spec: { containers: [{ name: 'web', image: 'ghcr.io/example/web:2.1.0', ports: [{ containerPort: 8080 }] }] },
  });
  const created = await kubectl(kubeconfig, ['apply', '-f', '-', '-o', 'name'], manifest);
  if (created.code !== 0) throw new Error(`pod not created: ${created.stderr}`);
  return created.stdout.trim().replace(/^pod\//, '');
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https') ? https : require('node:http') as typeof https).get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

async function eventuallyRecord(session: string, ok: (r: Record<string, any>) => boolean): Promise<Record<string, any>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await sessionRecords(session, { settleMs: 0 })).find(ok);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching record in ${session}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The approval Slack was asked for about this agent's request (the Slack stand-in's messages). */
async function approvalAsked(stateDir: string, agent: string): Promise<string> {
  const { slack } = JSON.parse(fs.readFileSync(path.join(stateDir, 'approvals.json'), 'utf8')) as { slack: string };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { messages } = await (await fetch(`${slack}/_stand-in/messages`)).json() as { messages: Array<{ text: string; blocks?: unknown }> };
    const message = messages.find((m) => JSON.stringify(m).includes(agent));
    const id = message ? /apr-[0-9a-z]{12}/.exec(message.text)?.[0] : undefined;
    if (id) return id;
    if (Date.now() > deadline) throw new Error(`no approval asked for ${agent}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Approves as local mode's approver, with a correctly signed Slack click (the local approvals CLI). */
function approve(stateDir: string, approvalId: string): Promise<number> {
  return new Promise((resolve) => {
    const root = path.resolve(__dirname, '../..');
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['local/approvals-cli.ts', 'approve', approvalId, '--state-dir', stateDir], { cwd: root, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

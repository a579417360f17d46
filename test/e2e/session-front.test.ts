import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { RecordedUnit } from '../../lambdas/core/stream-recording';
import { streamPartKey } from '../../lambdas/core/stream-recording';
import { addGrant, eventually } from './support/agent-grants';
import { gatehouse } from './support/cli-helpers';
import { demoToken, kubectl, kubeconfigFor, localGatehouse, ownSession, replayBlobOf, s3, sessionRecords, type KubectlResult } from './support/local-gatehouse';

jest.setTimeout(90_000);

/**
 * The session front with real kubectl 1.35: exec (exit codes, stdin), cp both ways and plain requests through
 * the same core as the Lambda, each session recorded frame by frame, ended within seconds of a revocation.
 * Every test reads only its own session's records.
 */
const KUBECTL = path.resolve(__dirname, '../../.cache/kubectl/kubectl');

describe('exec through the session front', () => {
  it('passes the command\'s output and exit code through, and records the session with its exit code', async () => {
    // Arrange
    const s = ownSession('exec-exit');
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['exec', '-n', 'default', 'nginx', '--', 'sh', '-c', 'echo hello from the pod; echo oops >&2; exit 3']);
    // Assert
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('hello from the pod\n');
    expect(result.stderr).toContain('oops');
    const record = (await sessionRecords(s.session)).find((r) => r.subresource === 'exec');
    expect(record).toMatchObject({ phase: 'complete', outcome: 'forwarded', status: 101, verb: 'get', resource: 'pods', name: 'nginx' });
    expect(record!.upgrade).toMatchObject({ kind: 'exec', protocol: 'v5.channel.k8s.io', command: ['sh', '-c', 'echo hello from the pod; echo oops >&2; exit 3'], exitCode: 3, endedBy: 'cluster' });
    const frames = await framesOf(record!);
    expect(frames.filter((f) => f.channel === 'stdout').map(text).join('')).toBe('hello from the pod\n');
    expect(frames.filter((f) => f.channel === 'stderr').map(text).join('')).toBe('oops\n');
  });

  it('relays stdin with exec -i and records what the agent typed', async () => {
    // Arrange
    const s = ownSession('exec-stdin');
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['exec', '-i', '-n', 'default', 'nginx', '--', 'cat'], 'line one\nline two\n');
    // Assert
    expect(result).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    const record = (await sessionRecords(s.session)).find((r) => r.subresource === 'exec');
    expect(record!.upgrade).toMatchObject({ stdin: true, exitCode: 0 });
    const frames = await framesOf(record!);
    expect(frames.filter((f) => f.channel === 'stdin' && !('close' in f && f.close)).map(text).join('')).toBe('line one\nline two\n');
    expect(frames.some((f) => f.channel === 'stdin' && 'close' in f && f.close)).toBe(true);
  });

  it('masks credentials in the recording of a session', async () => {
    // Arrange: an AWS access key id printed by a command.
    const s = ownSession('exec-mask');
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['exec', '-n', 'default', 'nginx', '--', 'echo', 'key=AKIAIOSFODNN7EXAMPLE']);
    // Assert: the agent saw its own command's output; the recording never holds the key.
    expect(result.stdout).toContain('AKIAIOSFODNN7EXAMPLE');
    const record = (await sessionRecords(s.session)).find((r) => r.subresource === 'exec');
    const recorded = (await framesOf(record!)).map(text).join('');
    expect(recorded).toContain('key=');
    expect(recorded).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('copies a file into a pod and back out with kubectl cp', async () => {
    // Arrange
    const s = ownSession('cp');
    const dir = fs.mkdtempSync(path.join(localGatehouse().stateDir, 'cp-'));
    const local = path.join(dir, 'payload.txt');
    fs.writeFileSync(local, `payload ${s.runId}\n`);
    // Act
    const copyIn = await kubectl(s.sessionKubeconfig(), ['cp', local, `default/nginx:/tmp/${s.runId}.txt`]);
    const copyOut = await kubectl(s.sessionKubeconfig(), ['cp', `default/nginx:/tmp/${s.runId}.txt`, path.join(dir, 'back.txt')]);
    // Assert
    expect(copyIn.code).toBe(0);
    expect(copyOut.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'back.txt'), 'utf8')).toBe(`payload ${s.runId}\n`);
    // kubectl cp is exec underneath: a `test -d` of the target, then tar in, then tar out; each one recorded.
    const commands = (await sessionRecords(s.session)).filter((r) => r.subresource === 'exec').map((r) => r.upgrade?.command?.[0]);
    expect(commands).toEqual(['test', 'tar', 'tar']);
  });

  it('serves plain requests too, recorded like the Lambda\'s', async () => {
    // Arrange
    const s = ownSession('front-get');
    // Act
    const result = await kubectl(s.sessionKubeconfig(), ['get', 'pods', '-n', 'staging', '-o', 'name']);
    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod/web-');
    const record = (await sessionRecords(s.session)).find((r) => r.verb === 'list' && r.resource === 'pods');
    expect(record).toMatchObject({ phase: 'complete', outcome: 'forwarded', status: 200, namespace: 'staging' });
  });
});

describe('refusals on the session front', () => {
  it('refuses a SPDY-only client with a message that says to use WebSocket', async () => {
    // Arrange
    const s = ownSession('spdy');
    // Act
    const result = await kubectlEnv(s.sessionKubeconfig(), ['exec', '-n', 'default', 'nginx', '--', 'true'], { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' });
    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/over WebSocket only.*SPDY/);
  });

  it('refuses exec through the API Gateway endpoint and says why', async () => {
    // Arrange
    const s = ownSession('exec-gateway');
    // Act
    const result = await kubectl(s.kubeconfig(), ['exec', '-n', 'default', 'nginx', '--', 'true']);
    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot go through Gatehouse's API Gateway endpoint/);
  });

  it('answers an agent without a grant with the grant message, before anything reaches the cluster', async () => {
    // Arrange
    const token = demoToken({ sub: `nobody-${Date.now()}`, run_id: 'no-grant' });
    // Act
    const result = await kubectl(kubeconfigFor(token, 'demo', 'main', 'session'), ['exec', '-n', 'default', 'nginx', '--', 'true']);
    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/has no grant on connection "demo"/);
  });
});

describe('live control', () => {
  it('ends a live exec session within seconds of its grant being revoked, telling the agent', async () => {
    // Arrange: an agent with a grant of its own, running a command that would go on for a minute.
    const agent = `exec-revoked-${Date.now().toString(36)}`;
    const grant = await addGrant(agent, { front: 'session' });
    const token = demoToken({ sub: agent, run_id: 'revoke' });
    const kubeconfig = kubeconfigFor(token, 'demo', 'main', 'session');
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'exec', '-n', 'default', 'nginx', '--', 'sleep', '60'], { env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await eventually(async () => (await sessionRecords(`${agent}/revoke`, { settleMs: 0 })).find((r) => r.subresource === 'exec'));
    // Act
    const revokedAt = Date.now();
    await grant.revoke();
    const code = await exited;
    // Assert: kubectl ended on its own with Gatehouse's words, well before the command would have.
    expect(Date.now() - revokedAt).toBeLessThan(20_000);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/was revoked or expired; Gatehouse ended this session/);
    const record = await eventually(async () => (await sessionRecords(`${agent}/revoke`)).find((r) => r.subresource === 'exec' && r.phase === 'complete'));
    expect(record.upgrade).toMatchObject({ endedBy: 'revoked' });
  });
});

describe('replay of sessions', () => {
  it('replays an exec session as a terminal transcript and exports it as asciicast v2', async () => {
    // Arrange
    const s = ownSession('replay-exec');
    await kubectl(s.sessionKubeconfig(), ['exec', '-n', 'default', 'nginx', '--', 'sh', '-c', 'echo replayed line; exit 2']);
    const record = (await sessionRecords(s.session)).find((r) => r.subresource === 'exec' && r.phase === 'complete')!;
    const cast = path.join(localGatehouse().stateDir, `${s.runId}.cast`);
    // Act
    const replay = await gatehouse(['replay', s.session, '--no-pager']);
    const exported = await gatehouse(['export', s.session, '--request', record.requestId, '--format', 'asciicast', '-o', cast]);
    // Assert
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/\$ kubectl exec nginx -n default -c nginx -- sh -c 'echo replayed line; exit 2'/);
    expect(replay.stdout).toContain('replayed line');
    expect(replay.stdout).toMatch(/exit code 2/);
    expect(exported.code).toBe(0);
    const [header, ...events] = fs.readFileSync(cast, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(events).toContainEqual([expect.any(Number), 'o', expect.stringContaining('replayed line')]);
  });
});

describe('operators and live sessions', () => {
  it('lists a live exec session and ends it on an operator\'s word, telling the agent who and why', async () => {
    // Arrange: a command that would run for a minute.
    const s = ownSession('operator-end');
    const child = spawn(KUBECTL, ['--kubeconfig', s.sessionKubeconfig(), 'exec', '-n', 'default', 'nginx', '--', 'sleep', '60'], { env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const requestId = (await eventually(async () => (await sessionRecords(s.session, { settleMs: 0 })).find((r) => r.subresource === 'exec'))).requestId as string;
    const listed = await eventually(async () => {
      const live = await gatehouse(['sessions', 'live', '--json']);
      return (JSON.parse(live.stdout || '[]') as Array<{ requestId: string; agent: string; summary: string }>).find((e) => e.requestId === requestId);
    });
    // Act
    const ended = await gatehouse(['sessions', 'end', requestId, '--reason', 'runaway sleep', '--by', 'oncall-ana']);
    const code = await exited;
    // Assert
    expect(listed).toMatchObject({ agent: 'demo-agent', summary: 'exec pods/nginx in namespace default: sleep 60' });
    expect(ended).toMatchObject({ code: 0, stdout: expect.stringContaining(`${requestId}: asked to end (by oncall-ana)`) });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/A Gatehouse operator \(oncall-ana\) ended this session: runaway sleep/);
    const record = await eventually(async () => (await sessionRecords(s.session)).find((r) => r.requestId === requestId && r.phase === 'complete'));
    expect(record.upgrade).toMatchObject({ endedBy: 'operator' });
    const after = await gatehouse(['sessions', 'live', '--json']);
    expect((JSON.parse(after.stdout || '[]') as Array<{ requestId: string }>).map((e) => e.requestId)).not.toContain(requestId);
  });

  it('says so when asked to end a session that is not open', async () => {
    // Act
    const result = await gatehouse(['sessions', 'end', 'no-such-request']);
    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/No live session no-such-request/);
  });
});

function text(unit: RecordedUnit): string {
  return unit.encoding === 'base64' ? Buffer.from(unit.data, 'base64').toString('utf8') : unit.data;
}

/** The recorded frames of a session: its blob names the parts, which lie next to it in the replay bucket. */
async function framesOf(record: Record<string, any>): Promise<RecordedUnit[]> {
  const blob = JSON.parse((await replayBlobOf(record)).toString('utf8')) as { response: { stream?: { parts: number } } };
  const client = s3();
  try {
    const units: RecordedUnit[] = [];
    for (let part = 1; part <= (blob.response.stream?.parts ?? 0); part++) {
      const object = await client.send(new GetObjectCommand({ Bucket: 'gatehouse-replay', Key: streamPartKey(String(record.replayKey), part) }));
      units.push(...(JSON.parse(Buffer.from(await object.Body!.transformToByteArray()).toString('utf8')) as { units: RecordedUnit[] }).units);
    }
    return units;
  } finally {
    client.destroy();
  }
}

function kubectlEnv(kubeconfig: string, args: readonly string[], env: Record<string, string>): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

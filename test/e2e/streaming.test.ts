import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { addGrant, eventually } from './support/agent-grants';
import { gatehouse } from './support/cli-helpers';
import { demoToken, documents, kubectl, kubeconfigFor, localGatehouse, rawRequest, withIsolatedGatehouse, type Instance } from './support/local-gatehouse';
import { LOCAL_TABLES } from '../../local/create-tables';

jest.setTimeout(90_000);

/**
 * Streams through API Gateway's response streaming (local mode emulates its contract and runs the same
 * streaming handler): watches, log follows and answers past 6 MB, with real kubectl 1.35. Each test works in
 * objects and a session of its own.
 */
const run = Date.now().toString(36);
const KUBECTL = path.resolve(__dirname, '../../.cache/kubectl/kubectl');

/** A long-running kubectl whose output can be waited on. */
interface Running {
  readonly child: ChildProcess;
  /** Resolves once stdout matches, or rejects with what was printed after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(kubeconfig: string, args: readonly string[]): Running {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); waiters.forEach((w) => w()); });
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { waiters.forEach((w) => w()); resolve(code); }));
  return {
    child,
    waitFor: (pattern, ms = 30_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)), ms);
      const check = () => {
        if (pattern.test(stdout)) {
          clearTimeout(timer);
          resolve(stdout);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`kubectl exited ${child.exitCode} before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      waiters.push(check);
      check();
    }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      return { code, stdout, stderr };
    },
  };
}

const session = (label: string) => ({ agent: 'demo-agent', runId: `stream-${label}-${run}` });
const tokenFor = (s: { agent: string; runId: string }, groups: string[] = [], instance: Instance = 'main') => demoToken({ sub: s.agent, run_id: s.runId, groups }, 600, instance);
const auth = (s: { agent: string; runId: string }, instance: Instance = 'main') => ({ authorization: `Bearer ${tokenFor(s, [], instance)}`, 'content-type': 'application/json' });

async function records(s: { agent: string; runId: string }, instance: Instance = 'main'): Promise<Array<Record<string, any>>> {
  const out = await documents(instance).send(new QueryCommand({
    TableName: LOCAL_TABLES.records, KeyConditionExpression: 'pk = :s',
    ExpressionAttributeValues: { ':s': `session#demo#${s.agent}/${s.runId}` },
  }));
  return out.Items ?? [];
}

describe('watch through Gatehouse', () => {
  it('shows ADDED, MODIFIED and DELETED as the cluster changes objects, with kubectl get -w', async () => {
    // Arrange
    const s = session('watch');
    const ns = 'staging';
    const name = `w-${run}`;
    const watch = start(kubeconfigFor(tokenFor(s)), ['get', 'configmaps', '-n', ns, '--watch-only', '--output-watch-events', '-o', 'jsonpath={.type} {.object.metadata.name}{"\\n"}']);
    // Act: change objects while kubectl watches (the watch is open once its request reached the cluster).
    await waitForOpenWatch(s);
    expect((await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps`, { method: 'POST', headers: auth(s), body: JSON.stringify({ metadata: { name }, data: { a: '1' } }) })).status).toBe(201);
    await watch.waitFor(new RegExp(`ADDED ${name}`));
    expect((await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps/${name}`, { method: 'PATCH', headers: { ...auth(s), 'content-type': 'application/merge-patch+json' }, body: '{"data":{"a":"2"}}' })).status).toBe(200);
    await watch.waitFor(new RegExp(`MODIFIED ${name}`));
    expect((await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps/${name}`, { method: 'DELETE', headers: auth(s) })).status).toBe(200);
    // Assert
    await watch.waitFor(new RegExp(`DELETED ${name}`));
    const result = await watch.stop();
    expect(result.stderr).not.toMatch(/not supported|error/i);
  });

  it('replays a watch event by event with the time each reached the agent, Secrets masked', async () => {
    // Arrange: a watch on Secrets that sees one created and then deleted.
    const s = session('replay');
    const name = `rs-${run}`;
    const value = `hunter3-${run}`;
    const watch = start(kubeconfigFor(tokenFor(s)), ['get', 'secrets', '-n', 'staging', '--watch-only', '--output-watch-events', '-o', 'jsonpath={.type} {.object.metadata.name}{"\\n"}']);
    await waitForOpenWatch(s);
    expect((await rawRequest('/k8s/demo/api/v1/namespaces/staging/secrets', { method: 'POST', headers: auth(s), body: JSON.stringify({ metadata: { name }, stringData: { password: value } }) })).status).toBe(201);
    await watch.waitFor(new RegExp(`ADDED ${name}`));
    expect((await rawRequest(`/k8s/demo/api/v1/namespaces/staging/secrets/${name}`, { method: 'DELETE', headers: auth(s) })).status).toBe(200);
    await watch.waitFor(new RegExp(`DELETED ${name}`));
    await watch.stop();
    await eventually(async () => (await records(s)).find((r) => r.verb === 'watch' && r.phase === 'complete' && r.streamEndedBy));
    // Act
    const replay = await gatehouse(['replay', `${s.agent}/${s.runId}`, '--no-pager']);
    const json = await gatehouse(['replay', `${s.agent}/${s.runId}`, '--json']);
    // Assert
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    const events = [...replay.stdout.matchAll(/^\[\+(\d+\.\d{3})s\] (ADDED|DELETED)\s+Secret staging\/(\S+)/gm)].filter((m) => m[3] === name);
    expect(events.map((m) => m[2])).toEqual(['ADDED', 'DELETED']);
    expect(Number(events[1]![1])).toBeGreaterThanOrEqual(Number(events[0]![1]));
    expect(replay.stdout).toMatch(/\(stream of \d+ events, \d+ bytes, [\d.]+ s, ended by client\)/);
    const stream = JSON.parse(json.stdout.trim().split('\n').find((l) => l.includes('"verb"') || l.includes('"stream"'))!).stream as Array<{ atMs: number; data: string }>;
    const recorded = stream.map((u) => u.data).join('');
    expect(recorded).toContain(name);
    expect(recorded).not.toContain(value);
    expect(recorded).not.toContain(Buffer.from(value).toString('base64'));
  });

  it('masks Secret values in every watch event', async () => {
    const s = session('secrets');
    const name = `sw-${run}`;
    const value = `hunter2-${run}`;
    const watch = start(kubeconfigFor(tokenFor(s)), ['get', 'secrets', '-n', 'staging', '--watch-only', '-o', 'json']);
    await waitForOpenWatch(s);
    expect((await rawRequest('/k8s/demo/api/v1/namespaces/staging/secrets', { method: 'POST', headers: auth(s), body: JSON.stringify({ metadata: { name }, stringData: { password: value } }) })).status).toBe(201);
    const out = await watch.waitFor(new RegExp(`"name": "${name}"`));
    await watch.stop();
    expect(out).not.toContain(Buffer.from(value).toString('base64'));
    expect(out).not.toContain(value);
    expect(out).toContain('KioqTUFTS0VEKioq');
  });

  it('lets kubectl rollout status and kubectl wait finish against a deployment', async () => {
    const s = session('rollout');
    const kubeconfig = kubeconfigFor(tokenFor(s));
    const rollout = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/web', '-n', 'staging', '--timeout=30s']);
    expect(rollout.stderr).not.toMatch(/not supported|Failed to watch/);
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toMatch(/successfully rolled out/);
    const wait = await kubectl(kubeconfig, ['wait', '--for=condition=Available', 'deployment/web', '-n', 'staging', '--timeout=30s']);
    expect(wait.code).toBe(0);
    expect(wait.stdout).toMatch(/condition met/);
  });

  it('records a watch as one request with how it ended', async () => {
    const s = session('record');
    const watch = start(kubeconfigFor(tokenFor(s)), ['get', 'pods', '-n', 'staging', '--watch-only', '--request-timeout=3s']);
    await waitForOpenWatch(s);
    await watch.stop();
    const record = await eventually(async () => (await records(s)).find((r) => r.verb === 'watch' && r.phase === 'complete' && r.streamEndedBy));
    expect(record).toMatchObject({ outcome: 'forwarded', resource: 'pods', status: 200, streamEndedBy: 'client' });
    expect(record.streamDurationMs).toBeGreaterThan(0);
  });
});

describe('logs -f through Gatehouse', () => {
  it('streams lines as the pod writes them, masked line by line', async () => {
    const s = session('logs');
    const pods = JSON.parse((await rawRequest('/k8s/demo/api/v1/namespaces/prod/pods', { headers: auth(s) })).body) as { items: Array<{ metadata: { name: string } }> };
    const follow = start(kubeconfigFor(tokenFor(s)), ['logs', '-f', pods.items[0]!.metadata.name, '-n', 'prod']);
    const out = await follow.waitFor(/heartbeat 2\b/);
    await follow.stop();
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});

describe('large answers', () => {
  it('delivers a list over 6 MB, masked', async () => {
    // Arrange: 7 MB of ConfigMaps in a namespace of this test's own.
    const s = session('large');
    const ns = `large-${run}`;
    expect((await rawRequest('/k8s/demo/api/v1/namespaces', { method: 'POST', headers: auth(s), body: JSON.stringify({ metadata: { name: ns } }) })).status).toBe(201);
    const filler = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 36; i++) {
      const res = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps`, { method: 'POST', headers: auth(s), body: JSON.stringify({ metadata: { name: `big-${i}` }, data: { filler, note: i === 0 ? 'password=hunter2-large' : '' } }) });
      expect(res.status).toBe(201);
    }
    // Act
    const list = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps`, { headers: auth(s) });
    // Assert
    expect(list.status).toBe(200);
    expect(list.body.length).toBeGreaterThan(6 * 1024 * 1024);
    expect((JSON.parse(list.body) as { items: unknown[] }).items).toHaveLength(36);
    expect(list.body).not.toContain('hunter2-large');
  });
});

describe('a cluster that stalls', () => {
  it('ends a watch the cluster went silent on with an ERROR event saying so, before API Gateway would drop it', async () => {
    // Arrange: the misbehaving cluster sends one event, then nothing; this instance's streamIdleSeconds is 15.
    const s = session('stall');
    const started = Date.now();
    // Act
    const answer = await rawRequest('/k8s/misbehaving/api/v1/namespaces/stalls/configmaps?watch=true', { headers: auth(s) });
    // Assert
    const events = answer.body.trim().split('\n').map((line) => JSON.parse(line) as { type: string; object: Record<string, any> });
    expect(answer.status).toBe(200);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(events[1]!.object).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout' });
    expect(events[1]!.object.message).toMatch(/The cluster of connection "misbehaving" sent nothing for 15 s, so Gatehouse closed the stream; run the command again/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(14_000);
    const record = await eventually(async () => (await records(s)).find((r) => r.verb === 'watch' && r.phase === 'complete'));
    expect(record).toMatchObject({ outcome: 'forwarded', streamEndedBy: 'idle', streamUnits: 1 });
  });
});

describe('the cap on open streams per agent', () => {
  it('answers a third watch of an agent holding two with a 429 Status, and opens it once one of the two ends', async () => {
    // On the isolated instance, whose limits.maxStreamsPerAgent is 2.
    await withIsolatedGatehouse(async () => {
      // Arrange: an agent of its own, with two kubectl watches open.
      const s = { agent: `cap-agent-${run}`, runId: `cap-${run}` };
      const grant = await addGrant(s.agent, { instance: 'isolated' });
      const kubeconfig = kubeconfigFor(tokenFor(s, [], 'isolated'), 'demo', 'isolated');
      const watches = [0, 1].map(() => start(kubeconfig, ['get', 'configmaps', '-n', 'staging', '--watch-only']));
      await eventually(async () => ((await records(s, 'isolated')).filter((r) => r.verb === 'watch').length === 2 ? true : undefined));
      const third = `/k8s/demo/api/v1/namespaces/staging/configmaps?watch=true&timeoutSeconds=1`;
      // Act
      const refused = await rawRequest(third, { headers: auth(s, 'isolated'), instance: 'isolated' });
      await watches[0]!.stop();
      const opened = await eventually(async () => {
        const answer = await rawRequest(third, { headers: auth(s, 'isolated'), instance: 'isolated' });
        return answer.status === 200 ? answer : undefined;
      });
      // Assert
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
      expect(JSON.parse(refused.body).message).toMatch(new RegExp(`Agent "${s.agent}" already has 2 open streams .*limits.maxStreamsPerAgent`));
      expect(opened.status).toBe(200);
      await watches[1]!.stop();
      await grant.revoke();
    });
  });
});

describe('revocation', () => {
  it('ends a live watch within seconds of the grant being revoked', async () => {
    // Arrange: an agent with a grant of its own, revocable through the operator CLI's table.
    const s = { agent: `revoked-${run}`, runId: `stream-revoke-${run}` };
    const grant = await addGrant(s.agent);
    const watch = start(kubeconfigFor(tokenFor(s)), ['get', 'pods', '-n', 'staging', '--watch-only', '-o', 'name']);
    await waitForOpenWatch(s);
    // Act
    await grant.revoke();
    // Assert: kubectl's watch ends on its own (Gatehouse sends an ERROR event and closes), nobody kills it.
    const exited = await new Promise<number | null>((resolve) => watch.child.on('exit', resolve));
    expect(exited).not.toBeNull();
    const record = await eventually(async () => (await records(s)).find((r) => r.verb === 'watch' && r.phase === 'complete' && r.streamEndedBy));
    expect(record).toMatchObject({ streamEndedBy: 'revoked' });
  });
});

/** Waits until the session's watch request has reached the cluster (its intent record exists). */
async function waitForOpenWatch(s: { agent: string; runId: string }): Promise<void> {
  await eventually(async () => (await records(s)).find((r) => r.verb === 'watch'));
}


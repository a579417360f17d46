import fs from 'node:fs';
import path from 'node:path';
import { demoToken, kubeconfigFor, kubectl, localGatehouse, sessionRecords, tamperWithBlob } from './support/local-gatehouse';
import { eventually, gatehouse, kubectlWithEnv, startActionsTokenEndpoint, startGatehouse } from './support/cli-helpers';

jest.setTimeout(120_000);

/** The operator CLI, run as a child process against local mode after real kubectl sessions. */
describe('gatehouse CLI', () => {
  const run = `cli-${Date.now()}`;
  const session = `demo-agent/${run}`;
  /** The demo Secret's password, as stored in the simulated cluster; masking must keep it out of every output. */
  const secretPassword = 'pr0d-Sup3r-S3cret!';
  const secretPasswordB64 = Buffer.from(secretPassword).toString('base64');
  let pods: { stdout: string };
  /** The main session's time window, so range queries do not pick up later tests' sessions (the tampered one). */
  let sessionStart: string;
  let sessionEnd: string;
  let records: Array<Record<string, unknown> & { requestId: string; path: string; method: string; startedAt: string; maskedCounts?: Record<string, number> }>;

  beforeAll(async () => {
    sessionStart = new Date().toISOString();
    const token = demoToken({ run_id: run });
    const config = kubeconfigFor(token);
    pods = await kubectl(config, ['get', 'pods', '-n', 'prod']);
    expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
    const secrets = await kubectl(config, ['get', 'secrets', '-n', 'prod', '-o', 'json']);
    expect(secrets.code).toBe(0);
    expect(secrets.stdout).not.toContain(secretPasswordB64);
    const impersonating = await kubectl(config, ['get', 'configmaps', '-n', 'prod', '--as', 'someone-else']);
    expect(impersonating.code).not.toBe(0);
    // One request, no discovery: the connection's cluster refuses connections, so Gatehouse records a failure.
    const unreachable = await kubectl(kubeconfigFor(token, 'unreachable'), ['get', '--raw', '/api/v1/namespaces/prod/pods', '--request-timeout=10s']);
    expect(unreachable.code).not.toBe(0);
    sessionEnd = new Date().toISOString();
    // Records are completed just after each response: read them once they are.
    await sessionRecords(session);
    const listed = await gatehouse(['sessions', 'requests', '--session', session, '--json']);
    expect(listed.code).toBe(0);
    records = JSON.parse(listed.stdout) as typeof records;
  });

  describe('sessions', () => {
    it('lists the session with its counts of allowed, denied, held and failed requests', async () => {
      const fate = (r: Record<string, unknown>) => (r.decision === 'approve' ? 'held' : r.outcome === 'forwarded' ? 'allowed' : r.outcome === 'failed' ? 'failed' : 'denied');
      const count = (f: string) => records.filter((r) => fate(r) === f).length;
      expect(count('allowed')).toBeGreaterThanOrEqual(2);
      expect(count('denied')).toBeGreaterThanOrEqual(1);
      expect(count('failed')).toBeGreaterThanOrEqual(1);

      const table = await gatehouse(['sessions', 'list', '--session', session]);
      const json = await gatehouse(['sessions', 'list', '--agent', 'demo-agent', '--since', '1h', '--json']);

      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^SESSION\s+AGENT\s+ISSUER\s+CONNECTIONS\s+FIRST\s+LAST\s+REQUESTS\s+ALLOWED\s+DENIED\s+HELD\s+FAILED$/m);
      const row = new RegExp(`^${session}\\s+demo-agent\\s+demo\\s+demo,unreachable\\s+\\S+Z\\s+\\S+Z\\s+${records.length}\\s+${count('allowed')}\\s+${count('denied')}\\s+0\\s+${count('failed')}$`, 'm');
      expect(table.stdout).toMatch(row);
      const summary = (JSON.parse(json.stdout) as Array<Record<string, unknown>>).find((s) => s.session === session);
      expect(summary).toMatchObject({ agent: 'demo-agent', requests: records.length, allowed: count('allowed'), denied: count('denied'), held: 0, failed: count('failed') });
    });

    it('shows one request with its classification, decision, rule, masking, timings and status', async () => {
      const list = records.find((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/prod/pods')!;
      const secretList = records.find((r) => r.path === '/api/v1/namespaces/prod/secrets')!;

      const shown = await gatehouse(['sessions', 'show', list.requestId]);
      const secret = await gatehouse(['sessions', 'show', secretList.requestId, '--json']);

      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^Request:\\s+${list.requestId}$`, 'm'));
      expect(shown.stdout).toMatch(/^Classification:\s+list, pods, core\/v1, namespace prod$/m);
      expect(shown.stdout).toMatch(/^Command:\s+kubectl get pods -n prod$/m);
      expect(shown.stdout).toMatch(/^Decision:\s+allowed/m);
      expect(shown.stdout).toMatch(/^Rule:\s+\S+/m);
      expect(shown.stdout).toMatch(/^Approver:\s+-$/m);
      expect(shown.stdout).toMatch(/^Status:\s+200 OK$/m);
      expect(shown.stdout).toMatch(/^Latency:\s+\d+ ms$/m);
      expect(shown.stdout).toMatch(/^Masked values:\s+none$/m);
      expect(shown.stdout).toMatch(/^Integrity:\s+intact/m);
      const detail = JSON.parse(secret.stdout) as { maskedCounts?: Record<string, number>; integrity: string };
      expect(Object.values(detail.maskedCounts ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(detail.integrity).toBe('ok');
    });

    it('finds a refused request by its id alone, at any age, and a forwarded one among the last day of sessions', async () => {
      const refused = records.find((r) => r.outcome === 'denied' || r.outcome === 'rejected')!;
      const forwarded = records.find((r) => r.outcome === 'forwarded')!;

      const refusedShown = await gatehouse(['sessions', 'show', refused.requestId, '--json']);
      const oldRange = await gatehouse(['sessions', 'show', forwarded.requestId, '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z']);

      expect(refusedShown.code).toBe(0);
      expect(JSON.parse(refusedShown.stdout)).toMatchObject({ requestId: refused.requestId, outcome: refused.outcome });
      expect(oldRange.code).toBe(2);
      expect(oldRange.stderr).toMatch(/not a refused or failed request, nor in a session between 2020-01-01T00:00:00Z and 2020-01-02T00:00:00Z.*--session/);
    });

    it('says a request id does not exist, with exit code 2', async () => {
      const result = await gatehouse(['sessions', 'show', 'no-such-request']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/No record for request no-such-request.*sessions requests/);
    });
  });

  describe('replay', () => {
    it('replays the session in order, reading like the kubectl run, with masked bodies', async () => {
      const result = await gatehouse(['replay', session]);

      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toMatch(new RegExp(`^# Session ${session} \\(issuer demo, agent demo-agent\\): ${records.length} request\\(s\\)`));
      const podsAt = out.search(/^\$ kubectl get pods -n prod {3}# agent demo-agent, \S+Z, allowed( \(rule \S+\))?, 200 OK, \d+ ms$/m);
      const secretsAt = out.search(/^\$ kubectl get secrets -n prod {3}# agent demo-agent, .*, 200 OK, \d+ ms, \d+ masked$/m);
      const impersonationAt = out.search(/^\$ kubectl .* rejected before policy, 403 Forbidden/m);
      const failedAt = out.search(/^\$ kubectl .*, allowed.*, then failed, 5\d\d /m);
      expect([podsAt, secretsAt, impersonationAt, failedAt].every((i) => i >= 0)).toBe(true);
      expect(podsAt).toBeLessThan(secretsAt);
      expect(secretsAt).toBeLessThan(impersonationAt);
      expect(impersonationAt).toBeLessThan(failedAt);
      expect(out).toMatch(/^> GET \/api\/v1\/namespaces\/prod\/pods\?limit=500 {3}\(kubectl get, request \S+\)$/m);
      // The pod table reads exactly as kubectl printed it.
      expect(out).toContain(pods.stdout.trimEnd());
      expect(out).toMatch(/^Error from server \(Forbidden\): .*impersonation/m);
      expect(out).not.toContain(secretPassword);
      expect(out).not.toContain(secretPasswordB64);
    });

    it('prints one JSON object per request, in order, for machines', async () => {
      const result = await gatehouse(['replay', session, '--json']);

      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; startedAt: string; integrity: string; response?: { status: number } });
      expect(lines.map((l) => l.requestId)).toEqual(records.map((r) => r.requestId));
      expect([...lines].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).map((l) => l.requestId)).toEqual(lines.map((l) => l.requestId));
      expect(lines.every((l) => l.integrity === 'ok')).toBe(true);
      expect(result.stdout).not.toContain(secretPasswordB64);
    });

    it('follows a live session and prints new requests as they happen', async () => {
      const liveRun = `cli-follow-${Date.now()}`;
      const follower = startGatehouse(['replay', `demo-agent/${liveRun}`, '--follow', '--interval', '1s']);
      // It follows from the moment it says so: wait for that line, not for a guessed start-up time.
      expect(await eventually(() => /Following session demo-agent\/cli-follow-/.test(follower.errors()), 30_000, 100)).toBe(true);

      await kubectl(kubeconfigFor(demoToken({ run_id: liveRun })), ['get', 'namespaces']);
      const seen = await eventually(() => /^\$ kubectl get namespaces {3}# agent demo-agent/m.test(follower.output()), 20_000);
      const result = await follower.stop();

      expect(seen).toBe(true);
      // One object, so a failure shows what the CLI said (an integrity failure exits 4).
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/Following session demo-agent\/cli-follow-/) });
    });

    it('reports a tampered blob loudly and exits with code 4', async () => {
      const tamperRun = `cli-tamper-${Date.now()}`;
      const tamperSession = `demo-agent/${tamperRun}`;
      await kubectl(kubeconfigFor(demoToken({ run_id: tamperRun })), ['get', 'configmaps', '-n', 'prod']);
      await sessionRecords(tamperSession);
      const list = JSON.parse((await gatehouse(['sessions', 'requests', '--session', tamperSession, '--json'])).stdout) as Array<{ requestId: string; path: string; replayKey: string }>;
      const victim = list.find((r) => r.path === '/api/v1/namespaces/prod/configmaps')!;
      // Someone with write access to the bucket changes the status in the victim's blob, where it is stored (its
      // line in the session's batch, with a line hash of its own so the batch still reads), and not the record.
      await tamperWithBlob((await sessionRecords(tamperSession)).find((r) => r.requestId === victim.requestId)!, (text) => text.replace('"status":200', '"status":201'));

      const replayed = await gatehouse(['replay', tamperSession]);
      const shown = await gatehouse(['sessions', 'show', victim.requestId]);
      const exported = await gatehouse(['export', '--session', tamperSession, '--with-replay']);

      expect(replayed.code).toBe(4);
      expect(replayed.stderr).toMatch(new RegExp(`INTEGRITY FAILURE: request ${victim.requestId}: replay blob ${victim.replayKey} has SHA-256 [0-9a-f]{64}, the record says [0-9a-f]{64}`));
      expect(replayed.stdout).toMatch(/^!! INTEGRITY FAILURE: .*; body withheld$/m);
      expect(shown.code).toBe(4);
      expect(shown.stdout).toMatch(/^Integrity:\s+INTEGRITY FAILURE/m);
      expect(exported.code).toBe(4);
      const line = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; integrity: string; replay?: unknown }).find((l) => l.requestId === victim.requestId)!;
      expect(line).toMatchObject({ integrity: 'mismatch' });
      expect(line.replay).toBeUndefined();
    });

    it('says a session has no records, with exit code 2', async () => {
      const result = await gatehouse(['replay', 'demo-agent/never-ran']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/No recorded requests for session demo-agent\/never-ran/);
    });
  });

  describe('export', () => {
    it('exports a session as JSON lines without table keys', async () => {
      const result = await gatehouse(['export', '--session', session]);

      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.requestId)).toEqual(records.map((r) => r.requestId));
      for (const line of lines) {
        expect(line).toMatchObject({ type: 'gatehouse.request', session, agent: 'demo-agent' });
        expect(line).not.toHaveProperty('pk');
        expect(line).not.toHaveProperty('sessionKey');
      }
    });

    it('exports a time range of a connection to a file, with integrity-checked replay blobs', async () => {
      const file = path.join(localGatehouse().stateDir, `export-${Date.now()}.jsonl`);

      const result = await gatehouse(['export', '--connection', 'demo', '--from', sessionStart, '--to', sessionEnd, '--with-replay', '--output', file]);

      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/^Exported \d+ request\(s\) to /m);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; connection: string; integrity: string; replay?: { requestId: string } });
      const mine = lines.filter((l) => records.some((r) => r.requestId === l.requestId));
      expect(mine.length).toBe(records.filter((r) => r.connection === 'demo').length);
      expect(lines.every((l) => l.connection === 'demo')).toBe(true);
      expect(mine.every((l) => l.integrity === 'ok' && l.replay?.requestId === l.requestId)).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).not.toContain(secretPasswordB64);
    });

    it('refuses to export everything ever recorded without a filter (exit 1)', async () => {
      const result = await gatehouse(['export']);

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Export what\?/);
    });
  });

  describe('grants', () => {
    it('adds a grant that kubectl can use, lists it, and revokes it so kubectl fails within seconds', async () => {
      const agent = `cli-e2e-agent-${Date.now()}`;
      const session = `${agent}/${agent}-run`;
      const config = kubeconfigFor(demoToken({ sub: agent, run_id: `${agent}-run` }));

      const added = await gatehouse(['grants', 'add', '--connection', 'demo', '--agent', agent, '--namespaces', 'prod', '--ttl', '1h', '--by', 'e2e-operator', '--json']);
      expect(added.code).toBe(0);
      const grant = JSON.parse(added.stdout) as { grantId: string; principal: string; namespaces: string[]; source: string; createdBy: string; expiresAt: string };
      expect(grant).toMatchObject({ principal: agent, namespaces: ['prod'], source: 'cli', createdBy: 'e2e-operator' });
      expect(grant.grantId).toMatch(/^cli-[0-9a-f]{12}$/);

      const listed = await gatehouse(['grants', 'list', '--agent', agent]);
      expect(listed.stdout).toMatch(new RegExp(`^${grant.grantId}\\s+demo\\s+agent:${agent}\\s+any\\s+prod\\s+\\S+Z\\s+cli\\s+e2e-operator`, 'm'));
      const byConnection = await gatehouse(['grants', 'list', '--connection', 'demo', '--json']);
      expect((JSON.parse(byConnection.stdout) as Array<{ grantId: string }>).map((g) => g.grantId)).toContain(grant.grantId);

      // The proxy may still hold the connection's grants from before the add for up to its cache time.
      expect(await eventually(async () => (await kubectl(config, ['get', 'pods', '-n', 'prod'])).code === 0, 15_000, 1000)).toBe(true);
      const outside = await kubectl(config, ['get', 'pods', '-n', 'staging']);
      expect(outside.code).not.toBe(0);
      expect(outside.stderr).toMatch(new RegExp(`Error from server \\(Forbidden\\): The grant for agent "${agent}" \\(issuer demo\\) on connection "demo" does not cover namespace "staging"`));

      const revoked = await gatehouse(['grants', 'revoke', grant.grantId]);
      const revokedAt = Date.now();
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(new RegExp(`^Revoked grant ${grant.grantId} \\(agent ${agent} on connection demo\\)`));
      let refusal = '';
      const stopped = await eventually(async () => {
        const attempt = await kubectl(config, ['get', 'pods', '-n', 'prod']);
        refusal = attempt.stderr;
        return attempt.code !== 0;
      }, 15_000, 1000);
      expect(stopped).toBe(true);
      expect(Date.now() - revokedAt).toBeLessThan(10_000);
      // kubectl prints the Status message unless the refusal hit its discovery (then only "Forbidden"): the record has it.
      expect(refusal).toMatch(/Error from server \(Forbidden\)/);
      expect((await sessionRecords(session)).at(-1)).toMatchObject({
        outcome: 'denied', status: 403, errorMessage: expect.stringMatching(new RegExp(`Agent "${agent}" \\(issuer demo\\) has no grant on connection "demo"`)),
      });
      expect((await gatehouse(['grants', 'list', '--agent', agent, '--json'])).stdout.trim()).toBe('[]');

      const again = await gatehouse(['grants', 'revoke', grant.grantId]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/No grant/);
    });

    it('refuses a grant for a connection that does not exist (exit 2) or without a principal (exit 1)', async () => {
      const unknown = await gatehouse(['grants', 'add', '--connection', 'nope', '--agent', 'x']);
      const noPrincipal = await gatehouse(['grants', 'add', '--connection', 'demo']);

      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/Connection "nope" does not exist on this Gatehouse\. Connections: .*\bdemo\b/);
      expect(noPrincipal.code).toBe(1);
      expect(noPrincipal.stderr).toMatch(/exactly one of --agent or --group/);
    });
  });

  describe('connections', () => {
    it('lists connections with their role, cluster and impersonation settings', async () => {
      const result = await gatehouse(['connections', 'list']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^NAME\s+CLUSTER\s+REGION\s+ROLE\s+IMPERSONATION\s+SERVER\s+DESCRIPTION$/m);
      expect(result.stdout).toMatch(/^demo\s+gatehouse-demo\s+us-east-1\s+arn:aws:iam::111122223333:role\/gatehouse-demo-connection\s+on \(user gatehouse:<issuer>:<agent>\)\s+https:\/\/127\.0\.0\.1:\d+\/k8s\/demo\s+/m);
      expect(result.stdout).toMatch(/^unreachable\s+unreachable\s+us-east-1\s+\S+\s+off\s+/m);
    });

    it('writes a token-file kubeconfig that kubectl uses as is', async () => {
      const dir = localGatehouse().stateDir;
      const tokenFile = path.join(dir, `agent-token-${Date.now()}`);
      const kubeconfig = path.join(dir, `cli-kubeconfig-${Date.now()}.yaml`);
      fs.writeFileSync(tokenFile, `${demoToken({ run_id: 'cli-kubeconfig' })}\n`);

      const written = await gatehouse(['kubeconfig', '--connection', 'demo', '--agent-token-file', tokenFile, '--output', kubeconfig]);
      const result = await kubectl(kubeconfig, ['get', 'pods', '-n', 'prod']);

      expect(written.code).toBe(0);
      expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(kubeconfig, 'utf8')).toContain('gatehouse-token-file.js');
      expect(fs.readFileSync(kubeconfig, 'utf8')).not.toContain('eyJ');
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
    });

    it('writes a GitHub Actions kubeconfig whose exec credential fetches the runner OIDC token', async () => {
      const endpoint = await startActionsTokenEndpoint('runner-request-token', demoToken({ sub: 'demo-agent', run_id: 'cli-github' }));
      try {
        const kubeconfig = path.join(localGatehouse().stateDir, `cli-gha-${Date.now()}.yaml`);
        const written = await gatehouse(['connections', 'kubeconfig', '--connection', 'demo', '--github-actions', '-o', kubeconfig]);

        const result = await kubectlWithEnv(kubeconfig, ['get', 'pods', '-n', 'prod'], { ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' });

        expect(written.code).toBe(0);
        expect(fs.readFileSync(kubeconfig, 'utf8')).toMatch(/interactiveMode: Never/);
        expect(result.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
        expect(endpoint.audiences[0]).toBe('gatehouse');
      } finally {
        await endpoint.close();
      }
    });
  });

  describe('targets and help', () => {
    it('asks which Gatehouse when given no target (exit 3)', async () => {
      const result = await gatehouse(['sessions', 'list'], { target: false });

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/--stack <name>.*--local/);
    });

    it('says local mode is not running for a state dir without endpoints (exit 3)', async () => {
      const result = await gatehouse(['--local', '--state-dir', path.join(localGatehouse().stateDir, 'nope'), 'grants', 'list'], { target: false });

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/Local mode is not running here/);
    });

    it('prints help for a subcommand', async () => {
      const result = await gatehouse(['replay', '--help'], { target: false });

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^gatehouse replay: /);
      expect(result.stdout).toMatch(/--follow/);
    });
  });
});

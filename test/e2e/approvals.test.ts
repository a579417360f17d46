import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { interactionPayload, signedInteraction } from '../../local/approvals-cli';
import type { StandInEphemeral, StandInMessage } from '../../local/slack-stand-in';
import { demoToken, documents, kubeconfigFor, kubectl, localGatehouse, rawRequest, sessionRecords, sessionUpstreamRequests, withIsolatedGatehouse, type Instance } from './support/local-gatehouse';

/**
 * Human approval, end to end with the real kubectl: local mode runs the e2e policy
 * (test/e2e/fixtures/approvals-policy.yaml: writes in namespace prod by agents named approval-* need a person),
 * posts approval requests to its Slack stand-in, runs the synthesized state machine in its Step Functions
 * stand-in, and the local CLI plays the approver with correctly signed clicks. On the shared instance approvals
 * wait the default 30 minutes and requests are not held, so no test here races a timeout however slow the
 * machine; the held requests and the expiry run on the isolated instance, which holds requests for their
 * decision as a deployment does and whose approvals time out after 30 s (global-setup.ts).
 * Every agent is new to this run, so each test reads only its own session's records and cluster requests.
 */
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
const APPROVER = 'U0LOCALAPPROVER';
const PENDING = /requires a person to approve this request .*Approval (apr-[0-9a-z]{12}) is pending; the request was not run\.(?: Gatehouse held the request for \d+ s and nobody decided\.)? Once it is approved, run the same command again/;

const run = `${Date.now().toString(36)}`;
/** A kubeconfig for a fresh agent named approval-<name>-<run> (granted through the demo ops group). */
function agentKubeconfig(name: string, claims: Record<string, unknown> = {}, instance: Instance = 'main'): { kubeconfig: string; agent: string; runId: string; session: string } {
  const agent = `approval-${name}-${run}`;
  const runId = `run-${name}-${run}`;
  const token = demoToken({ sub: agent, run_id: runId, groups: ['gatehouse-demo-ops'], ...claims }, 600, instance);
  return { agent, runId, session: `${agent}/${runId}`, kubeconfig: kubeconfigFor(token, 'demo', instance) };
}

/** Runs the local approvals CLI exactly as a person would (`npm run local -- approve ...` runs the same module). */
function cli(args: readonly string[], instance: Instance = 'main'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'node_modules/.bin/tsx'), ['local/approvals-cli.ts', ...args, '--state-dir', localGatehouse(instance).stateDir], { cwd: ROOT, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

/** Local Slack's messages and ephemeral answers. */
async function slack(instance: Instance = 'main'): Promise<{ messages: StandInMessage[]; ephemerals: StandInEphemeral[] }> {
  const { slack: url } = JSON.parse(fs.readFileSync(path.join(localGatehouse(instance).stateDir, 'approvals.json'), 'utf8')) as { slack: string };
  return (await (await fetch(`${url}/_stand-in/messages`)).json()) as never;
}

const messageText = (m: StandInMessage | undefined) => JSON.stringify(m?.blocks ?? []);
async function messageFor(approvalId: string, instance: Instance = 'main'): Promise<StandInMessage | undefined> {
  return (await slack(instance)).messages.find((m) => m.text.includes(approvalId));
}
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function pendingId(stderr: string): string {
  const match = PENDING.exec(stderr);
  if (!match) throw new Error(`kubectl did not print a pending approval:\n${stderr}`);
  return match[1]!;
}

const approvalItem = async (approvalId: string, instance: Instance = 'main') =>
  (await documents(instance).send(new GetCommand({ TableName: 'gatehouse-approvals', Key: { pk: `approval#${approvalId}`, sk: 'approval' } }))).Item;

/** How many DELETEs of `resourcePath` reached the cluster for this session's requests. */
async function deletesUpstream(session: string, resourcePath: string, instance: Instance = 'main'): Promise<number> {
  return (await sessionUpstreamRequests(session, instance)).filter((r) => r.method === 'DELETE' && r.path.endsWith(resourcePath)).length;
}

describe('approvals in (local) Slack, run by Step Functions', () => {
  it('holds kubectl delete deployment api -n prod, runs it once after approve, and holds a third run again', async () => {
    const { kubeconfig, agent, session } = agentKubeconfig('once');
    const first = await kubectl(kubeconfig, ['delete', 'deployment', 'api', '-n', 'prod']);
    expect(first.code).not.toBe(0);
    const approvalId = pendingId(first.stderr);
    expect(first.stderr).toMatch(/^Error from server \(Forbidden\): Gatehouse policy rule "e2e\/approval-agents-write-prod" requires a person to approve this request \(delete deployments\/api in namespace prod\)/);
    expect(await deletesUpstream(session, '/namespaces/prod/deployments/api')).toBe(0);

    const asked = await eventually(() => messageFor(approvalId), (m) => m !== undefined);
    expect(asked?.channel).toBe('C0LOCALAPPROVALS');
    expect(messageText(asked)).toContain(`\`${agent}\``);

    const approved = await cli(['approve', approvalId]);
    expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining(`${approvalId}: approved (one-time) by ${APPROVER}`) });
    const shown = await eventually(() => messageFor(approvalId), (m) => messageText(m).includes('Approved once'));
    expect(messageText(shown)).toContain(`by <@${APPROVER}> at <!date^`);
    expect(messageText(shown)).not.toContain('"type":"button"');

    const second = await kubectl(kubeconfig, ['delete', 'deployment', 'api', '-n', 'prod']);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/deployment.apps "api" deleted/);
    expect(await deletesUpstream(session, '/namespaces/prod/deployments/api')).toBe(1);

    const third = await kubectl(kubeconfig, ['delete', 'deployment', 'api', '-n', 'prod']);
    expect(pendingId(third.stderr)).not.toBe(approvalId);
    expect(await deletesUpstream(session, '/namespaces/prod/deployments/api')).toBe(1);

    // The decision is on the record of the request it was about, and of the one it let through.
    const records = await eventually(() => sessionRecords(session), (rs) => rs.some((r) => r.approval?.outcome === 'approved' && r.outcome === 'denied'));
    const deletes = records.filter((r) => r.verb === 'delete').sort((a, b) => String(a.startedAtId).localeCompare(String(b.startedAtId)));
    expect(deletes[0]).toMatchObject({ outcome: 'denied', status: 403, approval: { approvalId, outcome: 'approved', kind: 'one-time', approver: APPROVER } });
    expect(deletes[1]).toMatchObject({ outcome: 'forwarded', decision: 'approve', approval: { approvalId, outcome: 'approved', kind: 'one-time', approver: APPROVER } });
    expect(deletes[2]).toMatchObject({ outcome: 'denied', approval: { outcome: 'pending' } });
    expect(await approvalItem(approvalId)).toMatchObject({ status: 'approved', consumedByRequestId: deletes[1]!.requestId });
  });

  it('keeps refusing a denied request, with the reason, and never forwards it', async () => {
    const { kubeconfig, session } = agentKubeconfig('deny');
    const first = await kubectl(kubeconfig, ['delete', 'configmap', 'api-config', '-n', 'prod']);
    const approvalId = pendingId(first.stderr);
    await eventually(() => messageFor(approvalId), (m) => m !== undefined);

    const denied = await cli(['deny', approvalId, '--reason', 'change freeze until Monday']);
    expect(denied).toMatchObject({ code: 0, stdout: expect.stringContaining(`${approvalId}: denied by ${APPROVER}`) });
    const shown = await eventually(() => messageFor(approvalId), (m) => messageText(m).includes('Denied'));
    expect(messageText(shown)).toMatch(/Denied\* by <@U0LOCALAPPROVER> at .*Reason: change freeze until Monday/);

    await eventually(() => approvalItem(approvalId), (item) => item?.status === 'denied');
    const retry = await kubectl(kubeconfig, ['delete', 'configmap', 'api-config', '-n', 'prod']);
    expect(retry.code).not.toBe(0);
    expect(retry.stderr).toMatch(new RegExp(`Error from server \\(Forbidden\\): Approval ${approvalId} for this request \\(delete configmaps/api-config in namespace prod\\) was denied by ${APPROVER} at .*: change freeze until Monday\\.`));
    expect(await deletesUpstream(session, '/namespaces/prod/configmaps/api-config')).toBe(0);
  });

  it('holds kubectl delete until the person approves in Slack, then runs it and prints the cluster\'s answer', async () => {
    await withIsolatedGatehouse(async () => {
      // Arrange
      const { kubeconfig, session } = agentKubeconfig('held', {}, 'isolated');
      // Act: kubectl waits while the test plays the approver.
      const deleting = kubectl(kubeconfig, ['delete', 'configmap', 'api-config', '-n', 'prod']);
      const asked = await eventually(() => slack('isolated'), ({ messages }) => messages.some((m) => messageText(m).includes(`approval-held-${run}`)));
      const approvalId = /apr-[0-9a-z]{12}/.exec(asked.messages.find((m) => messageText(m).includes(`approval-held-${run}`))!.text)![0];
      expect(await deletesUpstream(session, '/namespaces/prod/configmaps/api-config', 'isolated')).toBe(0);
      expect((await cli(['approve', approvalId], 'isolated')).code).toBe(0);
      const deleted = await deleting;
      // Assert
      expect(deleted).toMatchObject({ code: 0, stderr: '' });
      expect(deleted.stdout).toMatch(/configmap "api-config" deleted/);
      expect(await deletesUpstream(session, '/namespaces/prod/configmaps/api-config', 'isolated')).toBe(1);
      const [record] = (await sessionRecords(session, { instance: 'isolated' })).filter((r) => r.verb === 'delete');
      expect(record).toMatchObject({ outcome: 'forwarded', decision: 'approve', approval: { approvalId, outcome: 'approved', kind: 'one-time', approver: APPROVER } });
    });
  });

  it('holds a request nobody decides until its approval expires, answers 403 with the id, and asks again on the next run', async () => {
    await withIsolatedGatehouse(async () => {
      const { kubeconfig, session } = agentKubeconfig('expire', {}, 'isolated');
      const first = await kubectl(kubeconfig, ['delete', 'service', 'api', '-n', 'prod']);
      const approvalId = pendingId(first.stderr);
      expect(first.stderr).toMatch(/Gatehouse policy rule "e2e\/approval-agents-write-prod" requires a person to approve/);
      expect(first.stderr).toMatch(/Gatehouse held the request for \d+ s and nobody decided/);

      const shown = await eventually(() => messageFor(approvalId, 'isolated'), (m) => messageText(m).includes('Expired'), 45_000);
      expect(messageText(shown)).toMatch(/Expired\* at <!date/);
      expect(await approvalItem(approvalId, 'isolated')).toMatchObject({ status: 'expired' });
      expect((await cli(['approve', approvalId], 'isolated')).code).toBe(1);

      // Asked again: held again, for a new approval (the request times out on kubectl's side first).
      const again = await kubectl(kubeconfig, ['delete', 'service', 'api', '-n', 'prod', '--request-timeout=10s']);
      expect(pendingId(again.stderr)).not.toBe(approvalId);
      expect((await sessionUpstreamRequests(session, 'isolated')).filter((r) => r.method === 'DELETE')).toEqual([]);
    });
  });

  it('changes nothing for a forged or stale signature', async () => {
    const { kubeconfig } = agentKubeconfig('forged');
    const approvalId = pendingId((await kubectl(kubeconfig, ['delete', 'pvc', 'api-data', '-n', 'prod'])).stderr);
    const message = (await eventually(() => messageFor(approvalId), (m) => m !== undefined))!;
    const { slack: slackUrl } = JSON.parse(fs.readFileSync(path.join(localGatehouse().stateDir, 'approvals.json'), 'utf8')) as { slack: string };
    const payload = interactionPayload(message, approvalId, { action: 'approve-once', userId: APPROVER, responseUrlBase: slackUrl });
    const secret = fs.readFileSync(path.join(localGatehouse().stateDir, 'slack-signing-secret'), 'utf8').trim();

    const forged = signedInteraction(payload, 'an-attacker-guess');
    const stale = signedInteraction(payload, secret, new Date(Date.now() - 10 * 60_000));
    for (const attempt of [forged, stale]) {
      const response = await rawRequest('/slack/interactions', { method: 'POST', headers: attempt.headers, body: attempt.body });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toEqual({ ok: false, error: 'invalid_signature' });
    }
    expect(await approvalItem(approvalId)).toMatchObject({ status: 'pending' });
    expect(pendingId((await kubectl(kubeconfig, ['delete', 'pvc', 'api-data', '-n', 'prod'])).stderr)).toBe(approvalId);
  });

  it('changes nothing for a replayed click', async () => {
    const { kubeconfig } = agentKubeconfig('replay');
    const approvalId = pendingId((await kubectl(kubeconfig, ['delete', 'configmap', 'kube-root-ca.crt', '-n', 'prod'])).stderr);
    const message = (await eventually(() => messageFor(approvalId), (m) => m !== undefined))!;
    const secret = fs.readFileSync(path.join(localGatehouse().stateDir, 'slack-signing-secret'), 'utf8').trim();
    const deny = signedInteraction(interactionPayload(message, approvalId, { action: 'deny', userId: APPROVER, reason: 'first', responseUrlBase: 'http://127.0.0.1' }), secret);

    const first = await rawRequest('/slack/interactions', { method: 'POST', headers: deny.headers, body: deny.body });
    const replay = await rawRequest('/slack/interactions', { method: 'POST', headers: deny.headers, body: deny.body });
    expect(JSON.parse(first.body)).toMatchObject({ ok: true, outcome: 'denied' });
    expect(JSON.parse(replay.body)).toEqual({ ok: false, error: 'replayed' });
  });

  it('refuses a clicker who is not an approver, tells them, and keeps the request pending', async () => {
    const { kubeconfig } = agentKubeconfig('bystander');
    const approvalId = pendingId((await kubectl(kubeconfig, ['delete', 'cronjob', 'nightly-report', '-n', 'prod'])).stderr);
    await eventually(() => messageFor(approvalId), (m) => m !== undefined);

    const refused = await cli(['approve', approvalId, '--as', 'U0LOCALBYSTANDER']);
    expect(refused).toMatchObject({ code: 1, stdout: expect.stringContaining('not_an_approver') });
    expect((await slack()).ephemerals).toContainEqual(expect.objectContaining({ user: 'U0LOCALBYSTANDER', text: expect.stringMatching(/not an approver/) }));
    expect(await approvalItem(approvalId)).toMatchObject({ status: 'pending' });
    expect(pendingId((await kubectl(kubeconfig, ['delete', 'cronjob', 'nightly-report', '-n', 'prod'])).stderr)).toBe(approvalId);
  });

  it('refuses self-approval by the person behind the agent', async () => {
    const { kubeconfig } = agentKubeconfig('self', { email: 'approval-self@example.com' });
    const approvalId = pendingId((await kubectl(kubeconfig, ['delete', 'role', 'api-reader', '-n', 'prod'])).stderr);
    await eventually(() => messageFor(approvalId), (m) => m !== undefined);
    const refused = await cli(['approve', approvalId]);
    expect(refused).toMatchObject({ code: 1, stdout: expect.stringContaining('self_approval') });
    expect(await approvalItem(approvalId)).toMatchObject({ status: 'pending' });
  });

  it('lets just-in-time access cover the agent in the namespace, and nobody else', async () => {
    const { kubeconfig } = agentKubeconfig('jit');
    const approvalId = pendingId((await kubectl(kubeconfig, ['delete', 'rolebinding', 'api-reader', '-n', 'prod'])).stderr);
    await eventually(() => messageFor(approvalId), (m) => m !== undefined);
    expect(await cli(['approve', approvalId, '--kind', 'jit', '--minutes', '15'])).toMatchObject({ code: 0, stdout: expect.stringContaining('approved (just-in-time)') });
    await eventually(() => approvalItem(approvalId), (item) => item?.status === 'approved');

    const retried = await kubectl(kubeconfig, ['delete', 'rolebinding', 'api-reader', '-n', 'prod']);
    expect(retried.stdout).toMatch(/rolebinding.rbac.authorization.k8s.io "api-reader" deleted/);
    const other = await kubectl(kubeconfig, ['create', 'configmap', `jit-${run}`, '-n', 'prod', '--from-literal=a=b']);
    expect(other.stdout).toMatch(/created/);
    const someoneElse = agentKubeconfig('jit-other').kubeconfig;
    expect(pendingId((await kubectl(someoneElse, ['create', 'configmap', `jit-other-${run}`, '-n', 'prod', '--from-literal=a=b'])).stderr)).toMatch(/^apr-/);

    // An operator ends the window early: the agent's next held request asks a person again.
    const revoked = await operator(['approvals', 'revoke', approvalId, '--by', 'e2e-operator']);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`Revoked just-in-time approval ${approvalId}`) });
    expect((await operator(['approvals', 'show', approvalId])).stdout).toMatch(/Status:\s+revoked/);
    const afterRevoke = await kubectl(kubeconfig, ['create', 'configmap', `jit-after-${run}`, '-n', 'prod', '--from-literal=a=b']);
    expect(pendingId(afterRevoke.stderr)).toMatch(/^apr-/);
  });
});

/** The operator CLI against the e2e local mode. */
function operator(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/gatehouse.js'), '--local', '--state-dir', localGatehouse().stateDir, ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApprovalWorkflowDependencies } from '../../../lambdas/approvals/approval-workflow-dependencies';
import { createInteractionHandler, type InteractionRequest } from '../../../lambdas/approvals/handle-interaction';
import { toInteractionRequest } from '../../../lambdas/approvals/interactions-handler';
import { DENIED_ERROR, type Approval } from '../../../lambdas/core/approvals/approval-item';
import { pendingApprovalMessage } from '../../../lambdas/core/approvals/approval-message';
import type { ApprovalStore } from '../../../lambdas/core/approvals/approval-ports';
import { slackSignature } from '../../../lambdas/core/approvals/slack-signature';
import { interactionPayload, signedInteraction, type ClickSpec } from '../../../local/approvals-cli';
import { pending, SETTINGS, subject } from './support/fixtures';

const SIGNING_SECRET = 'test-signing-secret';
const NOW = new Date('2026-01-01T10:05:00.000Z');

/** The interactions endpoint with fakes around it: an in-memory store, a recording responder and Slack. */
function setup(approvals: Approval[], options: { responder?: 'sent' | 'gone'; groups?: Record<string, string[]> } = {}) {
  const byId = new Map(approvals.map((a) => [a.approvalId, a]));
  const seen = new Set<string>();
  const sent: Array<{ kind: 'succeed' | 'fail'; token: string; output?: unknown; error?: string; cause?: string }> = [];
  const ephemerals: Array<{ user: string; text: string }> = [];
  const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const store = {
    get: async (id: string) => byId.get(id),
    claimInteraction: async (hash: string) => (seen.has(hash) ? false : (seen.add(hash), true)),
  } as unknown as ApprovalStore;
  const deps: ApprovalWorkflowDependencies = {
    settings: SETTINGS,
    store,
    slack: {
      postMessage: async () => ({ channel: 'C0', ts: '1' }),
      updateMessage: async () => undefined,
      postEphemeral: async (_channel, user, text) => void ephemerals.push({ user, text }),
      userGroupMembers: async (group) => options.groups?.[group] ?? [],
    },
    secrets: { read: async (arn) => (arn === SETTINGS.slack.signingSecretArn ? SIGNING_SECRET : 'xoxb-bot') },
    responder: {
      succeed: async (token, output) => (sent.push({ kind: 'succeed', token, output }), options.responder ?? 'sent'),
      fail: async (token, error, cause) => (sent.push({ kind: 'fail', token, error, cause }), options.responder ?? 'sent'),
    },
    records: { complete: async () => undefined },
    now: () => NOW,
    sleep: async () => undefined,
    log: (level, message, fields) => void logs.push({ level, message, fields }),
    metric: () => undefined,
  };
  return { handle: createInteractionHandler(deps), sent, ephemerals, logs };
}

/** An approval waiting for a decision, with its message and task token. */
function waiting(overrides: Partial<Approval> = {}, s = subject()): Approval {
  return { ...pending(new Date('2026-01-01T10:00:00.000Z'), 'apr-0123456789ab', s), taskToken: 'AQtask-token', slackChannel: 'C0APPROVALS', slackTs: '1767261600.000001', ...overrides };
}

/** What Slack sends when `click.userId` clicks a button of the approval's message. */
function click(approval: Approval, spec: Partial<ClickSpec> & Pick<ClickSpec, 'action'>, secret = SIGNING_SECRET, at = NOW): InteractionRequest {
  const message = { channel: 'C0APPROVALS', ts: approval.slackTs!, history: [], ...pendingApprovalMessage(approval, SETTINGS) };
  const payload = interactionPayload(message, approval.approvalId, { userId: 'U0APPROVER', responseUrlBase: 'https://hooks.slack.com', now: at, ...spec });
  const { body, headers } = signedInteraction(payload, secret, at);
  return { headers, body: Buffer.from(body) };
}

describe('the Slack interactions endpoint', () => {
  it('approves once: SendTaskSuccess with who decided and when', async () => {
    const approval = waiting();
    const { handle, sent } = setup([approval]);
    const response = await handle(click(approval, { action: 'approve-once', userName: 'alice' }));

    expect(response).toEqual({ statusCode: 200, body: { ok: true, approvalId: approval.approvalId, outcome: 'approved', kind: 'one-time' } });
    expect(sent).toEqual([{ kind: 'succeed', token: 'AQtask-token', output: { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', approverName: 'alice', decidedAt: NOW.toISOString() } }]);
  });

  it('grants just-in-time access for the namespace and minutes picked in the message', async () => {
    const approval = waiting();
    const { handle, sent } = setup([approval]);
    await handle(click(approval, { action: 'approve-jit', minutes: 60 }));
    expect(sent[0]!.output).toMatchObject({ outcome: 'approved', kind: 'just-in-time', jit: { namespace: 'prod', minutes: 60 } });
  });

  it('uses the preselected 30 minutes when the approver picks nothing', async () => {
    const approval = waiting();
    const { handle, sent } = setup([approval]);
    await handle(click(approval, { action: 'approve-jit' }));
    expect(sent[0]!.output).toMatchObject({ jit: { namespace: 'prod', minutes: 30 } });
  });

  it.each([
    ['more minutes than allowed', { minutes: 241 }],
    ['a namespace pattern', { namespace: 'prod*' }],
    ['a namespace with markup', { namespace: '<!here>' }],
  ])('refuses just-in-time access with %s', async (_case, spec) => {
    const approval = waiting();
    const { handle, sent, ephemerals } = setup([approval]);
    const response = await handle(click(approval, { action: 'approve-jit', ...spec }));
    expect(response.body).toMatchObject({ ok: false, error: 'invalid_choice' });
    expect(sent).toEqual([]);
    expect(ephemerals[0]!.text).toMatch(/cannot be used/);
  });

  it('denies with the typed reason: SendTaskFailure with Gatehouse.Denied', async () => {
    const approval = waiting();
    const { handle, sent } = setup([approval]);
    const response = await handle(click(approval, { action: 'deny', reason: 'change freeze until Monday' }));

    expect(response.body).toMatchObject({ ok: true, outcome: 'denied' });
    expect(sent).toEqual([{ kind: 'fail', token: 'AQtask-token', error: DENIED_ERROR, cause: expect.any(String) }]);
    expect(JSON.parse(sent[0]!.cause!)).toEqual({ approver: 'U0APPROVER', approverName: 'u0approver', decidedAt: NOW.toISOString(), reason: 'change freeze until Monday' });
  });

  it.each<[string, (a: Approval) => InteractionRequest]>([
    ['a forged signature', (a) => click(a, { action: 'approve-once' }, 'not-the-signing-secret')],
    ['a stale request (6 minutes old)', (a) => click(a, { action: 'approve-once' }, SIGNING_SECRET, new Date(NOW.getTime() - 6 * 60_000))],
    ['a body changed after signing', (a) => {
      const req = click(a, { action: 'approve-once' });
      return { ...req, body: Buffer.from(req.body.toString().replace('U0APPROVER', 'U0ATTACKER')) };
    }],
    ['no signature', (a) => ({ ...click(a, { action: 'approve-once' }), headers: { 'x-slack-request-timestamp': String(NOW.getTime() / 1000) } })],
  ])('refuses %s with a 401, changes nothing and logs it', async (_case, make) => {
    const approval = waiting();
    const { handle, sent, logs } = setup([approval]);
    const response = await handle(make(approval));
    expect(response).toEqual({ statusCode: 401, body: { ok: false, error: 'invalid_signature' } });
    expect(sent).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'slack interaction refused: bad signature' }));
  });

  it('refuses a replay of a request it already handled', async () => {
    const approval = waiting();
    const { handle, sent, logs } = setup([approval]);
    const request = click(approval, { action: 'approve-once' });
    await handle(request);
    const replay = await handle(request);

    expect(replay.body).toEqual({ ok: false, error: 'replayed' });
    expect(sent).toHaveLength(1);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'slack interaction refused: replayed' }));
  });

  it('refuses a clicker who is not an approver for the connection, and tells them', async () => {
    const approval = waiting();
    const { handle, sent, ephemerals, logs } = setup([approval]);
    const response = await handle(click(approval, { action: 'approve-once', userId: 'U0STRANGER' }));

    expect(response.body).toEqual({ ok: false, error: 'not_an_approver' });
    expect(sent).toEqual([]);
    expect(ephemerals).toEqual([{ user: 'U0STRANGER', text: expect.stringMatching(/not an approver/) }]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ user: 'U0STRANGER', reason: 'not-an-approver' }) }));
  });

  it('accepts a member of an approver user group', async () => {
    const approval = waiting({ connection: 'prod' });
    const { handle, sent } = setup([approval], { groups: { S0SRE: ['U0SRE1'] } });
    await expect(handle(click(approval, { action: 'approve-once', userId: 'U0SRE1' }))).resolves.toMatchObject({ body: { ok: true } });
    expect(sent).toHaveLength(1);
  });

  it('refuses self-approval by the person behind the agent', async () => {
    const approval = waiting({}, subject({ claims: { sub: 'demo-agent', email: 'alice@acme.com' } }));
    const { handle, sent } = setup([approval]);
    const settingsWithAlice = await handle(click(approval, { action: 'approve-once', userId: 'U0ALICE' }));
    expect(settingsWithAlice.body).toEqual({ ok: false, error: 'self_approval' });
    expect(sent).toEqual([]);
  });

  it('refuses a click on an approval that was already decided', async () => {
    const approval = waiting({ status: 'approved', kind: 'one-time' });
    const { handle, sent, ephemerals } = setup([approval]);
    const response = await handle(click({ ...approval, status: 'pending' }, { action: 'deny' }));
    expect(response.body).toEqual({ ok: false, error: 'already_decided' });
    expect(sent).toEqual([]);
    expect(ephemerals[0]!.text).toMatch(/already decided/);
  });

  it('refuses a duplicate click the workflow no longer waits for (another approver was faster)', async () => {
    const approval = waiting();
    const { handle, logs } = setup([approval], { responder: 'gone' });
    const response = await handle(click(approval, { action: 'approve-once' }));
    expect(response.body).toEqual({ ok: false, error: 'already_decided' });
    expect(logs).toContainEqual(expect.objectContaining({ message: 'approval click refused: the workflow no longer waits' }));
  });

  it('ignores a click on an unknown approval and payloads that are not clicks', async () => {
    const { handle, sent } = setup([]);
    await expect(handle(click(waiting(), { action: 'approve-once' }))).resolves.toMatchObject({ body: { ok: false, error: 'not_found' } });
    const body = 'payload=%7B%22type%22%3A%22view_closed%22%7D';
    const timestamp = String(NOW.getTime() / 1000);
    await expect(handle({ headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body) }, body: Buffer.from(body) }))
      .resolves.toMatchObject({ body: { ok: false, error: 'ignored' } });
    expect(sent).toEqual([]);
  });
});

describe('toInteractionRequest', () => {
  it('decodes a base64 body exactly (API Gateway passes form posts as binary) and lower-cases headers', () => {
    const body = 'payload=%7B%22a%22%3A%22%2B+%C3%A9%22%7D';
    const event = {
      body: Buffer.from(body).toString('base64'), isBase64Encoded: true,
      headers: { 'X-Slack-Signature': 'v0=abc' }, multiValueHeaders: { 'X-Slack-Request-Timestamp': ['123'] },
      requestContext: { identity: { sourceIp: '203.0.113.9' } },
    } as unknown as APIGatewayProxyEvent;
    expect(toInteractionRequest(event)).toEqual({ body: Buffer.from(body), headers: { 'x-slack-signature': 'v0=abc', 'x-slack-request-timestamp': '123' }, sourceIp: '203.0.113.9' });
  });

  it('takes a text body as is', () => {
    const event = { body: 'payload=x', isBase64Encoded: false, headers: {} } as unknown as APIGatewayProxyEvent;
    expect(toInteractionRequest(event).body.toString()).toBe('payload=x');
  });
});

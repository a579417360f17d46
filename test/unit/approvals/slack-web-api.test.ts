import { createSlackWebApi, SlackApiError } from '../../../lambdas/adapters/slack-web-api';
import { decidedApprovalMessage, pendingApprovalMessage } from '../../../lambdas/core/approvals/approval-message';
import { applyDecision } from '../../../lambdas/core/approvals/approval-item';
import { startSlackStandIn, type SlackStandIn } from '../../../local/slack-stand-in';
import { pending, SETTINGS, subject } from './support/fixtures';

const TOKEN = 'xoxb-test-token';

describe('the Slack Web API adapter, against the Slack stand-in', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await startSlackStandIn({ botToken: TOKEN, userGroups: { S0SRE: ['U0SRE1', 'U0SRE2'] } });
  });
  afterAll(() => slack.close());
  const api = (token = TOKEN) => createSlackWebApi({ token: async () => token, baseUrl: slack.apiBaseUrl });

  it('posts the approval message (Block Kit the stand-in accepts) and updates it once decided', async () => {
    const approval = pending();
    const posted = await api().postMessage('C0APPROVALS', pendingApprovalMessage(approval, SETTINGS));
    expect(posted).toEqual({ channel: 'C0APPROVALS', ts: expect.stringMatching(/^\d+\.\d{6}$/) });

    const decided = applyDecision(approval, { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: new Date().toISOString() }, SETTINGS).approval;
    await api().updateMessage(posted.channel, posted.ts, decidedApprovalMessage(decided));
    const message = slack.messageFor(approval.approvalId)!;
    expect(message.history).toHaveLength(1);
    expect(message.text).toMatch(/^Approval approved:/);
  });

  it('accepts the message for hostile names too (escaping keeps it valid)', async () => {
    const approval = pending(undefined, 'apr-hhhhhhhhhhhh', subject({ agent: `<!channel>${'x'.repeat(400)}`, name: 'a'.repeat(253) }));
    await expect(api().postMessage('C0APPROVALS', pendingApprovalMessage(approval, SETTINGS))).resolves.toHaveProperty('ts');
  });

  it('sends the bot token as a Bearer token and reports Slack errors by their code', async () => {
    await expect(api('xoxb-wrong').postMessage('C0APPROVALS', { text: 'x', blocks: [] })).rejects.toMatchObject({ name: 'SlackApiError', code: 'invalid_auth' });
    await expect(api().postMessage('#general', { text: 'x', blocks: [] })).rejects.toMatchObject({ code: 'channel_not_found' });
    await expect(api().updateMessage('C0APPROVALS', '1.000001', { text: 'x', blocks: [] })).rejects.toBeInstanceOf(SlackApiError);
  });

  it('is refused a button text longer than Slack allows', async () => {
    const blocks = [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) }, value: 'v' }] }];
    await expect(api().postMessage('C0APPROVALS', { text: 'x', blocks })).rejects.toMatchObject({ code: 'invalid_blocks' });
  });

  it('posts ephemeral messages and reads user group members', async () => {
    await api().postEphemeral('C0APPROVALS', 'U0STRANGER', 'You are not an approver');
    expect(slack.ephemerals()).toContainEqual({ channel: 'C0APPROVALS', user: 'U0STRANGER', text: 'You are not an approver' });
    await expect(api().userGroupMembers('S0SRE')).resolves.toEqual(['U0SRE1', 'U0SRE2']);
    await expect(api().userGroupMembers('S0NOPE')).rejects.toMatchObject({ code: 'no_such_subteam' });
  });

  it('reports rate limiting with the retry delay', async () => {
    const fetch = (async () => new Response('', { status: 429, headers: { 'retry-after': '7' } })) as typeof globalThis.fetch;
    await expect(createSlackWebApi({ token: async () => TOKEN, fetch }).postEphemeral('C0A', 'U0A', 'x')).rejects.toMatchObject({ code: 'ratelimited', retryAfterSeconds: 7 });
  });
});

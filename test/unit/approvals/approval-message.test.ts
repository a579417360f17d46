import { applyDecision, type Approval } from '../../../lambdas/core/approvals/approval-item';
import { APPROVAL_ACTIONS, decidedApprovalMessage, minutesText, pendingApprovalMessage, type SlackBlock } from '../../../lambdas/core/approvals/approval-message';
import { pending, SETTINGS, subject } from './support/fixtures';

const buttons = (blocks: readonly SlackBlock[]) => blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as Array<Record<string, any>>) : []));
const texts = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v] : texts(v)));
  return [];
};

describe('pendingApprovalMessage', () => {
  const approval = pending();
  const message = pendingApprovalMessage(approval, SETTINGS);

  it('offers approve once, just-in-time and deny, each carrying only the approval id', () => {
    expect(buttons(message.blocks).map((b) => [b.action_id, b.value])).toEqual([
      [APPROVAL_ACTIONS.approveOnce, approval.approvalId], [APPROVAL_ACTIONS.approveJit, approval.approvalId], [APPROVAL_ACTIONS.deny, approval.approvalId],
    ]);
    expect(JSON.stringify(message)).not.toContain(approval.fingerprint);
  });

  it('asks for confirmation before denying, and styles the buttons', () => {
    const [once, , deny] = buttons(message.blocks);
    expect(once!.style).toBe('primary');
    expect(deny).toMatchObject({ style: 'danger', confirm: { confirm: { text: 'Deny' } } });
  });

  it('says who wants to do what where, and why', () => {
    const all = texts(message.blocks).join('\n');
    expect(all).toContain('`demo-agent`');
    expect(all).toContain('`delete deployments/api in namespace prod`');
    expect(all).toContain('`production-approval/writes-by-name`');
    expect(all).toContain('Writes to production namespaces need an approval');
    expect(message.text).toBe('Approval needed: demo-agent wants to delete deployments/api in namespace prod on demo (apr-0123456789ab)');
  });

  it('preselects 30 minutes and the request namespace for just-in-time access, never more than the maximum', () => {
    const inputs = message.blocks.filter((b) => b.type === 'input') as Array<Record<string, any>>;
    const minutes = inputs.find((b) => b.element.type === 'static_select')!.element;
    expect(minutes.initial_option.value).toBe('30');
    expect(minutes.options.map((o: { value: string }) => Number(o.value))).toEqual([15, 30, 60, 120, 240]);
    expect(inputs.find((b) => b.element.action_id === 'namespace')!.element.initial_value).toBe('prod');
  });

  it('offers no just-in-time access for a cluster-scoped request', () => {
    const clusterWide = pendingApprovalMessage(pending(undefined, undefined, subject({ namespace: '' })), SETTINGS);
    expect(buttons(clusterWide.blocks).map((b) => b.action_id)).toEqual([APPROVAL_ACTIONS.approveOnce, APPROVAL_ACTIONS.deny]);
  });

  it('stays within Block Kit limits', () => {
    for (const b of buttons(message.blocks)) expect(b.text.text.length).toBeLessThanOrEqual(75);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });

  it.each([
    ['a forged mention in the agent', { agent: '<!channel> deploy-bot' }, '<!channel>'],
    ['a forged link in the resource name', { name: 'api<https://evil.example|click>' }, '<https://evil.example'],
    ['a user mention in a claim', { claims: { sub: 'x', actor: '<@U0ADMIN>' } }, '<@U0ADMIN>'],
    ['a bare @here in the agent', { agent: 'bot @here' }, '@here'],
    ['formatting that closes the code span', { agent: 'bot`*APPROVED*`' }, '`*APPROVED*`'],
  ])('escapes %s', (_case, overrides, forbidden) => {
    const hostile = pendingApprovalMessage(pending(undefined, undefined, subject(overrides)), SETTINGS);
    const rendered = JSON.stringify(hostile);
    expect(rendered).not.toContain(forbidden);
    // Every text object that can carry user content is verbatim: Slack links and mentions nothing in it.
    for (const block of hostile.blocks) {
      for (const t of [block.text, ...((block.fields as unknown[]) ?? []), ...(block.type === 'context' ? (block.elements as unknown[]) : [])]) {
        if ((t as { type?: string } | undefined)?.type === 'mrkdwn') expect(t).toMatchObject({ verbatim: true });
      }
    }
  });
});

describe('decidedApprovalMessage', () => {
  const decidedAt = '2026-01-01T10:01:00.000Z';
  const decided = (decision: Parameters<typeof applyDecision>[1]): Approval => applyDecision(pending(), decision, SETTINGS).approval;

  it.each<[string, Approval, RegExp]>([
    ['a one-time approval', decided({ outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt }), /Approved once\* by <@U0APPROVER> at <!date\^1767261660/],
    ['a just-in-time approval', decided({ outcome: 'approved', kind: 'just-in-time', approver: 'U0APPROVER', decidedAt, jit: { namespace: 'prod', minutes: 30 } }), /Just-in-time access granted\* by <@U0APPROVER>.*namespace `prod` go through until/],
    ['a denial with its reason', decided({ outcome: 'denied', approver: 'U0APPROVER', decidedAt, reason: 'change freeze <!here>' }), /Denied\* by <@U0APPROVER> at .*Reason: change freeze &lt;!here&gt;/],
    ['an expiry', decided({ outcome: 'expired', decidedAt }), /Expired\* at <!date/],
  ])('shows %s without any buttons', (_case, approval, expected) => {
    const message = decidedApprovalMessage(approval);
    expect(texts(message.blocks).join('\n')).toMatch(expected);
    expect(buttons(message.blocks)).toEqual([]);
    expect(message.blocks.some((b) => b.type === 'input')).toBe(false);
  });
});

describe('minutesText', () => {
  it.each([[1, '1 minute'], [30, '30 minutes'], [60, '1 hour'], [90, '1 h 30 min'], [240, '4 hours']])('%p -> %p', (m, text) => {
    expect(minutesText(m)).toBe(text);
  });
});

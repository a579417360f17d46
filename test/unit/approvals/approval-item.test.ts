import {
  applyDecision, canTransition, decisionFromWorkflow, linkOf, lookUpApprovals, ApprovalTransitionError,
  type ApprovalDecision, type ApprovalLink, type ApprovalStatus, type JitWindow,
} from '../../../lambdas/core/approvals/approval-item';
import { pending, SETTINGS, subject } from './support/fixtures';

const T0 = new Date('2026-01-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();
const approver = { approver: 'U0APPROVER', decidedAt: iso(1) };

describe('newApproval', () => {
  it('describes the request and waits until the timeout', () => {
    expect(pending(T0)).toMatchObject({
      approvalId: 'apr-0123456789ab', status: 'pending', requestId: 'req-1', connection: 'demo', issuer: 'demo', agent: 'demo-agent',
      summary: 'delete deployments/api in namespace prod', verb: 'delete', resource: 'deployments', namespace: 'prod', name: 'api',
      ruleId: 'production-approval/writes-by-name', createdAt: iso(0), pendingUntil: iso(30), fingerprint: subject().fingerprint,
    });
  });

  it('keeps what will run, so Slack and `approvals show` can show it after the request is gone', () => {
    expect(pending(T0).whatRuns).toEqual({
      method: 'DELETE', path: '/apis/apps/v1/namespaces/prod/deployments/api', query: [], leftOut: [], mediaType: 'application/json',
      body: { state: 'shown', bytes: 34, text: '{"propagationPolicy":"Background"}', cut: false }, notes: [],
    });
  });
});

describe('state transitions', () => {
  const all: ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'failed', 'revoked'];
  const allowed = new Set(['pending>approved', 'pending>denied', 'pending>expired', 'pending>failed', 'approved>revoked']);
  it.each(all.flatMap((from) => all.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}>${to}`));
  });

  it.each<[string, ApprovalDecision, Record<string, unknown>]>([
    ['a one-time approval', { outcome: 'approved', kind: 'one-time', ...approver }, { status: 'approved', kind: 'one-time', approver: 'U0APPROVER', oneTimeUntil: iso(11) }],
    ['a just-in-time approval', { outcome: 'approved', kind: 'just-in-time', ...approver, jit: { namespace: 'prod', minutes: 30 } },
      { status: 'approved', kind: 'just-in-time', jitNamespace: 'prod', jitUntil: iso(31) }],
    ['a denial', { outcome: 'denied', ...approver, reason: 'freeze' }, { status: 'denied', approver: 'U0APPROVER', reason: 'freeze', decidedAt: iso(1) }],
    ['an expiry', { outcome: 'expired', decidedAt: iso(30) }, { status: 'expired', decidedAt: iso(30) }],
    ['a failure to ask', { outcome: 'failed', decidedAt: iso(0), error: 'SlackApiError' }, { status: 'failed', error: 'SlackApiError' }],
  ])('applies %s to a pending approval', (_case, decision, expected) => {
    expect(applyDecision(pending(T0), decision, SETTINGS).approval).toMatchObject(expected);
  });

  it('opens a just-in-time window for the agent, namespace and duration chosen', () => {
    const { window } = applyDecision(pending(T0), { outcome: 'approved', kind: 'just-in-time', ...approver, jit: { namespace: 'prod', minutes: 30 } }, SETTINGS);
    expect(window).toEqual({ connection: 'demo', issuer: 'demo', agent: 'demo-agent', namespace: 'prod', approvalId: 'apr-0123456789ab', until: iso(31), approver: 'U0APPROVER', decidedAt: iso(1) });
  });

  it('refuses a second decision', () => {
    const { approval } = applyDecision(pending(T0), { outcome: 'denied', ...approver, reason: '' }, SETTINGS);
    expect(() => applyDecision(approval, { outcome: 'approved', kind: 'one-time', ...approver }, SETTINGS)).toThrow(ApprovalTransitionError);
  });
});

describe('lookUpApprovals', () => {
  const base = linkOf(pending(T0));
  const link = (overrides: Partial<ApprovalLink>): ApprovalLink => ({ ...base, ...overrides });
  const approvedOnce = link({ status: 'approved', kind: 'one-time', decidedAt: iso(1), approver: 'U0APPROVER', oneTimeUntil: iso(11) });
  const window: JitWindow = { connection: 'demo', issuer: 'demo', agent: 'demo-agent', namespace: 'prod', approvalId: 'apr-jjjjjjjjjjjj', until: iso(31), approver: 'U0APPROVER', decidedAt: iso(1) };

  it.each<[string, ApprovalLink[], JitWindow[], number, string]>([
    ['nothing', [], [], 5, 'none'],
    ['a pending approval', [base], [], 5, 'pending'],
    ['a pending approval past its deadline', [base], [], 31, 'none'],
    ['a one-time approval in its window', [approvedOnce], [], 5, 'consumable'],
    ['a one-time approval after its window', [approvedOnce], [], 12, 'none'],
    ['a used one-time approval', [link({ ...approvedOnce, consumedAt: iso(2) })], [], 5, 'none'],
    ['a recent denial', [link({ status: 'denied', decidedAt: iso(1), approver: 'U0APPROVER', reason: 'freeze' })], [], 30, 'denied'],
    ['a denial older than the hold', [link({ status: 'denied', decidedAt: iso(1), reason: 'freeze' })], [], 62, 'none'],
    ['an expired approval', [link({ status: 'expired', decidedAt: iso(30) })], [], 31, 'none'],
    ['an active just-in-time window', [], [window], 20, 'window'],
    ['a just-in-time window that ended', [], [window], 32, 'none'],
    ['a revoked just-in-time window', [], [{ ...window, revokedAt: iso(5) }], 20, 'none'],
    ['a new pending approval after an old denial', [link({ status: 'denied', decidedAt: iso(1) }), link({ approvalId: 'apr-newnewnewnew', createdAt: iso(2), pendingUntil: iso(32) })], [], 5, 'pending'],
  ])('finds %s', (_case, links, windows, minutes, expected) => {
    const lookup = lookUpApprovals(links, windows, at(minutes), SETTINGS);
    const found = lookup.window ? 'window' : lookup.consumable.length ? 'consumable' : lookup.otherwise.state;
    expect(found).toBe(expected);
  });

  it('offers the newest one-time approval first', () => {
    const older = link({ ...approvedOnce, approvalId: 'apr-oldoldoldold', createdAt: iso(-5) });
    expect(lookUpApprovals([older, approvedOnce], [], at(5), SETTINGS).consumable.map((l) => l.approvalId)).toEqual(['apr-0123456789ab', 'apr-oldoldoldold']);
  });

  it('reports a denial with who, when and why', () => {
    const denied = link({ status: 'denied', decidedAt: iso(1), approver: 'U0APPROVER', reason: 'freeze' });
    expect(lookUpApprovals([denied], [], at(2), SETTINGS).otherwise).toEqual({ state: 'denied', approvalId: 'apr-0123456789ab', approver: 'U0APPROVER', reason: 'freeze', decidedAt: iso(1) });
  });
});

describe('decisionFromWorkflow', () => {
  const now = at(3);
  it.each<[string, unknown, ApprovalDecision]>([
    ['an approval', { outcome: 'approved', kind: 'one-time', approver: 'U0A', decidedAt: iso(1) }, { outcome: 'approved', kind: 'one-time', approver: 'U0A', decidedAt: iso(1) }],
    ['a just-in-time approval with minutes as text', { outcome: 'approved', kind: 'just-in-time', approver: 'U0A', decidedAt: iso(1), jit: { namespace: 'prod', minutes: '30' } },
      { outcome: 'approved', kind: 'just-in-time', approver: 'U0A', decidedAt: iso(1), jit: { namespace: 'prod', minutes: 30 } }],
    ['a denial with its cause as JSON text', { outcome: 'denied', cause: JSON.stringify({ approver: 'U0A', decidedAt: iso(1), reason: 'no' }) }, { outcome: 'denied', approver: 'U0A', decidedAt: iso(1), reason: 'no' }],
    ['an expiry (timed now)', { outcome: 'expired' }, { outcome: 'expired', decidedAt: iso(3) }],
    ['a failure', { outcome: 'failed', error: 'SlackApiError' }, { outcome: 'failed', decidedAt: iso(3), error: 'SlackApiError' }],
  ])('reads %s', (_case, raw, expected) => {
    expect(decisionFromWorkflow(raw, now, SETTINGS)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['nothing', undefined],
    ['an unknown outcome', { outcome: 'maybe' }],
    ['an approval without approver', { outcome: 'approved', kind: 'one-time' }],
    ['an unknown kind', { outcome: 'approved', kind: 'forever', approver: 'U0A' }],
    ['a just-in-time namespace pattern', { outcome: 'approved', kind: 'just-in-time', approver: 'U0A', jit: { namespace: 'prod*', minutes: 30 } }],
    ['just-in-time minutes over the maximum', { outcome: 'approved', kind: 'just-in-time', approver: 'U0A', jit: { namespace: 'prod', minutes: 241 } }],
    ['a denial whose cause is not JSON', { outcome: 'denied', cause: 'not json' }],
  ])('refuses %s', (_case, raw) => {
    expect(() => decisionFromWorkflow(raw, now, SETTINGS)).toThrow();
  });
});


import { checkApprover, groupsToResolve, personsBehind } from '../../../lambdas/core/approvals/approver-check';
import { SETTINGS } from './support/fixtures';

type Subject = { connection: string; agent: string; claims: Record<string, string> };
const demo: Subject = { connection: 'demo', agent: 'demo-agent', claims: { sub: 'demo-agent' } };
const prod: Subject = { ...demo, connection: 'prod' };

describe('checkApprover', () => {
  it.each<[string, Subject, string, string[], string]>([
    ['a listed user on a connection without its own entry', demo, 'U0APPROVER', [], 'ok'],
    ['someone else', demo, 'U0STRANGER', [], 'not-an-approver'],
    ['a listed user of "*" on a connection with its own entry', prod, 'U0APPROVER', [], 'not-an-approver'],
    ['a member of the connection group', prod, 'U0SRE1', ['S0SRE'], 'ok'],
    ['a member of another group', prod, 'U0SRE1', ['S0OTHER'], 'not-an-approver'],
    ['the person behind the agent (by agent)', { ...demo, agent: 'alice@acme.com' }, 'U0ALICE', [], 'self-approval'],
    ['the person behind the agent (by claim)', { ...demo, claims: { sub: 'x', email: 'alice@acme.com' } }, 'U0ALICE', [], 'self-approval'],
    ['an approver who is the person behind the agent', { ...demo, agent: 'ci-bot' }, 'U0CIOWNER', [], 'self-approval'],
  ])('%s', (_case, approval, user, groups, expected) => {
    const result = checkApprover(approval, user, new Set(groups), SETTINGS);
    expect(result.ok ? 'ok' : result.reason).toBe(expected);
  });

  it('lets nobody decide where nobody is configured', () => {
    const result = checkApprover(demo, 'U0APPROVER', new Set(), { ...SETTINGS, approvers: { prod: { userIds: ['U0A'] } } });
    expect(result).toEqual({ ok: false, reason: 'no-approvers' });
  });
});

describe('groupsToResolve', () => {
  it('looks up groups only when the user id alone does not decide', () => {
    expect(groupsToResolve('prod', 'U0X', SETTINGS)).toEqual(['S0SRE']);
    expect(groupsToResolve('demo', 'U0APPROVER', SETTINGS)).toEqual([]);
  });
});

describe('personsBehind', () => {
  it('maps the agent and every identifying claim', () => {
    expect([...personsBehind({ agent: 'ci-bot', claims: { email: 'alice@acme.com', run_id: '42' } }, SETTINGS.personClaims)].sort()).toEqual(['U0ALICE', 'U0CIOWNER']);
  });

  it('does not find inherited properties', () => {
    expect(personsBehind({ agent: 'constructor', claims: { x: 'toString' } }, SETTINGS.personClaims).size).toBe(0);
  });
});

import { ConfigError } from '../../../lambdas/core/errors';
import { approversFor, resolveApprovalSettings, type ApprovalsConfig } from '../../../lambdas/core/approvals/approvals-config';
import { validateApprovalsConfig } from '../../../lambdas/core/approvals/validate-approvals-config';
import { withSlackSecretArns } from '../../../lambdas/core/approvals/slack-secrets';

const BOT = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-bot-token-AbCdEf';
const SIGNING = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-signing-secret-GhIjKl';
const valid = { slack: { channel: 'C0APPROVALS', botTokenSecretArn: BOT, signingSecretArn: SIGNING }, approvers: { '*': { userIds: ['U0APPROVER'] } } };
const known = { connectionNames: ['demo', 'prod'] };

function problems(raw: unknown, allowLocalUrls = false): string[] {
  try {
    validateApprovalsConfig(raw, 'test.yaml', { ...known, allowLocalUrls });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe('validateApprovalsConfig', () => {
  it('accepts the minimal section and keeps only what was written', () => {
    expect(validateApprovalsConfig(valid, 'test.yaml', known)).toEqual(valid);
  });

  it('accepts every option', () => {
    const full: ApprovalsConfig = {
      ...valid,
      approvers: { '*': { userGroups: ['S0OPS'] }, prod: { userIds: ['U0SRE', 'W0GRID'], userGroups: ['S0SRE'] } },
      timeoutMinutes: 0.25, holdSeconds: 3, oneTimeWindowMinutes: 15, denialHoldMinutes: 0, maxJitMinutes: 120,
      personClaims: { 'alice@acme.com': 'U0ALICE', octocat: 'U0OCTO' },
    };
    expect(validateApprovalsConfig(full, 'test.yaml', known)).toEqual(full);
  });

  it.each<[string, unknown, RegExp]>([
    ['no slack', { approvers: valid.approvers }, /missing required key "slack"/],
    ['no approvers', { slack: valid.slack }, /missing required key "approvers"/],
    ['an empty approvers map', { ...valid, approvers: {} }, /names nobody/],
    ['an approver entry with nobody', { ...valid, approvers: { '*': {} } }, /needs at least one of userIds or userGroups/],
    ['an unknown connection', { ...valid, approvers: { staging: { userIds: ['U0A'] } } }, /"staging": is not a defined connection; use "\*" or one of: demo, prod/],
    ['a user name instead of an id', { ...valid, approvers: { '*': { userIds: ['@alice'] } } }, /"@alice" is not a Slack user id/],
    ['a group that is not a group id', { ...valid, approvers: { '*': { userGroups: ['U0A'] } } }, /is not a Slack user group id/],
    ['a channel name', { ...valid, slack: { ...valid.slack, channel: '#approvals' } }, /is not a Slack channel id/],
    ['a partial secret ARN', { ...valid, slack: { ...valid.slack, botTokenSecretArn: BOT.replace(/-AbCdEf$/, '') } }, /botTokenSecretArn .* complete Secrets Manager secret ARN/],
    ['a token pasted where the ARN goes', { ...valid, slack: { ...valid.slack, botTokenSecretArn: 'xoxb-123-456' } }, /never put it here/],
    ['the same secret twice', { ...valid, slack: { ...valid.slack, signingSecretArn: BOT } }, /name the same secret/],
    ['an http Slack URL', { ...valid, slack: { ...valid.slack, apiBaseUrl: 'http://slack.example/api' } }, /must use https/],
    ['a local Slack URL outside local mode', { ...valid, slack: { ...valid.slack, apiBaseUrl: 'http://127.0.0.1:1234/api' } }, /accepted only in local mode/],
    ['a timeout of zero', { ...valid, timeoutMinutes: 0 }, /timeoutMinutes 0 must be a number from 0.05/],
    ['a timeout as text', { ...valid, timeoutMinutes: '30' }, /timeoutMinutes "30" must be a number/],
    ['a hold past API Gateway\'s idle limit', { ...valid, holdSeconds: 300 }, /holdSeconds 300 must be an integer from 0 to 290/],
    ['a hold that leaves no time for the cluster', { ...valid, holdSeconds: 270 }, /holdSeconds 270 plus the 25 s upstream timeout exceeds 290 s: .*5 minutes; use at most 265, or lower limits.upstreamTimeoutMs/],
    ['a fractional hold', { ...valid, holdSeconds: 1.5 }, /holdSeconds 1.5 must be an integer/],
    ['a fractional one-time window', { ...valid, oneTimeWindowMinutes: 1.5 }, /oneTimeWindowMinutes/],
    ['a day-long just-in-time maximum plus one', { ...valid, maxJitMinutes: 1441 }, /maxJitMinutes 1441/],
    ['a person mapped to a name', { ...valid, personClaims: { alice: 'alice' } }, /"alice" maps to "alice", which is not a Slack user id/],
    ['a typo', { ...valid, timeoutMinute: 5 }, /unknown key "timeoutMinute"; did you mean "timeoutMinutes"\?/],
    ['a list instead of a map', [], /must be a map/],
  ])('refuses %s', (_case, raw, message) => {
    const found = problems(raw);
    expect(found.join('\n')).toMatch(message);
    for (const p of found) expect(p).toMatch(/^approvals/);
  });

  it('allows a longer hold with a shorter upstream timeout', () => {
    expect(() => validateApprovalsConfig({ ...valid, holdSeconds: 275 }, 'test.yaml', { ...known, upstreamTimeoutMs: 15_000 })).not.toThrow();
  });

  it('accepts a local Slack URL in local mode', () => {
    expect(problems({ ...valid, slack: { ...valid.slack, apiBaseUrl: 'http://127.0.0.1:1234/api' } }, true)).toEqual([]);
  });

  it('reports every problem at once', () => {
    expect(problems({ slack: { channel: 'x', botTokenSecretArn: 'nope' }, approvers: { nope: {} }, timeoutMinutes: -1 }).length).toBeGreaterThanOrEqual(4);
  });
});

describe('resolveApprovalSettings', () => {
  it('applies the defaults', () => {
    expect(resolveApprovalSettings(valid)).toMatchObject({
      timeoutSeconds: 1800, holdSeconds: 240, oneTimeWindowMinutes: 10, denialHoldMinutes: 60, maxJitMinutes: 240, personClaims: {},
      retentionDays: 400, slack: { apiBaseUrl: 'https://slack.com/api' },
    });
  });

  it.each([[0.25, 15], [0.05, 3], [1 / 120, 1], [90, 5400]])('turns %p minutes into %p whole seconds', (minutes, seconds) => {
    expect(resolveApprovalSettings({ ...valid, timeoutMinutes: minutes }).timeoutSeconds).toBe(seconds);
  });
});

describe('approversFor', () => {
  const approvers = { '*': { userIds: ['U0ANY'] }, prod: { userGroups: ['S0SRE'] } };
  it.each([['prod', { userGroups: ['S0SRE'] }], ['demo', { userIds: ['U0ANY'] }], ['constructor', { userIds: ['U0ANY'] }]])('picks the set of %s', (connection, expected) => {
    expect(approversFor(approvers, connection)).toEqual(expected);
  });
});

describe('Slack secrets the stack creates', () => {
  it('accepts a slack section without secret ARNs: the stack creates the secrets and sets their ARNs in the functions\' environment', () => {
    const approvals = validateApprovalsConfig({ slack: { channel: 'C0APPROVALS' }, approvers: { '*': { userIds: ['U0APPROVER'] } } }, 'test', { connectionNames: ['demo'] });

    const filled = withSlackSecretArns(approvals, { GATEHOUSE_SLACK_BOT_TOKEN_SECRET_ARN: 'arn:bot', GATEHOUSE_SLACK_SIGNING_SECRET_ARN: 'arn:signing' });

    expect(approvals.slack.botTokenSecretArn).toBeUndefined();
    expect(resolveApprovalSettings(filled).slack).toMatchObject({ botTokenSecretArn: 'arn:bot', signingSecretArn: 'arn:signing' });
  });

  it('refuses to resolve settings whose secret ARNs are nowhere, saying to redeploy', () => {
    const approvals = validateApprovalsConfig({ slack: { channel: 'C0APPROVALS' }, approvers: { '*': { userIds: ['U0APPROVER'] } } }, 'test', { connectionNames: ['demo'] });

    expect(() => resolveApprovalSettings(withSlackSecretArns(approvals, {}))).toThrow('neither configured nor set by the stack');
  });
});

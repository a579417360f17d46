import { identifyAgent } from '../../../lambdas/core/identify-agent';
import { UnauthenticatedError } from '../../../lambdas/core/errors';
import type { IssuerConfig } from '../../../lambdas/core/gateway-config';

const github: IssuerConfig = {
  name: 'github', issuer: 'https://token.actions.githubusercontent.com', audience: ['gatehouse'], agentClaim: 'repository', sessionClaim: 'run_id',
};
const okta: IssuerConfig = { name: 'okta', issuer: 'https://acme.okta.com', audience: ['gatehouse'], groupsClaim: 'groups' };
const now = new Date('2026-11-22T10:00:00Z');

describe('identifyAgent', () => {
  it('names a GitHub Actions agent by repository and groups its requests by run id', () => {
    const identity = identifyAgent({ sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app', run_id: '42', actor: 'octocat', workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main' }, github, now);
    expect(identity).toEqual({
      issuer: 'github', agent: 'acme/app', session: 'acme/app/42', groups: [],
      claims: { sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app', run_id: '42', actor: 'octocat', workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main' },
    });
  });

  it.each([
    ['an array claim', ['ops', 'dev'], ['ops', 'dev']],
    ['a space-separated string', 'ops dev', ['ops', 'dev']],
    ['a missing claim', undefined, []],
    ['non-string members', ['ops', 7, null], ['ops']],
  ])('reads groups from %s', (_case, groups, expected) => {
    expect(identifyAgent({ sub: 'bot', groups }, okta, now).groups).toEqual(expected);
  });

  it('falls back to one session per agent per UTC day when the issuer has no session claim', () => {
    expect(identifyAgent({ sub: 'bot' }, okta, now).session).toBe('bot/2026-11-22');
  });

  it('refuses a token without the agent claim, naming the claim', () => {
    expect(() => identifyAgent({ sub: 'x' }, github, now)).toThrow(UnauthenticatedError);
    expect(() => identifyAgent({ sub: 'x' }, github, now)).toThrow(/"repository" claim/);
  });

  it('cuts absurdly long claim values so a hostile issuer cannot bloat records', () => {
    expect(identifyAgent({ sub: 'a'.repeat(5000) }, okta, now).agent).toHaveLength(256);
  });
});

import { InternalError } from '../../../lambdas/core/errors';
import { impersonatedUserFor } from '../../../lambdas/core/impersonated-user';

describe('impersonatedUserFor', () => {
  it.each<[string, { issuer: string; agent: string }, { userPrefix?: string } | undefined, string]>([
    ['the default prefix', { issuer: 'github', agent: 'acme/app' }, { }, 'gatehouse:github:acme/app'],
    ['no impersonation settings', { issuer: 'github', agent: 'acme/app' }, undefined, 'gatehouse:github:acme/app'],
    ['a configured prefix', { issuer: 'okta', agent: 'alice@example.com' }, { userPrefix: 'agents/' }, 'agents/okta:alice@example.com'],
    ['an agent with colons (GitHub sub)', { issuer: 'github', agent: 'repo:acme/app:ref:refs/heads/main' }, {}, 'gatehouse:github:repo:acme/app:ref:refs/heads/main'],
    ['an issuer with digits and dashes', { issuer: 'gitlab-2', agent: 'acme/app' }, {}, 'gatehouse:gitlab-2:acme/app'],
  ])('names the user with %s', (_case, identity, impersonation, expected) => {
    expect(impersonatedUserFor(identity, impersonation)).toBe(expected);
  });

  it('gives the same agent value from two issuers two different users', () => {
    const a = impersonatedUserFor({ issuer: 'github', agent: 'acme/app' }, {});
    const b = impersonatedUserFor({ issuer: 'gitlab', agent: 'acme/app' }, {});
    expect(a).not.toBe(b);
  });

  it('cannot be made ambiguous by an agent that looks like an issuer and agent', () => {
    // "github" + "x:y" and "github:x" + "y" would collide without a separator that issuer names exclude.
    const a = impersonatedUserFor({ issuer: 'github', agent: 'x:y' }, {});
    expect(a).toBe('gatehouse:github:x:y');
    expect(() => impersonatedUserFor({ issuer: 'github:x', agent: 'y' }, {})).toThrow(InternalError);
  });

  it.each(['', 'GitHub', 'git:hub', 'a'.repeat(33)])('refuses the issuer name %j, which configuration never allows', (issuer) => {
    expect(() => impersonatedUserFor({ issuer, agent: 'acme/app' }, {})).toThrow(InternalError);
  });
});

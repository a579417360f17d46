import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import type { Grant } from '../../../lambdas/core/grant';
import { matchGrant } from '../../../lambdas/core/match-grant';

const now = new Date('2026-11-22T10:00:00Z');
const agent: AgentIdentity = { issuer: 'github', agent: 'acme/app', session: 'acme/app/1', groups: ['deployers'], claims: {} };
const grant = (overrides: Partial<Grant>): Grant => ({
  grantId: 'g', connection: 'prod', principalType: 'agent', principal: 'acme/app', createdAt: '2026-01-01T00:00:00Z', createdBy: 't', source: 'cli', ...overrides,
});

describe('matchGrant', () => {
  it.each<[string, Grant[], string, string]>([
    ['an exact agent grant', [grant({})], 'prod', 'granted'],
    ['an agent glob', [grant({ principal: 'acme/*' })], 'prod', 'granted'],
    ['a glob that does not match', [grant({ principal: 'other/*' })], 'prod', 'none'],
    ['a group grant', [grant({ principalType: 'group', principal: 'deployers' })], 'prod', 'granted'],
    ['a group the agent is not in', [grant({ principalType: 'group', principal: 'admins' })], 'prod', 'none'],
    ['a grant for another issuer', [grant({ issuer: 'gitlab' })], 'prod', 'none'],
    ['an expired grant', [grant({ expiresAt: '2026-11-22T09:59:59Z' })], 'prod', 'expired'],
    ['a grant expiring later', [grant({ expiresAt: '2026-11-22T10:00:01Z' })], 'prod', 'granted'],
    ['a namespaced grant in its namespace', [grant({ namespaces: ['prod'] })], 'prod', 'granted'],
    ['a namespaced grant with a glob', [grant({ namespaces: ['team-*'] })], 'team-a', 'granted'],
    ['a namespaced grant elsewhere', [grant({ namespaces: ['staging'] })], 'prod', 'namespace'],
    ['a namespaced grant on a cluster-wide request', [grant({ namespaces: ['prod'] })], '', 'namespace'],
    ['no grants at all', [], 'prod', 'none'],
    ['a grant listing several namespaces, the request in the second', [grant({ namespaces: ['staging', 'prod'] })], 'prod', 'granted'],
  ])('with %s', (_case, grants, namespace, expected) => {
    const result = matchGrant(grants, agent, namespace, now);
    expect('grant' in result ? 'granted' : result.miss).toBe(expected);
  });

  it.each<[string, Grant[], readonly string[] | undefined, string]>([
    ['a grant without issuer, issuers unknown (single-issuer behaviour)', [grant({})], undefined, 'granted'],
    ['a grant without issuer, one issuer configured', [grant({})], ['github'], 'granted'],
    ['a grant without issuer, several issuers configured', [grant({})], ['github', 'gitlab'], 'issuer'],
    ['a group grant without issuer, several issuers configured', [grant({ principalType: 'group', principal: 'deployers' })], ['github', 'gitlab'], 'issuer'],
    ['a grant naming the agent\'s issuer, several configured', [grant({ issuer: 'github' })], ['github', 'gitlab'], 'granted'],
    ['a grant naming another issuer, several configured', [grant({ issuer: 'gitlab' })], ['github', 'gitlab'], 'none'],
    ['an issuer-less grant beside one naming the issuer', [grant({ grantId: 'any' }), grant({ grantId: 'own', issuer: 'github' })], ['github', 'gitlab'], 'granted'],
    ['an issuer-less grant for another agent', [grant({ principal: 'other/app' })], ['github', 'gitlab'], 'none'],
    ['an issuer-less grant beside an expired one naming the issuer', [grant({}), grant({ issuer: 'github', expiresAt: '2020-01-01T00:00:00Z' })], ['github', 'gitlab'], 'expired'],
  ])('with %s', (_case, grants, issuers, expected) => {
    const result = matchGrant(grants, agent, 'prod', now, { issuers });
    expect('grant' in result ? 'granted' : result.miss).toBe(expected);
  });

  it('prefers the agent own grant over a group grant', () => {
    const result = matchGrant([grant({ grantId: 'group', principalType: 'group', principal: 'deployers' }), grant({ grantId: 'own' })], agent, 'prod', now);
    expect('grant' in result && result.grant.grantId).toBe('own');
  });

  it('uses a valid grant when another one has expired', () => {
    const result = matchGrant([grant({ grantId: 'old', expiresAt: '2020-01-01T00:00:00Z' }), grant({ grantId: 'new' })], agent, 'prod', now);
    expect('grant' in result && result.grant.grantId).toBe('new');
  });
});

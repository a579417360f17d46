import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import type { Grant } from '../../../lambdas/core/grant';
import { matchGrant } from '../../../lambdas/core/match-grant';

const now = new Date('2026-11-22T10:00:00Z');
const agent: AgentIdentity = { issuer: 'github', agent: 'acme/app', session: 'acme/app/1', groups: ['viewers', 'deployers'], claims: {} };
const grant = (overrides: Partial<Grant>): Grant => ({
  grantId: 'g', connection: 'prod', principalType: 'agent', principal: 'acme/app', createdAt: '2026-01-01T00:00:00Z', createdBy: 't', source: 'cli', ...overrides,
});
const grantIdOf = (result: ReturnType<typeof matchGrant>): string | undefined => ('grant' in result ? result.grant.grantId : undefined);

describe('which grant lets an agent in', () => {
  it('admits an agent in several groups through a grant to just one of them', () => {
    // Arrange
    const grants = [grant({ grantId: 'deployers', principalType: 'group', principal: 'deployers' })];

    // Act
    const result = matchGrant(grants, agent, 'prod', now);

    // Assert
    expect(grantIdOf(result)).toBe('deployers');
  });

  it('uses the agent own grant when it is listed before a group grant', () => {
    const grants = [grant({ grantId: 'own', impersonateGroups: ['own-team'] }), grant({ grantId: 'group', principalType: 'group', principal: 'deployers' })];

    const result = matchGrant(grants, agent, 'prod', now);

    expect(grantIdOf(result)).toBe('own');
  });

  it('keeps the listed order among the agent own grants', () => {
    const grants = [grant({ grantId: 'first', impersonateGroups: ['a'] }), grant({ grantId: 'second', impersonateGroups: ['b'] })];

    const result = matchGrant(grants, agent, 'prod', now);

    expect(grantIdOf(result)).toBe('first');
  });

  it('keeps the listed order among group grants', () => {
    const grants = [
      grant({ grantId: 'viewers', principalType: 'group', principal: 'viewers' }),
      grant({ grantId: 'deployers', principalType: 'group', principal: 'deployers' }),
    ];

    const result = matchGrant(grants, agent, 'prod', now);

    expect(grantIdOf(result)).toBe('viewers');
  });

  it('names every namespace the agent could use, once each, when the request is elsewhere', () => {
    const grants = [grant({ grantId: 'a', namespaces: ['staging', 'dev'] }), grant({ grantId: 'b', namespaces: ['staging'] })];

    const result = matchGrant(grants, agent, 'prod', now);

    expect(result).toEqual({ miss: 'namespace', namespaces: ['staging', 'dev'] });
  });
});

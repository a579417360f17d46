import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import type { Grant } from '../../../lambdas/core/grant';
import { classifyRequest } from '../../../lambdas/core/classify-request';
import { matchGrant } from '../../../lambdas/core/match-grant';
import { noGrantMessage } from '../../../lambdas/proxy/refusals';

/** A grant's `expiresAt` is the first instant it no longer works: at that very millisecond it has expired. */

const now = new Date('2026-11-22T10:00:00.000Z');
const agent: AgentIdentity = { issuer: 'github', agent: 'acme/app', session: 'acme/app/1', groups: [], claims: {} };
const grantExpiringAt = (expiresAt: string): Grant => ({
  grantId: 'g1', connection: 'prod', principalType: 'agent', principal: 'acme/app', issuer: 'github', expiresAt,
  createdAt: '2026-11-22T02:00:00Z', createdBy: 'ops', source: 'cli',
});
const listPods = classifyRequest('GET', '/api/v1/namespaces/prod/pods', new URLSearchParams());

describe('the grant expiry boundary', () => {
  it('refuses a grant that expires exactly now, and says it has expired', () => {
    // Arrange
    const grants = [grantExpiringAt('2026-11-22T10:00:00.000Z')];
    // Act
    const result = matchGrant(grants, agent, 'prod', now);
    // Assert
    expect(result).toEqual({ miss: 'expired' });
    expect(noGrantMessage(agent, 'prod', listPods, result as { miss: 'expired' })).toMatch(/has expired; ask a Gatehouse operator to renew it/);
  });

  it('still accepts a grant one millisecond before it expires', () => {
    const result = matchGrant([grantExpiringAt('2026-11-22T10:00:00.001Z')], agent, 'prod', now);
    expect(result).toEqual({ grant: expect.objectContaining({ grantId: 'g1' }) });
  });

  it('refuses, at that same instant, an expiry written without milliseconds (as a configuration file has it)', () => {
    const result = matchGrant([grantExpiringAt('2026-11-22T10:00:00Z')], agent, 'prod', now);
    expect(result).toEqual({ miss: 'expired' });
  });
});

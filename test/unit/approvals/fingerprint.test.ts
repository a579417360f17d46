import { requestFingerprint, type FingerprintInput } from '../../../lambdas/core/approvals/fingerprint';

const base: FingerprintInput = {
  issuer: 'demo', agent: 'demo-agent', connection: 'demo', method: 'DELETE',
  path: '/apis/apps/v1/namespaces/prod/deployments/api', query: 'dryRun=All&propagationPolicy=Background', body: Buffer.from('{"propagationPolicy":"Background"}'),
};

describe('requestFingerprint', () => {
  it('is a SHA-256 in hex, the same for the same request', () => {
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ ...base, body: Buffer.from(base.body) })).toBe(requestFingerprint(base));
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['query parameters in another order', { query: 'propagationPolicy=Background&dryRun=All' }],
    ['the query as URLSearchParams', { query: new URLSearchParams('dryRun=All&propagationPolicy=Background') }],
    ['a lower-case method', { method: 'delete' }],
  ])('does not change with %s', (_case, change) => {
    expect(requestFingerprint({ ...base, ...change })).toBe(requestFingerprint(base));
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['another agent', { agent: 'other-agent' }],
    ['the same agent name from another issuer', { issuer: 'github' }],
    ['another connection', { connection: 'prod' }],
    ['another method', { method: 'GET' }],
    ['another object', { path: '/apis/apps/v1/namespaces/prod/deployments/web' }],
    ['another namespace', { path: '/apis/apps/v1/namespaces/staging/deployments/api' }],
    ['one more query parameter', { query: 'dryRun=All&propagationPolicy=Background&gracePeriodSeconds=0' }],
    ['a repeated query parameter', { query: 'dryRun=All&dryRun=All&propagationPolicy=Background' }],
    ['another query value', { query: 'dryRun=All&propagationPolicy=Foreground' }],
    ['another body', { body: Buffer.from('{"propagationPolicy":"Orphan"}') }],
    ['no body', { body: Buffer.alloc(0) }],
  ])('changes with %s', (_case, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  it('cannot be made to collide by moving characters between fields', () => {
    expect(requestFingerprint({ ...base, agent: 'demo-agentdemo', connection: '' })).not.toBe(requestFingerprint({ ...base, agent: 'demo-agent', connection: 'demo' }));
  });
});

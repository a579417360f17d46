import { FINGERPRINT_VERSION, requestFingerprint, type FingerprintInput } from '../../../lambdas/core/approvals/fingerprint';
import { classifyRequest } from '../../../lambdas/core/classify-request';

const path = '/apis/apps/v1/namespaces/prod/deployments/api';
const base: FingerprintInput = {
  issuer: 'demo', agent: 'demo-agent', connection: 'demo', method: 'DELETE', path, scope: classifyRequest('DELETE', path, new URLSearchParams()),
  query: 'dryRun=All&propagationPolicy=Background', contentType: 'application/json', body: Buffer.from('{"propagationPolicy":"Background"}'),
};
const scopeOf = (method: string, p: string, query = '') => classifyRequest(method, p, new URLSearchParams(query));

describe('requestFingerprint', () => {
  it('is a SHA-256 in hex, the same for the same request, and versioned', () => {
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ ...base, body: Buffer.from(base.body) })).toBe(requestFingerprint(base));
    expect(FINGERPRINT_VERSION).toBe('gatehouse-approval-fingerprint-v2');
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['query parameters in another order', { query: 'propagationPolicy=Background&dryRun=All' }],
    ['the query as URLSearchParams', { query: new URLSearchParams('dryRun=All&propagationPolicy=Background') }],
    ['a lower-case method', { method: 'delete' }],
    // kubectl --request-timeout=30s: the server's own deadline, not what the delete does.
    ['another --request-timeout (timeout)', { query: 'dryRun=All&propagationPolicy=Background&timeout=30s' }],
    ['a timeout in the middle of the query', { query: 'dryRun=All&timeout=1m0s&propagationPolicy=Background' }],
    ['pretty output', { query: 'dryRun=All&propagationPolicy=Background&pretty=true' }],
    ['a charset on the content type', { contentType: 'application/json; charset=utf-8' }],
    ['an upper-case media type', { contentType: 'Application/JSON' }],
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
    ['gracePeriodSeconds added', { query: 'dryRun=All&propagationPolicy=Background&gracePeriodSeconds=0' }],
    ['dryRun left out', { query: 'propagationPolicy=Background' }],
    ['a repeated query parameter', { query: 'dryRun=All&dryRun=All&propagationPolicy=Background' }],
    ['another propagationPolicy', { query: 'dryRun=All&propagationPolicy=Foreground' }],
    ['force added', { query: 'dryRun=All&propagationPolicy=Background&force=true' }],
    ['an unknown parameter (an aggregated API server may read it)', { query: 'dryRun=All&propagationPolicy=Background&x-mode=wipe' }],
    ['a Timeout spelled differently (names are case-sensitive, so it is unknown and kept)', { query: 'dryRun=All&propagationPolicy=Background&Timeout=1s' }],
    ['another body', { body: Buffer.from('{"propagationPolicy":"Orphan"}') }],
    ['no body', { body: Buffer.alloc(0) }],
    ['the same body as YAML', { contentType: 'application/yaml' }],
  ])('changes with %s', (_case, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  const patchPath = '/apis/apps/v1/namespaces/prod/deployments/web';
  const patch: FingerprintInput = {
    ...base, method: 'PATCH', path: patchPath, scope: scopeOf('PATCH', patchPath), query: 'fieldManager=kubectl-patch', body: Buffer.from('{"spec":{"replicas":0}}'),
  };
  it.each<[string, string]>([
    ['application/merge-patch+json', 'application/strategic-merge-patch+json'],
    ['application/merge-patch+json', 'application/apply-patch+yaml'],
    ['application/strategic-merge-patch+json', 'application/apply-patch+yaml'],
    ['application/json-patch+json', 'application/merge-patch+json'],
    ['application/json', 'application/yaml'],
  ])('tells the same body bytes apart as %s and %s', (a, b) => {
    expect(requestFingerprint({ ...patch, contentType: a })).not.toBe(requestFingerprint({ ...patch, contentType: b }));
  });

  it('ignores the content type of a request without a body', () => {
    const get: FingerprintInput = { ...base, method: 'GET', scope: scopeOf('GET', path), query: '', body: Buffer.alloc(0) };
    expect(requestFingerprint({ ...get, contentType: 'application/json' })).toBe(requestFingerprint({ ...get, contentType: '' }));
  });

  it('keeps the order of one parameter\'s values: exec arguments in another order are another command', () => {
    const exec = '/api/v1/namespaces/prod/pods/api-0/exec';
    const run = (query: string) => requestFingerprint({ ...base, method: 'POST', path: exec, scope: scopeOf('POST', exec), query, body: Buffer.alloc(0) });
    expect(run('command=rm&command=-rf&command=/data&container=api')).not.toBe(run('command=-rf&command=rm&command=/data&container=api'));
    expect(run('container=api&command=rm&command=-rf&command=/data')).toBe(run('command=rm&command=-rf&command=/data&container=api'));
  });

  it.each<[string, string, string, boolean]>([
    ['a list page size', '/api/v1/namespaces/prod/secrets', 'limit=500', true],
    ['a list continue token', '/api/v1/namespaces/prod/secrets', 'limit=500&continue=abc', true],
    ['a deletecollection page size (where the delete stops matters)', '/api/v1/namespaces/prod/pods', 'limit=1', false],
    ['a watch timeoutSeconds', '/api/v1/namespaces/prod/pods', 'watch=true&timeoutSeconds=300', true],
    ['a timeout on a pod proxy (the query goes on to the pod)', '/api/v1/namespaces/prod/pods/api-0/proxy/admin', 'timeout=1s', false],
    ['a timeout on a non-resource path', '/livez', 'timeout=1s', false],
  ])('%s matches the same request without it: %s', (_case, p, query, same) => {
    const method = _case.includes('deletecollection') ? 'DELETE' : 'GET';
    const scope = scopeOf(method, p, query);
    const bare = query.replace(/(^|&)(limit|continue|timeoutSeconds|timeout)=[^&]*/g, '').replace(/^&/, '');
    const fp = (q: string) => requestFingerprint({ ...base, method, path: p, scope, query: q, body: Buffer.alloc(0) });
    expect(fp(query) === fp(bare)).toBe(same);
  });

  it('cannot be made to collide by moving characters between fields', () => {
    expect(requestFingerprint({ ...base, agent: 'demo-agentdemo', connection: '' })).not.toBe(requestFingerprint({ ...base, agent: 'demo-agent', connection: 'demo' }));
  });
});

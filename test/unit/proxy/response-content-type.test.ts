import type { ProxyRequest } from '../../../lambdas/core/api-gateway-event';
import type { Grant } from '../../../lambdas/core/grant';
import type { UpstreamResponse } from '../../../lambdas/core/ports';
import { GatehouseError } from '../../../lambdas/core/errors';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import { proxyRequest, type ProxyDependencies } from '../../../lambdas/proxy/proxy-request';
import { recordAt } from '../../support/record-at';

/**
 * The proxy hands masking the content type the cluster declared: masking reads a body by its label (YAML,
 * JSON, text) and sniffs only when there is none, so a lost label would leave a Secret unmasked or refused.
 * In-memory ports, the real masking.
 */
function harness(answer: Pick<UpstreamResponse, 'headers' | 'body'>): ProxyDependencies {
  const grant: Grant = { grantId: 'g1', connection: 'prod', principalType: 'agent', principal: 'bot', createdAt: '', createdBy: '', source: 'cli' };
  const records: Record<string, Record<string, unknown>> = {};
  return {
    connections: new Map([['prod', { name: 'prod', clusterName: 'prod-cluster', region: 'eu-west-1', endpoint: 'https://cluster.example', certificateAuthorityData: '', roleArn: 'arn:aws:iam::1:role/r' }]]),
    issuerNames: ['ci'],
    limits: { maxRequestBodyBytes: 1024, upstreamTimeoutMs: 1000 },
    retentionDays: 30,
    verifier: { verify: async () => ({ claims: { sub: 'bot', run_id: '7' }, issuer: { name: 'ci', issuer: 'https://ci', audience: ['g'], sessionClaim: 'run_id' } }) },
    grants: { grantsFor: async () => [grant] },
    records: {
      putIntent: async (item) => { records[item.requestId] = { ...item }; },
      complete: async (key, attrs) => { Object.assign(recordAt(records, key), attrs); },
      putFinal: async (item) => { records[item.requestId] = { ...item }; },
    },
    replay: { put: async () => undefined },
    roles: { credentialsFor: async () => ({ accessKeyId: 'ASIAXXX', secretAccessKey: 's', sessionToken: 't' }) },
    upstream: { send: async () => ({ status: 200, latencyMs: 1, ...answer }) },
    clusterFacts: { read: async () => ({}) },
    guard: {
      inspect: () => ({
        needs: { liveObject: false, namespace: false },
        decide: () => ({ effect: 'allow', reason: 'rule', ruleId: 'default', message: '', unmaskSecrets: false }),
      }),
      mask: ({ body, contentType, request, unmaskSecrets }) => maskResponse({ body, contentType, request, unmaskSecrets }),
    },
    now: () => new Date('2026-11-22T10:00:00Z'),
    log: () => undefined,
    annotate: () => undefined,
    metric: () => undefined,
  };
}

const get = (clusterPath: string): ProxyRequest => ({
  requestId: 'req-1', method: 'GET', connection: 'prod', clusterPath, rawQuery: '',
  headers: { authorization: ['Bearer agent-jwt'], accept: ['application/yaml'] }, body: Buffer.alloc(0),
});

const SECRET_YAML = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: db', '  namespace: prod', 'data:', '  password: aHVudGVyMg==', ''].join('\n');

describe('the content type the cluster declared', () => {
  it('masks a Secret the cluster returns as YAML', async () => {
    // Arrange
    const deps = harness({ headers: { 'content-type': 'application/yaml' }, body: Buffer.from(SECRET_YAML) });

    // Act
    const response = await proxyRequest(get('/api/v1/namespaces/prod/secrets/db'), deps);

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/yaml');
    expect(response.body.toString()).toContain('kind: Secret');
    expect(response.body.toString()).not.toContain('aHVudGVyMg==');
  });

  it('passes on a plain-text answer that carries no content type, read by its content', async () => {
    const deps = harness({ headers: {}, body: Buffer.from('ok\n') });

    const response = await proxyRequest(get('/readyz'), deps);

    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('ok\n');
  });

  it('refuses a binary answer labelled as such rather than guess', async () => {
    const deps = harness({ headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('ok\n') });

    const outcome = await proxyRequest(get('/readyz'), deps).then(() => undefined, (error: unknown) => error);

    expect(outcome).toBeInstanceOf(GatehouseError);
    expect((outcome as GatehouseError).code).toBe(502);
  });
});

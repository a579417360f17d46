import type { ProxyRequest } from '../../../lambdas/core/api-gateway-event';
import type { Grant } from '../../../lambdas/core/grant';
import type { UpstreamRequest } from '../../../lambdas/core/ports';
import type { GuardDecision } from '../../../lambdas/proxy/request-guard';
import { GatehouseError } from '../../../lambdas/core/errors';
import { proxyRequest, type ProxyDependencies } from '../../../lambdas/proxy/proxy-request';
import { recordAt } from '../../support/record-at';

/**
 * The proxy's orchestration over in-memory ports: what must happen, in which order, and above all what
 * must NOT happen (nothing reaches the cluster) when identity, grants, policy or the record fail.
 * End-to-end tests cover the same path with the real adapters.
 */
function harness(overrides: { decision?: Partial<GuardDecision>; failIntent?: boolean; failGrants?: boolean; failRole?: boolean; upstreamBody?: Buffer } = {}) {
  const events: string[] = [];
  const upstreamCalls: UpstreamRequest[] = [];
  const records: Record<string, Record<string, unknown>> = {};
  const blobs: Record<string, string> = {};
  const grant: Grant = { grantId: 'g1', connection: 'prod', principalType: 'agent', principal: 'bot', createdAt: '', createdBy: '', source: 'cli' };
  const deps: ProxyDependencies = {
    connections: new Map([['prod', { name: 'prod', clusterName: 'prod-cluster', region: 'eu-west-1', endpoint: 'https://cluster.example', certificateAuthorityData: '', roleArn: 'arn:aws:iam::1:role/r', impersonation: { enabled: true } }]]),
    issuerNames: ['ci'],
    limits: { maxRequestBodyBytes: 1024, upstreamTimeoutMs: 1000 },
    retentionDays: 30,
    verifier: {
      verify: async (token) => {
        if (token !== 'good') throw new GatehouseError(401, 'Unauthorized', 'bad token');
        return { claims: { sub: 'bot', run_id: '7' }, issuer: { name: 'ci', issuer: 'https://ci', audience: ['g'], sessionClaim: 'run_id' } };
      },
    },
    grants: { grantsFor: async () => { events.push('grants'); if (overrides.failGrants) throw new Error('ddb down'); return [grant]; } },
    records: {
      putIntent: async (item) => { events.push('intent'); if (overrides.failIntent) throw new Error('ddb down'); records[item.requestId] = { ...item }; },
      complete: async (key, attrs) => { events.push('complete'); Object.assign(recordAt(records, key), attrs); },
      putFinal: async (item) => { events.push('final'); records[item.requestId] = { ...item }; },
    },
    replay: { put: async (key, bytes) => { blobs[key] = bytes.toString(); } },
    roles: { credentialsFor: async () => { events.push('assume'); if (overrides.failRole) throw new GatehouseError(503, 'ServiceUnavailable', 'no role'); return { accessKeyId: 'ASIAXXX', secretAccessKey: 's', sessionToken: 't' }; } },
    upstream: {
      send: async (_c, request) => {
        events.push('upstream');
        upstreamCalls.push(request);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: overrides.upstreamBody ?? Buffer.from('{"kind":"PodList","items":[]}'), latencyMs: 5 };
      },
    },
    clusterFacts: { read: async () => { events.push('read'); return {}; } },
    guard: {
      inspect: () => ({
        needs: { liveObject: false, namespace: false },
        decide: () => ({ effect: 'allow', reason: 'rule', ruleId: 'default', message: '', unmaskSecrets: false, ...overrides.decision }),
      }),
      mask: ({ body }) => ({ body: Buffer.from(body.toString().replace('hunter2', '***')), counts: (body.includes('hunter2') ? { password: 1 } : {}) as Record<string, number> }),
    },
    now: () => new Date('2026-11-22T10:00:00Z'),
    log: () => undefined,
    annotate: () => undefined,
    metric: () => undefined,
  };
  return { deps, events, upstreamCalls, records, blobs };
}

const request = (overrides: Partial<ProxyRequest> = {}): ProxyRequest => ({
  requestId: 'req-1', method: 'GET', connection: 'prod', clusterPath: '/api/v1/namespaces/prod/pods', rawQuery: 'limit=500',
  headers: { authorization: ['Bearer good'], accept: ['application/vnd.kubernetes.protobuf,application/json'] }, body: Buffer.alloc(0), ...overrides,
});

async function refusal(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatehouseError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('proxyRequest', () => {
  it('records the intent before it forwards, then completes the record with the outcome', async () => {
    const h = harness();
    const response = await proxyRequest(request(), h.deps);
    expect(response.status).toBe(200);
    expect(h.events).toEqual(['grants', 'intent', 'assume', 'upstream', 'complete']);
    expect(h.records['req-1']).toMatchObject({ phase: 'complete', outcome: 'forwarded', verb: 'list', resource: 'pods', namespace: 'prod', upstreamStatus: 200, agent: 'bot', session: 'bot/7' });
  });

  it('sends the cluster a minted EKS token, the impersonated agent and a JSON Accept, never the agent token', async () => {
    const h = harness();
    await proxyRequest(request(), h.deps);
    const headers = h.upstreamCalls[0]!.headers as Record<string, string | string[]>;
    expect(String(headers.authorization ?? headers.Authorization)).toMatch(/^Bearer k8s-aws-v1\./);
    expect(JSON.stringify(headers)).not.toContain('Bearer good');
    expect(headers['impersonate-user']).toBe('gatehouse:ci:bot');
    expect(JSON.stringify(headers)).not.toContain('protobuf');
  });

  it('does not forward when the intent record cannot be written (fail closed)', async () => {
    const h = harness({ failIntent: true });
    const error = await refusal(proxyRequest(request(), h.deps));
    expect(error.code).toBe(503);
    expect(error.message).toMatch(/audit record/);
    expect(h.events).not.toContain('upstream');
    expect(h.events).not.toContain('assume');
  });

  it('does not forward when grants cannot be read', async () => {
    const h = harness({ failGrants: true });
    expect((await refusal(proxyRequest(request(), h.deps))).code).toBe(503);
    expect(h.events).not.toContain('upstream');
  });

  it('denies by policy with the rule named, records the denial and forwards nothing', async () => {
    const h = harness({ decision: { effect: 'deny', ruleId: 'no-prod-pods', message: 'Not in prod.' } });
    const error = await refusal(proxyRequest(request(), h.deps));
    expect(error.code).toBe(403);
    expect(error.message).toMatch(/rule "no-prod-pods": Not in prod\./);
    expect(h.events).toEqual(['grants', 'final']);
    expect(h.records['req-1']).toMatchObject({ outcome: 'denied', decision: 'deny', ruleId: 'no-prod-pods', status: 403 });
  });

  it('completes the record as failed when the role cannot be assumed after the intent', async () => {
    const h = harness({ failRole: true });
    expect((await refusal(proxyRequest(request(), h.deps))).code).toBe(503);
    expect(h.records['req-1']).toMatchObject({ phase: 'complete', outcome: 'failed', status: 503 });
    expect(h.events).not.toContain('upstream');
  });

  it('refuses an unauthenticated request without recording or forwarding anything', async () => {
    const h = harness();
    expect((await refusal(proxyRequest(request({ headers: { authorization: ['Bearer bad'] } }), h.deps))).code).toBe(401);
    expect(h.events).toEqual([]);
  });

  it('stores the masked response in the replay blob, with its hash in the record', async () => {
    const h = harness({ upstreamBody: Buffer.from('{"kind":"Secret","data":{"password":"hunter2"}}') });
    const response = await proxyRequest(request(), h.deps);
    expect(response.body.toString()).not.toContain('hunter2');
    const [key] = Object.keys(h.blobs);
    expect(h.blobs[key!]).not.toContain('hunter2');
    expect(h.blobs[key!]).not.toContain('Bearer');
    expect(h.records['req-1']).toMatchObject({ replayKey: key, maskedCounts: { password: 1 } });
    expect(h.records['req-1']!.replaySha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a response too large for Lambda and tells the user to page', async () => {
    const h = harness({ upstreamBody: Buffer.from(JSON.stringify({ items: 'x'.repeat(6_400_000) })) });
    const error = await refusal(proxyRequest(request(), h.deps));
    expect(error.code).toBe(502);
    expect(error.message).toMatch(/--chunk-size/);
    expect(h.records['req-1']).toMatchObject({ outcome: 'failed', upstreamStatus: 200 });
  });
});

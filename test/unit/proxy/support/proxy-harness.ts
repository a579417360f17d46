import { Readable } from 'node:stream';
import type { ProxyRequest } from '../../../../lambdas/core/api-gateway-event';
import type { ConnectionConfig, GatewayConfig } from '../../../../lambdas/core/gateway-config';
import type { Grant } from '../../../../lambdas/core/grant';
import type { StreamLeases, UpstreamRequest, UpstreamResponse, UpstreamStream } from '../../../../lambdas/core/ports';
import { GatehouseError } from '../../../../lambdas/core/errors';
import { toKubeStatus } from '../../../../lambdas/core/kube-status';
import { compilePolicy, serializePolicy } from '../../../../lambdas/core/policy/compile-policy';
import { createRequestGuard } from '../../../../lambdas/proxy/create-request-guard';
import type { ProxyDependencies } from '../../../../lambdas/proxy/proxy-request';
import type { RequestGuard } from '../../../../lambdas/proxy/request-guard';
import { PACK_SOURCES } from '../../policy/policy-test-support';
import { recordAt } from '../../../support/record-at';

/**
 * The proxy over in-memory ports and the real request guard, for tests of its promises at the edges: what the
 * agent gets (status, Status message), what reached the cluster, and what the record says.
 */

export const connection = (name: string, extra: Partial<ConnectionConfig> = {}): ConnectionConfig => ({
  name, clusterName: `${name}-cluster`, region: 'eu-west-1', endpoint: `https://${name}.cluster.example`, certificateAuthorityData: '',
  roleArn: `arn:aws:iam::111122223333:role/gatehouse-${name}`, ...extra,
});
const ACME_KEY_PATTERN = { id: 'acme-api-key', regex: 'acme_live_[A-Za-z0-9]{16}' };
export const CONNECTIONS = [connection('prod', { maskingPatterns: [ACME_KEY_PATTERN] }), connection('dev')];

/** The baseline pack, and a rule that sends deletes in namespace `payments` to a person. */
const POLICY = serializePolicy(compilePolicy([{
  source: 'policy.yaml',
  text: [
    'apiVersion: gatehouse.dev/v1',
    'kind: Policy',
    'packs: [baseline]',
    'defaults: { "*": allow }',
    'rules:',
    '  - id: payments-deletes',
    '    effect: approve',
    '    message: Deletes in payments need a person.',
    '    match: { verbs: [delete], namespaces: [payments] }',
  ].join('\n'),
}], { packs: PACK_SOURCES }));

/** The real guard, compiled once for the file as a Lambda container compiles it once. */
export const GUARD: RequestGuard = createRequestGuard({ issuers: [], connections: CONNECTIONS } as unknown as GatewayConfig, POLICY);

/** What a test can change about the harness. */
export interface HarnessOptions {
  approvals?: ProxyDependencies['approvals'];
  /** Stream leases (the per-agent cap); absent, streams are not counted. */
  streamLeases?: StreamLeases;
  /** What an open stream (watch, follow) from the cluster carries, chunk by chunk. */
  streamChunks?: readonly string[];
  upstreamBody?: string;
  failReplay?: boolean;
  failComplete?: boolean;
}

/** In-memory ports that note what happened, in order. */
export function harness(options: HarnessOptions = {}) {
  const events: string[] = [];
  const forwarded: { connection: string; request: UpstreamRequest }[] = [];
  const records: Record<string, Record<string, unknown>> = {};
  const blobs: Record<string, string> = {};
  const metrics: string[] = [];
  const grant = (c: string): Grant => ({ grantId: `g-${c}`, connection: c, principalType: 'agent', principal: 'bot', createdAt: '', createdBy: '', source: 'cli' });
  const deps: ProxyDependencies = {
    connections: new Map(CONNECTIONS.map((c) => [c.name, c])),
    issuerNames: ['ci'],
    limits: { maxRequestBodyBytes: 1_000_000, upstreamTimeoutMs: 1000 },
    retentionDays: 30,
    verifier: {
      verify: async () => ({ claims: { sub: 'bot', run_id: '7' }, issuer: { name: 'ci', issuer: 'https://ci.example', audience: ['gatehouse'], sessionClaim: 'run_id' } }),
    },
    grants: { grantsFor: async (c) => [grant(c)] },
    records: {
      putIntent: async (item) => { events.push('intent'); records[item.requestId] = { ...item }; },
      complete: async (key, attrs) => {
        events.push('complete');
        if (options.failComplete) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        Object.assign(recordAt(records, key), attrs);
      },
      putFinal: async (item) => { events.push('final'); records[item.requestId] = { ...item }; },
    },
    replay: {
      put: async (key, bytes) => {
        events.push('replay');
        if (options.failReplay) throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
        blobs[key] = bytes.toString();
      },
    },
    roles: { credentialsFor: async () => { events.push('assume'); return { accessKeyId: 'ASIAXXXXXXXXXXXXXXXX', secretAccessKey: 's', sessionToken: 't' }; } },
    upstream: {
      send: async (c, request): Promise<UpstreamResponse> => {
        events.push('upstream');
        forwarded.push({ connection: c.name, request });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(options.upstreamBody ?? '{"kind":"Status","status":"Success"}'), latencyMs: 3 };
      },
      open: async (c, request): Promise<UpstreamStream> => {
        events.push('open');
        forwarded.push({ connection: c.name, request });
        const body = Readable.from((options.streamChunks ?? []).map((chunk) => Buffer.from(chunk)));
        return { status: 200, headers: { 'content-type': 'application/json' }, body, latencyMs: 3, abort: () => { events.push('abort'); body.destroy(); } };
      },
    },
    clusterFacts: { read: async () => { events.push('read'); return {}; } },
    guard: GUARD,
    approvals: options.approvals,
    streamLeases: options.streamLeases,
    now: () => new Date('2026-11-22T10:00:00Z'),
    log: () => undefined,
    annotate: () => undefined,
    metric: (name) => { metrics.push(name); },
  };
  return { deps, events, forwarded, records, blobs, metrics };
}

/** `kubectl get pods -n app` by the harness's agent, or the request the overrides describe. */
export const request = (overrides: Partial<ProxyRequest> = {}): ProxyRequest => ({
  requestId: 'req-1', method: 'GET', connection: 'prod', clusterPath: '/api/v1/namespaces/app/pods', rawQuery: '',
  headers: { authorization: ['Bearer agent-jwt'] }, body: Buffer.alloc(0), ...overrides,
});

/** The Status the agent's kubectl receives for a refused request. */
export async function statusOf(promise: Promise<unknown>) {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof GatehouseError)) throw new Error(`expected a refusal, got ${outcome === undefined ? 'an answer' : String(outcome)}`);
  return toKubeStatus(outcome, 'req-1');
}

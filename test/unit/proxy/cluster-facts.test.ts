import type { UpstreamRequest } from '../../../lambdas/core/ports';
import { ClusterFactsReader, NAMESPACE_CACHE_TTL_MS, type ClusterReadContext } from '../../../lambdas/proxy/cluster-facts';
import { resourceRequest } from '../policy/policy-test-support';

function reader(answers: Record<string, { status: number; body: unknown }>) {
  const calls: UpstreamRequest[] = [];
  let now = 0;
  const upstream = {
    send: async (_c: unknown, request: UpstreamRequest) => {
      calls.push(request);
      const answer = answers[request.pathAndQuery] ?? { status: 500, body: {} };
      return { status: answer.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(answer.body)), latencyMs: 1 };
    },
  };
  return { facts: new ClusterFactsReader(upstream, () => new Date(now)), calls, advance: (ms: number) => { now += ms; } };
}

const ctx: ClusterReadContext = {
  connection: { name: 'c' } as never, request: resourceRequest({ verb: 'patch', resource: 'pods', namespace: 'team', name: 'p' }),
  objectPath: '/api/v1/namespaces/team/pods/p', bearerToken: 'k8s-aws-v1.x', impersonate: { user: 'gatehouse:bot', groups: [] }, requestId: 'r1', timeoutMs: 1000,
};
const team = { metadata: { name: 'team', labels: { environment: 'production' } } };

describe('ClusterFactsReader', () => {
  it('reads the object as the agent and the namespace as the connection role', async () => {
    const h = reader({ '/api/v1/namespaces/team/pods/p': { status: 200, body: { kind: 'Pod' } }, '/api/v1/namespaces/team': { status: 200, body: team } });
    const facts = await h.facts.read({ liveObject: true, namespace: true }, ctx);
    expect(facts).toEqual({ liveObject: { kind: 'Pod' }, namespaceObject: team });
    const byPath = Object.fromEntries(h.calls.map((c) => [c.pathAndQuery, c.headers as Record<string, unknown>]));
    expect(byPath['/api/v1/namespaces/team/pods/p']!['impersonate-user']).toBe('gatehouse:bot');
    expect(byPath['/api/v1/namespaces/team']!['impersonate-user']).toBeUndefined();
  });

  it('keeps a namespace for its TTL only, and never caches the object', async () => {
    const h = reader({ '/api/v1/namespaces/team/pods/p': { status: 200, body: {} }, '/api/v1/namespaces/team': { status: 200, body: team } });
    await h.facts.read({ liveObject: true, namespace: true }, ctx);
    await h.facts.read({ liveObject: true, namespace: true }, ctx);
    h.advance(NAMESPACE_CACHE_TTL_MS);
    await h.facts.read({ liveObject: false, namespace: true }, ctx);
    const paths = h.calls.map((c) => c.pathAndQuery);
    expect(paths.filter((p) => p.endsWith('/pods/p'))).toHaveLength(2);
    expect(paths.filter((p) => p === '/api/v1/namespaces/team')).toHaveLength(2);
  });

  it('reports a missing object or namespace as null', async () => {
    const h = reader({ '/api/v1/namespaces/team/pods/p': { status: 404, body: {} }, '/api/v1/namespaces/team': { status: 404, body: {} } });
    expect(await h.facts.read({ liveObject: true, namespace: true }, ctx)).toEqual({ liveObject: null, namespaceObject: null });
  });

  it.each([
    [403, 'object', 403, /needs "get" on it/],
    [403, 'namespace', 403, /role "get" on namespaces/],
    [500, 'namespace', 503, /could not read namespace "team".*retry/],
    [500, 'object', 503, /could not read pods "p" in namespace team/],
  ])('fails closed on a %s reading the %s', async (status, what, code, message) => {
    const h = reader(what === 'object' ? { '/api/v1/namespaces/team/pods/p': { status, body: {} } } : { '/api/v1/namespaces/team': { status, body: {} } });
    await expect(h.facts.read({ liveObject: what === 'object', namespace: what === 'namespace' }, ctx)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

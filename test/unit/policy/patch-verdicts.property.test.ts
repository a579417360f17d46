import fc from 'fast-check';
import { compilePolicy, serializePolicy } from '../../../lambdas/core/policy/compile-policy';
import { GatehouseError } from '../../../lambdas/core/errors';
import { createRequestGuard } from '../../../lambdas/proxy/create-request-guard';
import type { GuardVerdict } from '../../../lambdas/proxy/request-guard';
import { startFixture, type SimulatorFixture } from '../kube-api-simulator/simulator-fixture';
import { identity, PACK_SOURCES, resourceRequest } from './policy-test-support';

/**
 * The gateway's verdict on a patch must be the verdict on the object the simulated API server actually stored
 * for it: random deployments, random patches of every type (JSON patch with every index spelling the server
 * accepts, merge, strategic merge), applied by two independent implementations (lambdas/core/patch and the
 * simulator's), judged by the baseline pack plus a CEL rule.
 */
const POLICY = serializePolicy(compilePolicy([{ source: 'p.yaml', text: `apiVersion: gatehouse.dev/v1
kind: Policy
packs: [baseline]
defaults: { "*": allow }
rules:
  - id: no-latest
    effect: deny
    match: { verbs: [create, update, patch], resources: [deployments], cel: "allContainers.exists(c, c.?image.orValue('').endsWith(':latest'))" }
` }], { packs: PACK_SOURCES }));
const guard = createRequestGuard({ issuers: [], connections: [] } as never, POLICY);
const NS = 'default';
const PATH = `/apis/apps/v1/namespaces/${NS}/deployments`;

const name = fc.constantFrom('web', 'side', 'init', 'extra');
const image = fc.constantFrom('nginx:1.27', 'busybox:latest', 'redis:7');
const securityContext = fc.option(fc.record({ privileged: fc.boolean() }, { requiredKeys: [] }), { nil: undefined });
const container = fc.record({ name, image, securityContext }).map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
const volume = fc.oneof(fc.constant({ name: 'cache', emptyDir: {} }), fc.constant({ name: 'root', hostPath: { path: '/' } }));
const podSpec = fc.record({
  containers: fc.uniqueArray(container, { minLength: 1, maxLength: 3, selector: (c) => c.name }),
  volumes: fc.uniqueArray(volume, { maxLength: 2, selector: (v) => v.name }),
  hostNetwork: fc.option(fc.boolean(), { nil: undefined }),
}).map((s) => JSON.parse(JSON.stringify(s)) as Record<string, unknown>);

/** An array index as the server's JSON patch library reads it, for a list of `length` (some out of range). */
const index = (length: number) => fc.oneof(
  fc.integer({ min: -length - 1, max: length }).map(String),
  fc.integer({ min: 0, max: length - 1 }).map((i) => `0${i}`),
  fc.integer({ min: 0, max: length - 1 }).map((i) => `+${i}`),
  fc.constant('-'),
);
const jsonPatch = (spec: Record<string, unknown>) => {
  const n = (spec.containers as unknown[]).length;
  const base = '/spec/template/spec';
  return fc.array(fc.oneof(
    fc.tuple(index(n), fc.boolean()).map(([i, v]) => ({ op: 'add', path: `${base}/containers/${i}/securityContext`, value: { privileged: v } })),
    fc.tuple(index(n), image).map(([i, v]) => ({ op: 'replace', path: `${base}/containers/${i}/image`, value: v })),
    fc.tuple(index(Math.max(1, (spec.volumes as unknown[]).length)), volume).map(([i, v]) => ({ op: 'add', path: `${base}/volumes/${i}`, value: v })),
    index(n).map((from) => ({ op: 'move', from: `${base}/containers/${from}`, path: `${base}/initContainers` })),
    index(n).map((i) => ({ op: 'remove', path: `${base}/containers/${i}` })),
    fc.boolean().map((v) => ({ op: 'add', path: `${base}/hostNetwork`, value: v })),
  ), { minLength: 1, maxLength: 3 });
};
const mergePatch = fc.record({ hostNetwork: fc.option(fc.boolean(), { nil: null }), containers: fc.option(fc.array(container, { maxLength: 2 }), { nil: undefined }) }, { requiredKeys: [] })
  .map((spec) => ({ spec: { template: { spec: JSON.parse(JSON.stringify(spec)) as unknown } } }));
const strategicPatch = fc.record({
  containers: fc.uniqueArray(fc.record({ name, image: fc.option(image, { nil: undefined }), securityContext }, { requiredKeys: ['name'] }), { maxLength: 2, selector: (c) => c.name }),
  volumes: fc.option(fc.array(volume, { maxLength: 1 }), { nil: undefined }),
}, { requiredKeys: [] }).map((spec) => ({ spec: { template: { spec: JSON.parse(JSON.stringify(spec)) as unknown } } }));

const patchCase = podSpec.chain((spec) => fc.tuple(fc.constant(spec), fc.oneof(
  jsonPatch(spec).map((p) => ['application/json-patch+json', p] as const),
  mergePatch.map((p) => ['application/merge-patch+json', p] as const),
  strategicPatch.map((p) => ['application/strategic-merge-patch+json', p] as const),
)));

function verdictOf(decide: () => GuardVerdict): string {
  try {
    const v = decide();
    return v.effect === 'allow' ? 'allow' : `${v.effect}:${v.ruleId}`;
  } catch (error) {
    if (error instanceof GatehouseError) return `error:${error.code}`;
    throw error;
  }
}

describe('patch verdicts agree with what the server stores', () => {
  let fixture: SimulatorFixture;
  beforeAll(async () => { fixture = await startFixture(); });
  afterAll(async () => { await fixture.sim.close(); });

  it('judges every random patch as the stored object is judged', async () => {
    let counter = 0;
    let stored = 0;
    await fc.assert(fc.asyncProperty(patchCase, async ([spec, [contentType, patch]]) => {
      // Arrange: the deployment as it is in the cluster (made directly, not through Gatehouse).
      const objectName = `d${counter++}`;
      const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: objectName, namespace: NS }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec } } };
      expect((await fixture.request('POST', PATH, { body: deployment })).status).toBe(201);
      const live = (await fixture.request('GET', `${PATH}/${objectName}`)).json();
      const request = resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: NS, name: objectName });
      const body = Buffer.from(JSON.stringify(patch));
      // Act: the gateway's verdict, then the server's write of the same patch.
      const inspection = guard.inspect({ identity: identity(), connection: 'c', request, contentType, body, query: '' });
      let forwardBody: Buffer | undefined;
      const gateway = verdictOf(() => { const v = inspection.decide({ liveObject: live }); forwardBody = v.forwardBody; return v; });
      const written = await fixture.request('PATCH', `${PATH}/${objectName}`, { headers: { 'content-type': contentType }, body: forwardBody ?? body });
      // Assert
      if (written.status !== 200) {
        // Nothing was stored: the gateway may allow or refuse, but must not have judged a different success.
        expect(written.status).toBeGreaterThanOrEqual(400);
        return;
      }
      stored++;
      const update = guard.inspect({
        identity: identity(), connection: 'c', request: { ...request, verb: 'update' }, contentType: 'application/json', body: Buffer.from(written.text), query: '',
      });
      expect(gateway).toBe(verdictOf(() => update.decide({})));
    }), { numRuns: 150 });
    // The property means something only if most patches were actually stored.
    expect(stored).toBeGreaterThan(50);
  });
});

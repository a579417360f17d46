import { GatehouseError } from '../../../lambdas/core/errors';
import { compilePolicy, serializePolicy } from '../../../lambdas/core/policy/compile-policy';
import { createRequestGuard } from '../../../lambdas/proxy/create-request-guard';
import { identity, PACK_SOURCES, resourceRequest } from '../policy/policy-test-support';

const policy = serializePolicy(compilePolicy([{ source: 'p.yaml', text: 'apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [baseline]\ndefaults: { "*": allow }\n' }], { packs: PACK_SOURCES }));
const guard = createRequestGuard({ issuers: [], connections: [] } as never, policy);
const live = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'a', resourceVersion: '41' },
  spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx' }, { name: 'side', image: 'busybox' }] } } },
};
const patchDeployment = (contentType: string, body: unknown) => guard.inspect({
  identity: identity(), connection: 'c', request: resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'a', name: 'web' }),
  contentType, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), query: '',
});

describe('the request guard on patches', () => {
  it('asks for the live object, then judges the patch applied to it', () => {
    // Arrange: -1 is the last container ("side") on the server.
    const inspection = patchDeployment('application/json-patch+json', [{ op: 'add', path: '/spec/template/spec/containers/-1/securityContext', value: { privileged: true } }]);
    // Act
    const verdict = inspection.decide({ liveObject: live });
    // Assert
    expect(inspection.needs.liveObject).toBe(true);
    expect(verdict).toMatchObject({ effect: 'deny', ruleId: 'baseline/no-privileged-pods' });
  });

  it.each([
    ['a JSON patch', 'application/json-patch+json', [{ op: 'replace', path: '/spec/template/spec/containers/-1/image', value: 'busybox:2' }], (b: unknown) => expect((b as unknown[])[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: '41' })],
    ['a merge patch', 'application/merge-patch+json', { spec: { replicas: 2 } }, (b: unknown) => expect(b).toEqual({ metadata: { resourceVersion: '41' }, spec: { replicas: 2 } })],
    ['a strategic merge patch with metadata', 'application/strategic-merge-patch+json', { metadata: { labels: { a: 'b' } } }, (b: unknown) => expect(b).toEqual({ metadata: { resourceVersion: '41', labels: { a: 'b' } } })],
  ])('forwards %s pinned to the resourceVersion it judged', (_name, contentType, patch, check) => {
    const verdict = patchDeployment(contentType, patch).decide({ liveObject: live });
    expect(verdict.effect).toBe('allow');
    check(JSON.parse(verdict.forwardBody!.toString()));
  });

  it('answers 422 for a patch that does not apply to the live object, as the server would', () => {
    const inspection = patchDeployment('application/json-patch+json', [{ op: 'replace', path: '/spec/template/spec/containers/5/image', value: 'x' }]);
    const error = (() => { try { inspection.decide({ liveObject: live }); } catch (e) { return e as GatehouseError; } return undefined; })();
    expect(error?.code).toBe(422);
    expect(error?.message).toMatch(/does not apply to the current object/);
  });

  it('answers 404 for a patch of an object that does not exist', () => {
    const inspection = patchDeployment('application/merge-patch+json', { spec: { template: { spec: { hostNetwork: true } } } });
    expect(() => inspection.decide({ liveObject: null })).toThrow(expect.objectContaining({ code: 404 }));
  });

  it('judges a server-side apply of a new object by the applied configuration', () => {
    const inspection = patchDeployment('application/apply-patch+yaml', 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      hostPID: yes\n      containers: [{name: a, image: b}]\n');
    expect(inspection.decide({ liveObject: null })).toMatchObject({ effect: 'deny', ruleId: 'baseline/no-host-namespaces' });
  });
});

import { applyJsonPatch } from '../../../local/kube-api-simulator/json-patch';
import { applyMergePatch } from '../../../local/kube-api-simulator/merge-patch';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import { applyStrategicMergePatch } from '../../../local/kube-api-simulator/strategic-merge-patch';
import type { JsonObject, JsonValue } from '../../../local/kube-api-simulator/types';

const deployment = (): JsonObject => ({
  metadata: { name: 'api', labels: { app: 'api', tier: 'backend' }, finalizers: ['a'] },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'api', image: 'api:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
          { name: 'sidecar', image: 'envoy:1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        tolerations: [{ key: 'x' }],
      },
    },
  },
});

describe('JSON patch (RFC 6902)', () => {
  it.each<[string, JsonValue, JsonValue, JsonValue]>([
    ['add a member', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }], { a: 1, b: 2 }],
    ['add to the end of an array', { l: [1, 2] }, [{ op: 'add', path: '/l/-', value: 3 }], { l: [1, 2, 3] }],
    ['insert into an array', { l: [1, 3] }, [{ op: 'add', path: '/l/1', value: 2 }], { l: [1, 2, 3] }],
    ['remove', { a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    ['replace', { a: 1 }, [{ op: 'replace', path: '/a', value: 9 }], { a: 9 }],
    ['move', { a: { x: 1 } }, [{ op: 'move', from: '/a/x', path: '/y' }], { a: {}, y: 1 }],
    ['copy', { a: [1] }, [{ op: 'copy', from: '/a', path: '/b' }], { a: [1], b: [1] }],
    ['test then replace', { a: 'x' }, [{ op: 'test', path: '/a', value: 'x' }, { op: 'replace', path: '/a', value: 'y' }], { a: 'y' }],
    ['escaped pointer tokens', { 'a/b': { '~c': 1 } }, [{ op: 'replace', path: '/a~1b/~0c', value: 2 }], { 'a/b': { '~c': 2 } }],
  ])('%s', (_name, doc, patch, expected) => {
    expect(applyJsonPatch(doc, patch)).toEqual(expected);
  });

  it.each<[string, JsonValue, JsonValue, number]>([
    ['a failed test is 422', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], 422],
    ['removing a missing key is 422', { a: 1 }, [{ op: 'remove', path: '/b' }], 422],
    ['an index past the end is 422', { l: [1] }, [{ op: 'add', path: '/l/5', value: 1 }], 422],
    ['a patch that is not a list is 400', { a: 1 }, { op: 'add' }, 400],
  ])('%s', (_name, doc, patch, code) => {
    let error: unknown;
    try {
      applyJsonPatch(doc, patch);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe(code);
  });

  it('does not modify the input document', () => {
    const doc = { a: [1] };
    applyJsonPatch(doc, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(doc).toEqual({ a: [1] });
  });
});

describe('merge patch (RFC 7386)', () => {
  it.each<[JsonValue, JsonValue, JsonValue]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('RFC 7386 appendix example %#', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('strategic merge patch', () => {
  const podSpec = (doc: JsonObject): JsonObject => ((doc.spec as JsonObject).template as JsonObject).spec as JsonObject;

  it('merges containers by name and env by name instead of replacing the lists', () => {
    // Act
    const result = applyStrategicMergePatch(deployment(), {
      spec: { template: { spec: { containers: [{ name: 'api', image: 'api:2', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] } } },
    });

    // Assert
    const list = podSpec(result).containers as JsonObject[];
    expect(list.map((c) => c.name)).toEqual(['api', 'sidecar']);
    expect(list[0]!.image).toBe('api:2');
    expect(list[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    expect(list[0]!.ports).toEqual([{ containerPort: 80 }]);
  });

  it.each<[string, JsonObject, (r: JsonObject) => unknown, unknown]>([
    ['scalar replace', { spec: { replicas: 3 } }, (r) => (r.spec as JsonObject).replicas, 3],
    ['null deletes a map member', { metadata: { labels: { tier: null } } }, (r) => (r.metadata as JsonObject).labels, { app: 'api' }],
    ['lists without a merge strategy are replaced', { spec: { template: { spec: { tolerations: [{ key: 'y' }] } } } }, (r) => podSpec(r).tolerations, [{ key: 'y' }]],
    ['$patch: delete removes a list item by merge key', { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } }, (r) => (podSpec(r).containers as JsonObject[]).map((c) => c.name), ['api']],
    ['$patch: replace replaces a list', { spec: { template: { spec: { volumes: [{ name: 'new', emptyDir: {} }, { $patch: 'replace' }] } } } }, (r) => podSpec(r).volumes, [{ name: 'new', emptyDir: {} }]],
    ['$patch: replace replaces a map', { metadata: { labels: { only: 'this', $patch: 'replace' } } }, (r) => (r.metadata as JsonObject).labels, { only: 'this' }],
    ['$patch: delete empties a map', { metadata: { labels: { $patch: 'delete' } } }, (r) => (r.metadata as JsonObject).labels, {}],
    ['finalizers merge as a set, in the patch order', { metadata: { finalizers: ['b', 'a'] } }, (r) => (r.metadata as JsonObject).finalizers, ['b', 'a']],
    ['$deleteFromPrimitiveList removes set values', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, (r) => (r.metadata as JsonObject).finalizers, []],
    ['$setElementOrder reorders a merged list', { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'api' }] } } } }, (r) => (podSpec(r).containers as JsonObject[]).map((c) => c.name), ['sidecar', 'api']],
    ['$retainKeys drops keys not listed', { spec: { $retainKeys: ['template'], template: {} } }, (r) => Object.keys(r.spec as JsonObject), ['template']],
  ])('%s', (_name, patch, pick, expected) => {
    expect(pick(applyStrategicMergePatch(deployment(), patch))).toEqual(expected);
  });

  it('rejects a merge-list item without its merge key', () => {
    expect(() => applyStrategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toThrow(/merge key/);
  });
});

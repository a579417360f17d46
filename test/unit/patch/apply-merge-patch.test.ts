import type { Json } from '../../../lambdas/core/patch/apply-json-patch';
import { applyMergePatch, mergeValue, pruneNulls } from '../../../lambdas/core/patch/apply-merge-patch';
import { deepFreeze, errorOf, json, valueOf } from './support';

/** Expected behaviour is evanphx/json-patch v4 `MergePatch` (merge.go), which the apiserver uses. */

const deployment = (): Json => ({
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: false } },
  },
});

describe('applyMergePatch', () => {
  it.each<[string, Json, Json]>([
    ['a scalar replaces', { spec: { replicas: 5 } }, { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } }, spec: { replicas: 5, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: false } } } }],
    ['null deletes a key', { metadata: { labels: { tier: null } } }, { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: false } } } }],
    ['null deletes a whole subtree', { spec: null }, { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } } }],
    ['null for a missing key changes nothing', { status: null }, deployment()],
    ['nested objects merge', { spec: { template: { spec: { hostNetwork: true, hostPID: true } } } }, { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: true, hostPID: true } } } }],
    ['a list replaces the whole list (no merge by name)', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }, { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }], hostNetwork: false } } } }],
    ['an object replaces a scalar', { spec: { replicas: { a: 1 } } }, { metadata: { name: 'web', labels: { app: 'web', tier: 'front' } }, spec: { replicas: { a: 1 }, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: false } } } }],
    ['a scalar replaces an object', { metadata: { labels: 'x' } }, { metadata: { name: 'web', labels: 'x' }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], hostNetwork: false } } } }],
    ['an empty patch changes nothing', {}, deployment()],
    ['an empty object merges into an object as nothing', { metadata: {} }, deployment()],
  ])('%s', (_case, patch, expected) => {
    // Arrange
    const live = deepFreeze(deployment());
    // Act
    const result = applyMergePatch(live, deepFreeze(patch));
    // Assert
    expect(valueOf(result)).toEqual(expected);
  });

  // v4 prunes the nulls of a value it writes where the document had no object (mergeDocs: `!ok || cur == nil`
  // → pruneNulls(v); merge: cur.intoDoc() fails → pruneNulls(patch)), inside lists too. RFC 7386 would keep them.
  it.each<[string, Json, Json, Json]>([
    ['an object written to a missing key loses its nulls', {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['an object written over null loses its nulls', { a: null }, { a: { b: null, c: { d: null } } }, { a: { c: {} } }],
    ['an object written over a scalar loses its nulls', { a: 1 }, { a: { b: null } }, { a: {} }],
    ['a list written to a missing key loses the nulls of its objects', {}, { a: [{ x: null, y: 1 }] }, { a: [{ y: 1 }] }],
    ['a list written over a list loses the nulls of its objects, at every depth', { a: [1] }, { a: [{ x: { z: null }, l: [[{ w: null }]] }] }, { a: [{ x: {}, l: [[{}]] }] }],
    ['a list written over a scalar loses the nulls of its objects', { a: 'str' }, { a: [{ x: null }] }, { a: [{}] }],
    ['null list elements stay', {}, { a: [null, { x: null }, null] }, { a: [null, {}, null] }],
    ['a list written over an object keeps its nulls (merge returns the patch as is)', { a: { k: 1 } }, { a: [{ x: null }] }, { a: [{ x: null }] }],
    ['a scalar written over an object replaces it', { a: { k: 1 } }, { a: 2 }, { a: 2 }],
  ])('%s', (_case, live, patch, expected) => {
    expect(valueOf(applyMergePatch(deepFreeze(live), deepFreeze(patch)))).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['a list', [{ op: 'add' }]],
    ['a string', 'spec'],
    ['a number', 1],
    ['null', null],
    ['true', true],
  ])('refuses a patch that is %s', (_case, patch) => {
    expect(errorOf(applyMergePatch(deployment(), patch))).toMatch(/must be a JSON object/);
  });

  it('treats __proto__ as a plain key, at the top and nested', () => {
    // Arrange
    const patch = json('{"__proto__":{"polluted":true},"metadata":{"__proto__":{"x":1},"labels":{"constructor":"c"}}}');
    // Act
    const result = valueOf(applyMergePatch(deepFreeze(deployment()), deepFreeze(patch))) as Record<string, Json>;
    // Assert
    expect(Object.prototype.hasOwnProperty.call(result, '__proto__')).toBe(true);
    expect(JSON.stringify(result)).toContain('"__proto__":{"polluted":true}');
    expect(JSON.stringify(result.metadata)).toContain('"__proto__":{"x":1}');
    expect((result.metadata as Record<string, Record<string, Json>>).labels!.constructor).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('deletes an own __proto__ key with null, and never touches the prototype', () => {
    const result = valueOf(applyMergePatch(json('{"__proto__":1,"a":2}'), json('{"__proto__":null,"toString":null}'))) as object;
    expect(Object.keys(result)).toEqual(['a']);
    expect(typeof result.toString).toBe('function');
  });

  it('never changes the document or the patch', () => {
    // Arrange
    const live = deepFreeze(deployment());
    const patch = deepFreeze({ metadata: { labels: { app: null, new: 'x' } }, spec: { template: { spec: { containers: [{ name: 'a', x: null }] } } }, extra: { y: null } });
    const before = JSON.stringify([live, patch]);
    // Act
    applyMergePatch(live, patch);
    // Assert
    expect(JSON.stringify([live, patch])).toBe(before);
  });
});

describe('mergeValue (v4 merge) and pruneNulls', () => {
  it.each<[string, Json | undefined, Json, Json]>([
    ['into nothing: the patch, pruned', undefined, { a: null, b: [{ c: null }] }, { b: [{}] }],
    ['an object into an object: merged', { a: 1, b: 2 }, { b: null, c: 3 }, { a: 1, c: 3 }],
    ['a list into an object: the list as is', { a: 1 }, [{ b: null }], [{ b: null }]],
    ['a scalar into a list: the scalar', [1], 'x', 'x'],
  ])('%s', (_case, target, patch, expected) => {
    expect(mergeValue(structuredClone(target), structuredClone(patch))).toEqual(expected);
  });

  it('pruneNulls leaves scalars alone', () => {
    expect(pruneNulls(5)).toBe(5);
    expect(pruneNulls(null)).toBeNull();
  });
});

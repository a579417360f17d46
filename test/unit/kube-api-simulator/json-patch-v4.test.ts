import { applyJsonPatch, goAtoi, JSON_PATCH_REJECTED, JsonPatchNotApplicable, jsonPatchStrictErrors, MAX_JSON_PATCH_OPERATIONS } from '../../../local/kube-api-simulator/json-patch';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import type { JsonValue } from '../../../local/kube-api-simulator/types';

// Expected results follow gopkg.in/evanphx/json-patch.v4 patch.go (v4.13.0, the apiserver's version).

function failure(run: () => unknown): KubeApiError {
  try {
    run();
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected the patch to fail');
}

const list = (): JsonValue => ({ l: ['a', 'b', 'c'] });

describe('JSON patch indices, as strconv.Atoi and SupportNegativeIndices read them', () => {
  it.each<[string, JsonValue, JsonValue]>([
    ['-1 replaces the last element', [{ op: 'replace', path: '/l/-1', value: 'z' }], { l: ['a', 'b', 'z'] }],
    ['-3 replaces the first element of three', [{ op: 'replace', path: '/l/-3', value: 'z' }], { l: ['z', 'b', 'c'] }],
    ['-1 removes the last element', [{ op: 'remove', path: '/l/-1' }], { l: ['a', 'b'] }],
    ['add at -1 inserts after the last element', [{ op: 'add', path: '/l/-1', value: 'z' }], { l: ['a', 'b', 'c', 'z'] }],
    ['add at -2 inserts before the last element', [{ op: 'add', path: '/l/-2', value: 'z' }], { l: ['a', 'b', 'z', 'c'] }],
    ['add at -4 inserts at the front', [{ op: 'add', path: '/l/-4', value: 'z' }], { l: ['z', 'a', 'b', 'c'] }],
    ['add at the length appends', [{ op: 'add', path: '/l/3', value: 'z' }], { l: ['a', 'b', 'c', 'z'] }],
    ['- appends', [{ op: 'add', path: '/l/-', value: 'z' }], { l: ['a', 'b', 'c', 'z'] }],
    ['00 is index 0', [{ op: 'replace', path: '/l/00', value: 'z' }], { l: ['z', 'b', 'c'] }],
    ['01 is index 1', [{ op: 'replace', path: '/l/01', value: 'z' }], { l: ['a', 'z', 'c'] }],
    ['+0 is index 0', [{ op: 'remove', path: '/l/+0' }], { l: ['b', 'c'] }],
    ['+1 is index 1', [{ op: 'add', path: '/l/+1', value: 'z' }], { l: ['a', 'z', 'b', 'c'] }],
    ['-0 is index 0', [{ op: 'replace', path: '/l/-0', value: 'z' }], { l: ['z', 'b', 'c'] }],
    ['a negative index walks through to a nested member', [{ op: 'replace', path: '/c/-1/image', value: 'evil' }], { l: ['a', 'b', 'c'], c: [{ image: 'ok' }, { image: 'evil' }] }],
    ['test at -1 compares the last element', [{ op: 'test', path: '/l/-1', value: 'c' }], { l: ['a', 'b', 'c'] }],
    ['copy from -1', [{ op: 'copy', from: '/l/-1', path: '/x' }], { l: ['a', 'b', 'c'], x: 'c' }],
    ['move from -1 to the front', [{ op: 'move', from: '/l/-1', path: '/l/0' }], { l: ['c', 'a', 'b'] }],
  ])('%s', (_name, patch, expected) => {
    // Arrange
    const doc = _name.includes('nested') ? { l: ['a', 'b', 'c'], c: [{ image: 'ok' }, { image: 'ok' }] } : list();

    // Act
    const result = applyJsonPatch(doc, patch);

    // Assert
    expect(result).toEqual(expected);
  });

  it.each<[string, JsonValue]>([
    ['-4 of three elements', [{ op: 'replace', path: '/l/-4', value: 'z' }]],
    ['remove at the length', [{ op: 'remove', path: '/l/3' }]],
    ['add past the length', [{ op: 'add', path: '/l/4', value: 'z' }]],
    ['add before -(length+1)', [{ op: 'add', path: '/l/-5', value: 'z' }]],
    ['- outside add', [{ op: 'replace', path: '/l/-', value: 'z' }]],
    ['a non-numeric index', [{ op: 'remove', path: '/l/x' }]],
    ['an index with spaces', [{ op: 'remove', path: '/l/ 1' }]],
    ['an index beyond int64', [{ op: 'remove', path: '/l/99999999999999999999' }]],
  ])('refuses %s with the 422 the server sends', (_name, patch) => {
    // Act
    const err = failure(() => applyJsonPatch(list(), patch));

    // Assert
    expect(err).toBeInstanceOf(JsonPatchNotApplicable);
    expect(err.code).toBe(422);
    expect(err.message).toBe(JSON_PATCH_REJECTED);
  });

  it.each<[string, number | undefined]>([
    ['0', 0], ['00', 0], ['+7', 7], ['-0', 0], ['-12', -12], ['9223372036854775807', 9223372036854775807], ['9223372036854775808', undefined],
    ['', undefined], ['+', undefined], ['1_0', undefined], ['0x1', undefined], ['１', undefined],
  ])('reads %j as Atoi does', (token, expected) => {
    expect(goAtoi(token)).toBe(expected);
  });
});

describe('JSON patch operations, with evanphx/json-patch v4 leniency', () => {
  it.each<[string, JsonValue, JsonValue, JsonValue]>([
    ['replace of a missing member adds it', { a: 1 }, [{ op: 'replace', path: '/b', value: 2 }], { a: 1, b: 2 }],
    ['add without value adds null', { a: 1 }, [{ op: 'add', path: '/b' }], { a: 1, b: null }],
    ['replace without value sets null', { a: 1 }, [{ op: 'replace', path: '/a' }], { a: null }],
    ['copy from a missing member copies null', { a: 1 }, [{ op: 'copy', from: '/nope', path: '/b' }], { a: 1, b: null }],
    ['remove of a null member works', { a: null, b: 1 }, [{ op: 'remove', path: '/a' }], { b: 1 }],
    ['test of a missing member against null passes', { a: 1 }, [{ op: 'test', path: '/nope', value: null }], { a: 1 }],
    ['test of a missing member without value passes', { a: 1 }, [{ op: 'test', path: '/nope' }], { a: 1 }],
    ['test of the whole document', { a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }], { a: 1 }],
    ['replace of the whole document', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
    ['the first path token is ignored', { spec: { x: 1 } }, [{ op: 'replace', path: 'anything/spec/x', value: 2 }], { spec: { x: 2 } }],
    ['a path without a leading slash addresses the root', { a: 1 }, [{ op: 'add', path: 'x/b', value: 2 }], { a: 1, b: 2 }],
    ['move onto itself is a no-op', { a: 1 }, [{ op: 'move', from: '/a', path: '/a' }], { a: 1 }],
    ['a null patch changes nothing', { a: 1 }, null, { a: 1 }],
    ['escaped tokens', { 'a/b': { '~c': 1 } }, [{ op: 'replace', path: '/a~1b/~0c', value: 2 }], { 'a/b': { '~c': 2 } }],
    ['copy deep-copies', { a: { x: 1 } }, [{ op: 'copy', from: '/a', path: '/b' }, { op: 'replace', path: '/b/x', value: 2 }], { a: { x: 1 }, b: { x: 2 } }],
  ])('%s', (_name, doc, patch, expected) => {
    expect(applyJsonPatch(doc, patch)).toEqual(expected);
  });

  it.each<[string, JsonValue, JsonValue, RegExp]>([
    ['add with the empty path', { a: 1 }, [{ op: 'add', path: '', value: {} }], /doc is missing path/],
    ['remove of a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }], /nonexistent key/],
    ['move from a missing member', { a: 1 }, [{ op: 'move', from: '/b', path: '/c' }], /nonexistent key/],
    ['move into its own child', { a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b' }], /missing destination path/],
    ['a path through a scalar', { a: 1 }, [{ op: 'add', path: '/a/b', value: 1 }], /doc is missing path/],
    ['a path through null', { a: null }, [{ op: 'add', path: '/a/b', value: 1 }], /doc is missing path/],
    ['a failed test', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], /test failed/],
    ['a test of a member without value', { a: 1 }, [{ op: 'test', path: '/a' }], /test failed/],
    ['replace of the document with a scalar', { a: 1 }, [{ op: 'replace', path: '', value: 1 }], /object or array/],
    ['an unknown op', { a: 1 }, [{ op: 'merge', path: '/a' }], /Unexpected kind: merge/],
    ['an op that is not a string', { a: 1 }, [{ op: 1, path: '/a' }], /Unexpected kind: unknown/],
    ['a null operation', { a: 1 }, [null], /Unexpected kind: unknown/],
    ['a missing path', { a: 1 }, [{ op: 'add', value: 1 }], /failed to decode path/],
  ])('refuses %s with 422', (_name, doc, patch, why) => {
    // Act
    const err = failure(() => applyJsonPatch(doc, patch));

    // Assert
    expect(err.code).toBe(422);
    expect((err as JsonPatchNotApplicable).why).toMatch(why);
  });

  it.each<[string, number, JsonValue]>([
    ['a patch that is an object', 400, { op: 'add' }],
    ['an operation that is a string', 400, ['add']],
    ['more operations than the apiserver allows', 413, Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/a', value: 1 }))],
  ])('refuses %s with %d', (_name, code, patch) => {
    expect(failure(() => applyJsonPatch({ a: 1 }, patch)).code).toBe(code);
  });

  it('answers 500 where Go dereferences nil: a test comparing arrays with null elements', () => {
    expect(failure(() => applyJsonPatch({ l: [null] }, [{ op: 'test', path: '/l', value: [null] }])).code).toBe(500);
  });

  it('does not modify the input document', () => {
    // Arrange
    const doc = { a: [1] };

    // Act
    applyJsonPatch(doc, [{ op: 'add', path: '/a/-', value: 2 }]);

    // Assert
    expect(doc).toEqual({ a: [1] });
  });
});

describe('JSON patch strict decoding (fieldValidation Warn/Strict)', () => {
  it.each<[string, JsonValue, string[]]>([
    ['a clean patch', [{ op: 'add', path: '/a', value: 1 }], []],
    ['an unknown operation field', [{ op: 'add', path: '/a', value: 1, extra: true }], ['json patch unknown field "[0].extra"']],
    ['null operations and fields', [null, { op: null, path: '/a' }], []],
  ])('reports %s', (_name, patch, expected) => {
    expect(jsonPatchStrictErrors(patch)).toEqual(expected);
  });

  it.each<[string, JsonValue, string]>([
    ['a path that is a number', [{ op: 'add', path: 5 }], 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string'],
    ['an op that is a bool', [{ op: true, path: '/a' }], 'error decoding patch: json: cannot unmarshal bool into Go struct field jsonPatchOp.op of type string'],
    ['a patch that is an object', { op: 'add' }, 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'],
  ])('refuses %s with 400', (_name, patch, message) => {
    // Act
    const err = failure(() => jsonPatchStrictErrors(patch));

    // Assert
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});

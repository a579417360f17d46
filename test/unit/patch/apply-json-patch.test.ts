import {
  applyJsonPatch,
  goAtoi,
  goEncodedSize,
  jsonEqual,
  MAX_JSON_PATCH_COPY_BYTES,
  MAX_JSON_PATCH_OPERATIONS,
  type Json,
} from '../../../lambdas/core/patch/apply-json-patch';
import { deepFreeze, errorOf, expectOutcome, json, valueOf, type Outcome } from './support';

/**
 * Expected behaviour is evanphx/json-patch v4.13.0 `patch.go` (gopkg.in/evanphx/json-patch.v4, the version
 * k8s.io/apiserver uses) with the apiserver's settings: SupportNegativeIndices, AccumulatedCopySizeLimit 3 MiB,
 * at most 10000 operations.
 */

const abc = (): Json => ({ a: ['x', 'y', 'z'] });

describe('goAtoi (Go strconv.Atoi, 64-bit)', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['7', 7],
    ['00', 0],
    ['01', 1],
    ['+0', 0],
    ['-0', 0],
    ['+5', 5],
    ['-1', -1],
    ['9223372036854775807', 9223372036854775807],
    ['-9223372036854775808', -9223372036854775808],
    ['9223372036854775808', undefined],
    ['-9223372036854775809', undefined],
    ['99999999999999999999999', undefined],
    ['1e0', undefined],
    ['0x1', undefined],
    ['1_0', undefined],
    ['1.0', undefined],
    [' 1', undefined],
    ['1 ', undefined],
    ['', undefined],
    ['-', undefined],
    ['+', undefined],
    ['+-1', undefined],
    ['\u0661', undefined], // Arabic-Indic digit one: not an ASCII digit
  ])('reads %j as %p', (text, expected) => {
    expect(goAtoi(text)).toBe(expected);
  });
});

describe('applyJsonPatch: array indices as v4 reads them (Atoi, negative indices)', () => {
  it.each<[string, Record<string, Json>, Outcome]>([
    // add: the array is sized len+1 first, so the range is -(len+1)..len
    ['add at 0 prepends', { op: 'add', path: '/a/0', value: 'n' }, { value: { a: ['n', 'x', 'y', 'z'] } }],
    ['add at len appends', { op: 'add', path: '/a/3', value: 'n' }, { value: { a: ['x', 'y', 'z', 'n'] } }],
    ['add at len+1 is out of range', { op: 'add', path: '/a/4', value: 'n' }, { error: /invalid index/ }],
    ['add at - appends', { op: 'add', path: '/a/-', value: 'n' }, { value: { a: ['x', 'y', 'z', 'n'] } }],
    ['add at -1 appends (-1 + len+1 = len)', { op: 'add', path: '/a/-1', value: 'n' }, { value: { a: ['x', 'y', 'z', 'n'] } }],
    ['add at -2 inserts before the last', { op: 'add', path: '/a/-2', value: 'n' }, { value: { a: ['x', 'y', 'n', 'z'] } }],
    ['add at -len inserts after the first', { op: 'add', path: '/a/-3', value: 'n' }, { value: { a: ['x', 'n', 'y', 'z'] } }],
    ['add at -(len+1) prepends', { op: 'add', path: '/a/-4', value: 'n' }, { value: { a: ['n', 'x', 'y', 'z'] } }],
    ['add at -(len+2) is out of range', { op: 'add', path: '/a/-5', value: 'n' }, { error: /invalid index/ }],
    ['add at 00 is index 0', { op: 'add', path: '/a/00', value: 'n' }, { value: { a: ['n', 'x', 'y', 'z'] } }],
    ['add at 01 is index 1', { op: 'add', path: '/a/01', value: 'n' }, { value: { a: ['x', 'n', 'y', 'z'] } }],
    ['add at +0 is index 0', { op: 'add', path: '/a/+0', value: 'n' }, { value: { a: ['n', 'x', 'y', 'z'] } }],
    ['add at -0 is index 0', { op: 'add', path: '/a/-0', value: 'n' }, { value: { a: ['n', 'x', 'y', 'z'] } }],
    ['add at +3 is index 3', { op: 'add', path: '/a/+3', value: 'n' }, { value: { a: ['x', 'y', 'z', 'n'] } }],
    ['add at 1e0 is not an index', { op: 'add', path: '/a/1e0', value: 'n' }, { error: /not a proper array index/ }],
    ['add at an empty segment is not an index', { op: 'add', path: '/a/', value: 'n' }, { error: /not a proper array index/ }],
    ['add at the largest int64 is out of range', { op: 'add', path: '/a/9223372036854775807', value: 'n' }, { error: /invalid index/ }],
    ['add at the smallest int64 is out of range', { op: 'add', path: '/a/-9223372036854775808', value: 'n' }, { error: /invalid index/ }],
    ['add beyond int64 is not an index', { op: 'add', path: '/a/9223372036854775808', value: 'n' }, { error: /not a proper array index/ }],
    // replace: an existing element, -len..len-1
    ['replace at -1 replaces the last', { op: 'replace', path: '/a/-1', value: 'n' }, { value: { a: ['x', 'y', 'n'] } }],
    ['replace at -2 replaces the second last', { op: 'replace', path: '/a/-2', value: 'n' }, { value: { a: ['x', 'n', 'z'] } }],
    ['replace at -len replaces the first', { op: 'replace', path: '/a/-3', value: 'n' }, { value: { a: ['n', 'y', 'z'] } }],
    ['replace at -(len+1) is out of range', { op: 'replace', path: '/a/-4', value: 'n' }, { error: /invalid index/ }],
    ['replace at len is out of range', { op: 'replace', path: '/a/3', value: 'n' }, { error: /invalid index/ }],
    ['replace at - is not an index', { op: 'replace', path: '/a/-', value: 'n' }, { error: /invalid index/ }],
    ['replace at 01 replaces index 1', { op: 'replace', path: '/a/01', value: 'n' }, { value: { a: ['x', 'n', 'z'] } }],
    ['replace at 1e0 is not an index', { op: 'replace', path: '/a/1e0', value: 'n' }, { error: /invalid index/ }],
    // remove
    ['remove at -1 removes the last', { op: 'remove', path: '/a/-1' }, { value: { a: ['x', 'y'] } }],
    ['remove at -2 removes the second last', { op: 'remove', path: '/a/-2' }, { value: { a: ['x', 'z'] } }],
    ['remove at -len removes the first', { op: 'remove', path: '/a/-3' }, { value: { a: ['y', 'z'] } }],
    ['remove at -(len+1) is out of range', { op: 'remove', path: '/a/-4' }, { error: /invalid index/ }],
    ['remove at len is out of range', { op: 'remove', path: '/a/3' }, { error: /invalid index/ }],
    ['remove at 00 removes index 0', { op: 'remove', path: '/a/00' }, { value: { a: ['y', 'z'] } }],
    ['remove at +1 removes index 1', { op: 'remove', path: '/a/+1' }, { value: { a: ['x', 'z'] } }],
    ['remove at -0 removes index 0', { op: 'remove', path: '/a/-0' }, { value: { a: ['y', 'z'] } }],
    ['remove at - is not an index', { op: 'remove', path: '/a/-' }, { error: /invalid index/ }],
    ['remove at 1e0 is not an index', { op: 'remove', path: '/a/1e0' }, { error: /invalid index/ }],
    ['remove at a huge index is out of range', { op: 'remove', path: '/a/99999999999999999999' }, { error: /invalid index/ }],
    // get (test, copy, move)
    ['test at -1 reads the last', { op: 'test', path: '/a/-1', value: 'z' }, { value: { a: ['x', 'y', 'z'] } }],
    ['test at -(len+1) is out of range', { op: 'test', path: '/a/-4', value: 'x' }, { error: /invalid index/ }],
    ['test at len is out of range, even against null', { op: 'test', path: '/a/3', value: null }, { error: /invalid index/ }],
    ['copy from -1 reads the last', { op: 'copy', from: '/a/-1', path: '/b' }, { value: { a: ['x', 'y', 'z'], b: 'z' } }],
    ['copy from -(len+1) is out of range', { op: 'copy', from: '/a/-4', path: '/b' }, { error: /invalid index/ }],
    ['move from -1 to 0 rotates', { op: 'move', from: '/a/-1', path: '/a/0' }, { value: { a: ['z', 'x', 'y'] } }],
    ['move from 0 to - moves to the end', { op: 'move', from: '/a/0', path: '/a/-' }, { value: { a: ['y', 'z', 'x'] } }],
    ['move from 0 to -1 appends to the shortened list', { op: 'move', from: '/a/0', path: '/a/-1' }, { value: { a: ['y', 'z', 'x'] } }],
    ['move from -(len+1) is out of range', { op: 'move', from: '/a/-4', path: '/b' }, { error: /invalid index/ }],
  ])('%s', (_case, op, expected) => {
    // Arrange
    const doc = deepFreeze(abc());
    // Act
    const result = applyJsonPatch(doc, [op]);
    // Assert
    expectOutcome(result, expected);
  });

  it.each<[string, string, Outcome]>([
    ['-1 steps into the last element', '/l/-1/k', { value: { l: [{}, { k: 1 }] } }],
    ['-2 steps into the first of two', '/l/-2/k', { value: { l: [{ k: 1 }, {}] } }],
    ['-3 is out of range for two', '/l/-3/k', { error: /missing path/ }],
    ['01 steps into index 1', '/l/01/k', { value: { l: [{}, { k: 1 }] } }],
    ['- does not step into anything', '/l/-/k', { error: /missing path/ }],
    ['2 is out of range', '/l/2/k', { error: /missing path/ }],
  ])('an intermediate index %s', (_case, path, expected) => {
    const doc = deepFreeze({ l: [{}, {}] });
    expectOutcome(applyJsonPatch(doc, [{ op: 'add', path, value: 1 }]), expected);
  });

  it('reads each index against the list as earlier operations left it', () => {
    const doc = deepFreeze(abc());
    const result = applyJsonPatch(doc, [
      { op: 'remove', path: '/a/0' },
      { op: 'replace', path: '/a/-1', value: 'last' },
      { op: 'add', path: '/a/-1', value: 'appended' },
    ]);
    expect(valueOf(result)).toEqual({ a: ['y', 'last', 'appended'] });
  });
});

describe('applyJsonPatch: pointers', () => {
  const doc = (): Json => ({ 'a/b': 1, 'm~n': 2, '~1': 3, '': 4, spec: { x: 5 } });

  it.each<[string, Record<string, Json>, Outcome]>([
    ['~1 is a slash', { op: 'replace', path: '/a~1b', value: 9 }, { value: { 'a/b': 9, 'm~n': 2, '~1': 3, '': 4, spec: { x: 5 } } }],
    ['~0 is a tilde', { op: 'replace', path: '/m~0n', value: 9 }, { value: { 'a/b': 1, 'm~n': 9, '~1': 3, '': 4, spec: { x: 5 } } }],
    ['~01 is ~1 (~1 is decoded first, then ~0)', { op: 'replace', path: '/~01', value: 9 }, { value: { 'a/b': 1, 'm~n': 2, '~1': 9, '': 4, spec: { x: 5 } } }],
    ['"/" names the empty key', { op: 'replace', path: '/', value: 9 }, { value: { 'a/b': 1, 'm~n': 2, '~1': 3, '': 9, spec: { x: 5 } } }],
    ['a pointer without the leading slash loses its first segment: x/spec is /spec (v4 drops split[0] unchecked)', { op: 'replace', path: 'x/spec', value: 9 }, { value: { 'a/b': 1, 'm~n': 2, '~1': 3, '': 4, spec: 9 } }],
    ['so spec/x is /x, not /spec/x', { op: 'add', path: 'spec/x', value: 9 }, { value: { 'a/b': 1, 'm~n': 2, '~1': 3, '': 4, spec: { x: 5 }, x: 9 } }],
    ['a non-empty first segment before a real path is ignored too', { op: 'replace', path: 'metadata/spec/x', value: 9 }, { value: { 'a/b': 1, 'm~n': 2, '~1': 3, '': 4, spec: { x: 9 } } }],
    ['a pointer without any slash has no container', { op: 'add', path: 'spec', value: 9 }, { error: /missing path/ }],
    ['an unescaped slash is a deeper path', { op: 'replace', path: '/a/b', value: 9 }, { error: /missing path/ }],
    ['a scalar has no children', { op: 'add', path: '/a~1b/c', value: 9 }, { error: /missing path/ }],
  ])('%s', (_case, op, expected) => {
    expectOutcome(applyJsonPatch(deepFreeze(doc()), [op]), expected);
  });
});

describe('applyJsonPatch: the whole document (path "")', () => {
  it.each<[string, Record<string, Json>, Outcome]>([
    ['replace with an object replaces the document', { op: 'replace', path: '', value: { kind: 'Other' } }, { value: { kind: 'Other' } }],
    ['replace with a list makes the document a list', { op: 'replace', path: '', value: [1] }, { value: [1] }],
    ['replace with a scalar fails', { op: 'replace', path: '', value: 5 }, { error: /object or array/ }],
    ['replace with null fails', { op: 'replace', path: '', value: null }, { error: /object or array/ }],
    ['replace without value fails (v4 panics)', { op: 'replace', path: '' }, { error: /no value/ }],
    ['add fails', { op: 'add', path: '', value: {} }, { error: /missing path/ }],
    ['remove fails', { op: 'remove', path: '' }, { error: /missing path/ }],
    ['copy from it fails', { op: 'copy', from: '', path: '/b' }, { error: /missing path/ }],
    ['move from it fails', { op: 'move', from: '', path: '/b' }, { error: /missing path/ }],
    ['copy to it fails', { op: 'copy', from: '/kind', path: '' }, { error: /missing path/ }],
    ['test against an equal document passes', { op: 'test', path: '', value: { kind: 'Pod', spec: { a: 1 } } }, { value: { kind: 'Pod', spec: { a: 1 } } }],
    ['test against another document fails', { op: 'test', path: '', value: { kind: 'Pod' } }, { error: /testing value/ }],
    ['test against null fails', { op: 'test', path: '', value: null }, { error: /testing value/ }],
    ['test without value fails (v4 panics)', { op: 'test', path: '' }, { error: /no value/ }],
  ])('%s', (_case, op, expected) => {
    expectOutcome(applyJsonPatch(deepFreeze({ kind: 'Pod', spec: { a: 1 } }), [op]), expected);
  });

  it('lets later operations work on the replaced document', () => {
    const result = applyJsonPatch(deepFreeze({ a: 1 }), [
      { op: 'replace', path: '', value: { b: { c: [] } } },
      { op: 'add', path: '/b/c/-', value: 2 },
    ]);
    expect(valueOf(result)).toEqual({ b: { c: [2] } });
  });
});

describe('applyJsonPatch: objects', () => {
  const doc = (): Json => ({ spec: { replicas: 1, paused: null } });

  it.each<[string, Record<string, Json>, Outcome]>([
    ['add sets a new key', { op: 'add', path: '/spec/x', value: 1 }, { value: { spec: { replicas: 1, paused: null, x: 1 } } }],
    ['add overwrites an existing key', { op: 'add', path: '/spec/replicas', value: 3 }, { value: { spec: { replicas: 3, paused: null } } }],
    ['add without value writes null', { op: 'add', path: '/spec/x' }, { value: { spec: { replicas: 1, paused: null, x: null } } }],
    ['add with value null writes null', { op: 'add', path: '/spec/x', value: null }, { value: { spec: { replicas: 1, paused: null, x: null } } }],
    ['add to key "-" of an object sets that key', { op: 'add', path: '/spec/-', value: 1 }, { value: { spec: { replicas: 1, paused: null, '-': 1 } } }],
    ['add under a missing parent fails', { op: 'add', path: '/status/x', value: 1 }, { error: /missing path/ }],
    ['add under a null parent fails', { op: 'add', path: '/spec/paused/x', value: 1 }, { error: /missing path/ }],
    ['replace of a missing key adds it (partialDoc.get reports no error)', { op: 'replace', path: '/spec/x', value: 1 }, { value: { spec: { replicas: 1, paused: null, x: 1 } } }],
    ['replace without value writes null', { op: 'replace', path: '/spec/replicas' }, { value: { spec: { replicas: null, paused: null } } }],
    ['replace under a missing parent fails', { op: 'replace', path: '/status/x', value: 1 }, { error: /missing path/ }],
    ['remove deletes a key', { op: 'remove', path: '/spec/replicas' }, { value: { spec: { paused: null } } }],
    ['remove deletes a key holding null', { op: 'remove', path: '/spec/paused' }, { value: { spec: { replicas: 1 } } }],
    ['remove of a missing key fails', { op: 'remove', path: '/spec/x' }, { error: /nonexistent key/ }],
    ['move renames a key', { op: 'move', from: '/spec/replicas', path: '/spec/count' }, { value: { spec: { count: 1, paused: null } } }],
    ['move onto itself keeps the value', { op: 'move', from: '/spec/replicas', path: '/spec/replicas' }, { value: { spec: { replicas: 1, paused: null } } }],
    ['move into its own child fails (the source is gone)', { op: 'move', from: '/spec', path: '/spec/inner' }, { error: /missing path/ }],
    ['move from a missing key fails', { op: 'move', from: '/spec/x', path: '/spec/y' }, { error: /nonexistent key/ }],
    ['move without from fails', { op: 'move', path: '/spec/y' }, { error: /"from"/ }],
    ['copy duplicates a value', { op: 'copy', from: '/spec/replicas', path: '/spec/x' }, { value: { spec: { replicas: 1, paused: null, x: 1 } } }],
    ['copy from a missing key copies null (v4: get is (nil, nil))', { op: 'copy', from: '/spec/x', path: '/spec/y' }, { value: { spec: { replicas: 1, paused: null, y: null } } }],
    ['copy from under a missing parent fails', { op: 'copy', from: '/status/x', path: '/spec/y' }, { error: /missing path/ }],
    ['copy to under a missing parent fails', { op: 'copy', from: '/spec/replicas', path: '/status/x' }, { error: /missing path/ }],
    ['copy without from fails', { op: 'copy', path: '/spec/y' }, { error: /"from"/ }],
    ['an operation without path fails', { op: 'add', value: 1 }, { error: /"path"/ }],
    ['an operation with a null path fails', { op: 'add', path: null, value: 1 }, { error: /"path"/ }],
    ['an unknown op fails', { op: 'merge', path: '/spec', value: {} }, { error: /Unexpected kind: merge/ }],
    ['an operation without op fails', { path: '/spec', value: {} }, { error: /Unexpected kind: unknown/ }],
  ])('%s', (_case, op, expected) => {
    expectOutcome(applyJsonPatch(deepFreeze(doc()), [op]), expected);
  });

  it('copies deeply: changing the copy leaves the source alone', () => {
    const result = applyJsonPatch(deepFreeze({ a: { l: [1] } }), [
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'add', path: '/b/l/-', value: 2 },
    ]);
    expect(valueOf(result)).toEqual({ a: { l: [1] }, b: { l: [1, 2] } });
  });

  it('copies the added value, not a reference to the patch', () => {
    const value = { l: [1] };
    const result = applyJsonPatch({}, [
      { op: 'add', path: '/a', value },
      { op: 'add', path: '/a/l/-', value: 2 },
    ]);
    expect(valueOf(result)).toEqual({ a: { l: [1, 2] } });
    expect(value).toEqual({ l: [1] });
  });
});

describe('applyJsonPatch: test', () => {
  const doc = (): Json => ({ spec: { replicas: 1, paused: null, labels: { a: 'b', c: 'd' }, list: [1, 'two'] } });

  it.each<[string, Record<string, Json>, boolean]>([
    ['an equal number passes', { op: 'test', path: '/spec/replicas', value: 1 }, true],
    ['another number fails', { op: 'test', path: '/spec/replicas', value: 2 }, false],
    ['a string against a number fails', { op: 'test', path: '/spec/replicas', value: '1' }, false],
    ['an equal object in another key order passes', { op: 'test', path: '/spec/labels', value: { c: 'd', a: 'b' } }, true],
    ['an object with an extra key fails', { op: 'test', path: '/spec/labels', value: { a: 'b', c: 'd', e: 'f' } }, false],
    ['an equal list passes', { op: 'test', path: '/spec/list', value: [1, 'two'] }, true],
    ['a reordered list fails', { op: 'test', path: '/spec/list', value: ['two', 1] }, false],
    ['a missing key against null passes', { op: 'test', path: '/spec/missing', value: null }, true],
    ['a missing key without value passes (v4.13)', { op: 'test', path: '/spec/missing' }, true],
    ['a missing key against a value fails', { op: 'test', path: '/spec/missing', value: 1 }, false],
    ['a null against null passes', { op: 'test', path: '/spec/paused', value: null }, true],
    ['a null without value passes', { op: 'test', path: '/spec/paused' }, true],
    ['a null against false fails', { op: 'test', path: '/spec/paused', value: false }, false],
    ['a value without value fails', { op: 'test', path: '/spec/replicas' }, false],
    ['a value against null fails', { op: 'test', path: '/spec/replicas', value: null }, false],
  ])('%s', (_case, op, passes) => {
    const result = applyJsonPatch(deepFreeze(doc()), [op]);
    if (passes) expect(valueOf(result)).toEqual(doc());
    else expect(errorOf(result)).toMatch(/testing value/);
  });

  it.each<[string, string]>([
    ['a missing parent', '/status/phase'],
    ['a null parent', '/spec/paused/x'],
    ['a scalar parent', '/spec/replicas/x'],
  ])('fails under %s even against null (findObject finds no container)', (_case, path) => {
    expect(errorOf(applyJsonPatch(deepFreeze(doc()), [{ op: 'test', path, value: null }]))).toMatch(/missing path/);
  });

  it('stops the patch at a failed test: nothing after it applies', () => {
    const result = applyJsonPatch(deepFreeze(doc()), [
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'replace', path: '/spec/replicas', value: 5 },
    ]);
    expect(errorOf(result)).toMatch(/testing value/);
  });
});

describe('applyJsonPatch: the patch itself', () => {
  it.each<[string, unknown, RegExp]>([
    ['an object instead of a list', { op: 'add', path: '/a', value: 1 }, /list of operations/],
    ['null', null, /list of operations/],
    ['an operation that is a number', [1], /not an object/],
    ['an operation that is a list', [[]], /not an object/],
    ['an operation that is null (a nil Operation has kind "unknown")', [null], /Unexpected kind: unknown/],
    ['a numeric op', [{ op: 1, path: '/a' }], /"op" must be a string/],
    ['a numeric path', [{ op: 'add', path: 1, value: 1 }], /"path" must be a string/],
    // apiserver decodes []jsonPatchOp{From string} before v4 runs: a 400 even though add never reads from
    ['a numeric from on an add (strict decoding)', [{ op: 'add', path: '/a', from: 1, value: 1 }], /"from" must be a string/],
  ])('refuses %s', (_case, patch, expected) => {
    expect(errorOf(applyJsonPatch({}, patch))).toMatch(expected);
  });

  it('accepts exactly the server limit of operations', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, () => ({ op: 'add', path: '/a', value: 1 }));
    expect(valueOf(applyJsonPatch({}, ops))).toEqual({ a: 1 });
  });

  it('refuses one operation more than the server limit', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/a', value: null }));
    expect(errorOf(applyJsonPatch({}, ops))).toMatch(/more than the server's limit/);
  });

  it('accepts an empty patch as no change', () => {
    expect(valueOf(applyJsonPatch(deepFreeze({ a: 1 }), []))).toEqual({ a: 1 });
  });

  it('applies nothing when a later operation fails', () => {
    const doc = { a: 1 };
    const result = applyJsonPatch(doc, [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'remove', path: '/missing' },
    ]);
    expect(errorOf(result)).toMatch(/nonexistent key/);
    expect(doc).toEqual({ a: 1 });
  });
});

describe('applyJsonPatch: the copy budget (AccumulatedCopySizeLimit = 3 MiB)', () => {
  const big = 'x'.repeat(MAX_JSON_PATCH_COPY_BYTES / 2);

  it('allows copies up to the limit', () => {
    // Two copies of a (limit/2 - 2)-character string: 2 quotes each, exactly the limit in total.
    const value = big.slice(2);
    const result = applyJsonPatch({ s: value }, [
      { op: 'copy', from: '/s', path: '/t' },
      { op: 'copy', from: '/s', path: '/u' },
    ]);
    expect(valueOf(result)).toEqual({ s: value, t: value, u: value });
  });

  it('refuses the copy that goes past the limit', () => {
    const result = applyJsonPatch({ s: big }, [
      { op: 'copy', from: '/s', path: '/t' },
      { op: 'copy', from: '/s', path: '/u' },
    ]);
    expect(errorOf(result)).toMatch(/more than the server's limit/);
  });

  it('does not count add, move or replace', () => {
    const result = applyJsonPatch({}, [
      { op: 'add', path: '/a', value: big },
      { op: 'add', path: '/b', value: big },
      { op: 'move', from: '/a', path: '/c' },
      { op: 'replace', path: '/b', value: big },
      { op: 'add', path: '/d', value: big },
    ]);
    expect(Object.keys(valueOf(result) as object)).toEqual(['b', 'c', 'd']);
  });

  it.each<[string, Json, number]>([
    ['a missing value or null (deepCopy of a nil node)', null, 0],
    ['true', true, 4],
    ['false', false, 5],
    ['an integer', 12345, 5],
    ['a plain string', 'abc', 5],
    ['a string with HTML characters (Go escapes <, >, & as \\u00XX)', '<&>', 20],
    ['a string with quotes, backslashes and newlines', '"\\\n', 8],
    ['a string with a control character', '\u0001', 8],
    ['a string with U+2028', '\u2028', 8],
    ['a string with two-, three- and four-byte UTF-8', '\u00e9\u20ac\u{1f600}', 11],
    ['an empty object', {}, 2],
    ['an object', { a: 1, b: [true, null] }, 23],
    ['an empty list', [], 2],
  ])('counts %s as Go encodes it', (_case, value, bytes) => {
    expect(goEncodedSize(value)).toBe(bytes);
  });
});

describe('applyJsonPatch: __proto__ and other Object.prototype names are plain keys', () => {
  it.each<[string, Json, Record<string, Json>[], Outcome]>([
    ['add /__proto__ sets an own key', {}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }], { value: json('{"__proto__":{"polluted":true}}') }],
    ['replace /__proto__ of a missing key sets an own key', {}, [{ op: 'replace', path: '/__proto__', value: 1 }], { value: json('{"__proto__":1}') }],
    ['add /__proto__/x steps only into an own __proto__', json('{"__proto__":{}}'), [{ op: 'add', path: '/__proto__/x', value: 1 }], { value: json('{"__proto__":{"x":1}}') }],
    ['add /__proto__/x without an own __proto__ is a missing path', {}, [{ op: 'add', path: '/__proto__/x', value: 1 }], { error: /missing path/ }],
    ['add /constructor/prototype/x is a missing path', {}, [{ op: 'add', path: '/constructor/prototype/x', value: 1 }], { error: /missing path/ }],
    ['remove /toString of a plain object is a missing key', {}, [{ op: 'remove', path: '/toString' }], { error: /nonexistent key/ }],
    ['test /hasOwnProperty against null passes (no such key)', {}, [{ op: 'test', path: '/hasOwnProperty', value: null }], { value: {} }],
    ['copy from /__proto__ copies null (no such key)', {}, [{ op: 'copy', from: '/__proto__', path: '/a' }], { value: { a: null } }],
    ['move /__proto__ to /b moves the own key', json('{"__proto__":5}'), [{ op: 'move', from: '/__proto__', path: '/b' }], { value: { b: 5 } }],
  ])('%s', (_case, doc, patch, expected) => {
    // Act
    const result = applyJsonPatch(deepFreeze(doc), patch);
    // Assert
    expectOutcome(result, expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // structuredClone builds objects in Node's own realm, so compare with a plain object's prototype chain.
    if ('value' in result && result.value !== null && typeof result.value === 'object') {
      const prototype = Object.getPrototypeOf(result.value) as Record<string, unknown>;
      expect(Object.getPrototypeOf(prototype)).toBeNull();
      expect(prototype.polluted).toBeUndefined();
    }
  });
});

describe('applyJsonPatch never changes its input', () => {
  it.each<[string, Record<string, Json>[]]>([
    ['add', [{ op: 'add', path: '/spec/containers/0/x', value: 1 }]],
    ['remove', [{ op: 'remove', path: '/spec/containers/0' }]],
    ['replace', [{ op: 'replace', path: '/spec/containers/-1/image', value: 'i' }]],
    ['move', [{ op: 'move', from: '/spec/containers/0', path: '/spec/other' }]],
    ['copy then change the copy', [{ op: 'copy', from: '/spec', path: '/spec2' }, { op: 'add', path: '/spec2/containers/-', value: 1 }]],
    ['replace the whole document then change it', [{ op: 'replace', path: '', value: { a: [] } }, { op: 'add', path: '/a/-', value: 1 }]],
  ])('%s', (_case, patch) => {
    // Arrange: frozen inputs throw on any write
    const doc = deepFreeze<Json>({ spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } });
    const frozenPatch = deepFreeze(patch);
    const before = JSON.stringify(doc);
    // Act
    const result = applyJsonPatch(doc, frozenPatch);
    // Assert
    expect('value' in result).toBe(true);
    expect(JSON.stringify(doc)).toBe(before);
  });
});

describe('jsonEqual', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal scalars', 1, 1, true],
    ['1 and "1"', 1, '1', false],
    ['null and null', null, null, true],
    ['null and {}', null, {}, false],
    ['objects in another key order', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['an object with a null member and one without it', { a: null }, {}, false],
    ['lists in another order', [1, 2], [2, 1], false],
    ['a list and an object with index keys', [1], { 0: 1 }, false],
  ])('%s', (_case, a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected);
    expect(jsonEqual(b, a)).toBe(expected);
  });
});

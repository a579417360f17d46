import { decodeRequestBody } from '../../../lambdas/core/policy/decode-request-body';
import { hasDuplicateJsonKeys } from '../../../lambdas/core/policy/json-duplicate-keys';
import { jsonPatchToSparse } from '../../../lambdas/core/policy/json-patch-to-sparse';

const buf = (text: string) => Buffer.from(text);

describe('decodeRequestBody: edge cases', () => {
  it.each([
    ['names the media type of an unreadable body without its parameters, lower-cased', 'Application/CBOR; charset=utf-8', '\u00a1', { state: 'undecodable', contentType: 'application/cbor' }],
    ['keeps the raw header when it has no media type', '; charset=utf-8', 'x', { state: 'undecodable', contentType: '; charset=utf-8' }],
    ['reads a YAML body with only comments as no body', 'application/yaml', '# nothing here\n', { state: 'none' }],
    ['refuses YAML with a syntax error', 'application/yaml', 'a: [1, 2\n', { state: 'undecodable', contentType: 'application/yaml' }],
    ['refuses an empty document followed by a bad one', 'application/yaml', '---\n--- \na: b: c\n', { state: 'undecodable', contentType: 'application/yaml' }],
    ['refuses a document behind an empty one (the API server reads the first)', 'application/apply-patch+yaml', '---\n---\nkind: Pod\n', { state: 'undecodable', contentType: 'application/apply-patch+yaml' }],
    ['refuses a YAML alias bomb', 'application/yaml', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c]\n', { state: 'undecodable', contentType: 'application/yaml' }],
    ['refuses a JSON patch that is not JSON', 'application/json-patch+json', '[{"op":', { state: 'undecodable', contentType: 'application/json-patch+json' }],
    ['refuses a JSON patch repeating a key', 'application/json-patch+json', '[{"op":"add","op":"remove","path":"/a","value":1}]', { state: 'undecodable', contentType: 'application/json-patch+json' }],
  ])('%s', (_name, contentType, text, expected) => {
    // Act
    const decoded = decodeRequestBody(contentType, buf(text));
    // Assert
    expect(decoded).toEqual(expected);
  });
});

describe('hasDuplicateJsonKeys', () => {
  it.each([
    ['a repeated key', '{"a":1,"a":2}', true],
    ['a repeated key after a space', '{"a" :1,"a" :2}', true],
    ['a repeated key after a newline', '{"a"\n:1,"a"\n:2}', true],
    ['a repeated key after a carriage return', '{"a"\r:1,"a"\r:2}', true],
    ['a repeated key after a tab', '{"a"\t:1,"a"\t:2}', true],
    ['a repeated key with an escaped quote in it', '{"a\\"b":1,"a\\"b":2}', true],
    ['a key repeated through a unicode escape', '{"ab":1,"\\u0061b":2}', true],
    ['a repeated key in a nested object after a list', '{"x":[1,2],"y":{"k":1,"k":2}}', true],
    ['a repeated key in an object inside a list', '[{"k":1,"k":2}]', true],
    ['a repeated key after a closed inner object', '{"a":{"b":1},"a":2}', true],
    ['a repeated key after a list value', '{"a":[],"a":1}', true],
    ['the same key in sibling objects', '{"x":{"k":1},"y":{"k":2}}', false],
    ['the same string twice in a list', '{"x":["k","k"]}', false],
    ['a value equal to a key', '{"k":"k"}', false],
    ['strings with escaped backslashes', '{"a\\\\":1,"a":2}', false],
    ['a key equal to one in the outer object', '{"k":{"k":1}}', false],
  ])('%s -> %s', (_name, text, expected) => {
    expect(hasDuplicateJsonKeys(text)).toBe(expected);
  });
});

describe('jsonPatchToSparse: patches it cannot turn into written values', () => {
  it.each([
    ['a patch that is not a list', { op: 'add' }, 'a JSON patch must be a list of operations'],
    ['an operation that is not an object', [null], 'operation 0 needs string "op" and "path"'],
    ['an operation without a path', [{ op: 'add', value: 1 }], 'operation 0 needs string "op" and "path"'],
    ['an operation without an op', [{ path: '/a', value: 1 }], 'operation 0 needs string "op" and "path"'],
    ['a pointer not starting with /', [{ op: 'add', path: '/a', value: 1 }, { op: 'add', path: 'spec', value: 1 }], 'operation 1: bad JSON pointer "spec"'],
    ['an add without a value', [{ op: 'add', path: '/a' }], 'operation 0: add needs a value'],
    ['a replace without a value', [{ op: 'replace', path: '/a' }], 'operation 0: replace needs a value'],
    ['an unknown op', [{ op: 'merge', path: '/a', value: 1 }], 'operation 0: unknown op "merge"'],
    ['a copy without from', [{ op: 'copy', path: '/a' }], 'operation 0: copy from existing state cannot be judged'],
    ['a move from a bad pointer', [{ op: 'move', from: 'a', path: '/b' }], 'operation 0: move from existing state cannot be judged'],
    ['a copy from a path not written', [{ op: 'add', path: '/a', value: { b: 1 } }, { op: 'copy', from: '/a/c', path: '/d' }], 'operation 1: copy from existing state cannot be judged'],
    ['a copy through a value that is not an object', [{ op: 'add', path: '/a', value: 1 }, { op: 'copy', from: '/a/b', path: '/d' }], 'operation 1: copy from existing state cannot be judged'],
    ['a copy through a value written as null', [{ op: 'add', path: '/a', value: null }, { op: 'copy', from: '/a/b', path: '/d' }], 'operation 1: copy from existing state cannot be judged'],
    ['a copy from an array index not written', [{ op: 'add', path: '/a/0', value: 1 }, { op: 'copy', from: '/a/1', path: '/d' }], 'operation 1: copy from existing state cannot be judged'],
  ])('refuses %s', (_name, ops, error) => {
    expect(jsonPatchToSparse(ops)).toEqual({ error });
  });

  it.each([
    ['an array at the root', [{ op: 'add', path: '/0', value: 'x' }], ['x']],
    ['appends with - twice', [{ op: 'add', path: '/spec/volumes/-', value: { name: 'a' } }, { op: 'add', path: '/spec/volumes/-', value: { name: 'b' } }], { spec: { volumes: [{ name: 'a' }, { name: 'b' }] } }],
    ['different indices as different elements', [{ op: 'add', path: '/c/0/name', value: 'a' }, { op: 'add', path: '/c/1/name', value: 'b' }, { op: 'add', path: '/c/0/image', value: 'i' }], { c: [{ name: 'a', image: 'i' }, { name: 'b' }] }],
    ['a replace of an element written before', [{ op: 'add', path: '/c/2', value: 'a' }, { op: 'replace', path: '/c/2', value: 'b' }], { c: ['b'] }],
    ['a write below a value that was not an object', [{ op: 'add', path: '/a', value: 1 }, { op: 'add', path: '/a/b', value: 2 }], { a: { b: 2 } }],
    ['a write below a value written as null', [{ op: 'add', path: '/metadata/labels', value: null }, { op: 'add', path: '/metadata/labels/tier', value: 'prod' }], { metadata: { labels: { tier: 'prod' } } }],
    ['a write below a root that was not an object', [{ op: 'replace', path: '', value: 5 }, { op: 'add', path: '/a', value: 1 }], { a: 1 }],
    ['a copy of an array element written before', [{ op: 'add', path: '/c/0', value: { privileged: true } }, { op: 'copy', from: '/c/0', path: '/d' }], { c: [{ privileged: true }], d: { privileged: true } }],
    ['a key made of an escaped slash and tilde', [{ op: 'add', path: '/a~01', value: 1 }], { 'a~1': 1 }],
    ['nothing written', [], {}],
  ])('converts %s', (_name, ops, expected) => {
    expect(jsonPatchToSparse(ops)).toEqual({ value: expected });
  });

  it('copies a value, so a later write to the copy does not show up at its source', () => {
    const result = jsonPatchToSparse([
      { op: 'add', path: '/a', value: { x: 1 } },
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'add', path: '/b/y', value: 2 },
    ]);
    expect(result).toEqual({ value: { a: { x: 1 }, b: { x: 1, y: 2 } } });
  });
});

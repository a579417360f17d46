import { decodeJsonLikeApiServer } from '../../../local/kube-api-simulator/json-decode';
import { goQueryBool, queryBool, queryOptionalBool } from '../../../local/kube-api-simulator/query-bool';
import type { JsonValue } from '../../../local/kube-api-simulator/types';
import { decodeYamlLikeApiServer, goYamlInt } from '../../../local/kube-api-simulator/yaml-decode';

describe('boolean query parameters, as Convert_Slice_string_To_bool reads them', () => {
  it.each<[string, boolean]>([
    ['true', true], ['1', true], ['yes', true], ['', true], ['no', true], ['off', true], ['False ', true], ['00', true],
    ['0', false], ['false', false], ['FALSE', false], ['fAlSe', false], ['fal\u017fe', false], ['FAL\u017fE', false],
  ])('reads %j as %s', (value, expected) => {
    expect(goQueryBool(value)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['watch', true], ['watch=', true], ['watch=false&watch=true', false], ['watch=1&watch=0', true], ['other=1', false], ['Watch=true', false],
  ])('reads the query %j as watch=%s (first value, case-sensitive name)', (query, expected) => {
    expect(queryBool(new URLSearchParams(query), 'watch')).toBe(expected);
  });

  it.each<[string, boolean | undefined]>([
    ['', undefined], ['force', true], ['force=false', false], ['force=no', true],
  ])('reads the *bool query %j as %s', (query, expected) => {
    expect(queryOptionalBool(new URLSearchParams(query), 'force')).toBe(expected);
  });
});

describe('YAML bodies, as go-yaml v2 (YAML 1.1) resolves them', () => {
  it.each<[string, JsonValue]>([
    ['yes', true], ['Yes', true], ['YES', true], ['y', true], ['on', true], ['no', false], ['n', false], ['off', false], ['Off', false],
    ['true', true], ['~', null], ['null', null], ['', null],
    ['0755', 493], ['0o17', 15], ['0x1F', 31], ['0X1f', 31], ['0b101', 5], ['-0b101', -5], ['1_000', 1000], ['+12', 12], ['08', 8],
    ['1e3', 1000], ['1.5', 1.5], ['.5', 0.5], ['1.', 1],
    ['2024-01-01', '2024-01-01'], ['2001-12-14t21:59:43.10-05:00', '2001-12-14t21:59:43.10-05:00'], ['1:30', '1:30'],
    ['1e999', '1e999'], ['.', '.'], ['0x', '0x'], ['_1', '_1'], ['"yes"', 'yes'], ["'0755'", '0755'], ['yes please', 'yes please'],
  ])('reads v: %s as %j', (scalar, expected) => {
    expect(decodeYamlLikeApiServer(`v: ${scalar}\n`).value).toEqual({ v: expected });
  });

  it.each<[string, string, JsonValue]>([
    ['only the first document', 'a: 1\n---\nb: 2\n', { a: 1 }],
    ['a repeated key keeps the last value', 'a: 1\na: 2\n', { a: 2 }],
    ['boolean and number keys become strings', 'yes: 1\n2: x\n', { true: 1, '2': 'x' }],
    ['merge keys', 'base: &b {x: 1}\nv:\n  <<: *b\n  z: 2\n', { base: { x: 1 }, v: { x: 1, z: 2 } }],
    ['y as a key, which is the boolean true', 'y: 1\nn: 2\n', { true: 1, false: 2 }],
    ['JSON text', '{"a": yes}', { a: true }],
  ])('reads %s', (_name, text, expected) => {
    expect(decodeYamlLikeApiServer(text).value).toEqual(expected);
  });

  it('reports repeated keys as go-yaml strict mode does, with the line of the value', () => {
    // Act
    const result = decodeYamlLikeApiServer('metadata:\n  name: a\n  name: b\nspec:\n  x: 1\nspec:\n  z: 2\n');

    // Assert
    expect(result.duplicates).toEqual(['line 3: key "name" already set in map', 'line 7: key "spec" already set in map']);
    expect(result.value).toEqual({ metadata: { name: 'b' }, spec: { z: 2 } });
  });

  it.each<[string, string]>([['NaN', 'v: .nan\n'], ['infinity', 'v: -.inf\n']])('refuses %s, which json.Marshal cannot write', (_name, text) => {
    expect(() => decodeYamlLikeApiServer(text)).toThrow(/json: unsupported value/);
  });

  it.each<[string, number | undefined]>([['9223372036854775807', 9223372036854775807], ['18446744073709551615', 18446744073709551615], ['abc', undefined]])('reads the integer %s', (text, expected) => {
    expect(goYamlInt(text)).toBe(expected);
  });
});

describe('repeated JSON keys, as sigs.k8s.io/json decodes them', () => {
  it.each<[string, string, JsonValue, string[]]>([
    ['the last scalar wins', '{"a":1,"a":2}', { a: 2 }, ['a']],
    ['a repeated struct merges into the first', '{"spec":{"hostPID":true},"spec":{"containers":[]}}', { spec: { hostPID: true, containers: [] } }, ['spec']],
    ['null leaves a plain bool in place', '{"spec":{"hostNetwork":true,"hostNetwork":null}}', { spec: { hostNetwork: true } }, ['spec.hostNetwork']],
    ['null clears a pointer field', '{"securityContext":{"privileged":true,"privileged":null}}', { securityContext: { privileged: null } }, ['securityContext.privileged']],
    ['null leaves a plain struct in place', '{"spec":{"a":1},"spec":null}', { spec: { a: 1 } }, ['spec']],
    ['null clears a list', '{"args":["a"],"args":null}', { args: null }, ['args']],
    ['a repeated list is replaced', '{"args":["a"],"args":["b"]}', { args: ['b'] }, ['args']],
    ['paths name list positions', '{"spec":{"containers":[{"name":"a","image":"x","image":"y"}]}}', { spec: { containers: [{ name: 'a', image: 'y' }] } }, ['spec.containers[0].image']],
    ['a top-level list uses [i] paths', '[{"op":"add","op":"remove"}]', [{ op: 'remove' }], ['[0].op']],
  ])('%s', (_name, text, expected, duplicates) => {
    // Act
    const result = decodeJsonLikeApiServer(text, { mergeFromDepth: 0 });

    // Assert
    expect(result.value).toEqual(expected);
    expect(result.duplicates).toEqual(duplicates);
  });

  it('lets the last value win everywhere for map[string]interface{} targets', () => {
    expect(decodeJsonLikeApiServer('{"spec":{"hostPID":true},"spec":{"containers":[]}}').value).toEqual({ spec: { containers: [] } });
  });

  it('keeps a __proto__ key as data', () => {
    expect(Object.keys(decodeJsonLikeApiServer('{"__proto__":{"x":1}}').value as object)).toEqual(['__proto__']);
  });
});

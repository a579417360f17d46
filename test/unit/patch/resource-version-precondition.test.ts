import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS, type Json } from '../../../lambdas/core/patch/apply-json-patch';
import type { PatchKind } from '../../../lambdas/core/patch/apply-patch';
import { withResourceVersionPrecondition } from '../../../lambdas/core/patch/resource-version-precondition';
import { errorOf, valueOf } from './support';

const RV = '4242';
const guard = (body: string | Buffer, kind: PatchKind, rv = RV): string | undefined => withResourceVersionPrecondition(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), kind, rv)?.toString('utf8');

describe('withResourceVersionPrecondition: JSON patch gets a leading test operation', () => {
  const test = `{"op":"test","path":"/metadata/resourceVersion","value":"${RV}"}`;

  it.each<[string, string, string | undefined]>([
    ['an empty patch', '[]', `[${test}]`],
    ['an empty patch with whitespace inside', '[ \n ]', `[${test} \n ]`],
    ['one operation', '[{"op":"add","path":"/a","value":1}]', `[${test},{"op":"add","path":"/a","value":1}]`],
    ['whitespace around, kept byte for byte', '\r\n\t [\n  {"op":"remove","path":"/a"}\n]\n', `\r\n\t [${test},\n  {"op":"remove","path":"/a"}\n]\n`],
    ['a big integer, kept byte for byte', '[{"op":"add","path":"/n","value":12345678901234567890}]', `[${test},{"op":"add","path":"/n","value":12345678901234567890}]`],
    ['an object instead of a list', '{"op":"add"}', undefined],
    ['invalid JSON', '[{"op":', undefined],
    ['an empty body', '', undefined],
  ])('%s', (_case, body, expected) => {
    expect(guard(body, 'json')).toBe(expected);
  });

  it('refuses a patch that already has the server\'s maximum of operations (one more would be a 413)', () => {
    const full = JSON.stringify(Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, () => ({ op: 'test', path: '/a', value: null })));
    expect(guard(full, 'json')).toBeUndefined();
    const almost = JSON.stringify(Array.from({ length: MAX_JSON_PATCH_OPERATIONS - 1 }, () => ({ op: 'test', path: '/a', value: null })));
    expect(JSON.parse(guard(almost, 'json')!)).toHaveLength(MAX_JSON_PATCH_OPERATIONS);
  });

  it.each<[string, Json, boolean]>([
    ['applies to the version judged', { metadata: { resourceVersion: RV }, a: 1 }, true],
    ['fails (422) against any other version', { metadata: { resourceVersion: '4243' }, a: 1 }, false],
    ['fails against an object without a resourceVersion', { metadata: {}, a: 1 }, false],
  ])('the added test %s', (_case, live, applies) => {
    const patch = JSON.parse(guard('[{"op":"replace","path":"/a","value":2}]', 'json')!) as unknown;
    const result = applyJsonPatch(live, patch);
    if (applies) expect(valueOf(result)).toEqual({ ...(live as object), a: 2 });
    else expect(errorOf(result)).toMatch(/testing value/);
  });
});

describe.each<PatchKind>(['merge', 'strategic', 'apply'])('withResourceVersionPrecondition: %s bodies get metadata.resourceVersion', (kind) => {
  const rv = `"resourceVersion":"${RV}"`;

  it.each<[string, string, string | undefined]>([
    ['an empty object', '{}', `{"metadata":{${rv}}}`],
    ['an empty object with whitespace', ' { \n } ', ` {"metadata":{${rv}} \n } `],
    ['an object without metadata', '{"spec":{"replicas":2}}', `{"metadata":{${rv}},"spec":{"replicas":2}}`],
    ['an object with whitespace, kept byte for byte', '\n{\n  "spec" : { "replicas" : 2 }\n}\n', `\n{"metadata":{${rv}},\n  "spec" : { "replicas" : 2 }\n}\n`],
    ['metadata without resourceVersion', '{"metadata":{"labels":{"a":"b"}},"spec":{}}', `{"metadata":{${rv},"labels":{"a":"b"}},"spec":{}}`],
    ['empty metadata', '{"spec":1,"metadata":{}}', `{"spec":1,"metadata":{${rv}}}`],
    ['empty metadata with whitespace', '{"metadata" :  { }}', `{"metadata" :  {${rv} }}`],
    ['metadata after a big integer, the integer byte for byte', '{"spec":{"n":12345678901234567890,"f":1.50e+3},"metadata":{"name":"x"}}', `{"spec":{"n":12345678901234567890,"f":1.50e+3},"metadata":{${rv},"name":"x"}}`],
    ['an escaped metadata key ("metad\\u0061ta")', '{"metad\\u0061ta":{"name":"x"}}', `{"metad\\u0061ta":{${rv},"name":"x"}}`],
    ['a "metadata" inside a string is not the key', '{"a":"}\\"metadata\\":{","metadata":{}}', `{"a":"}\\"metadata\\":{","metadata":{${rv}}}`],
    ['a nested metadata is not the object\'s', '{"spec":{"metadata":{}}}', `{"metadata":{${rv}},"spec":{"metadata":{}}}`],
    ['a resourceVersion outside metadata is not the precondition', '{"resourceVersion":"1","metadata":{}}', `{"resourceVersion":"1","metadata":{${rv}}}`],
    ['the same resourceVersion already there: unchanged', `{"metadata":{"resourceVersion":"${RV}"}}`, `{"metadata":{"resourceVersion":"${RV}"}}`],
    ['the same resourceVersion under an escaped key: unchanged', `{"metadata":{"resourceVers\\u0069on":"${RV}"}}`, `{"metadata":{"resourceVers\\u0069on":"${RV}"}}`],
    ['the same resourceVersion spelled with escapes: unchanged', '{"metadata":{"resourceVersion":"\\u0034242"}}', '{"metadata":{"resourceVersion":"\\u0034242"}}'],
    ['another resourceVersion: refused (the server would judge a version Gatehouse did not see)', '{"metadata":{"resourceVersion":"4241"}}', undefined],
    ['a null resourceVersion: refused (it would delete the precondition)', '{"metadata":{"resourceVersion":null}}', undefined],
    ['a numeric resourceVersion: refused', `{"metadata":{"resourceVersion":${RV}}}`, undefined],
    ['metadata: null → undefined', '{"metadata":null}', undefined],
    ['metadata as a list', '{"metadata":[]}', undefined],
    ['metadata as a string', '{"metadata":"x"}', undefined],
    ['metadata twice (Go keeps the last)', '{"metadata":{"name":"a"},"metadata":{"name":"b"}}', undefined],
    ['resourceVersion twice', `{"metadata":{"resourceVersion":"${RV}","resourceVersion":"1"}}`, undefined],
    ['a list body', '[]', undefined],
    ['a scalar body', '"x"', undefined],
    ['invalid JSON', '{"metadata":', undefined],
    ['a YAML body', 'metadata:\n  name: x\n', undefined],
    ['a YAML flow mapping that is not JSON', '{metadata: {name: x}}', undefined],
    ['a byte order mark (Go refuses it too)', '\ufeff{}', undefined],
  ])('%s', (_case, body, expected) => {
    // Act
    const guarded = guard(body, kind);
    // Assert
    expect(guarded).toBe(expected);
    if (guarded !== undefined) {
      const parsed = JSON.parse(guarded) as { metadata: { resourceVersion: string } };
      expect(parsed.metadata.resourceVersion).toBe(RV);
    }
  });

  it('keeps every other byte, including invalid UTF-8 and non-ASCII keys before metadata', () => {
    // Arrange: "ä" key, an invalid byte 0xff inside a string, then metadata
    const head = Buffer.from('{"\u00e4":"', 'utf8');
    const tail = Buffer.from('","metadata":{"name":"n"}}', 'utf8');
    const body = Buffer.concat([head, Buffer.from([0xff, 0xfe]), tail]);
    // Act
    const guarded = withResourceVersionPrecondition(body, kind, RV)!;
    // Assert
    const insert = Buffer.from(`"resourceVersion":"${RV}",`, 'utf8');
    const at = body.indexOf('"metadata":{') + '"metadata":{'.length;
    expect(guarded.equals(Buffer.concat([body.subarray(0, at), insert, body.subarray(at)]))).toBe(true);
  });

  it('escapes the resourceVersion as a JSON string', () => {
    expect(JSON.parse(guard('{}', kind, 'a"b\\c')!)).toEqual({ metadata: { resourceVersion: 'a"b\\c' } });
  });

  it('refuses to add an empty resourceVersion', () => {
    expect(guard('{}', kind, '')).toBeUndefined();
  });
});

describe('withResourceVersionPrecondition: strategic merge directives that alias the precondition', () => {
  it.each<[string, string]>([
    ['$deleteFromPrimitiveList/metadata at the root', '{"$deleteFromPrimitiveList/metadata":{"resourceVersion":null}}'],
    ['$deleteFromPrimitiveList/resourceVersion in metadata', '{"metadata":{"$deleteFromPrimitiveList/resourceVersion":null}}'],
    ['the same, with an escaped key', '{"metadata":{"$deleteFromPrimitiveList\\/resourceVersion":"1"}}'],
  ])('refuses %s for strategic merge (the server merges it into the same field, in no fixed order)', (_case, body) => {
    expect(guard(body, 'strategic')).toBeUndefined();
  });

  it('leaves such keys alone in a JSON merge patch, which has no directives', () => {
    expect(JSON.parse(guard('{"$deleteFromPrimitiveList/metadata":1}', 'merge')!)).toEqual({ metadata: { resourceVersion: RV }, '$deleteFromPrimitiveList/metadata': 1 });
  });
});

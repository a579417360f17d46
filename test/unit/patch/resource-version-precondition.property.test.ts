import fc from 'fast-check';
import type { Json } from '../../../lambdas/core/patch/apply-json-patch';
import { applyMergePatch } from '../../../lambdas/core/patch/apply-merge-patch';
import type { PatchKind } from '../../../lambdas/core/patch/apply-patch';
import { withResourceVersionPrecondition } from '../../../lambdas/core/patch/resource-version-precondition';

/**
 * Random JSON bodies written the way clients may write them (any whitespace, \u escapes in keys and strings,
 * big integers, non-ASCII), random merge patches among them. The guarded body must parse to the parsed input
 * with metadata.resourceVersion set, differ from the input by exactly one inserted run of bytes, and as a merge
 * patch store what the unguarded patch stores plus the resourceVersion.
 */

type Obj = { [key: string]: Json };

const ws = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ', '  ');

/** A JSON string literal for `s`, each UTF-16 unit written as itself or as \uXXXX (by `mask`). */
const stringLiteral = (s: string, mask: number): string =>
  `"${[...s].map((ch) => [...ch].map((u, i) => ((mask >> ((ch.codePointAt(0)! + i) % 31)) & 1 ? `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(u).slice(1, -1))).join('')).join('')}"`;

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('metadata', 'resourceVersion', '}{"metadata":{', '\\', '"', '\u2028', '\u{1f600}'));
const keyName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('metadata', 'resourceVersion', 'spec', 'name', 'labels', '__proto__', 'kind') }, { weight: 1, arbitrary: text });
const key = fc.tuple(keyName, fc.nat()).map(([name, mask]) => ({ name, literal: stringLiteral(name, mask) }));

const scalar = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-0', '1e3', '1.50E-2', '12345678901234567890', '-98765432109876543210.5'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.tuple(text, fc.nat()).map(([s, mask]) => stringLiteral(s, mask)),
);

const { value: jsonText, object: objectText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }), ws).map(([items, inner]) => (items.length === 0 ? `[${inner}]` : `[${items.map(([a, v, b]) => a + v + b).join(',')}]`)),
  object: fc
    .tuple(fc.uniqueArray(fc.tuple(key, ws, ws, ws, tie('value'), ws), { maxLength: 5, selector: ([k]) => k.name }), ws)
    .map(([members, inner]) => (members.length === 0 ? `{${inner}}` : `{${members.map(([k, a, b, c, v, d]) => `${a}${k.literal}${b}:${c}${v}${d}`).join(',')}}`)),
}));

/** An object with random members and, at a random place, the member `name` with a value from `value`. */
const objectWith = (name: string, value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(fc.uniqueArray(fc.tuple(key, ws, ws, ws, jsonText, ws), { maxLength: 4, selector: ([k]) => k.name }), fc.nat(), fc.nat(), ws, ws, ws, ws, value)
    .map(([members, mask, at, a, b, c, d, v]) => {
      const texts = members.filter(([k]) => k.name !== name).map(([k, w, x, y, val, z]) => `${w}${k.literal}${x}:${y}${val}${z}`);
      texts.splice(at % (texts.length + 1), 0, `${a}${stringLiteral(name, mask)}${b}:${c}${v}${d}`);
      return `{${texts.join(',')}}`;
    });

const rv = fc.oneof(fc.constantFrom('1', '4242', '12345678901234567890'), fc.string({ minLength: 1 }));

/** A whole body for a judged resourceVersion `r`: often with metadata, sometimes with r itself in it. */
const bodyFor = (r: string): fc.Arbitrary<string> => {
  const resourceVersion = fc.oneof(fc.nat().map((mask) => stringLiteral(r, mask)), scalar);
  const metadata = fc.oneof(objectWith('resourceVersion', resourceVersion), objectText, jsonText);
  return fc.tuple(ws, fc.oneof(objectText, objectWith('metadata', metadata)), ws).map(([a, o, b]) => a + o + b);
};
const kind = fc.constantFrom<PatchKind>('merge', 'strategic', 'apply');
const bodyAndVersion = rv.chain((r) => fc.tuple(bodyFor(r), fc.constant(r)));

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: Obj, k: string): Json | undefined => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const aliases = (o: Obj, field: string): boolean => Object.keys(o).includes(`$deleteFromPrimitiveList/${field}`);

/** The parsed body with metadata.resourceVersion set; undefined where the function must refuse. */
function expected(input: Obj, k: PatchKind, resourceVersion: string): Obj | undefined {
  const metadata = own(input, 'metadata');
  if (k === 'strategic' && aliases(input, 'metadata')) return undefined;
  if (metadata !== undefined && !isObject(metadata)) return undefined;
  if (k === 'strategic' && metadata && aliases(metadata, 'resourceVersion')) return undefined;
  const existing = metadata ? own(metadata, 'resourceVersion') : undefined;
  if (existing !== undefined) return existing === resourceVersion ? input : undefined;
  const out = structuredClone(input);
  const meta = structuredClone(metadata ?? {});
  Object.defineProperty(meta, 'resourceVersion', { value: resourceVersion, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(out, 'metadata', { value: meta, enumerable: true, writable: true, configurable: true });
  return out;
}

/** True when `after` is `before` with one run of bytes inserted. */
function isOneInsertion(before: Buffer, after: Buffer): boolean {
  if (after.length < before.length) return false;
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  const extra = after.length - before.length;
  return before.subarray(start).equals(after.subarray(start + extra));
}

describe('withResourceVersionPrecondition (property)', () => {
  it('parses to the input with metadata.resourceVersion set, one insertion away from the input', () => {
    fc.assert(
      fc.property(bodyAndVersion, kind, ([text, resourceVersion], k) => {
        // Arrange
        const input = Buffer.from(text, 'utf8');
        const parsed = JSON.parse(input.toString('utf8')) as Obj;
        const want = expected(parsed, k, resourceVersion);
        // Act
        const guarded = withResourceVersionPrecondition(input, k, resourceVersion);
        // Assert
        if (want === undefined) return guarded === undefined;
        expect(guarded).toBeDefined();
        expect(JSON.parse(guarded!.toString('utf8'))).toEqual(want);
        expect(isOneInsertion(input, guarded!)).toBe(true);
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('as a merge patch stores what the unguarded patch stores, plus the resourceVersion', () => {
    const live = fc.dictionary(fc.constantFrom('metadata', 'spec', 'status', 'kind'), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.parse(JSON.stringify(o)) as Obj);
    fc.assert(
      fc.property(live, bodyAndVersion, (object, [text, resourceVersion]) => {
        // Arrange
        const patch = JSON.parse(text) as Obj;
        const guarded = withResourceVersionPrecondition(Buffer.from(text, 'utf8'), 'merge', resourceVersion);
        fc.pre(guarded !== undefined && own(isObject(patch.metadata) ? patch.metadata : {}, 'resourceVersion') === undefined);
        // Act
        const stored = applyMergePatch(object, JSON.parse(guarded!.toString('utf8')));
        const unguarded = applyMergePatch(object, patch);
        // Assert
        if (!('value' in stored) || !('value' in unguarded)) throw new Error('a merge patch of an object always applies');
        const want = unguarded.value as Obj;
        const meta = isObject(want.metadata) ? want.metadata : {};
        expect(stored.value).toEqual({ ...want, metadata: { ...meta, resourceVersion } });
      }),
      { numRuns: 500 },
    );
  });
});

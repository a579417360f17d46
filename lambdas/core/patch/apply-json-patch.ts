/**
 * RFC 6902 JSON patch applied exactly as the API server applies `application/json-patch+json`: with
 * evanphx/json-patch v4 and its defaults. What a gateway must reproduce, because each quirk is a way to
 * write a field a reader with textbook semantics would not see:
 * - array indices are parsed with Go's `strconv.Atoi`: `00`, `01`, `+0`, `-0` are indices;
 * - `SupportNegativeIndices` is on: `-1` is the last element (for `add`, whose array has room for one more,
 *   `-1` appends);
 * - a pointer's first segment is ignored (v4 splits on `/` and drops element 0), so `x/spec` is `/spec`;
 * - `replace` of a missing object key adds it; `add` without `value` writes null.
 *
 * Pure: the input document is not changed.
 */

/** JSON values as parsed by `JSON.parse`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The result: the patched document, or why the server would refuse the patch (it writes nothing then). */
export type PatchResult = { readonly value: Json } | { readonly error: string };

/** The API server refuses JSON patches with more operations than this (apiserver `maxJSONPatchOperations`). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

type Container = Json[] | { [key: string]: Json };

class PatchFailure extends Error {}

/** Go `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, no spaces, in int64 range. */
export function goAtoi(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const big = BigInt(text);
  if (big < -(2n ** 63n) || big >= 2n ** 63n) return undefined;
  // Beyond 2^53 no array is that long; keep the sign so range checks still fail as in Go.
  return Number(big);
}

/** Applies `patch` (already JSON-decoded) to `document`. */
export function applyJsonPatch(document: Json, patch: unknown): PatchResult {
  if (!Array.isArray(patch)) return { error: 'a JSON patch must be a list of operations' };
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) return { error: `the JSON patch has ${patch.length} operations, more than the server's limit of ${MAX_JSON_PATCH_OPERATIONS}` };
  let doc: Json = structuredClone(document);
  try {
    for (const [i, op] of patch.entries()) doc = applyOperation(doc, op, i);
  } catch (error) {
    if (error instanceof PatchFailure) return { error: error.message };
    throw error;
  }
  return { value: doc };
}

function applyOperation(doc: Json, raw: unknown, i: number): Json {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new PatchFailure(`operation ${i} is not an object`);
  const op = raw as Record<string, unknown>;
  const kind = typeof op.op === 'string' ? op.op : '';
  const path = pathOf(op, 'path', i);
  const value = (Object.prototype.hasOwnProperty.call(op, 'value') ? op.value : null) as Json;
  switch (kind) {
    case 'add':
      add(doc, path, structuredClone(value), i);
      return doc;
    case 'remove':
      remove(doc, path, i);
      return doc;
    case 'replace':
      replace(doc, path, structuredClone(value), i);
      return doc;
    case 'move': {
      const from = pathOf(op, 'from', i);
      const moved = remove(doc, from, i);
      add(doc, path, moved, i);
      return doc;
    }
    case 'copy': {
      const from = pathOf(op, 'from', i);
      const { container, key } = locate(doc, from, i, 'copy');
      add(doc, path, structuredClone(get(container, key, i, 'copy')), i);
      return doc;
    }
    case 'test': {
      const actual = tryGet(doc, path);
      if (!jsonEqual(actual ?? null, value)) throw new PatchFailure(`operation ${i}: testing value ${path.join('/')} failed`);
      return doc;
    }
    default:
      throw new PatchFailure(`operation ${i}: unexpected kind "${kind}"`);
  }
}

/** The pointer's segments after the first (v4 drops `split[0]` without checking that it is empty). */
function pathOf(op: Record<string, unknown>, field: 'path' | 'from', i: number): string[] {
  const text = op[field];
  if (typeof text !== 'string') throw new PatchFailure(`operation ${i}: "${field}" must be a string`);
  return text.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** v4 `findObject`: the container holding the last segment, or a failure (`doc is missing path`). */
function locate(doc: Json, split: string[], i: number, kind: string): { container: Container; key: string } {
  if (split.length < 2) throw new PatchFailure(`operation ${i}: ${kind} operation does not apply: doc is missing path`);
  let node: Json = doc;
  for (const part of split.slice(1, -1)) {
    if (!isContainer(node)) throw new PatchFailure(`operation ${i}: ${kind} operation does not apply: doc is missing path`);
    const next: Json | undefined = Array.isArray(node) ? node[arrayIndex(node.length, part, i)] : own(node, part);
    if (next === undefined || next === null) throw new PatchFailure(`operation ${i}: ${kind} operation does not apply: doc is missing path`);
    node = next;
  }
  if (!isContainer(node)) throw new PatchFailure(`operation ${i}: ${kind} operation does not apply: doc is missing path`);
  return { container: node, key: split[split.length - 1]! };
}

/** An existing element's index: `-len..len-1`, negatives counted from the end. */
function arrayIndex(length: number, key: string, i: number): number {
  const idx = goAtoi(key);
  if (idx === undefined || idx >= length || idx < -length) throw new PatchFailure(`operation ${i}: unable to access invalid index: ${key}`);
  return idx < 0 ? idx + length : idx;
}

function add(doc: Json, split: string[], value: Json, i: number): void {
  const { container, key } = locate(doc, split, i, 'add');
  if (!Array.isArray(container)) {
    define(container, key, value);
    return;
  }
  if (key === '-') {
    container.push(value);
    return;
  }
  // v4 sizes the new array at len+1 first, so the valid range is -(len+1)..len and -1 appends.
  const size = container.length + 1;
  const idx = goAtoi(key);
  if (idx === undefined || idx >= size || idx < -size) throw new PatchFailure(`operation ${i}: unable to access invalid index: ${key}`);
  container.splice(idx < 0 ? idx + size : idx, 0, value);
}

function replace(doc: Json, split: string[], value: Json, i: number): void {
  const { container, key } = locate(doc, split, i, 'replace');
  if (Array.isArray(container)) container[arrayIndex(container.length, key, i)] = value;
  // v4's partialDoc.get reports no error for a missing key, so replace adds it.
  else define(container, key, value);
}

function remove(doc: Json, split: string[], i: number): Json {
  const { container, key } = locate(doc, split, i, 'remove');
  if (Array.isArray(container)) return container.splice(arrayIndex(container.length, key, i), 1)[0]!;
  const value = own(container, key);
  if (value === undefined) throw new PatchFailure(`operation ${i}: remove operation does not apply: doc is missing key`);
  delete container[key];
  return value;
}

function get(container: Container, key: string, i: number, kind: string): Json {
  const value = Array.isArray(container) ? container[arrayIndex(container.length, key, i)] : own(container, key);
  if (value === undefined) throw new PatchFailure(`operation ${i}: ${kind} operation does not apply: doc is missing from path`);
  return value;
}

function tryGet(doc: Json, split: string[]): Json | undefined {
  try {
    const { container, key } = locate(doc, split, 0, 'test');
    return get(container, key, 0, 'test');
  } catch {
    return undefined;
  }
}

function own(obj: { [key: string]: Json }, key: string): Json | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

// defineProperty, not assignment: a "__proto__" segment must create a key, not change the prototype.
function define(obj: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function isContainer(v: Json | undefined): v is Container {
  return v !== null && typeof v === 'object';
}

/** Deep JSON equality (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, k) => jsonEqual(v, b[k]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

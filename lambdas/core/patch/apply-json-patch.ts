/**
 * RFC 6902 JSON patch applied exactly as the API server applies `application/json-patch+json`: with
 * evanphx/json-patch v4 (gopkg.in/evanphx/json-patch.v4 v4.13.0, `patch.go`) and the apiserver's settings
 * (`handlers/patch.go`, `server/config.go`). What a gateway must reproduce, because each quirk is a way to
 * write a field a reader with textbook semantics would not see:
 * - array indices are parsed with Go's `strconv.Atoi`: `00`, `01`, `+0`, `-0` are indices, `1e0` is not;
 * - `SupportNegativeIndices` is on: `-1` is the last element; `add` sizes the array at len+1 first
 *   (`sz := len(*d) + 1`), so for `add` the range is `-(len+1)..len` and `-1` appends;
 * - a pointer's first segment is ignored (`split[1:]`, never checked to be empty), so `x/spec` is `/spec`;
 * - `replace` of a missing object key adds it (`partialDoc.get` reports no error); `add`/`replace` without
 *   `value` write null; `copy` from a missing object key copies null;
 * - `replace` and `test` with path "" act on the whole document;
 * - `test` of a missing key or a null passes when the value is null or absent;
 * - at most 10000 operations (`maxJSONPatchOperations`), and `copy` may add at most 3 MiB in total
 *   (`JSONPatchMaxCopyBytes` → `AccumulatedCopySizeLimit`).
 *
 * Where the server refuses and this code accepts (lenient), or the reverse (strict), it is said at the spot;
 * none of those changes the object written when both accept. Pure: the input document is not changed.
 */

/** JSON values as parsed by `JSON.parse`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The result: the patched document, or why the server would refuse the patch (it writes nothing then). */
export type PatchResult = { readonly value: Json } | { readonly error: string };

/** The API server refuses JSON patches with more operations than this (apiserver `maxJSONPatchOperations`). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** The most bytes all `copy` operations of one patch may add (apiserver `JSONPatchMaxCopyBytes` default). */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

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
  const decodeError = strictDecodeError(patch);
  if (decodeError) return { error: decodeError };
  const state = { doc: structuredClone(document), copied: 0 };
  try {
    for (const [i, op] of patch.entries()) applyOperation(state, op, i);
  } catch (error) {
    if (error instanceof PatchFailure) return { error: error.message };
    throw error;
  }
  return { value: state.doc };
}

/**
 * The apiserver first decodes the patch into `[]jsonPatchOp{Op, Path, From string; Value any}` (fieldValidation
 * Warn, the default, or Strict): an element that is not an object, or `op`/`path`/`from` that is neither a string
 * nor null, is a 400 even where v4 would not read it (`from` of an `add`). Stricter than fieldValidation=Ignore.
 */
function strictDecodeError(patch: unknown[]): string | undefined {
  for (const [i, op] of patch.entries()) {
    if (op === null) continue;
    if (typeof op !== 'object' || Array.isArray(op)) return `operation ${i} is not an object`;
    for (const field of ['op', 'path', 'from']) {
      const value = own(op as Record<string, Json>, field);
      if (value !== undefined && value !== null && typeof value !== 'string') return `operation ${i}: "${field}" must be a string`;
    }
  }
  return undefined;
}

function applyOperation(state: { doc: Json; copied: number }, raw: unknown, i: number): void {
  // A null element decodes to a nil Operation, whose Kind() is "unknown".
  const op = (raw ?? {}) as Record<string, Json>;
  const kind = typeof own(op, 'op') === 'string' ? (op.op as string) : 'unknown';
  const hasValue = own(op, 'value') !== undefined;
  const value = hasValue ? op.value! : null;
  const fail = (message: string): never => {
    throw new PatchFailure(`operation ${i}: ${message}`);
  };
  switch (kind) {
    case 'add':
      add(state.doc, pointer(op, 'path', kind, fail), structuredClone(value), fail);
      return;
    case 'remove':
      remove(state.doc, pointer(op, 'path', kind, fail), fail);
      return;
    case 'replace': {
      const path = pointer(op, 'path', kind, fail);
      if (path === '') {
        // v4: `val.which` on the nil node of a missing value panics (the server answers 500).
        if (!hasValue) fail('replace operation has no value');
        if (!isContainer(value)) fail('replace operation value must be object or array');
        state.doc = structuredClone(value);
        return;
      }
      replace(state.doc, path, structuredClone(value), fail);
      return;
    }
    case 'move': {
      const from = pointer(op, 'from', kind, fail);
      const moved = remove(state.doc, from, fail);
      add(state.doc, pointer(op, 'path', kind, fail), moved, fail);
      return;
    }
    case 'copy': {
      const from = pointer(op, 'from', kind, fail);
      const { container, key } = locate(state.doc, from, 'copy', fail);
      // partialDoc.get of a missing key is (nil, nil): v4 copies it as null, and deepCopy(nil) counts 0 bytes.
      const copied = Array.isArray(container) ? container[arrayIndex(container.length, key, fail)]! : (own(container, key) ?? null);
      const path = pointer(op, 'path', kind, fail);
      locate(state.doc, path, 'copy', fail);
      state.copied += goEncodedSize(copied);
      if (state.copied > MAX_JSON_PATCH_COPY_BYTES) fail(`the copy operations add ${state.copied} bytes, more than the server's limit of ${MAX_JSON_PATCH_COPY_BYTES}`);
      add(state.doc, path, structuredClone(copied), fail);
      return;
    }
    case 'test':
      test(state.doc, pointer(op, 'path', kind, fail), hasValue, value, fail);
      return;
    default:
      fail(`Unexpected kind: ${kind}`);
  }
}

/** The operation's `path` or `from` (v4 `Path()`/`From()`: missing or null is an error). */
function pointer(op: Record<string, Json>, field: 'path' | 'from', kind: string, fail: (m: string) => never): string {
  const text = own(op, field);
  if (typeof text !== 'string') return fail(`${kind} operation is missing its "${field}" field`);
  return text;
}

/** RFC 6901 unescaping in v4's order: `~1` to `/` first, then `~0` to `~` (so `~01` is `~1`). */
function decodeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * v4 `findObject`: the container holding the pointer's last segment, and that segment. The pointer is split on
 * `/` and its first element dropped unchecked; a path with no `/` has no container ("doc is missing path").
 * A null or missing intermediate value, a scalar, or an invalid array index fails the same way.
 *
 * Strict: v4 can step into a null produced by copying an explicit `"value": null` (a node holding the raw text
 * `null`); the server then panics on most writes into it, but `test` and `copy` from inside it pass. Here
 * every null is a missing path.
 */
function locate(doc: Json, path: string, kind: string, fail: (m: string) => never): { container: Container; key: string } {
  const split = path.split('/');
  if (split.length < 2) return fail(`${kind} operation does not apply: doc is missing path: "${path}"`);
  let node: Json = doc;
  for (const part of split.slice(1, -1)) {
    const segment = decodeSegment(part);
    const container = node as Container;
    let next: Json | undefined;
    if (Array.isArray(container)) {
      const idx = existingIndex(container.length, segment);
      next = idx === undefined ? undefined : container[idx];
    } else {
      next = own(container, segment);
    }
    if (!isContainer(next)) return fail(`${kind} operation does not apply: doc is missing path: "${path}"`);
    node = next;
  }
  if (!isContainer(node)) return fail(`${kind} operation does not apply: doc is missing path: "${path}"`);
  return { container: node, key: decodeSegment(split[split.length - 1]!) };
}

/** partialArray.get/remove/set range: an existing element, `-len..len-1`, negatives counted from the end. */
function existingIndex(length: number, key: string): number | undefined {
  const idx = goAtoi(key);
  if (idx === undefined || idx >= length || idx < -length) return undefined;
  return idx < 0 ? idx + length : idx;
}

function arrayIndex(length: number, key: string, fail: (m: string) => never): number {
  const idx = existingIndex(length, key);
  return idx === undefined ? fail(`Unable to access invalid index: ${key}`) : idx;
}

function add(doc: Json, path: string, value: Json, fail: (m: string) => never): void {
  const { container, key } = locate(doc, path, 'add', fail);
  if (!Array.isArray(container)) {
    define(container, key, value);
    return;
  }
  if (key === '-') {
    container.push(value);
    return;
  }
  const idx = goAtoi(key);
  if (idx === undefined) fail(`value was not a proper array index: '${key}'`);
  // partialArray.add: the new array has len+1 slots, so the valid range is -(len+1)..len and -1 appends.
  const size = container.length + 1;
  if (idx! >= size || idx! < -size) fail(`Unable to access invalid index: ${key}`);
  container.splice(idx! < 0 ? idx! + size : idx!, 0, value);
}

function replace(doc: Json, path: string, value: Json, fail: (m: string) => never): void {
  const { container, key } = locate(doc, path, 'replace', fail);
  if (Array.isArray(container)) container[arrayIndex(container.length, key, fail)] = value;
  // partialDoc.get reports no error for a missing key, so replace adds it.
  else define(container, key, value);
}

function remove(doc: Json, path: string, fail: (m: string) => never): Json {
  const { container, key } = locate(doc, path, 'remove', fail);
  if (Array.isArray(container)) return container.splice(arrayIndex(container.length, key, fail), 1)[0]!;
  const value = own(container, key);
  if (value === undefined) return fail(`Unable to remove nonexistent key: ${key}`);
  delete container[key];
  return value;
}

/**
 * v4 `test`. A missing key or a null passes when the value is null or absent; any other value needs a value
 * to compare. Lenient: v4 compares scalars by their compacted raw bytes (`1` is not `1.0`, `"<"` is not the
 * server's own `"\u003c"`), and panics on a null inside a compared list; here values compare as parsed JSON.
 * A test never changes the document, so this can only let through a patch the server refuses.
 */
function test(doc: Json, path: string, hasValue: boolean, value: Json, fail: (m: string) => never): void {
  if (path === '') {
    // v4 compares the whole document; a missing value is a nil node, which panics (500).
    if (!hasValue) fail('test operation has no value');
    if (!jsonEqual(doc, value)) fail(`testing value ${path} failed`);
    return;
  }
  const { container, key } = locate(doc, path, 'test', fail);
  const actual = Array.isArray(container) ? container[arrayIndex(container.length, key, fail)]! : own(container, key);
  if (actual === undefined || actual === null) {
    if (value !== null) fail(`testing value ${path} failed`);
    return;
  }
  if (!hasValue || !jsonEqual(actual, value)) fail(`testing value ${path} failed`);
}

/**
 * The bytes Go's `json.Marshal` writes for `value` (compact, HTML-escaping `<`, `>`, `&`), which v4 adds to
 * the copy budget. Approximate where the raw text is lost: v4 keeps numbers and escapes as sent, and counts a
 * null added by this patch as 4 bytes; here numbers count as JavaScript prints them and every null as 0.
 */
export function goEncodedSize(value: Json): number {
  if (value === null) return 0;
  return encodedSize(value);
}

function encodedSize(value: Json): number {
  if (value === null) return 4;
  if (typeof value === 'boolean') return value ? 4 : 5;
  if (typeof value === 'number') return JSON.stringify(value).length;
  if (typeof value === 'string') return goStringSize(value);
  if (Array.isArray(value)) return 2 + Math.max(0, value.length - 1) + value.reduce<number>((n, v) => n + encodedSize(v), 0);
  const keys = Object.keys(value);
  return 2 + Math.max(0, keys.length - 1) + keys.reduce((n, k) => n + goStringSize(k) + 1 + encodedSize(value[k]!), 0);
}

function goStringSize(text: string): number {
  let n = 2;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\b' || ch === '\f') n += 2;
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) n += 6;
    else if (cp >= 0xd800 && cp <= 0xdfff) n += 3; // a lone surrogate decodes to U+FFFD in Go
    else n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
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

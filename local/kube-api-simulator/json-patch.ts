import { KubeApiError, badRequest, internalError } from './status-errors';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './types';

/**
 * RFC 6902 JSON Patch exactly as the API server applies it: gopkg.in/evanphx/json-patch.v4 (patch.go)
 * with its defaults, which are more lenient than the RFC:
 * - `SupportNegativeIndices` is true: `-1` is the last element for get/replace/remove/test, and for add
 *   `-1` inserts after the last element (the index counts in the array grown by one).
 * - indices are read with Go's strconv.Atoi, so `00`, `01`, `+0`, `+1` and `-0` are indices.
 * - `replace` of a missing object member adds it; `copy` from a missing member copies null; an
 *   operation without `value` adds or replaces with null; `test` of a missing member against a missing
 *   or null value passes.
 * - the first path token is never looked at (`x/spec` means `/spec`); the empty path fails for every
 *   operation but replace and test, which address the whole document.
 * - a `null` patch is a patch with no operations.
 * The apiserver (endpoints/handlers/patch.go) refuses more than 10000 operations (413), sets
 * AccumulatedCopySizeLimit to 3 MiB (server/config.go) and reports any failure while applying as a 422
 * whose message hides the cause. The simulator keeps the cause in {@link JsonPatchNotApplicable.why}.
 */

/** The apiserver's cap on operations in one JSON patch (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;
/** The apiserver's JSONPatchMaxCopyBytes default, the limit of what copy operations may add. */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;
/** What `errors.NewGenericServerResponse(422, ...)` says, whatever went wrong. */
export const JSON_PATCH_REJECTED = 'the server rejected our request due to an error in our request';

/** A 422 as the real server sends it, with evanphx/json-patch's own error kept for tests and logs. */
export class JsonPatchNotApplicable extends KubeApiError {
  constructor(readonly why: string) {
    super(422, 'Invalid', JSON_PATCH_REJECTED, {});
  }
}

type Op = Readonly<Record<string, JsonValue>>;
type Container = JsonObject | JsonValue[];

const fail = (why: string): never => {
  throw new JsonPatchNotApplicable(why);
};

/** Go's strconv.Atoi on 64-bit: optional sign, ASCII digits, int64 range. */
export function goAtoi(token: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(token)) return undefined;
  const n = BigInt(token);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) return undefined;
  return Number(n);
}

function atoi(token: string): number {
  const n = goAtoi(token);
  if (n === undefined) fail(`strconv.Atoi: parsing ${JSON.stringify(token)}: invalid syntax`);
  return n!;
}

function decodeKey(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** partialArray/partialDoc get: undefined is Go's nil (missing or null), errors for bad indices. */
function get(con: Container, key: string): JsonValue | undefined {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  let i = atoi(key);
  if (i < 0) {
    if (i < -con.length) fail(`Unable to access invalid index: ${i}: invalid index referenced`);
    i += con.length;
  }
  if (i >= con.length) fail(`Unable to access invalid index: ${i}: invalid index referenced`);
  return con[i];
}

function set(con: Container, key: string, value: JsonValue): void {
  if (!Array.isArray(con)) return setMember(con, key, value);
  let i = atoi(key);
  if (i < 0) i += con.length; // get() already refused what is out of range
  con[i] = value;
}

function add(con: Container, key: string, value: JsonValue): void {
  if (!Array.isArray(con)) return setMember(con, key, value);
  if (key === '-') {
    con.push(value);
    return;
  }
  const n = goAtoi(key);
  if (n === undefined) fail(`value was not a proper array index: '${key}'`);
  let i = n!;
  const size = con.length + 1;
  if (i >= size || i < -size) fail(`Unable to access invalid index: ${i}: invalid index referenced`);
  if (i < 0) i += size;
  con.splice(i, 0, value);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) fail(`Unable to remove nonexistent key: ${key}: missing value`);
    delete con[key];
    return;
  }
  let i = atoi(key);
  if (i >= con.length || i < -con.length) fail(`Unable to access invalid index: ${i}: invalid index referenced`);
  if (i < 0) i += con.length;
  con.splice(i, 1);
}

function setMember(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** findObject: the container of the last token; the first token is skipped, as patch.go does. */
function findObject(doc: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let con: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: JsonValue | undefined;
    try {
      next = get(con, decodeKey(part));
    } catch {
      return undefined;
    }
    if (Array.isArray(next) || isJsonObject(next)) con = next;
    else return undefined;
  }
  return { con, key: decodeKey(split[split.length - 1]!) };
}

function stringField(op: Op, name: 'path' | 'from', kind: string): string {
  const v = op[name];
  if (v === undefined || v === null) fail(`${kind} operation failed to decode ${name}: missing value`);
  if (typeof v !== 'string') fail(`${kind} operation failed to decode ${name}: json: cannot unmarshal ${goJsonType(v!)} into Go value of type string`);
  return v as string;
}

/** The operation's value as evanphx sees it: undefined when absent, else a copy (null stays null). */
function valueOf(op: Op): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(op, 'value') ? cloneJson(op.value as JsonValue) : undefined;
}

/** lazyNode.equal: deep equality, except that a null inside compared arrays dereferences nil in Go. */
function equal(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => {
      if (v === null || b[i] === null) throw internalError('runtime error: invalid memory address or nil pointer dereference');
      return equal(v, b[i]!);
    });
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && ((a[k] === null) === (b[k] === null)) && (a[k] === null || equal(a[k]!, b[k]!)));
  }
  return a === b;
}

function test(doc: Container, op: Op): void {
  const path = stringField(op, 'path', 'test');
  const expected = valueOf(op);
  if (path === '') {
    if (expected === undefined || !equal(doc, expected)) fail(`testing value ${path} failed: test failed`);
    return;
  }
  const found = findObject(doc, path);
  if (!found) fail(`test operation does not apply: is missing path: ${path}: missing value`);
  const actual = get(found!.con, found!.key);
  if (actual === undefined || actual === null) {
    if (expected === undefined || expected === null) return;
    fail(`testing value ${path} failed: test failed`);
  }
  if (expected === undefined || !equal(actual!, expected)) fail(`testing value ${path} failed: test failed`);
}

function applyOne(doc: Container, op: Op, copied: { bytes: number }): Container {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
    case 'remove': {
      const path = stringField(op, 'path', kind);
      const at = findObject(doc, path) ?? fail(`${kind} operation does not apply: doc is missing path: "${path}": missing value`);
      if (kind === 'add') add(at.con, at.key, valueOf(op) ?? null);
      else remove(at.con, at.key);
      return doc;
    }
    case 'replace': {
      const path = stringField(op, 'path', kind);
      const value = valueOf(op);
      if (path === '') {
        // Go dereferences the missing value here and panics; the apiserver answers 500.
        if (value === undefined) throw internalError('runtime error: invalid memory address or nil pointer dereference');
        if (!Array.isArray(value) && !isJsonObject(value)) fail('replace operation value must be object or array');
        return value as Container;
      }
      const at = findObject(doc, path) ?? fail(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      get(at.con, at.key); // only arrays can refuse: an object member that is missing is simply added
      set(at.con, at.key, value ?? null);
      return doc;
    }
    case 'move':
    case 'copy': {
      const from = stringField(op, 'from', kind);
      const source = findObject(doc, from) ?? fail(`${kind} operation does not apply: doc is missing from path: ${from}: missing value`);
      const value = get(source.con, source.key) ?? null;
      if (kind === 'move') remove(source.con, source.key);
      const path = stringField(op, 'path', kind);
      const target = findObject(doc, path) ?? fail(`${kind} operation does not apply: doc is missing destination path: ${path}: missing value`);
      let moved = value;
      if (kind === 'copy') {
        moved = cloneJson(value);
        copied.bytes += Buffer.byteLength(JSON.stringify(moved));
        if (copied.bytes > MAX_JSON_PATCH_COPY_BYTES) {
          fail(`Unable to complete the copy, the accumulated size increase of copy is ${copied.bytes}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`);
        }
      }
      add(target.con, target.key, moved);
      return doc;
    }
    case 'test':
      test(doc, op);
      return doc;
    default:
      return fail(`Unexpected kind: ${kind}`);
  }
}

/** What encoding/json calls a JSON value in "cannot unmarshal X into ..." messages. */
export function goJsonType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** jsonpatch.DecodePatch: a list of objects (or null, the empty patch); anything else is a 400. */
function decodePatch(patch: JsonValue): Op[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) throw badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type jsonpatch.Patch`);
  return patch.map((raw) => {
    if (raw === null) return {};
    if (!isJsonObject(raw)) throw badRequest(`json: cannot unmarshal ${goJsonType(raw)} into Go value of type jsonpatch.Operation`);
    return raw as Op;
  });
}

/**
 * Applies a JSON patch as the apiserver does (see the module comment). A malformed patch is a 400,
 * too many operations a 413, an operation that does not apply a {@link JsonPatchNotApplicable} 422.
 */
export function applyJsonPatch(document: JsonValue, patch: JsonValue): JsonValue {
  const ops = decodePatch(patch);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new KubeApiError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  let doc = cloneJson(document);
  if (!Array.isArray(doc) && !isJsonObject(doc)) return doc;
  const copied = { bytes: 0 };
  for (const op of ops) doc = applyOne(doc as Container, op, copied);
  return doc;
}

const OP_FIELDS = new Set(['op', 'path', 'from', 'value']);

/**
 * The apiserver's extra decode of a JSON patch under `fieldValidation=Warn|Strict` (the default is
 * Warn): into `[]jsonPatchOp{op, path, from string; value interface{}}` with sigs.k8s.io/json. A
 * field of the wrong type is a 400 there (with Ignore it is not); unknown fields are strict errors,
 * returned as the `json patch ...` texts the server words them with (duplicates come from the decoder).
 */
export function jsonPatchStrictErrors(patch: JsonValue): string[] {
  const where = (i: number, field: string): string => `[${i}].${field}`;
  if (patch === null) return [];
  if (!Array.isArray(patch)) throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(patch)} into Go value of type []handlers.jsonPatchOp`);
  const unknown: string[] = [];
  patch.forEach((raw, i) => {
    if (raw === null) return;
    if (!isJsonObject(raw)) throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(raw)} into Go value of type handlers.jsonPatchOp`);
    for (const [k, v] of Object.entries(raw)) {
      if (!OP_FIELDS.has(k)) unknown.push(`json patch unknown field ${JSON.stringify(where(i, k))}`);
      else if (k !== 'value' && v !== null && typeof v !== 'string') {
        throw badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(v as JsonValue)} into Go struct field jsonPatchOp.${k} of type string`);
      }
    }
  });
  return unknown;
}

/** Whether a duplicate-key path names an operation's unknown field (reported as unknown, not duplicate). */
export function isUnknownOpField(path: string): boolean {
  const m = /^\[\d+\]\.([^.[]+)$/.exec(path);
  return m !== null && !OP_FIELDS.has(m[1]!);
}

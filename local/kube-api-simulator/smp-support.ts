import { goFormat } from './go-format';
import { JSON_PATCH_REJECTED } from './json-patch';
import { badRequest, KubeApiError, unknownServerError } from './status-errors';
import { isJsonObject, type JsonObject, type JsonValue } from './types';

/**
 * Pieces of k8s.io/apimachinery/pkg/util/strategicpatch/patch.go shared by the map and list halves
 * of the simulator's strategic merge patch, and the HTTP status each of its errors gets from the
 * apiserver's interpretStrategicMergePatchError: a few are 400s, lists of lists a 422, and every
 * other error (a missing merge key, an unknown `$patch`) reaches the client as a 500 with no reason.
 */

export const DIRECTIVE = '$patch';
export const RETAIN_KEYS = '$retainKeys';
export const SET_ORDER_PREFIX = '$setElementOrder';
export const DELETE_PRIMITIVE_PREFIX = '$deleteFromPrimitiveList';

/** mergepatch.ErrBadPatchFormatFor*: the 400s. */
export const badPrimitiveList = (): KubeApiError => badRequest('invalid patch format of primitive list');
export const badRetainKeys = (): KubeApiError => badRequest('invalid patch format of retainKeys');
export const badSetElementOrder = (): KubeApiError => badRequest('invalid patch format of setElementOrder list');
/** mergepatch.ErrNoListOfLists: a 422 with the generic message. */
export const noListOfLists = (): KubeApiError => new KubeApiError(422, 'Invalid', JSON_PATCH_REJECTED, {});
/** mergepatch.ErrNoMergeKey, a plain error: 500. */
export const noMergeKey = (m: JsonValue, key: string): KubeApiError => unknownServerError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
/** mergepatch.ErrBadPatchType, a plain error: 500. */
export const badPatchType = (t: JsonValue | undefined, m: JsonValue): KubeApiError => unknownServerError(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);

/** The dynamic Go type of a decoded JSON value (kjson keeps integers as int64). */
export type GoType = 'map' | 'slice' | 'string' | 'int64' | 'float64' | 'bool' | 'nil';

export function goType(v: JsonValue | undefined): GoType {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

const GO_TYPE_NAME: Record<GoType, string> = { map: 'map[string]interface {}', slice: '[]interface {}', string: 'string', int64: 'int64', float64: 'float64', bool: 'bool', nil: '%!s(<nil>)' };

/** mergepatch.ErrBadArgType: 500. */
export function badArgType(expected: GoType, actual: JsonValue | undefined): KubeApiError {
  return unknownServerError(`expected a ${GO_TYPE_NAME[expected]}, but received a ${GO_TYPE_NAME[goType(actual)]}`);
}

/** Go's `==` on two interface{} values holding JSON scalars (maps and slices compare by content here). */
export function goEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (goType(a) !== goType(b)) return false;
  return typeof a === 'object' ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** Assigns a member without letting `__proto__` reach the prototype. */
export function setMember(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function has(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** removeDirectives: drops every map holding `$patch` (and list items that are such maps). */
export function removeDirectives(v: JsonValue): { value: JsonValue; keep: boolean } {
  if (isJsonObject(v)) {
    if (has(v, DIRECTIVE)) return { value: null, keep: false };
    for (const k of Object.keys(v)) {
      const r = removeDirectives(v[k]!);
      if (r.keep) setMember(v, k, r.value);
      else delete v[k];
    }
    return { value: v, keep: true };
  }
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const item of v) {
      const r = removeDirectives(item);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

/** discardNullValuesFromPatch: what a new subtree sets to null is not stored at all. */
export function discardNulls(v: JsonValue): void {
  if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNulls(v[k]!);
    }
  } else if (Array.isArray(v)) v.forEach(discardNulls);
}

/**
 * Keys starting with `$` that survive the merge (directives inside replaced or appended items) are
 * unknown fields to the Go structs the result is decoded into, so the real server drops them.
 */
export function asDecoded(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(asDecoded);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, item] of Object.entries(v)) if (!k.startsWith('$')) setMember(out, k, asDecoded(item as JsonValue));
  return out;
}

/** findMapInSliceBasedOnKeyValue: the index of the item whose merge key equals `value`, or -1. */
export function findByMergeKey(list: readonly JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (!isJsonObject(item)) throw unknownServerError(`value for key ${i} is not a map`);
    if (has(item, key) && goEqual(item[key], value)) return i;
  }
  return -1;
}

/** sliceElementType: every element of every list has one Go type, which is not a list. */
export function sliceElementType(...lists: readonly (readonly JsonValue[])[]): GoType {
  let prev: GoType | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goType(v);
      if (prev === undefined) {
        prev = t;
        if (t === 'slice') throw noListOfLists();
      } else if (prev !== t) {
        throw unknownServerError(`list element types are not identical: ${goFormat(lists as JsonValue[][])}`);
      }
    }
  }
  if (prev === undefined) throw unknownServerError('no elements in any of the given slices');
  return prev;
}

/** extractKey: `$setElementOrder/containers` to `containers`; a malformed directive key is a 400. */
export function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw prefix === DELETE_PRIMITIVE_PREFIX ? badPrimitiveList() : badSetElementOrder();
  return key.slice(slash + 1);
}

import { listStrategy } from './patch-meta';
import { mergeSlice, normalizeElementOrder, partitionByPresence } from './smp-lists';
import {
  asDecoded, badArgType, badPatchType, badRetainKeys, DELETE_PRIMITIVE_PREFIX, DIRECTIVE, discardNulls, extractKey, goEqual, goType,
  has, removeDirectives, RETAIN_KEYS, SET_ORDER_PREFIX, setMember, sliceElementType,
} from './smp-support';
import { badRequest, unknownServerError } from './status-errors';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './types';
import { goFormat } from './go-format';

/**
 * Strategic merge patch as the API server applies it: StrategicMergeMapPatch in
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch.go with the apiserver's options
 * (MergeParallelList and IgnoreUnmatchedNulls on). Merge keys come from patch-meta.ts, which copies the
 * Go struct tags of the built-in types. What the real code does, and this copy does too:
 * - `null` deletes a key; a key new to the object takes the patch value without its nulls, and a
 *   subtree carrying `$patch` is dropped entirely (removeDirectives).
 * - `$patch: replace` on a map replaces it, `$patch: delete` leaves an empty map; any other value
 *   (`merge` included) is an error.
 * - a value of another type than the live one (a list for a map, a scalar for a list) replaces it.
 * - `$retainKeys` first clears the live keys it does not list, and refuses a patch that sets a key it
 *   does not list (400).
 * - `$setElementOrder/<list>` merges that list and orders it; `$deleteFromPrimitiveList/<list>`
 *   removes values from a list of scalars, whatever the list's strategy.
 * - lists without `patchStrategy:"merge"` are replaced as sent.
 */

function strategyAt(path: readonly string[]): { merge: boolean; mergeKey: string } {
  const s = listStrategy(path);
  return { merge: s.merge, mergeKey: s.mergeKey ?? '' };
}

/** handleDirectiveInMergeMap: the map itself carries `$patch`. */
function mapDirective(directive: JsonValue | undefined, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    // Returned as sent; decoding into the Go struct then drops nested `$` keys.
    return asDecoded(patch) as JsonObject;
  }
  if (directive === 'delete') return {};
  throw badPatchType(directive, patch);
}

/** applyRetainKeysDirective. */
function retainKeys(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRetainKeys();
  const listed = (k: string): boolean => list.some((v) => goEqual(v, k));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE_PREFIX) || k.startsWith(SET_ORDER_PREFIX)) continue;
    if (!listed(k)) throw badRetainKeys();
  }
  for (const k of Object.keys(original)) if (!listed(k)) delete original[k];
}

function asList(v: JsonValue | undefined): JsonValue[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw badArgType('slice', v);
  return v;
}

/** validatePatchWithSetOrderList: the patch list's items appear in the order list, in its order. */
function checkOrderList(patchList: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    for (const v of patchList) if (!isJsonObject(v)) throw badArgType('map', v);
    items = patchList.filter((v) => (v as JsonObject)[DIRECTIVE] !== 'delete');
  }
  const keyOf = (v: JsonValue): JsonValue | undefined => {
    if (!mergeKey) return v;
    if (!isJsonObject(v)) throw badArgType('map', v);
    if (!has(v, mergeKey)) throw unknownServerError(`map: ${goFormat(v)} does not contain declared merge key: ${mergeKey}`);
    return v[mergeKey];
  };
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isJsonObject(items[p]) && has(items[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    if (goEqual(keyOf(items[p]!), keyOf(order[o]!))) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw unknownServerError(`The order in patch list:\n${goFormat(patchList as JsonValue[])}\n doesn't match ${SET_ORDER_PREFIX} list:\n${goFormat(order as JsonValue[])}\n`);
  }
}

/** mergePatchIntoOriginal: every `$setElementOrder/<list>` merges and orders its list, then leaves the patch. */
function applyElementOrders(original: JsonObject, patch: JsonObject, path: readonly string[]): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER_PREFIX)) continue;
    const order = patch[key]!;
    delete patch[key];
    if (!Array.isArray(order)) throw badArgType('slice', order);
    const field = extractKey(key, SET_ORDER_PREFIX);
    const originalList = asList(has(original, field) ? original[field] : undefined);
    const patchList = asList(has(patch, field) ? patch[field] : undefined);
    const listPath = [...path, field];
    const { merge, mergeKey } = strategyAt(listPath);
    checkOrderList(patchList ?? [], order, mergeKey);
    let merged: JsonValue[];
    if (originalList && !patchList) merged = originalList;
    else if (!originalList && patchList) merged = removeDirectives(patchList).value as JsonValue[];
    else if (originalList && patchList) merged = merge ? mergeSlice(originalList, patchList, mergeKey, false, listPath, mergeMap) : patchList;
    else continue;
    const { inPatch, serverOnly } = partitionByPresence(merged, order, mergeKey);
    const kind = sliceElementType(originalList ?? [], patchList ?? []);
    setMember(original, field, normalizeElementOrder(inPatch, serverOnly, order, originalList ?? [], mergeKey, kind));
    delete patch[field];
  }
}

/** Sets a key new to the object (or of another type) to the patch value, as patch.go does. */
function takePatchValue(original: JsonObject, key: string, value: JsonValue): void {
  discardNulls(value);
  const { value: cleaned, keep } = removeDirectives(value);
  if (keep) setMember(original, key, asDecoded(cleaned));
  else delete original[key];
}

/** mergeMap: merges `patch` into `original` (which it may modify). `path` is the field path of the map. */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, path: readonly string[]): JsonObject {
  if (has(patch, DIRECTIVE)) return mapDirective(patch[DIRECTIVE], patch);
  const target = original ?? {};
  retainKeys(target, patch);
  applyElementOrders(target, patch, path);
  for (const [rawKey, value] of Object.entries(patch)) {
    let key = rawKey;
    const isDeleteList = rawKey.startsWith(DELETE_PRIMITIVE_PREFIX);
    if (isDeleteList) key = extractKey(rawKey, DELETE_PRIMITIVE_PREFIX);
    if (value === null) {
      delete target[key];
      continue;
    }
    if (!has(target, key)) {
      if (!isDeleteList) takePatchValue(target, key, value as JsonValue);
      continue;
    }
    const current = target[key]!;
    if (goType(current) !== goType(value as JsonValue)) {
      if (!isDeleteList) takePatchValue(target, key, value as JsonValue);
      continue;
    }
    const childPath = [...path, key];
    if (isJsonObject(current)) setMember(target, key, mergeMap(current, value as JsonObject, childPath));
    else if (Array.isArray(current)) {
      const { merge, mergeKey } = strategyAt(childPath);
      const list = value as JsonValue[];
      // Lists without a merge strategy are replaced as sent; Go's decode then drops stray `$` keys.
      const next = merge || isDeleteList ? mergeSlice(current, list, mergeKey, isDeleteList, childPath, mergeMap) : (asDecoded(list) as JsonValue[]);
      setMember(target, key, next);
    } else setMember(target, key, value as JsonValue);
  }
  return target;
}

/**
 * Applies a strategic merge patch (`application/strategic-merge-patch+json`) to a built-in object, as
 * the apiserver does (see the module comment). The inputs are not modified. Errors carry the real
 * server's codes: 400 for malformed directives, 422 for lists of lists, 500 for the rest.
 */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonValue): JsonObject {
  // kjson decodes `null` into the patch map as an empty patch.
  if (patch === null) return cloneJson(original);
  if (!isJsonObject(patch)) throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
  return mergeMap(cloneJson(original), cloneJson(patch), []);
}

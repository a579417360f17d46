import { listStrategy } from './patch-meta';
import { badRequest } from './status-errors';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './types';

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

function keyOf(item: JsonValue, mergeKey: string): string | undefined {
  if (!isJsonObject(item)) return undefined;
  const v = item[mergeKey];
  return v === undefined ? undefined : JSON.stringify(v);
}

function withoutDirective(obj: JsonObject): JsonObject {
  const { $patch: _directive, ...rest } = obj;
  return rest;
}

/** Orders `list` as `order` says; items the order does not name keep their place after the named ones. */
function applyOrder(list: JsonValue[], order: JsonValue, mergeKey: string | undefined): JsonValue[] {
  if (!Array.isArray(order)) return list;
  const ids = order.map((o) => (mergeKey ? keyOf(o, mergeKey) : JSON.stringify(o)));
  const rank = (item: JsonValue): number => {
    const id = mergeKey ? keyOf(item, mergeKey) : JSON.stringify(item);
    const i = ids.indexOf(id);
    return i < 0 ? ids.length : i;
  };
  return list
    .map((item, index) => ({ item, index }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index)
    .map((x) => x.item);
}

function mergeList(original: JsonValue | undefined, patch: JsonValue[], path: readonly string[]): JsonValue[] {
  const strategy = listStrategy(path);
  if (!strategy.merge) return cloneJson(patch.filter((p) => !(isJsonObject(p) && p.$patch !== undefined && Object.keys(p).length === 1)));
  if (patch.some((p) => isJsonObject(p) && p.$patch === 'replace')) {
    return cloneJson(patch.filter((p) => !(isJsonObject(p) && p.$patch === 'replace')).map((p) => (isJsonObject(p) ? withoutDirective(p) : p)));
  }
  const result: JsonValue[] = Array.isArray(original) ? cloneJson(original) : [];
  if (!strategy.mergeKey) {
    // A merged set of primitives (metadata.finalizers): union, keeping existing order.
    for (const p of patch) if (!result.some((r) => JSON.stringify(r) === JSON.stringify(p))) result.push(cloneJson(p));
    return result;
  }
  const mergeKey = strategy.mergeKey;
  for (const p of patch) {
    if (!isJsonObject(p)) throw badRequest(`unable to find api field in struct for the merge key "${mergeKey}": list item is not an object`);
    const key = keyOf(p, mergeKey);
    if (key === undefined) throw badRequest(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    const at = result.findIndex((r) => keyOf(r, mergeKey) === key);
    if (p.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
      continue;
    }
    if (at >= 0) result[at] = mergeMap(result[at], p, path);
    else result.push(mergeMap(undefined, p, path));
  }
  return result;
}

/**
 * Merges a strategic-merge-patch map into `original` (undefined: a new map). Handles `$patch`
 * (replace/delete/merge), `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 */
function mergeMap(original: JsonValue | undefined, patch: JsonObject, path: readonly string[]): JsonObject {
  if (patch.$patch === 'replace') return cloneJson(withoutDirective(patch));
  const result: JsonObject = isJsonObject(original) ? cloneJson(original) : {};
  const orders: [string, JsonValue][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        const drop = new Set(value.map((v) => JSON.stringify(v)));
        result[field] = current.filter((v) => !drop.has(JSON.stringify(v)));
      }
      continue;
    }
    const childPath = [...path, key];
    if (value === null) delete result[key];
    else if (isJsonObject(value)) {
      if (value.$patch === 'delete') delete result[key];
      else result[key] = mergeMap(result[key], value, childPath);
    } else if (Array.isArray(value)) result[key] = mergeList(result[key], value, childPath);
    else result[key] = value;
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyOrder(list, order, listStrategy([...path, field]).mergeKey);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.filter((k): k is string => typeof k === 'string'));
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

/**
 * Merges an applied configuration into the live object for server-side apply. Real apply merges with
 * structured-merge-diff, not strategic merge patch: keyed lists keep the live items where they are and
 * add new ones after them (typed/merge.go visitListItems), which is why this is not
 * strategic-merge-patch.ts, whose ordering follows patch.go.
 */
export function mergeAppliedConfiguration(original: JsonObject, patch: JsonValue): JsonObject {
  if (!isJsonObject(patch)) throw badRequest('unable to unmarshal patch: the patch must be a JSON object');
  return mergeMap(original, patch, []);
}

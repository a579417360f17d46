import type { Json, PatchResult } from './apply-json-patch';
import { jsonEqual } from './apply-json-patch';
import { define, isObject } from './apply-merge-patch';
import { listStrategy } from './patch-strategy';

type Obj = { [key: string]: Json };

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const RETAIN_KEYS = '$retainKeys';
const PATCH = '$patch';

class StrategicFailure extends Error {}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) as apimachinery's `strategicpatch` applies it
 * to built-in types: lists with a merge strategy merge element by element on their merge key (containers by
 * `name`, ports by `containerPort`...), other lists are replaced, `null` deletes a key, and the directives
 * `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`
 * do what the server does with them. The server rejects strategic merge on custom resources (415); this
 * function still merges them by the built-in table, which at worst judges an object the server never writes.
 */
export function applyStrategicMergePatch(document: Json, patch: unknown): PatchResult {
  if (!isObject(patch)) return { error: 'a strategic merge patch must be a JSON object' };
  try {
    const merged = mergeMap(isObject(document) ? structuredClone(document) : {}, patch, []);
    return { value: merged ?? {} };
  } catch (error) {
    if (error instanceof StrategicFailure) return { error: error.message };
    throw error;
  }
}

/** Merges a patch map into `original` (changed in place); undefined when the map is deleted. */
function mergeMap(original: Obj, patch: Obj, path: readonly string[]): Obj | undefined {
  const directive = patch[PATCH];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return withoutDirectives(patch, path);
  if (directive !== undefined && directive !== 'merge') throw new StrategicFailure(`unknown patch type "${String(directive)}" at ${where(path)}`);
  for (const key of Object.keys(patch)) {
    if (key === PATCH || key === RETAIN_KEYS || key.startsWith(SET_ORDER)) continue;
    const value = patch[key]!;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = original[field];
      if (Array.isArray(current) && Array.isArray(value)) original[field] = current.filter((v) => !value.some((d) => jsonEqual(d, v)));
      continue;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    const current = Object.prototype.hasOwnProperty.call(original, key) ? original[key] : undefined;
    const childPath = [...path, key];
    if (isObject(value)) {
      const merged = mergeMap(isObject(current) ? current : {}, value, childPath);
      if (merged === undefined) delete original[key];
      else define(original, key, merged);
    } else if (Array.isArray(value)) {
      define(original, key, mergeList(Array.isArray(current) ? current : undefined, value, childPath));
    } else {
      define(original, key, value);
    }
  }
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    const list = original[field];
    if (Array.isArray(list)) original[field] = ordered(list, patch[key]!, listStrategy([...path, field]).mergeKey);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new StrategicFailure(`${RETAIN_KEYS} at ${where(path)} must be a list`);
    for (const key of Object.keys(original)) if (!retain.includes(key)) delete original[key];
  }
  return original;
}

function mergeList(original: Json[] | undefined, patch: Json[], path: readonly string[]): Json[] {
  const strategy = listStrategy(path);
  const replaceMarker = patch.some((p) => isObject(p) && p[PATCH] === 'replace');
  const items = patch.filter((p) => !(isObject(p) && p[PATCH] === 'replace' && Object.keys(p).length === 1));
  if (!strategy.merge || replaceMarker) return items.map((p) => (isObject(p) ? withoutDirectives(p, path) : structuredClone(p)));
  const result: Json[] = original ? original : [];
  if (strategy.mergeKey === undefined) {
    for (const p of items) if (!result.some((r) => jsonEqual(r, p))) result.push(structuredClone(p));
    return result;
  }
  const mergeKey = strategy.mergeKey;
  for (const p of items) {
    if (!isObject(p)) throw new StrategicFailure(`the list ${where(path)} holds objects merged on "${mergeKey}", not ${JSON.stringify(p)}`);
    if (!Object.prototype.hasOwnProperty.call(p, mergeKey)) throw new StrategicFailure(`an item of ${where(path)} does not contain the merge key "${mergeKey}"`);
    const at = result.findIndex((r) => isObject(r) && jsonEqual(r[mergeKey], p[mergeKey]));
    if (p[PATCH] === 'delete') {
      if (at >= 0) result.splice(at, 1);
      continue;
    }
    const base = at >= 0 && isObject(result[at]) ? (result[at] as Obj) : {};
    const merged = mergeMap(base, p, path) ?? {};
    if (at >= 0) result[at] = merged;
    else result.push(merged);
  }
  return result;
}

/** A map as given, its directives removed at every level (what `$patch: replace` stores). */
function withoutDirectives(patch: Obj, path: readonly string[]): Obj {
  const out: Obj = {};
  for (const key of Object.keys(patch)) {
    if (key === PATCH || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE)) continue;
    const value = patch[key]!;
    if (value === null) continue;
    const childPath = [...path, key];
    if (isObject(value)) {
      const merged = mergeMap({}, value, childPath);
      if (merged !== undefined) define(out, key, merged);
    } else if (Array.isArray(value)) define(out, key, mergeList(undefined, value, childPath));
    else define(out, key, value);
  }
  return out;
}

/** Orders `list` as `$setElementOrder` says; unnamed items keep their relative place after the named ones. */
function ordered(list: Json[], order: Json, mergeKey: string | undefined): Json[] {
  if (!Array.isArray(order)) return list;
  const idOf = (item: Json): string => JSON.stringify(mergeKey && isObject(item) ? item[mergeKey] : item);
  const ids = order.map(idOf);
  const rank = (item: Json): number => {
    const i = ids.indexOf(idOf(item));
    return i < 0 ? ids.length : i;
  };
  return list.map((item, index) => ({ item, index })).sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index).map((x) => x.item);
}

function where(path: readonly string[]): string {
  return path.join('.') || '(root)';
}

import type { Json, PatchResult } from './apply-json-patch';
import { jsonEqual } from './apply-json-patch';
import { define, isObject, pruneNulls } from './apply-merge-patch';
import { builtInSchema, type PatchSchema } from './patch-strategy';

type Obj = { [key: string]: Json };

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

class StrategicFailure extends Error {}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) as the API server applies it to built-in
 * types: apimachinery `strategicpatch.StrategicMergeMapPatch` (`mergeMap` with MergeParallelList and
 * IgnoreUnmatchedNulls), the patch metadata taken from `patch-strategy.ts`. In short:
 * - maps merge key by key, `null` deletes, scalars replace; a value where the object has none (or has another
 *   type) is taken as sent minus its nulls and minus maps/list items carrying `$patch`;
 * - lists with a merge strategy merge element by element on their merge key (containers by `name`, ports by
 *   `containerPort`...), primitive merge lists are unions; the result keeps the patch's order, with the
 *   object's other items interleaved by their old order (`normalizeElementOrder`); other lists are replaced,
 *   verbatim when the object had the list;
 * - `$patch: replace` on a map takes the map as sent, `$patch: delete` makes it `{}`, any other `$patch` is an
 *   error; in a merge list `{"$patch": "replace"}` replaces the list, `{name: x, "$patch": "delete"}` removes
 *   every item named x;
 * - `$retainKeys` drops the object's keys it does not list (and the patch may not set others);
 * - `$setElementOrder/<list>` orders the list; `$deleteFromPrimitiveList/<field>` removes values from a
 *   primitive list, but for any other field merges like `<field>` would if the object has it (a list of maps
 *   merges on its key, a map merges, a scalar is replaced), which this code follows.
 *
 * Known differences, none of which lets a patch through with another result than the server's:
 * - Strict: Go visits the keys of a map in random order; where `<field>` and `$deleteFromPrimitiveList/<field>`
 *   together give different results in the two orders, the server's result is a coin toss and this refuses.
 * - The patch arrives as parsed JSON, so `80` and `80.0` (int64 and float64 to the server, which then do not
 *   match as merge keys and count as different element types) are the same number here.
 * - Lenient: the server refuses `$setElementOrder` for a field its type does not have, and a strategic merge
 *   patch on a custom resource (415); here every path is looked up in the built-in table.
 * - The server then decodes the merged map into the typed object, which drops keys no field has (such as
 *   directives left inside lists it does not merge) and reads null as the zero value; that step is not
 *   modelled, so such keys and nulls stay in the result.
 * Where the server panics (500) on an input, this refuses it.
 *
 * A `null` body decodes to an empty patch on the server and changes nothing. Pure: the input is not changed.
 */
export function applyStrategicMergePatch(document: Json, patch: unknown, schema?: PatchSchema): PatchResult {
  if (patch === null) return { value: structuredClone(document) };
  if (!isObject(patch)) return { error: 'a strategic merge patch must be a JSON object' };
  const original: Obj = isObject(document) ? structuredClone(document) : {};
  const lookup = schema ?? builtInSchema(typeof original.kind === 'string' ? original.kind : undefined);
  try {
    return { value: mergeMap(lookup, original, structuredClone(patch) as Obj, []) };
  } catch (error) {
    if (error instanceof StrategicFailure) return { error: error.message };
    throw error;
  }
}

/** `mergeMap`: merges `patch` into `original` (both changed in place) and returns the result. */
function mergeMap(schema: PatchSchema, original: Obj | undefined, patch: Obj, path: readonly string[]): Obj {
  if (has(patch, DIRECTIVE)) return mapDirective(patch, path);
  const out = original ?? {};
  applyRetainKeys(out, patch, path);
  mergeOrderedLists(schema, out, patch, path);
  // `$deleteFromPrimitiveList/x` is processed as the field x (preprocessDeletionListForMerging rewrites k).
  const byTarget = new Map<string, { key: string; deleteList: boolean }[]>();
  for (const key of Object.keys(patch)) {
    let target = key;
    let deleteList = false;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deleteList = true;
      const field = extractKey(key, DELETE_FROM_PRIMITIVE_LIST, path);
      if (field !== '') target = field;
    }
    const entries = byTarget.get(target) ?? [];
    entries.push({ key, deleteList });
    byTarget.set(target, entries);
  }
  for (const [target, entries] of byTarget) {
    if (entries.length === 1) mergeField(schema, out, target, patch[entries[0]!.key]!, entries[0]!.deleteList, path);
    else mergeFieldInEitherOrder(schema, out, target, entries.map((e) => ({ ...e, value: patch[e.key]! })), path);
  }
  return out;
}

/** Two patch keys write the same field; Go's map order decides which goes first, so both orders must agree. */
function mergeFieldInEitherOrder(schema: PatchSchema, out: Obj, target: string, entries: { key: string; deleteList: boolean; value: Json }[], path: readonly string[]): void {
  const before = has(out, target) ? out[target]! : undefined;
  const run = (order: typeof entries): Obj => {
    const scratch: Obj = {};
    if (before !== undefined) define(scratch, target, structuredClone(before));
    for (const e of order) mergeField(schema, scratch, target, structuredClone(e.value), e.deleteList, path);
    return scratch;
  };
  const first = run(entries);
  const second = run([...entries].reverse());
  if (!jsonEqual(first, second)) {
    throw new StrategicFailure(`${entries.map((e) => JSON.stringify(e.key)).join(' and ')} at ${where(path)} give different results depending on the order the server happens to read them`);
  }
  if (has(first, target)) define(out, target, first[target]!);
  else delete out[target];
}

/** One iteration of `mergeMap`'s loop over the patch: field `k` of `original`. */
function mergeField(schema: PatchSchema, original: Obj, k: string, patchValue: Json, deleteList: boolean, path: readonly string[]): void {
  if (patchValue === null) {
    delete original[k];
    return;
  }
  if (!has(original, k) || goKind(original[k]!) !== goKind(patchValue)) {
    // Not in the object, or of another type: take the patch value minus nulls and directive maps.
    if (!deleteList) keepOrDrop(original, k, removeDirectives(pruneNulls(patchValue)));
    return;
  }
  const current = original[k]!;
  const childPath = [...path, k];
  if (isObject(current)) {
    define(original, k, schema.map(childPath) === 'replace' ? patchValue : mergeMap(schema, current, patchValue as Obj, childPath));
  } else if (Array.isArray(current)) {
    const strategy = schema.list(childPath);
    // mergeSliceHandler: "Delete lists are handled the same way regardless of what the field's patch strategy is".
    const merge = strategy.merge || deleteList;
    define(original, k, merge ? mergeSlice(schema, current, patchValue as Json[], childPath, strategy.mergeKey ?? '', deleteList).merged : patchValue);
  } else {
    keepOrDrop(original, k, removeDirectives(patchValue));
  }
}

/** `handleDirectiveInMergeMap`. */
function mapDirective(patch: Obj, path: readonly string[]): Obj {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === 'delete') return {};
  throw new StrategicFailure(`Unknown patch type: ${JSON.stringify(directive)} in map at ${where(path)}`);
}

/** `applyRetainKeysDirective`. */
function applyRetainKeys(original: Obj, patch: Obj, path: readonly string[]): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS]!;
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new StrategicFailure(`invalid patch: ${RETAIN_KEYS} at ${where(path)} must be a list`);
  if (list.some(isContainerValue)) throw new StrategicFailure(`${RETAIN_KEYS} at ${where(path)} holds a map or list (the server panics)`);
  const retained = new Set(list.filter((v): v is string => typeof v === 'string'));
  for (const key of Object.keys(patch)) {
    if (patch[key] === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(key)) throw new StrategicFailure(`invalid patch: "${key}" at ${where(path)} is not in ${RETAIN_KEYS}`);
  }
  for (const key of Object.keys(original)) if (!retained.has(key)) delete original[key];
}

/** `mergePatchIntoOriginal`: every `$setElementOrder/<list>` with its list, before the other keys. */
function mergeOrderedLists(schema: PatchSchema, original: Obj, patch: Obj, path: readonly string[]): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key]!;
    delete patch[key];
    if (!Array.isArray(order)) throw new StrategicFailure(`invalid patch: ${key} at ${where(path)} must be a list`);
    const field = extractKey(key, SET_ELEMENT_ORDER, path);
    // Go deletes patch[field] while ranging over patch: whether that other directive still runs is map order.
    if (field.startsWith(SET_ELEMENT_ORDER)) throw new StrategicFailure(`${key} at ${where(path)} orders another directive; the server's result depends on map order`);
    const originalValue = has(original, field) ? original[field]! : undefined;
    const patchValue = has(patch, field) ? patch[field]! : undefined;
    if (originalValue !== undefined && !Array.isArray(originalValue)) throw new StrategicFailure(`${key} at ${where(path)}: the object's ${field} is not a list`);
    if (patchValue !== undefined && !Array.isArray(patchValue)) throw new StrategicFailure(`${key} at ${where(path)}: the patch's ${field} is not a list`);
    const childPath = [...path, field];
    const strategy = schema.list(childPath);
    const mergeKey = strategy.mergeKey ?? '';
    validateAgainstOrder(patchValue ?? [], order, mergeKey, childPath);
    let merged: Json[];
    let serverOrder: Json[] = originalValue ?? [];
    if (originalValue !== undefined && patchValue === undefined) {
      merged = originalValue;
    } else if (originalValue === undefined && patchValue !== undefined) {
      merged = removeDirectives(patchValue).value as Json[];
    } else if (originalValue !== undefined && patchValue !== undefined) {
      if (strategy.merge) {
        const result = mergeSlice(schema, originalValue, patchValue, childPath, mergeKey, false);
        merged = result.merged;
        serverOrder = result.originalAfter;
      } else {
        merged = patchValue;
      }
    } else {
      continue;
    }
    const parts = mergeKey === '' ? partitionPrimitives(merged, order) : partitionMaps(merged, order, mergeKey, childPath);
    const kind = sliceElementType([serverOrder, patchValue ?? []], childPath);
    define(original, field, normalizeElementOrder(parts.inList, parts.rest, order, serverOrder, mergeKey, kind));
    delete patch[field];
  }
}

/** `validatePatchWithSetOrderList`: the patch's items (deletions and directives aside) appear in the order, in order. */
function validateAgainstOrder(patchList: Json[], order: Json[], mergeKey: string, path: readonly string[]): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey !== '') {
    items = [];
    for (const item of patchList) {
      if (!isObject(item)) throw new StrategicFailure(`an item of ${where(path)} is not a map`);
      if (!(has(item, DIRECTIVE) && item[DIRECTIVE] === 'delete')) items.push(item);
    }
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p]!;
    if (isObject(item) && has(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[o]!, mergeKey, path)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) throw new StrategicFailure(`the order in the patch list ${where(path)} doesn't match its ${SET_ELEMENT_ORDER} list`);
}

function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string, path: readonly string[]): boolean {
  if (mergeKey === '') return goEqual(left, right);
  if (!isObject(left) || !isObject(right)) throw new StrategicFailure(`an item of ${where(path)} or its ${SET_ELEMENT_ORDER} list is not a map`);
  if (!has(left, mergeKey) || !has(right, mergeKey)) throw new StrategicFailure(`an item of ${where(path)} or its ${SET_ELEMENT_ORDER} list does not contain the merge key "${mergeKey}"`);
  return goEqual(left[mergeKey]!, right[mergeKey]!);
}

/**
 * `mergeSlice` for a list the object and the patch both have. `originalAfter` is what the caller's view of the
 * object's list holds afterwards: Go removes `$patch: delete` items in place (`append(s[:i], s[i+1:]...)`)
 * and appends new items into the room that frees, so `mergePatchIntoOriginal`, which orders by that same
 * backing array, sees the shifted items and the first appended ones.
 */
function mergeSlice(schema: PatchSchema, original: Json[], patch: Json[], path: readonly string[], mergeKey: string, deleteList: boolean): { merged: Json[]; originalAfter: Json[] } {
  if (original.length === 0 && patch.length === 0) return { merged: original, originalAfter: original };
  const kind = sliceElementType([original, patch], path);
  if (kind !== 'map') {
    if (deleteList) return { merged: original.filter((v) => !patch.some((d) => goEqual(d, v))), originalAfter: original };
    const merged = deduplicateScalars([...original, ...patch]);
    const parts = mergeKey === '' ? partitionPrimitives(merged, patch) : partitionMaps(merged, patch, mergeKey, path);
    return { merged: normalizeElementOrder(parts.inList, parts.rest, patch, original, mergeKey, kind), originalAfter: original };
  }
  if (mergeKey === '') throw new StrategicFailure(`cannot merge lists without merge key for ${where(path)}`);

  // mergeSliceWithSpecialElements
  const backing = original.slice();
  let length = backing.length;
  const plain: Obj[] = [];
  let replace = false;
  for (const item of patch as Obj[]) {
    if (!has(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(item, mergeKey)) throw new StrategicFailure(`a $patch: delete item of ${where(path)} does not contain the merge key "${mergeKey}"`);
      for (let at = findByMergeKey(backing, length, mergeKey, item[mergeKey]!); at >= 0; at = findByMergeKey(backing, length, mergeKey, item[mergeKey]!)) {
        backing.copyWithin(at, at + 1, length);
        length--;
      }
    } else if (directive === 'replace') {
      replace = true; // the loop goes on, still removing `$patch: delete` items
    } else if (directive === 'merge') {
      throw new StrategicFailure(`merging lists cannot yet be specified in the patch (${where(path)})`);
    } else {
      throw new StrategicFailure(`Unknown patch type: ${JSON.stringify(directive)} in list ${where(path)}`);
    }
  }

  // mergeSliceWithoutSpecialElements
  const working = replace ? plain.slice() : backing;
  let workingLength = replace ? plain.length : length;
  for (const item of replace ? [] : plain) {
    if (!has(item, mergeKey)) throw new StrategicFailure(`an item of ${where(path)} does not contain the merge key "${mergeKey}"`);
    const at = findByMergeKey(working, workingLength, mergeKey, item[mergeKey]!);
    if (at >= 0) working[at] = mergeMap(schema, working[at] as Obj, item, path);
    else working[workingLength++] = item;
  }
  const merged = working.slice(0, workingLength);
  const serverOrder = replace ? merged : backing.slice(0, length);
  const patchOrder = replace ? [] : plain;
  const parts = partitionMaps(merged, patchOrder, mergeKey, path);
  return { merged: normalizeElementOrder(parts.inList, parts.rest, patchOrder, serverOrder, mergeKey, kind), originalAfter: backing.slice(0, original.length) };
}

/** `findMapInSliceBasedOnKeyValue` over the first `length` items. */
function findByMergeKey(list: Json[], length: number, mergeKey: string, value: Json): number {
  for (let i = 0; i < length; i++) {
    const item = list[i]!;
    if (!isObject(item)) throw new StrategicFailure(`value for key ${i} is not a map`);
    if (has(item, mergeKey) && goEqual(item[mergeKey]!, value)) return i;
  }
  return -1;
}

/** `partitionMapsByPresentInList`. */
function partitionMaps(list: Json[], by: Json[], mergeKey: string, path: readonly string[]): { inList: Json[]; rest: Json[] } {
  const inList: Json[] = [];
  const rest: Json[] = [];
  for (const item of list) {
    if (!isObject(item)) throw new StrategicFailure(`an item of ${where(path)} is not a map`);
    if (!has(item, mergeKey)) throw new StrategicFailure(`an item of ${where(path)} does not contain the merge key "${mergeKey}"`);
    (findByMergeKey(by, by.length, mergeKey, item[mergeKey]!) >= 0 ? inList : rest).push(item);
  }
  return { inList, rest };
}

/** `partitionPrimitivesByPresentInList` (a Go map keyed by the values: a map or list as key panics). */
function partitionPrimitives(list: Json[], by: Json[]): { inList: Json[]; rest: Json[] } {
  if (by.some(isContainerValue) || list.some(isContainerValue)) throw new StrategicFailure('a list without merge key holds maps or lists (the server panics)');
  const inList: Json[] = [];
  const rest: Json[] = [];
  for (const item of list) (by.some((b) => goEqual(b, item)) ? inList : rest).push(item);
  return { inList, rest };
}

/** `normalizeElementOrder`: patch items in patch order, the others in server order, then interleaved. */
function normalizeElementOrder(patchItems: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string, kind: GoKind): Json[] {
  const patchSorted = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const serverSorted = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(serverSorted, patchSorted, serverOrder, mergeKey, kind);
}

/**
 * `normalizeSliceOrder`: a stable sort by position in `order`, `$patch: delete` items moved to the end. Go's
 * comparator answers "less" for an item not in `order`, which no merge produces (every item sorted comes from
 * the list it is sorted by), so any stable sort gives Go's result.
 */
function sortByOrder(items: Json[], order: Json[], mergeKey: string, kind: GoKind): Json[] {
  let toSort = items;
  const toDelete: Json[] = [];
  if (kind === 'map') {
    for (const list of [items, order]) {
      for (const item of list) {
        if (!isObject(item)) throw new StrategicFailure('an item of a merged list is not a map');
        if (!has(item, mergeKey)) throw new StrategicFailure(`an item of a merged list does not contain the merge key "${mergeKey}"`);
      }
    }
    toSort = [];
    for (const item of items) ((item as Obj)[DIRECTIVE] === 'delete' && has(item as Obj, DIRECTIVE) ? toDelete : toSort).push(item);
  }
  const ranked = toSort.map((item, at) => ({ item, at, rank: indexIn(order, item, mergeKey, kind) }));
  ranked.sort((a, b) => (a.rank >= 0 && b.rank >= 0 ? a.rank - b.rank : 0) || a.at - b.at);
  return [...ranked.map((r) => r.item), ...toDelete];
}

/** `mergeSortedSlice`: a server-only item goes first only when both it and the patch item are in the old list, in that order. */
function mergeSortedSlice(left: Json[], right: Json[], serverOrder: Json[], mergeKey: string, kind: GoKind): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

/** `index`: position of `value` in `list`, by merge key value for maps. */
function indexIn(list: Json[], value: Json, mergeKey: string, kind: GoKind): number {
  const keyOf = (item: Json): Json => (kind !== 'map' ? item : isObject(item) && has(item, mergeKey) ? item[mergeKey]! : null);
  const wanted = keyOf(value);
  return list.findIndex((item) => goEqual(wanted, keyOf(item)));
}

/** `deduplicateScalars`, including how it reorders: a duplicate is overwritten by the last item. */
function deduplicateScalars(input: Json[]): Json[] {
  const s = input.slice();
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (goEqual(s[i]!, s[j]!)) {
        s[j] = s[length]!;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

type GoKind = 'nil' | 'bool' | 'number' | 'string' | 'list' | 'map';

function goKind(v: Json): GoKind {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'string';
}

/** `sliceElementType`: every item of the lists has one type, not a list; a null first item panics in Go. */
function sliceElementType(lists: Json[][], path: readonly string[]): GoKind {
  let kind: GoKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = goKind(item);
      if (kind === undefined) {
        if (k === 'nil') throw new StrategicFailure(`a null item in the list ${where(path)} (the server panics)`);
        if (k === 'list') throw new StrategicFailure(`lists of lists are not supported (${where(path)})`);
        kind = k;
      } else if (k !== kind) {
        throw new StrategicFailure(`list element types are not identical in ${where(path)}`);
      }
    }
  }
  if (kind === undefined) throw new StrategicFailure(`no elements in any of the given slices (${where(path)})`);
  return kind;
}

/** Go's `==` on two interface{} values: a map or list against one of the same type panics. */
function goEqual(a: Json, b: Json): boolean {
  const kind = goKind(a);
  if (kind !== goKind(b)) return false;
  if (kind === 'map' || kind === 'list') throw new StrategicFailure('comparing uncomparable values (the server panics)');
  return a === b;
}

/** `removeDirectives`: maps carrying `$patch` (at any depth, list items included) are dropped. Changes `value`. */
function removeDirectives(value: Json): { value: Json; keep: boolean } {
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const r = removeDirectives(item);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  if (isObject(value)) {
    if (has(value, DIRECTIVE)) return { value: null, keep: false };
    for (const key of Object.keys(value)) keepOrDrop(value, key, removeDirectives(value[key]!));
  }
  return { value, keep: true };
}

function keepOrDrop(obj: Obj, key: string, r: { value: Json; keep: boolean }): void {
  if (r.keep) define(obj, key, r.value);
  else delete obj[key];
}

/** `extractKey`: `<prefix>/<field>`, anything else is a malformed directive. */
function extractKey(key: string, prefix: string, path: readonly string[]): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw new StrategicFailure(`invalid patch: "${key}" at ${where(path)} is not of the form ${prefix}/<field>`);
  return key.slice(slash + 1);
}

function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function isContainerValue(v: Json): boolean {
  return v !== null && typeof v === 'object';
}

function where(path: readonly string[]): string {
  return path.join('.') || '(root)';
}

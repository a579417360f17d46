import { asDecoded, badPatchType, DIRECTIVE, findByMergeKey, goEqual, type GoType, has, noMergeKey, sliceElementType } from './smp-support';
import { unknownServerError } from './status-errors';
import { isJsonObject, type JsonObject, type JsonValue } from './types';

/**
 * The list half of strategicpatch/patch.go (mergeSlice and the ordering that follows it). Merged
 * lists are not simply "original, then new items": patch items take the patch's order and server-only
 * items are woven back in by their original positions (mergeSortedSlice), so a patch
 * `containers: [{name: new}, {name: app}]` against `[app, sidecar]` yields `[new, app, sidecar]`.
 */

/** Merges two maps (strategic-merge-patch.ts hands in its mergeMap, which recurses back here). */
export type MapMerger = (original: JsonObject, patch: JsonObject, path: readonly string[]) => JsonObject;

/** index(): where `item` sits in `list`, by merge key for maps and by value otherwise. */
function indexIn(list: readonly JsonValue[], item: JsonValue, mergeKey: string, kind: GoType): number {
  const keyOf = (v: JsonValue): JsonValue | undefined => (kind === 'map' ? (isJsonObject(v) ? v[mergeKey] : null) : v);
  const wanted = keyOf(item);
  return list.findIndex((v) => goEqual(keyOf(v), wanted));
}

function requireMergeKeys(mergeKey: string, ...lists: readonly (readonly JsonValue[])[]): void {
  for (const list of lists) {
    for (const v of list) {
      if (!isJsonObject(v)) throw unknownServerError(`expected a map[string]interface {}, but received a ${Array.isArray(v) ? '[]interface {}' : typeof v}`);
      if (!has(v, mergeKey)) throw noMergeKey(v, mergeKey);
    }
  }
}

/** normalizeSliceOrder: sort by `order` (sort.SliceStable with patch.go's less), `$patch: delete` items last. */
function normalizeSliceOrder(toSort: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string, kind: GoType): JsonValue[] {
  let items = [...toSort];
  const deleted: JsonValue[] = [];
  if (kind === 'map') {
    requireMergeKeys(mergeKey, toSort, order);
    items = items.filter((v) => !(isJsonObject(v) && v[DIRECTIVE] === 'delete' && deleted.push(v) > 0));
  }
  const less = (a: JsonValue, b: JsonValue): boolean => {
    const ia = indexIn(order, a, mergeKey, kind);
    const ib = ia >= 0 ? indexIn(order, b, mergeKey, kind) : -1;
    return ia >= 0 && ib >= 0 ? ia < ib : true;
  };
  // Go's stable sort is an insertion sort for short lists; the same loop keeps ties where Go keeps them.
  for (let i = 1; i < items.length; i++) {
    for (let j = i; j > 0 && less(items[j]!, items[j - 1]!); j--) [items[j], items[j - 1]] = [items[j - 1]!, items[j]!];
  }
  return [...items, ...deleted];
}

/** mergeSortedSlice: weaves server-only items (left) into patch items (right) by the live order. */
function mergeSortedSlice(left: readonly JsonValue[], right: readonly JsonValue[], serverOrder: readonly JsonValue[], mergeKey: string, kind: GoType): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]!);
    else if (i >= left.length) out.push(right[j++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

/** normalizeElementOrder: patch items by `patchOrder`, server-only ones by `serverOrder`, woven together. */
export function normalizeElementOrder(patchItems: readonly JsonValue[], serverOnly: readonly JsonValue[], patchOrder: readonly JsonValue[], serverOrder: readonly JsonValue[], mergeKey: string, kind: GoType): JsonValue[] {
  const p = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** partitionMapsByPresentInList / partitionPrimitivesByPresentInList. */
export function partitionByPresence(merged: readonly JsonValue[], by: readonly JsonValue[], mergeKey: string): { inPatch: JsonValue[]; serverOnly: JsonValue[] } {
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of merged) {
    let found: boolean;
    if (mergeKey) {
      if (!isJsonObject(v)) throw unknownServerError(`expected a map[string]interface {}, but received a ${typeof v}`);
      if (!has(v, mergeKey)) throw noMergeKey(v, mergeKey);
      found = findByMergeKey(by, mergeKey, v[mergeKey]!) >= 0;
    } else found = by.some((b) => goEqual(b, v));
    (found ? inPatch : serverOnly).push(v);
  }
  return { inPatch, serverOnly };
}

/** mergeSliceWithSpecialElements: `$patch: delete|replace` items; `merge` and others are errors. */
function applySpecialElements(original: JsonValue[], patch: readonly JsonValue[], mergeKey: string): { original: JsonValue[]; patch: JsonValue[] } {
  const plain: JsonValue[] = [];
  let replace = false;
  let list = original;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
      // Every item with that key goes, not just the first.
      list = list.filter((o) => !(isJsonObject(o) && has(o, mergeKey) && goEqual(o[mergeKey], item[mergeKey])));
      findByMergeKey(list, mergeKey, item[mergeKey]!); // Go walks the list and refuses non-map items
    } else if (directive === 'replace') replace = true;
    else if (directive === 'merge') throw unknownServerError('merging lists cannot yet be specified in the patch');
    else throw badPatchType(directive, item);
  }
  return replace ? { original: plain, patch: [] } : { original: list, patch: plain };
}

/** deleteFromSlice: the `$deleteFromPrimitiveList/<list>` parallel list. */
function deleteFromSlice(current: readonly JsonValue[], toDelete: readonly JsonValue[]): JsonValue[] {
  return current.filter((v) => !toDelete.some((d) => goEqual(d, v)));
}

/** deduplicateScalars, order aside (the ordering step that follows fixes the order). */
function dedupe(list: readonly JsonValue[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of list) if (!out.some((o) => goEqual(o, v))) out.push(v);
  return out;
}

/**
 * mergeSlice: merges a list whose field has `patchStrategy:"merge"` (or a delete list). `path` names
 * the list field, for the merge of matching items.
 */
export function mergeSlice(original: JsonValue[], patch: JsonValue[], mergeKey: string, isDeleteList: boolean, path: readonly string[], mergeMap: MapMerger): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType(original, patch);
  let merged: JsonValue[];
  let orderBy = patch;
  let base = original;
  if (kind !== 'map') {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw unknownServerError(`cannot merge lists without merge key for ${path[path.length - 1] ?? ''}`);
    const special = applySpecialElements(original, patch, mergeKey);
    base = special.original;
    orderBy = special.patch;
    merged = [...base];
    for (const v of orderBy) {
      const item = v as JsonObject;
      if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const at = findByMergeKey(merged, mergeKey, item[mergeKey]!);
      // A new item is appended as sent; Go drops its `$` keys when decoding it into the struct.
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, path);
      else merged.push(asDecoded(item));
    }
  }
  const { inPatch, serverOnly } = partitionByPresence(merged, orderBy, kind === 'map' ? mergeKey : '');
  return normalizeElementOrder(inPatch, serverOnly, orderBy, base, kind === 'map' ? mergeKey : '', kind);
}

import type { Json, PatchResult } from './apply-json-patch';

/**
 * JSON merge patch (`application/merge-patch+json`) exactly as the API server applies it: with evanphx/json-patch
 * v4 `MergePatch` (`merge.go`), which is RFC 7386 with one difference. Objects merge key by key, `null`
 * deletes, anything else (lists included) replaces; but a value written where the document had no object (the
 * key missing, null, a list or a scalar) first has its nulls pruned at every depth, inside lists too
 * (`pruneNulls`, `pruneAryNulls`): `{"a":[{"x":null,"y":1}]}` writes `[{"y":1}]` where RFC 7386 keeps the null.
 * A list written over an object is taken as sent (`merge` returns the patch when `patch.intoDoc()` fails).
 *
 * The server requires the patch to be an object (fieldValidation decodes it into a map: 400; `null` is
 * `ErrBadJSONPatch`). Pure: the input document is not changed.
 */
export function applyMergePatch(document: Json, patch: unknown): PatchResult {
  if (!isObject(patch)) return { error: 'a merge patch must be a JSON object' };
  const doc = isObject(document) ? structuredClone(document) : {};
  mergeDocs(doc, structuredClone(patch));
  return { value: doc };
}

/** v4 `merge(cur, patch)`: merges `patch` into `target` and returns the result (both may be changed). */
export function mergeValue(target: Json | undefined, patch: Json): Json {
  if (!isObject(target)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  mergeDocs(target, patch);
  return target;
}

function mergeDocs(doc: { [key: string]: Json }, patch: { [key: string]: Json }): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) {
      delete doc[key];
      continue;
    }
    const current = Object.prototype.hasOwnProperty.call(doc, key) ? doc[key]! : null;
    define(doc, key, current === null ? pruneNulls(value) : mergeValue(current, value));
  }
}

/** v4 `pruneNulls`: drops null object members at every depth (null list elements stay). Changes `value`. */
export function pruneNulls(value: Json): Json {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null) pruneNulls(item);
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === null) delete value[key];
      else pruneNulls(value[key]!);
    }
  }
  return value;
}

/** A JSON object (not a list, not null). */
export function isObject(v: unknown): v is { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sets an own key without invoking setters (so `__proto__` is a plain key). */
export function define(obj: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

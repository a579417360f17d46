import type { Json, PatchResult } from './apply-json-patch';

/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`), as evanphx/json-patch's `MergePatch` applies it
 * for the API server: objects merge key by key, `null` deletes, anything else (lists included) replaces.
 * The server requires the patch to be an object.
 */
export function applyMergePatch(document: Json, patch: unknown): PatchResult {
  if (!isObject(patch)) return { error: 'a merge patch must be a JSON object' };
  return { value: mergeValue(structuredClone(document), patch as Json) };
}

/** Merges `patch` into `target` (which may be changed); returns the result. */
export function mergeValue(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: { [key: string]: Json } = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) delete out[key];
    else define(out, key, mergeValue(Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined, value));
  }
  return out;
}

/** A JSON object (not a list, not null). */
export function isObject(v: unknown): v is { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sets an own key without invoking setters (so `__proto__` is a plain key). */
export function define(obj: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

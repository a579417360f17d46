import { applyJsonPatch, type Json, type PatchResult } from './apply-json-patch';
import { applyMergePatch, define, isObject } from './apply-merge-patch';
import { applyStrategicMergePatch } from './apply-strategic-merge-patch';
import { listStrategy } from './patch-strategy';
import { releaseAppliedFields } from './release-applied-fields';

/** The patch content types the API server accepts, by Gatehouse's short names. */
export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

/**
 * The object the API server would store for a patch of `live` (null when the object does not exist yet: only
 * server-side apply creates then). Fields the server owns (status, resourceVersion) are not recomputed;
 * policy only needs what the patch can change.
 *
 * Server-side apply is modelled as the applied configuration merged into the live object (keyed lists merged
 * on their keys, atomic lists replaced), then the fields this field manager applied before, leaves out now and
 * nobody else owns are removed, as the server does (`releaseAppliedFields`).
 */
export function applyPatch(live: Json | null, patch: unknown, kind: PatchKind, options: { readonly fieldManager?: string } = {}): PatchResult {
  if (live === null) {
    if (kind !== 'apply') return { error: 'the object does not exist' };
    return isObject(patch) ? { value: structuredClone(patch as Json) } : { error: 'an apply patch must be an object' };
  }
  switch (kind) {
    case 'json':
      return storable(applyJsonPatch(live, patch));
    case 'merge':
      return storable(applyMergePatch(live, patch));
    case 'strategic':
      return applyStrategicMergePatch(live, patch);
    case 'apply':
      if (!isObject(patch)) return { error: 'an apply patch must be an object' };
      return { value: releaseAppliedFields(applyConfiguration(structuredClone(live), patch as Json, []), patch as Json, live, options.fieldManager) };
  }
}

/** The server decodes the patched JSON into the typed object: a JSON patch that made it a list fails there (422). */
function storable(result: PatchResult): PatchResult {
  return 'value' in result && !isObject(result.value) ? { error: 'the patched document is not a JSON object' } : result;
}

function applyConfiguration(live: Json | undefined, applied: Json, path: readonly string[]): Json {
  if (isObject(applied)) {
    const out = isObject(live) ? live : {};
    for (const key of Object.keys(applied)) {
      const value = applied[key]!;
      if (value === null) delete out[key];
      else define(out, key, applyConfiguration(Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined, value, [...path, key]));
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const strategy = listStrategy(path);
    if (!strategy.merge || !Array.isArray(live)) return structuredClone(applied);
    const result = live;
    for (const item of applied) {
      const key = strategy.mergeKey;
      const at = key === undefined
        ? result.findIndex((r) => JSON.stringify(r) === JSON.stringify(item))
        : result.findIndex((r) => isObject(r) && isObject(item) && JSON.stringify(r[key]) === JSON.stringify(item[key]));
      if (at < 0) result.push(structuredClone(item));
      else if (key !== undefined) result[at] = applyConfiguration(result[at], item, path);
    }
    return result;
  }
  return applied;
}

import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './types';

/**
 * Applies an RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a member, anything
 * else (arrays included) replaces. This is what `kubectl patch --type=merge` and custom resources use.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

import { yaml as yamlLibrary } from '../lazy-yaml';
import { hasDuplicateJsonKeys } from './json-duplicate-keys';
import { jsonPatchToSparse } from './json-patch-to-sparse';
import type { BodyInput } from './policy-types';

/**
 * Decodes a request body for policy evaluation, by content type:
 * - `application/json`, `application/yaml`: the object as sent;
 * - `application/json-patch+json`: the sparse object of written values (`patchType: 'json'`), and the operations
 *   as `patch` for applying them to the live object (`applyPatch`);
 * - `application/merge-patch+json`, `application/strategic-merge-patch+json`: the patch itself, which already is
 *   the sparse object of written values (`merge`, `strategic`);
 * - `application/apply-patch+yaml` (server-side apply): the intended object (`apply`).
 * Everything else (protobuf, CBOR, unknown types), invalid syntax, YAML streams of several documents (the API
 * server takes one object per request, so a second document would be a way to hide content) are `undecodable`: a body rule then refuses the request instead of guessing.
 * YAML is read as YAML 1.1, like the API server's decoder, so `privileged: yes` means true here too. Duplicate
 * keys (JSON or YAML) make a body undecodable: Go merges repeated objects where JSON.parse keeps the last one.
 */
export function decodeRequestBody(contentType: string, body: Buffer): BodyInput {
  if (body.length === 0) return { state: 'none' };
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  const undecodable: BodyInput = { state: 'undecodable', contentType: mediaType || contentType };
  const text = body.toString('utf8');
  switch (mediaType) {
    case 'application/json':
      return json(text, undecodable);
    case 'application/merge-patch+json':
      return json(text, undecodable, 'merge');
    case 'application/strategic-merge-patch+json':
      return json(text, undecodable, 'strategic');
    case 'application/json-patch+json': {
      const parsed = json(text, undecodable);
      if (parsed.state !== 'decoded') return parsed;
      if (!Array.isArray(parsed.value)) return undecodable;
      // The sparse view serves when the live object is not known (policy test on records); copy/move from
      // existing state has none, and is judged only on the live object with the patch applied.
      const sparse = jsonPatchToSparse(parsed.value);
      return { state: 'decoded', value: 'error' in sparse ? undefined : sparse.value, patchType: 'json', patch: parsed.value };
    }
    case 'application/yaml':
      return yaml(text, undecodable);
    case 'application/apply-patch+yaml':
      return yaml(text, undecodable, 'apply');
    default:
      return undecodable;
  }
}

function json(text: string, undecodable: BodyInput, patchType?: 'merge' | 'strategic'): BodyInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undecodable;
  }
  if (hasDuplicateJsonKeys(text)) return undecodable;
  return patchType ? { state: 'decoded', value, patchType, patch: value } : { state: 'decoded', value };
}

function yaml(text: string, undecodable: BodyInput, patchType?: 'apply'): BodyInput {
  // go-yaml (sigs.k8s.io/yaml) decodes an unquoted timestamp into interface{} as a string, not a time.
  const docs = yamlLibrary().parseAllDocuments(text, { version: '1.1', uniqueKeys: true, customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp') });
  if (!Array.isArray(docs)) return { state: 'none' };
  const real = docs.filter((d) => d.contents !== null);
  if (real.length !== 1 || real[0].errors.length > 0) return real.length === 0 && docs.every((d) => d.errors.length === 0) ? { state: 'none' } : undecodable;
  try {
    const value: unknown = real[0].toJS({ maxAliasCount: 100 });
    return patchType ? { state: 'decoded', value, patchType, patch: value } : { state: 'decoded', value };
  } catch {
    return undecodable;
  }
}

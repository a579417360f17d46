import { MAX_JSON_PATCH_OPERATIONS } from './apply-json-patch';
import type { PatchKind } from './apply-patch';

/**
 * Adds an optimistic-concurrency precondition to a patch body, so the API server applies it only to the
 * object version Gatehouse read and judged: between Gatehouse's read and the server's write, another request
 * could change the object so that the same patch writes something else (`/spec/containers/-1` then names
 * another container). The server answers 409 Conflict (merge, strategic, apply: `metadata.resourceVersion`
 * in the patch) or 422 (JSON patch: a failed `test` operation) instead of writing, and clients retry.
 *
 * The body is edited as bytes, never re-serialized, so every other byte (large numbers, key order, escapes,
 * even invalid UTF-8) reaches the server as sent. Returns undefined when no precondition can be added, and
 * the caller must then refuse rather than forward an unguarded patch:
 * - the body is not JSON (a YAML apply body), or not an array (JSON patch) / object (the others);
 * - a JSON patch already has the server's maximum of operations (one more would be a 413);
 * - `metadata` is not an object (`metadata: null` would delete the precondition again);
 * - `metadata` or `metadata.resourceVersion` appears twice (Go keeps the last, other readers the first);
 * - the client's own `metadata.resourceVersion` is not the version judged (a newer one would make the server
 *   apply the patch to an object Gatehouse never saw; null would remove the precondition);
 * - strategic merge: `$deleteFromPrimitiveList/metadata` or `$deleteFromPrimitiveList/resourceVersion`, which
 *   the server merges into the same field as ours, in an order it does not fix.
 */
export function withResourceVersionPrecondition(body: Buffer, kind: PatchKind, resourceVersion: string): Buffer | undefined {
  if (resourceVersion === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  // latin1 maps each byte to one character: offsets are byte offsets, and JSON's structure is all ASCII.
  const text = body.toString('latin1');
  const start = firstNonSpace(text, 0);
  const rv = JSON.stringify(resourceVersion);
  if (kind === 'json') {
    if (!Array.isArray(parsed) || parsed.length >= MAX_JSON_PATCH_OPERATIONS) return undefined;
    const test = `{"op":"test","path":"/metadata/resourceVersion","value":${rv}}`;
    return insertAfter(body, start, test, parsed.length > 0);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const root = members(text, start);
  if (kind === 'strategic' && root.some((m) => m.key === '$deleteFromPrimitiveList/metadata')) return undefined;
  const metadata = root.filter((m) => m.key === 'metadata');
  if (metadata.length > 1) return undefined;
  if (metadata.length === 0) return insertAfter(body, start, `"metadata":{"resourceVersion":${rv}}`, root.length > 0);
  const open = metadata[0]!.valueStart;
  if (text[open] !== '{') return undefined;
  const inner = members(text, open);
  if (kind === 'strategic' && inner.some((m) => m.key === '$deleteFromPrimitiveList/resourceVersion')) return undefined;
  const own = inner.filter((m) => m.key === 'resourceVersion');
  if (own.length > 1) return undefined;
  if (own.length === 1) return JSON.parse(valueText(text, own[0]!.valueStart)) === resourceVersion ? body : undefined;
  return insertAfter(body, open, `"resourceVersion":${rv}`, inner.length > 0);
}

/** `body` with `insert` (and a comma when the container was not empty) right after the byte at `open`. */
function insertAfter(body: Buffer, open: number, insert: string, comma: boolean): Buffer {
  return Buffer.concat([body.subarray(0, open + 1), Buffer.from(comma ? `${insert},` : insert, 'utf8'), body.subarray(open + 1)]);
}

interface Member {
  readonly key: string;
  readonly valueStart: number;
}

/** The members of the JSON object whose `{` is at `open` (the text is known to be valid JSON). */
function members(text: string, open: number): Member[] {
  const out: Member[] = [];
  let i = firstNonSpace(text, open + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(Buffer.from(text.slice(i, keyEnd), 'latin1').toString('utf8')) as string;
    const valueStart = firstNonSpace(text, firstNonSpace(text, keyEnd) + 1);
    out.push({ key, valueStart });
    i = firstNonSpace(text, skipValue(text, valueStart));
    if (text[i] === ',') i = firstNonSpace(text, i + 1);
  }
  return out;
}

function valueText(text: string, start: number): string {
  return Buffer.from(text.slice(start, skipValue(text, start)), 'latin1').toString('utf8');
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \t\r\n'.includes(text[j]!)) j++;
  return j;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** JSON whitespace: space, tab, line feed, carriage return. */
function firstNonSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

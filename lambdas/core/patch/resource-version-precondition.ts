import type { PatchKind } from './apply-patch';

/**
 * Adds an optimistic-concurrency precondition to a patch body, so the API server applies it only to the
 * object version Gatehouse read and judged: between Gatehouse's read and the server's write, another request
 * could change the object so that the same patch writes something else (`/spec/containers/-1` then names
 * another container). The server answers 409 Conflict (merge, strategic, apply: `metadata.resourceVersion`
 * in the patch) or 422 (JSON patch: a failed `test` operation) instead of writing, and clients retry.
 *
 * The body is edited as text, never re-serialized, so every other byte (large numbers, key order) reaches the
 * server as sent. Returns undefined when no precondition can be added (e.g. `metadata: null`, a YAML body):
 * the caller must then refuse rather than forward an unguarded patch.
 */
export function withResourceVersionPrecondition(body: Buffer, kind: PatchKind, resourceVersion: string): Buffer | undefined {
  if (resourceVersion === '') return undefined;
  const text = body.toString('utf8');
  const start = firstNonSpace(text, 0);
  const rv = JSON.stringify(resourceVersion);
  if (kind === 'json') {
    if (text[start] !== '[') return undefined;
    const test = `{"op":"test","path":"/metadata/resourceVersion","value":${rv}}`;
    const empty = text[firstNonSpace(text, start + 1)] === ']';
    return Buffer.from(`${text.slice(0, start + 1)}${test}${empty ? '' : ','}${text.slice(start + 1)}`, 'utf8');
  }
  if (text[start] !== '{') return undefined;
  const metadata = members(text, start).find((m) => m.key === 'metadata');
  if (!metadata) {
    const empty = text[firstNonSpace(text, start + 1)] === '}';
    return Buffer.from(`${text.slice(0, start + 1)}"metadata":{"resourceVersion":${rv}}${empty ? '' : ','}${text.slice(start + 1)}`, 'utf8');
  }
  if (text[metadata.valueStart] !== '{') return undefined;
  // The client's own precondition stays: the server checks it, and it is stricter than or equal to ours.
  if (members(text, metadata.valueStart).some((m) => m.key === 'resourceVersion')) return body;
  const open = metadata.valueStart;
  const empty = text[firstNonSpace(text, open + 1)] === '}';
  return Buffer.from(`${text.slice(0, open + 1)}"resourceVersion":${rv}${empty ? '' : ','}${text.slice(open + 1)}`, 'utf8');
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
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = firstNonSpace(text, firstNonSpace(text, keyEnd) + 1);
    out.push({ key, valueStart });
    i = firstNonSpace(text, skipValue(text, valueStart));
    if (text[i] === ',') i = firstNonSpace(text, i + 1);
  }
  return out;
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

function firstNonSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

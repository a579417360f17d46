/**
 * Field paths for generic body conditions: `spec.template.spec.serviceAccountName`, `metadata.annotations["a.b/c"]`,
 * `spec.containers.*.image`. Arrays are walked through transparently (like kubectl's JSONPath with `[*]`), so
 * `spec.containers.image` reaches every container's image; `*` is any key of an object.
 */

/** Marker for a `*` segment. */
export const ANY_KEY: unique symbol = Symbol('any-key');

/** A parsed path: keys, or ANY_KEY. */
export type FieldPath = readonly (string | typeof ANY_KEY)[];

/** Parses a path, or says what is wrong with it. */
export function parseFieldPath(text: string): { readonly path: FieldPath } | { readonly error: string } {
  const path: (string | typeof ANY_KEY)[] = [];
  let i = 0;
  const fail = (what: string) => ({ error: `bad path "${text}": ${what}` });
  if (text.length === 0) return fail('empty');
  while (i < text.length) {
    if (text[i] === '[') {
      if (text.startsWith('[*]', i)) {
        path.push(ANY_KEY);
        i += 3;
      } else if (text[i + 1] === '"') {
        const close = text.indexOf('"]', i + 2);
        if (close < 0) return fail(`unterminated ["..."] at ${i}`);
        path.push(text.slice(i + 2, close));
        i = close + 2;
      } else {
        return fail(`expected [*] or ["key"] at ${i}`);
      }
    } else {
      let j = i;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      const key = text.slice(i, j);
      if (key.length === 0) return fail(`empty segment at ${i}`);
      path.push(key === '*' ? ANY_KEY : key);
      i = j;
    }
    if (i < text.length && text[i] === '.') {
      i++;
      if (i === text.length) return fail('ends with "."');
    } else if (i < text.length && text[i] !== '[') {
      return fail(`unexpected "${text[i]}" at ${i}`);
    }
  }
  return { path };
}

/**
 * Every value the path reaches from `root`, with arrays flattened (also at the end). A `*` (or `[*]`) on a list
 * selects its elements, as kubectl's JSONPath does, so `spec.containers[*].image` and `spec.containers.*.image`
 * reach every container's image just as `spec.containers.image` does; on an object it selects every value.
 */
export function valuesAtPath(root: unknown, path: FieldPath): unknown[] {
  let current: unknown[] = [root];
  for (const segment of path) {
    const next: unknown[] = [];
    const objects: unknown[] = [];
    for (const value of current) {
      if (segment === ANY_KEY && Array.isArray(value)) for (const element of value) next.push(element);
      else objects.push(value);
    }
    for (const value of flatten(objects)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      if (segment === ANY_KEY) {
        for (const key of Object.keys(value)) next.push((value as Record<string, unknown>)[key]);
      } else if (Object.prototype.hasOwnProperty.call(value, segment)) {
        next.push((value as Record<string, unknown>)[segment]);
      }
    }
    current = next;
  }
  return flatten(current);
}

function flatten(values: unknown[]): unknown[] {
  if (!values.some(Array.isArray)) return values;
  const out: unknown[] = [];
  const stack = [...values].reverse();
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) for (let k = v.length - 1; k >= 0; k--) stack.push(v[k]);
    else out.push(v);
  }
  return out;
}

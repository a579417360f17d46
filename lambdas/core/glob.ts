const compiled = new Map<string, (value: string) => boolean>();
const MAX_CACHED = 2000;

/**
 * Compiles a glob where `*` matches any run of characters (including none) and everything else is
 * literal. Used for agent, group and namespace patterns in grants. Anchored, and free of nested
 * quantifiers, so matching cannot backtrack badly. Compiled patterns are memoised because the same
 * grants are matched on every request of a warm Lambda.
 */
export function compileGlob(pattern: string): (value: string) => boolean {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  let matcher: (value: string) => boolean;
  if (!pattern.includes('*')) matcher = (value) => value === pattern;
  else if (pattern === '*') matcher = () => true;
  else {
    const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    const regex = new RegExp(`^${source}$`, 's');
    matcher = (value) => regex.test(value);
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, matcher);
  return matcher;
}

/**
 * Globs where `*` matches any run of characters (including none) and every other character is literal, the
 * same syntax grants use. Matching is done without regular expressions: a star-only glob can be matched
 * greedily left to right in linear time, and nothing a client sends can make it backtrack.
 */

/** A compiled glob. */
export type Glob = (value: string) => boolean;

/** Compiles one glob. */
export function compileGlob(pattern: string): Glob {
  if (pattern === '*') return () => true;
  const parts = pattern.split('*');
  if (parts.length === 1) return (value) => value === pattern;
  const prefix = parts[0];
  const suffix = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const fixed = prefix.length + suffix.length;
  return (value) => {
    if (value.length < fixed || !value.startsWith(prefix) || !value.endsWith(suffix)) return false;
    let at = prefix.length;
    const end = value.length - suffix.length;
    for (const part of middle) {
      const found = value.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/** A list of globs compiled once: exact names go to a Set so the common case is one lookup. */
export interface GlobSet {
  /** True when the list contains `*`. */
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly Glob[];
}

/** Compiles a list of globs. */
export function compileGlobSet(patterns: readonly string[]): GlobSet {
  const exact = new Set<string>();
  const globs: Glob[] = [];
  let any = false;
  for (const p of patterns) {
    if (p === '*') any = true;
    else if (p.includes('*')) globs.push(compileGlob(p));
    else exact.add(p);
  }
  return { any, exact, globs };
}

/** True when `value` matches any glob of the set. */
export function globSetMatches(set: GlobSet, value: string): boolean {
  if (set.any || set.exact.has(value)) return true;
  for (const g of set.globs) if (g(value)) return true;
  return false;
}

/** True when the set contains a `*` anywhere (so it cannot be indexed by exact value). */
export function globSetHasWildcards(set: GlobSet): boolean {
  return set.any || set.globs.length > 0;
}

/**
 * What is wrong with a glob, if anything. Rejects what people write when they think in regular expressions
 * (`prod.*`, `^prod$`, `[a-z]`, `?`) because those would silently match nothing.
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern.includes('**')) return `bad glob "${pattern}": use a single * (it already matches any run of characters)`;
  if (pattern.includes('.*')) return `bad glob "${pattern}": looks like a regular expression; globs use * alone (write "prod-*", not "prod-.*")`;
  if (pattern.startsWith('^') || (pattern.endsWith('$') && pattern.length > 1)) {
    return `bad glob "${pattern}": globs are always anchored; drop ^ and $`;
  }
  const bad = /[[\](){}|\\?]/.exec(pattern);
  if (bad) return `bad glob "${pattern}": "${bad[0]}" is not supported; the only wildcard is *`;
  return undefined;
}

import { CredentialPattern, MASKED_VALUE } from './credential-patterns';

interface ValuePattern {
  readonly id: string;
  readonly regex: RegExp;
  readonly hints: readonly string[] | null;
  readonly minLength: number;
  readonly hasSecretGroup: boolean;
}

interface KeyedPattern {
  readonly id: string;
  readonly keyNames: RegExp;
  readonly test: RegExp;
  readonly hints: readonly string[] | null;
}

/** Credential patterns compiled once, with the prefilters derived from their hints. */
export interface CompiledPatterns {
  readonly value: readonly ValuePattern[];
  readonly keyed: readonly KeyedPattern[];
  /** Any value-pattern hint, case-insensitive, global; null when some pattern has none (then every pattern runs). */
  readonly valueHint: RegExp | null;
  /** Any keyed-pattern hint, case-insensitive, global; finds the lines where `KEY=value` scanning is worth it. */
  readonly keyHint: RegExp | null;
  readonly minLength: number;
  /** Key name -> keyed patterns that apply to it (keys repeat a lot: env var names, annotation keys). */
  readonly keyCache: Map<string, readonly KeyedPattern[]>;
}

const MAX_KEY_CACHE = 10_000;

/** Compiles credential patterns (string regexes get the `g` flag for value patterns, `i` for key names). */
export function compileCredentialPatterns(patterns: readonly CredentialPattern[]): CompiledPatterns {
  const value: ValuePattern[] = [];
  const keyed: KeyedPattern[] = [];
  for (const p of patterns) {
    const source = typeof p.regex === 'string' ? p.regex : p.regex.source;
    const flags = typeof p.regex === 'string' ? '' : p.regex.flags.replace(/[gyd]/g, '');
    const hints = p.hints && p.hints.length > 0 ? p.hints.map((h) => h.toLowerCase()) : null;
    if (p.keyNames !== undefined) {
      const keyNames = typeof p.keyNames === 'string' ? new RegExp(p.keyNames, 'i') : new RegExp(p.keyNames.source, p.keyNames.flags.replace(/[gy]/g, ''));
      keyed.push({ id: p.id, keyNames, test: new RegExp(source, flags), hints });
    } else {
      const hasSecretGroup = source.includes('(?<secret>');
      value.push({ id: p.id, regex: new RegExp(source, `${flags}g${hasSecretGroup ? 'd' : ''}`), hints, minLength: p.minLength ?? 1, hasSecretGroup });
    }
  }
  const anyOf = (list: readonly { hints: readonly string[] | null }[]) =>
    list.length === 0 || list.some((p) => p.hints === null) ? null : [...new Set(list.flatMap((p) => p.hints as string[]))];
  const valueHints = anyOf(value);
  const keyHints = anyOf(keyed);
  return {
    value,
    keyed,
    valueHint: valueHints ? alternation(valueHints) : null,
    keyHint: keyHints ? alternation(keyHints) : null,
    minLength: Math.min(...value.map((p) => p.minLength), keyed.length > 0 ? 3 : Infinity),
    keyCache: new Map(),
  };
}

function alternation(words: readonly string[]): RegExp {
  return new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
}

/** Counts of masked values per pattern id. */
export type MaskCounts = Record<string, number>;

/** Adds one (or n) to a count. */
export function bump(counts: MaskCounts, id: string, n = 1): void {
  counts[id] = (counts[id] ?? 0) + n;
}

/** `dbPassword`, `DB-PASSWORD`, `db.password` -> `db_password`: one spelling for key-name patterns. */
export function normalizeKeyName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** The keyed patterns whose key names match `key`. */
export function keyedPatternsFor(key: string, compiled: CompiledPatterns): readonly KeyedPattern[] {
  const cached = compiled.keyCache.get(key);
  if (cached) return cached;
  let found: KeyedPattern[] = [];
  if (compiled.keyed.length > 0) {
    const normalized = normalizeKeyName(key);
    found = compiled.keyed.filter((p) => (p.hints === null || p.hints.some((h) => normalized.includes(h))) && p.keyNames.test(normalized));
  }
  if (compiled.keyCache.size >= MAX_KEY_CACHE) compiled.keyCache.clear();
  compiled.keyCache.set(key, found);
  return found;
}

/**
 * Masks one string. With a key (a JSON key, or the `name` of a `{name, value}` pair) whose name announces a
 * credential, the whole value is replaced; otherwise credential patterns are searched inside it and
 * `KEY=value` / `key: value` pairs in it are checked (config files in ConfigMaps, log lines, annotations).
 */
export function maskString(s: string, key: string | undefined, compiled: CompiledPatterns, counts: MaskCounts): string {
  if (key !== undefined && s.length > 0 && s !== MASKED_VALUE) {
    for (const p of keyedPatternsFor(key, compiled)) {
      if (p.test.test(s)) {
        bump(counts, p.id);
        return MASKED_VALUE;
      }
    }
  }
  return maskText(s, compiled, counts);
}

/** Masks credential patterns and credential key/value pairs in free text. */
export function maskText(s: string, compiled: CompiledPatterns, counts: MaskCounts): string {
  if (s.length < compiled.minLength) return s;
  let out = s;
  const present = compiled.valueHint ? hintsIn(s, compiled.valueHint) : undefined;
  if (present === undefined || present.size > 0) {
    for (const p of compiled.value) {
      if (out.length < p.minLength || (present && p.hints !== null && !p.hints.some((h) => present.has(h)))) continue;
      out = replaceMatches(out, p, counts);
    }
  }
  if (compiled.keyed.length > 0 && (out.includes('=') || out.includes(':'))) {
    const ranges = compiled.keyHint ? hintedLines(out, compiled.keyHint) : [[0, out.length] as const];
    if (ranges.length > 0) out = maskKeyValues(out, ranges, compiled, counts);
  }
  return out;
}

/**
 * The (lower-cased) hints present in `s`, in one case-insensitive pass. Each search resumes one character after
 * the previous hit, so overlapping hints ("akiasia") are all seen.
 */
function hintsIn(s: string, hint: RegExp): ReadonlySet<string> {
  hint.lastIndex = 0;
  let m = hint.exec(s);
  if (m === null) return NO_HINTS; // the common case for the many short strings of an object: no allocation
  const found = new Set<string>();
  while (m !== null) {
    found.add(m[0].toLowerCase());
    hint.lastIndex = m.index + 1;
    m = hint.exec(s);
  }
  return found;
}

const NO_HINTS: ReadonlySet<string> = new Set();

function replaceMatches(s: string, p: ValuePattern, counts: MaskCounts): string {
  const re = p.regex;
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    let start = m.index;
    let end = start + m[0].length;
    const group = p.hasSecretGroup ? m.indices?.groups?.secret : undefined;
    if (group) [start, end] = group;
    if (s.slice(start, end) === MASKED_VALUE) continue;
    out += s.slice(last, start) + MASKED_VALUE;
    last = end;
    bump(counts, p.id);
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * `key = value`, `key: value`, `"key": "value"`, `--key=value`. The key must start at a token boundary and the
 * unquoted value is a single token, so each attempt is short; `d` gives the value's position.
 */
const KEY_VALUE = /(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.-]{0,63})["']?[ \t]*([:=])[ \t]*(?:"([^"\r\n]{0,4096})"|'([^'\r\n]{0,4096})'|([^\s"'{[,;&}\])][^\s"',;&}\])]*))/dg;

/** Only lines that contain a key hint can hold a credential key, so a large log is scanned only where it matters. */
function maskKeyValues(text: string, ranges: readonly (readonly [number, number])[], compiled: CompiledPatterns, counts: MaskCounts): string {
  let out = '';
  let last = 0;
  for (const [from, to] of ranges) {
    const line = from === 0 && to === text.length ? text : text.slice(from, to);
    const re = KEY_VALUE;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) {
      const valueGroup = m.indices?.[3] ?? m.indices?.[4] ?? m.indices?.[5];
      if (!valueGroup) break;
      let [start, end] = valueGroup;
      const patterns = keyedPatternsFor(m[1], compiled);
      if (patterns.length === 0) {
        re.lastIndex = Math.max(start, m.index + 1); // a value may itself hold pairs: `msg="password=x"`
        continue;
      }
      // `key: value with spaces` (YAML, log prose): the value runs to the end of the line, minus a comment.
      if (m[5] !== undefined && m[2] === ':') end = lineValueEnd(line, start);
      re.lastIndex = Math.max(end, m.index + 1);
      const value = line.slice(start, end);
      const p = value === MASKED_VALUE ? undefined : patterns.find((q) => q.test.test(value));
      if (!p) continue;
      out += text.slice(last, from + start) + MASKED_VALUE;
      last = from + end;
      bump(counts, p.id);
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

function lineValueEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  const line = text.slice(start, end);
  const comment = line.search(/\s#/);
  let cut = comment >= 0 ? comment : line.length;
  while (cut > 0 && /[\s,;}\]]/.test(line[cut - 1])) cut--;
  return start + Math.max(cut, 1);
}

/** Line ranges containing any hint, in order, each line once. */
function hintedLines(text: string, hint: RegExp): (readonly [number, number])[] {
  const ranges: [number, number][] = [];
  hint.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = hint.exec(text)) !== null) {
    const from = text.lastIndexOf('\n', m.index) + 1;
    const nl = text.indexOf('\n', m.index);
    const to = nl < 0 ? text.length : nl;
    ranges.push([from, to]);
    hint.lastIndex = to;
  }
  return ranges;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether an unlabelled body reads as text: valid UTF-8 without NUL bytes (binary formats are full of them). */
export function isUtf8Text(body: Uint8Array): boolean {
  if (body.includes(0)) return false;
  try {
    STRICT_UTF8.decode(body);
    return true;
  } catch {
    return false;
  }
}

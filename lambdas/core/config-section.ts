/**
 * Reading helpers for `validateGatewayConfig`: a `Section` is one object of the raw configuration whose
 * problems are collected under a `where` prefix. Kept apart so the validator reads as the list of rules.
 */

/** A parsed YAML/JSON map. */
export type Raw = Readonly<Record<string, unknown>>;

/**
 * One object being read: collects its problems under a `where` prefix such as `connections[1] "prod"`,
 * and remembers whether any were found so that callers drop the half-read value.
 */
export class Section {
  readonly ok: boolean;
  private readonly obj: Raw;
  private readonly before: number;

  constructor(private readonly out: string[], private where: string, raw: unknown, what = 'an entry') {
    this.before = out.length;
    this.ok = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    this.obj = this.ok ? (raw as Raw) : {};
    if (!this.ok) this.problem(`must be a map of keys to values (${what}), got ${show(raw)}`);
  }

  /** True when no problem was reported under this section (or its children) so far. */
  get clean(): boolean {
    return this.out.length === this.before;
  }

  /** Names the section after its `name` key once that is known, so messages read `connections[1] "prod"`. */
  rename(name: string | undefined): void {
    if (name !== undefined) this.where = `${this.where} ${show(name)}`;
  }

  /** The map's entries, for sections keyed by the user (a service -> URL map). */
  entries(): Array<[string, unknown]> {
    return Object.entries(this.obj);
  }

  /** Records one problem, prefixed with where it is. */
  problem(what: string): void {
    this.out.push(this.where ? `${this.where}: ${what}` : what);
  }

  /** A nested object, e.g. `impersonation` or `grants[2]`; its problems count towards this one's `clean`. */
  child(where: string, raw: unknown): Section {
    return new Section(this.out, this.where ? `${this.where}: ${where}` : where, raw);
  }

  /** Whether the key is present (a YAML `key:` with no value is null, i.e. present and wrong). */
  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  /** The raw value of a key. */
  value(key: string): unknown {
    return this.obj[key];
  }

  /** Reports every key not in `known`, naming the nearest known key when it looks like a typo. */
  checkKeys(known: Record<string, true>): void {
    const keys = Object.keys(known);
    for (const key of Object.keys(this.obj).filter((k) => !(k in known))) {
      const near = closest(key, keys);
      this.problem(`unknown key ${show(key)}; ${near ? `did you mean "${near}"?` : `known keys: ${keys.join(', ')}`}`);
    }
  }

  private missing(key: string): undefined {
    this.problem(`missing required key "${key}"`);
    return undefined;
  }

  /** A string field; empty strings are rejected unless `allowEmpty`; `pattern` failures name `expected`. */
  string(key: string, required: boolean, pattern?: RegExp, expected?: string, allowEmpty = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (typeof v !== 'string' || (!allowEmpty && v.trim() === '')) return void this.problem(`${key} must be a non-empty string, got ${show(v)}`);
    if (pattern && !pattern.test(v)) return void this.problem(`${key} ${show(v)} is not ${expected}`);
    return v;
  }

  /** A list of non-empty strings. */
  strings(key: string, required: boolean): string[] | undefined {
    const v = this.obj[key];
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (!Array.isArray(v)) return void this.problem(`${key} must be a list of strings, got ${show(v)}`);
    const bad = v.findIndex((x) => typeof x !== 'string' || x.trim() === '');
    if (bad >= 0) return void this.problem(`${key}[${bad}] must be a non-empty string, got ${show(v[bad])}`);
    if (required && v.length === 0) return void this.problem(`${key} must list at least one value`);
    return [...(v as string[])];
  }

  /** A list of raw entries (empty when missing or wrong, after reporting it). */
  list(key: string, required: boolean): unknown[] {
    const v = this.obj[key];
    if (v === undefined) {
      if (required) this.missing(key);
      return [];
    }
    if (!Array.isArray(v)) {
      this.problem(`${key} must be a list, got ${show(v)}`);
      return [];
    }
    if (required && v.length === 0) this.problem(`${key} must list at least one entry`);
    return v;
  }

  /** An optional integer in `min..max`; `why` explains the bound in the message. */
  integer(key: string, min: number, max: number, why?: string): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      return void this.problem(`${key} ${show(v)} must be ${range}${why ? ` (${why})` : ''}`);
    }
    return v;
  }

  /** A boolean field. */
  boolean(key: string, required: boolean): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (typeof v !== 'boolean') return void this.problem(`${key} must be true or false, got ${show(v)}`);
    return v;
  }
}

/** The known key nearest to a typo (edit distance, case-insensitive), if it is near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (!best || d < best.d) best = { key: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** A value as quoted in a problem message (shortened; maps and lists only named). */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A list of names for a message, `(none)` when empty. */
export function names(items: readonly (string | undefined)[]): string {
  const defined = items.filter(isDefined);
  return defined.length ? defined.join(', ') : '(none)';
}

/** A string field of a raw entry, if it is one. */
export function field(raw: unknown, key: string): string | undefined {
  const v = typeof raw === 'object' && raw !== null ? (raw as Raw)[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Type guard for `filter`. */
export function isDefined<T>(v: T | undefined): v is T {
  return v !== undefined;
}

/** Drops undefined fields so the embedded JSON and synthesized items carry only what was written. */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

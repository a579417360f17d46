import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type ParseOptions, type ScalarTag, type Tags } from 'yaml';
import type { JsonValue } from './types';

/**
 * YAML read the way the API server reads it. The apiserver turns YAML bodies into JSON with
 * sigs.k8s.io/yaml, which parses with go-yaml v2 (YAML 1.1, resolve.go): `yes/no/on/off/y/n` are
 * booleans, `0755` is octal 493, `0x1F` and `0o17` are integers, underscores in numbers are dropped,
 * and an unquoted timestamp decoded into interface{} stays the original string. Only the first
 * document counts, and a repeated key keeps its last value (go-yaml's strict mode, used for
 * `fieldValidation=Strict|Warn`, reports it instead). `privileged: yes` is therefore stored as `true`;
 * a simulator reading YAML 1.2 would store the string "yes" and hide what the cluster would run.
 */

/** A decoded YAML document and go-yaml v2's strict-mode complaints (`line 4: key "a" already set in map`). */
export interface DecodedYaml {
  readonly value: JsonValue;
  readonly duplicates: readonly string[];
}

const INT_TAG = 'tag:yaml.org,2002:int';
const FLOAT_TAG = 'tag:yaml.org,2002:float';
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
// yamlStyleFloat in go-yaml v2's resolve.go.
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// strconv.ParseInt(s, 0, 64) syntax: a sign, then 0x / 0o / 0b / leading-0 octal / decimal.
const GO_BASE0_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** go-yaml v2 only tries numbers for plain scalars starting with a digit or a sign (its resolve table). */
function numberHint(s: string): boolean {
  return /^[0-9+-]/.test(s);
}

/** The integer go-yaml v2 resolves `s` to (ParseInt, then ParseUint, base 0, underscores removed). */
export function goYamlInt(s: string): number | undefined {
  if (!numberHint(s)) return undefined;
  const m = GO_BASE0_INT.exec(s.replace(/_/g, ''));
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  const body = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.toLowerCase();
  const magnitude = BigInt(body);
  const value = sign === '-' ? -magnitude : magnitude;
  // ParseUint takes no sign; beyond both ranges go-yaml falls through to the float rule.
  if (value < INT64_MIN || value > UINT64_MAX || (value >= 2n ** 63n && sign === '+')) return undefined;
  return Number(value);
}

/** The float go-yaml v2 resolves `s` to, if any (ParseFloat errors, such as 1e999, leave a string). */
export function goYamlFloat(s: string): number | undefined {
  let text: string;
  if (s.startsWith('.')) text = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? s : '';
  else if (numberHint(s)) text = s.replace(/_/g, '');
  else return undefined;
  if (!YAML_STYLE_FLOAT.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function predicate(fn: (s: string) => boolean): RegExp {
  // The yaml package only calls `.test(source)`, so a predicate object stands in for a RegExp.
  return { test: fn } as unknown as RegExp;
}

const goInt: ScalarTag = {
  identify: (v) => typeof v === 'number' && Number.isInteger(v),
  default: true,
  tag: INT_TAG,
  test: predicate((s) => goYamlInt(s) !== undefined),
  resolve: (s, onError) => goYamlInt(s) ?? (onError(`cannot decode !!str \`${s}\` as a !!int`), s),
};

const goFloat: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: FLOAT_TAG,
  test: predicate((s) => goYamlInt(s) === undefined && goYamlFloat(s) !== undefined),
  resolve: (s, onError) => goYamlFloat(s) ?? goYamlInt(s) ?? (onError(`cannot decode !!str \`${s}\` as a !!float`), s),
};

/** YAML 1.1's tags with go-yaml v2's number rules, and without timestamps or base-60 numbers. */
function goYamlTags(tags: Tags): Tags {
  const kept = tags.filter((entry) => {
    // Version 1.1 hands in tag objects; names (strings) only appear when a caller lists them.
    if (typeof entry === 'string') return true;
    const t = entry as ScalarTag;
    if (t.tag === TIMESTAMP_TAG) return false;
    // `.inf`/`.nan` (no format, special test) stay; the number regexes are replaced by go-yaml's.
    if (t.tag === INT_TAG) return false;
    if (t.tag === FLOAT_TAG) return t.format === undefined && t.test?.test('.nan') === true;
    return true;
  });
  return [...kept, goInt, goFloat];
}

const OPTIONS: ParseOptions & { version: '1.1'; customTags: (tags: Tags) => Tags; uniqueKeys: false } = {
  version: '1.1',
  customTags: goYamlTags,
  // go-yaml v2 in its default (non-strict) mode lets a repeated key overwrite the earlier one.
  uniqueKeys: false,
};

/** Go's %#v of a map key: quoted strings, bare numbers and booleans. */
function goKeyText(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key);
}

function findDuplicates(node: Node | null | undefined, lines: LineCounter, out: string[]): void {
  if (!node || isAlias(node)) return;
  if (isSeq(node)) {
    for (const item of node.items) findDuplicates(item as Node, lines, out);
    return;
  }
  if (!isMap(node)) return;
  const seen = new Set<string>();
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    const value = pair.value as Node | null;
    const id = `${typeof key}:${String(key)}`;
    if (key !== '<<' && seen.has(id)) {
      const at = value?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? 0;
      out.push(`line ${lines.linePos(at).line}: key ${goKeyText(key)} already set in map`);
    }
    seen.add(id);
    findDuplicates(value, lines, out);
  }
}

/** json.Marshal refuses NaN and infinities, so the apiserver's YAML-to-JSON step fails on them. */
function checkFinite(value: unknown): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`json: unsupported value: ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'}`);
  }
  if (Array.isArray(value)) value.forEach(checkFinite);
  else if (value && typeof value === 'object') Object.values(value).forEach(checkFinite);
}

/**
 * Parses the first YAML document as go-yaml v2 + sigs.k8s.io/yaml would. Throws an Error with the
 * parser's message on a syntax error (the caller words the Status).
 */
export function decodeYamlLikeApiServer(text: string): DecodedYaml {
  const lines = new LineCounter();
  const [doc] = parseAllDocuments(text, { ...OPTIONS, lineCounter: lines });
  if (!doc || !('errors' in doc)) return { value: null, duplicates: [] };
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  const value = (doc.toJS({ maxAliasCount: 1000 }) ?? null) as JsonValue;
  checkFinite(value);
  const duplicates: string[] = [];
  findDuplicates(doc.contents as Node | null, lines, duplicates);
  return { value, duplicates };
}

/** go-yaml v2's strict-mode error, as `yaml.UnmarshalStrict` returns it. */
export function yamlStrictError(duplicates: readonly string[]): string {
  return `yaml: unmarshal errors:\n  ${duplicates.join('\n  ')}`;
}

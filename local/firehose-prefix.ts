import { randomUUID } from 'node:crypto';

/**
 * The parts of Amazon Data Firehose that the LOCAL STAND-IN (local/firehose-stand-in.ts) evaluates on its own:
 * the dynamic-partitioning JQ query (a small subset of it) and the S3 prefix expressions
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html), with the rules CreateDeliveryStream enforces.
 * Everything outside the subset is refused when the stand-in starts, never guessed at.
 */

/** One key of a partition query: `name: .a.b`. */
export interface PartitionQueryKey {
  readonly name: string;
  readonly path: readonly string[];
}

/** A parsed `{name: .field, other: .a.b}` query. */
export interface PartitionQuery {
  readonly text: string;
  readonly keys: readonly PartitionQueryKey[];
}

/** What the query made of one record: its partition keys, or why Firehose would route it to the error prefix. */
export type PartitionKeysResult =
  | { readonly ok: true; readonly keys: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/** The `errorCode` Firehose writes into the error document of a record whose partition keys could not be read. */
export const METADATA_EXTRACTION_FAILED = 'DynamicPartitioning.MetadataExtractionFailed';

/**
 * The value `!{firehose:error-output-type}` takes for a record that failed dynamic partitioning (what a real stream
 * writes, as aws-cdk's dynamic-partitioning integration test asserts against a deployed stream: `partitioning-failed`,
 * not `processing-failed`, which is a failed Lambda transform).
 */
export const PARTITIONING_FAILED = 'partitioning-failed';

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const QUERY_KEY = new RegExp(`^\\s*(${IDENT})\\s*:\\s*((?:\\.${IDENT})+)\\s*$`);

/**
 * Parses the only JQ this stand-in runs: object construction from simple paths, `{a: .x, b: .y.z}`. Anything else
 * (pipes, functions, quoted keys, array indexes) throws, naming the query, so local mode fails at start-up.
 */
export function parsePartitionQuery(text: string): PartitionQuery {
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1];
  const parts = body?.split(',') ?? [];
  const keys: PartitionQueryKey[] = [];
  for (const part of parts) {
    const m = QUERY_KEY.exec(part);
    if (!m) break;
    if (keys.some((k) => k.name === m[1])) throw new Error(`Partition query ${JSON.stringify(text)} names the key '${m[1]}' twice.`);
    keys.push({ name: m[1], path: m[2].slice(1).split('.') });
  }
  if (!body || keys.length !== parts.length) {
    throw new Error(`The Firehose stand-in runs only JQ object construction from simple paths, like '{session: .p}' or '{a: .x, b: .y.z}'; `
      + `it cannot run the partition query ${JSON.stringify(text)}.`);
  }
  return { text, keys };
}

/** Runs the query on one record's data, as Firehose's inline JQ parsing would. */
export function extractPartitionKeys(query: PartitionQuery, data: Uint8Array): PartitionKeysResult {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return { ok: false, errorCode: METADATA_EXTRACTION_FAILED, errorMessage: 'Non JSON record provided' };
  }
  const keys: Record<string, string> = {};
  for (const key of query.keys) {
    let at: unknown = value;
    for (const field of key.path) {
      if (at === null) break;
      if (typeof at !== 'object' || Array.isArray(at)) {
        return { ok: false, errorCode: METADATA_EXTRACTION_FAILED, errorMessage: `Cannot index ${Array.isArray(at) ? 'array' : typeof at} with "${field}" (partition key '${key.name}')` };
      }
      at = (at as Record<string, unknown>)[field];
    }
    // JQ yields null for a missing field; a partition needs a scalar value (printed as JQ prints it raw).
    if (typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean') keys[key.name] = String(at);
    else return { ok: false, errorCode: METADATA_EXTRACTION_FAILED, errorMessage: `The query returned ${at === undefined || at === null ? 'null' : 'a non-scalar value'} for partition key '${key.name}'` };
  }
  return { ok: true, keys };
}

type DateField = 'yyyy' | 'yy' | 'MM' | 'M' | 'dd' | 'd' | 'HH' | 'H' | 'mm' | 'm' | 'ss' | 's' | 'SSS';
type DatePart = { readonly literal: string } | { readonly field: DateField };
type PrefixPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'timestamp'; readonly parts: readonly DatePart[] }
  | { readonly kind: 'error-output-type' }
  | { readonly kind: 'random-string' };

/** A parsed `Prefix` or `ErrorOutputPrefix`. */
export interface PrefixTemplate {
  readonly text: string;
  readonly parts: readonly PrefixPart[];
}

const DATE_FIELDS: ReadonlySet<string> = new Set(['yyyy', 'uuuu', 'yy', 'uu', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'mm', 'm', 'ss', 's', 'SSS']);

/** Parses a Java DateTimeFormatter pattern (the subset of letters listed in DATE_FIELDS, quotes, literal punctuation). */
function parseDatePattern(pattern: string, where: string): DatePart[] {
  const parts: DatePart[] = [];
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") { parts.push({ literal: "'" }); i += 2; continue; }
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error(`${where}: unterminated quote in the timestamp pattern '${pattern}'.`);
      parts.push({ literal: pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const run = pattern.slice(i, j);
      if (!DATE_FIELDS.has(run)) throw new Error(`${where}: the stand-in does not support '${run}' in the timestamp pattern '${pattern}' (it supports yyyy, yy, MM, dd, HH, mm, ss, SSS).`);
      parts.push({ field: run.replace(/u/g, 'y') as DateField });
      i = j;
    } else if ('[]{}#'.includes(c)) {
      throw new Error(`${where}: '${c}' is reserved in a DateTimeFormatter pattern ('${pattern}'); quote it.`);
    } else {
      parts.push({ literal: c });
      i++;
    }
  }
  return parts;
}

/**
 * Parses a prefix with Firehose's rules for a stream with dynamic partitioning: the `Prefix` must use at least one
 * `!{partitionKeyFromQuery:key}`, each defined by the query, and no `!{firehose:error-output-type}`; an
 * `ErrorOutputPrefix` with expressions must name `!{firehose:error-output-type}` and cannot use partition keys.
 * `!{` outside an expression, unknown namespaces and `partitionKeyFromLambda` (no Lambda here) throw.
 */
export function parsePrefix(text: string, role: 'prefix' | 'error', query: PartitionQuery): PrefixTemplate {
  const where = `${role === 'prefix' ? 'Prefix' : 'ErrorOutputPrefix'} ${JSON.stringify(text)}`;
  if (text.length > 1024) throw new Error(`${where} is longer than 1024 characters.`);
  const parts: PrefixPart[] = [];
  let rest = text;
  while (rest.length > 0) {
    const at = rest.indexOf('!{');
    if (at !== 0) {
      parts.push({ kind: 'text', text: at < 0 ? rest : rest.slice(0, at) });
      rest = at < 0 ? '' : rest.slice(at);
      continue;
    }
    const m = /^!\{([A-Za-z]+):([^}]*)\}/.exec(rest);
    if (!m) throw new Error(`${where}: '!{' may appear only in a !{namespace:value} expression.`);
    const [whole, namespace, value] = m;
    if (namespace === 'timestamp') parts.push({ kind: 'timestamp', parts: parseDatePattern(value, where) });
    else if (namespace === 'partitionKeyFromQuery') {
      if (role === 'error') throw new Error(`${where}: an error output prefix cannot use partition keys (a failed record may have none).`);
      if (!query.keys.some((k) => k.name === value)) throw new Error(`${where} uses the partition key '${value}', which the query ${JSON.stringify(query.text)} does not define.`);
      parts.push({ kind: 'key', name: value });
    } else if (namespace === 'firehose' && value === 'random-string') parts.push({ kind: 'random-string' });
    else if (namespace === 'firehose' && value === 'error-output-type') {
      if (role === 'prefix') throw new Error(`${where}: !{firehose:error-output-type} can only be used in the ErrorOutputPrefix.`);
      parts.push({ kind: 'error-output-type' });
    } else throw new Error(`${where}: the stand-in cannot evaluate !{${namespace}:${value}} (it knows timestamp, partitionKeyFromQuery, firehose:random-string and firehose:error-output-type).`);
    rest = rest.slice(whole.length);
  }
  const has = (kind: PrefixPart['kind']): boolean => parts.some((p) => p.kind === kind);
  if (role === 'prefix' && !has('key')) throw new Error(`${where}: with dynamic partitioning the prefix must use at least one !{partitionKeyFromQuery:key}.`);
  if (role === 'error' && parts.some((p) => p.kind !== 'text') && !has('error-output-type')) {
    throw new Error(`${where}: an ErrorOutputPrefix with expressions must include !{firehose:error-output-type}.`);
  }
  return { text, parts };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function formatDate(parts: readonly DatePart[], d: Date): string {
  const value: Record<DateField, () => string> = {
    yyyy: () => pad(d.getUTCFullYear(), 4), yy: () => pad(d.getUTCFullYear() % 100, 2),
    MM: () => pad(d.getUTCMonth() + 1, 2), M: () => String(d.getUTCMonth() + 1),
    dd: () => pad(d.getUTCDate(), 2), d: () => String(d.getUTCDate()),
    HH: () => pad(d.getUTCHours(), 2), H: () => String(d.getUTCHours()),
    mm: () => pad(d.getUTCMinutes(), 2), m: () => String(d.getUTCMinutes()),
    ss: () => pad(d.getUTCSeconds(), 2), s: () => String(d.getUTCSeconds()),
    SSS: () => pad(d.getUTCMilliseconds(), 3),
  };
  return parts.map((p) => ('literal' in p ? p.literal : value[p.field]())).join('');
}

/** What a prefix is evaluated with: one instant (UTC) for every timestamp, the record's keys, the error type. */
export interface PrefixValues {
  /** Approximate arrival time of the oldest record in the object. */
  readonly arrival: Date;
  readonly keys?: Readonly<Record<string, string>>;
  readonly errorOutputType?: string;
}

/** Evaluates a prefix; each `!{firehose:random-string}` is a new 11-character random string, as in Firehose. */
export function evaluatePrefix(template: PrefixTemplate, values: PrefixValues): string {
  return template.parts.map((p) => {
    switch (p.kind) {
      case 'text': return p.text;
      case 'key': return values.keys?.[p.name] ?? '';
      case 'timestamp': return formatDate(p.parts, values.arrival);
      case 'error-output-type': return values.errorOutputType ?? '';
      case 'random-string': return randomUUID().slice(0, 11);
    }
  }).join('');
}

/** Firehose's longest evaluated prefix; a record whose prefix would be longer goes to the error output prefix. */
export const MAX_EVALUATED_PREFIX = 512;

/**
 * The suffix Firehose gives every object: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, the version being 1
 * until the stream's configuration changes (it never does here), the time that of the oldest record (UTC).
 */
export function objectNameSuffix(streamName: string, arrival: Date): string {
  return `${streamName}-1-${formatDate(parseDatePattern('yyyy-MM-dd-HH-mm-ss', 'suffix'), arrival)}-${randomUUID()}`;
}

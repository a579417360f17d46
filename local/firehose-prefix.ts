import { randomUUID } from 'node:crypto';

/**
 * The parts of Amazon Data Firehose that the LOCAL STAND-IN (local/firehose-stand-in.ts) evaluates on its own: the
 * S3 prefix expressions of a stream without dynamic partitioning (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html),
 * with the rules CreateDeliveryStream enforces, and Firehose's object names. Everything outside that is refused
 * when the stand-in starts, never guessed at.
 */

type DateField = 'yyyy' | 'yy' | 'MM' | 'M' | 'dd' | 'd' | 'HH' | 'H' | 'mm' | 'm' | 'ss' | 's' | 'SSS';
type DatePart = { readonly literal: string } | { readonly field: DateField };
type PrefixPart =
  | { readonly kind: 'text'; readonly text: string }
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

/** Whether a prefix has any `!{...}` expression. */
export function hasExpressions(text: string): boolean {
  return text.includes('!{');
}

/** What Firehose appends to a `Prefix` without a timestamp expression: the UTC hour, `yyyy/MM/dd/HH/`. */
const DEFAULT_TIME_PARTS: readonly DatePart[] = parseDatePattern('yyyy/MM/dd/HH/', 'default prefix');

/**
 * Parses a prefix with Firehose's rules for a stream without dynamic partitioning: `!{partitionKeyFromQuery:…}` and
 * `!{partitionKeyFromLambda:…}` need partitioning (refused), the `Prefix` cannot use `!{firehose:error-output-type}`,
 * and an `ErrorOutputPrefix` with expressions must. A `Prefix` with no timestamp expression gets the UTC hour
 * appended (`yyyy/MM/dd/HH/`), as Firehose does. `!{` outside an expression and unknown namespaces throw.
 */
export function parsePrefix(text: string, role: 'prefix' | 'error'): PrefixTemplate {
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
    else if (namespace === 'partitionKeyFromQuery' || namespace === 'partitionKeyFromLambda') {
      throw new Error(`${where}: !{${namespace}:${value}} needs dynamic partitioning, which the stream does not have (nor does the stand-in emulate it).`);
    } else if (namespace === 'firehose' && value === 'random-string') parts.push({ kind: 'random-string' });
    else if (namespace === 'firehose' && value === 'error-output-type') {
      if (role === 'prefix') throw new Error(`${where}: !{firehose:error-output-type} can only be used in the ErrorOutputPrefix.`);
      parts.push({ kind: 'error-output-type' });
    } else throw new Error(`${where}: the stand-in cannot evaluate !{${namespace}:${value}} (it knows timestamp, firehose:random-string and firehose:error-output-type).`);
    rest = rest.slice(whole.length);
  }
  const has = (kind: PrefixPart['kind']): boolean => parts.some((p) => p.kind === kind);
  if (role === 'error' && parts.some((p) => p.kind !== 'text') && !has('error-output-type')) {
    throw new Error(`${where}: an ErrorOutputPrefix with expressions must include !{firehose:error-output-type}.`);
  }
  if (role === 'prefix' && !has('timestamp')) parts.push({ kind: 'timestamp', parts: DEFAULT_TIME_PARTS });
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

/** What a prefix is evaluated with: one instant (UTC) for every timestamp, and the error type. */
export interface PrefixValues {
  /** Approximate arrival time of the oldest record in the object. */
  readonly arrival: Date;
  readonly errorOutputType?: string;
}

/** Evaluates a prefix; each `!{firehose:random-string}` is a new 11-character random string, as in Firehose. */
export function evaluatePrefix(template: PrefixTemplate, values: PrefixValues): string {
  return template.parts.map((p) => {
    switch (p.kind) {
      case 'text': return p.text;
      case 'timestamp': return formatDate(p.parts, values.arrival);
      case 'error-output-type': return values.errorOutputType ?? '';
      case 'random-string': return randomUUID().slice(0, 11);
    }
  }).join('');
}

/** Firehose's longest evaluated prefix. */
export const MAX_EVALUATED_PREFIX = 512;

/**
 * The suffix Firehose gives every object: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, the version being 1
 * until the stream's configuration changes (it never does here). Firehose documents the prefix's timestamp as the
 * approximate arrival of the object's oldest record and leaves the suffix's unsaid; the stand-in uses that same
 * instant (UTC) for both, and the CLI's reader does not depend on which it is.
 */
export function objectNameSuffix(streamName: string, arrival: Date): string {
  return `${streamName}-1-${formatDate(parseDatePattern('yyyy-MM-dd-HH-mm-ss', 'suffix'), arrival)}-${randomUUID()}`;
}

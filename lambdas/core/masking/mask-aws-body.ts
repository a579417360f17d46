import { xmlEscape } from '../aws/aws-error-response';
import { MASKED_VALUE } from './credential-patterns';
import { bump, type CompiledPatterns, type MaskCounts, maskString, maskText, normalizeKeyName } from './mask-text';
import type { AwsMaskRule, Marker } from './mask-aws-response';

/**
 * The engines under AWS masking (`mask-aws-response.ts` holds the rules): JSON and XML bodies rewritten string by
 * string (decisions on the parsed document, only the changed tokens replaced, every other byte kept), and the
 * masking of the strings no rule names.
 */

/** Count ids of the values masked by action. */
export const AWS_MASK_COUNTS = {
  secretValue: 'aws-secret-value',
  parameterValue: 'aws-parameter-value',
  secretAccessKey: 'aws-secret-access-key',
  sessionToken: 'aws-session-token',
  servicePassword: 'aws-service-password',
  functionEnvironment: 'aws-function-environment',
  kmsPlaintext: 'aws-kms-plaintext',
  registryToken: 'aws-registry-token',
  password: 'aws-password',
  identityToken: 'aws-identity-token',
} as const;

const C = AWS_MASK_COUNTS;
const text = (count: string): Marker => ({ marker: MASKED_VALUE, count });

// Pagination cursors and idempotency tokens are opaque ids the SDK sends back; masking one breaks the next page.
const CURSOR_KEYS = new Set([
  'next_token', 'continuation_token', 'next_continuation_token', 'starting_token', 'pagination_token', 'next_page_token',
  'page_token', 'client_token', 'client_request_token', 'idempotency_token', 'marker', 'next_marker',
]);

// `arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf` reads as `secret: prod/db` to the key/value scan.
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:\S+$/;
const valueOnly = new WeakMap<CompiledPatterns, CompiledPatterns>();

/**
 * Masks a string that no rule names: patterns, keyed by `key` unless it is a cursor. An ARN gets the value
 * patterns only: its `service:...:secret:<name>` parts are structure, not a `key: value` pair.
 */
export function maskAwsString(value: string, key: string | undefined, patterns: CompiledPatterns, counts: MaskCounts): string {
  if (ARN.test(value)) {
    let compiled = valueOnly.get(patterns);
    if (!compiled) valueOnly.set(patterns, (compiled = { ...patterns, keyed: [], keyHint: null, keyCache: new Map() }));
    return maskText(value, compiled, counts);
  }
  const keyName = key !== undefined && CURSOR_KEYS.has(normalizeKeyName(key)) ? undefined : key;
  return maskString(value, keyName, patterns, counts);
}

/** Replaces a value by a rule's marker and counts it. */
export function maskedBy(value: string, marker: { readonly marker: string; readonly count: string }, counts: MaskCounts): string {
  if (value === '' || value === marker.marker) return value;
  bump(counts, marker.count);
  return marker.marker;
}

/** What the body rewriters work with. */
export interface RewriteContext {
  readonly rules: readonly AwsMaskRule[];
  readonly unmask: boolean;
  /** The call's decoded parameters (SSM's WithDecryption). */
  readonly params: unknown;
  readonly service: string;
  readonly patterns: CompiledPatterns;
  readonly counts: MaskCounts;
}

type PathPart = string | number;
type Decision = { readonly kind: 'mask'; readonly marker: Marker } | { readonly kind: 'keep' } | { readonly kind: 'key'; readonly key: string };
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const lastKey = (path: readonly PathPart[]): string | undefined => [...path].reverse().find((p): p is string => typeof p === 'string');
// `{Name|Key, Value}` pairs (tags, ECS environments, parameters): the name says what the value is.
const NAMED_VALUES = [['Name', 'Value'], ['Key', 'Value'], ['name', 'value'], ['key', 'value']] as const;

/**
 * Masks a JSON body in place: decisions are made on the parsed document (a value's siblings tell what it is),
 * then only the string tokens that change are rewritten in the original text. Undefined when it is not JSON.
 */
export function rewriteJson(text: string, ctx: RewriteContext): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  const plan = new Map<string, Decision>();
  try {
    planJson(root, [], ctx, plan);
  } catch {
    return undefined; // nested deeper than the stack: read as text (or refused, for an action with values)
  }
  return scanJson(text, (path, key, value) => {
    const decision = plan.size > 0 ? plan.get(JSON.stringify(path)) : undefined;
    if (decision?.kind === 'mask') return maskedBy(value, decision.marker, ctx.counts);
    if (decision?.kind === 'keep') return value;
    // A DynamoDB attribute `{"password": {"S": "..."}}`: the attribute's name is the key, not the type tag.
    const typeTagged = ctx.service === 'dynamodb' && key === 'S' && typeof path[path.length - 2] === 'string';
    const keyName = decision?.kind === 'key' ? decision.key : typeTagged ? String(path[path.length - 2]) : key;
    return maskAwsString(value, keyName, ctx.patterns, ctx.counts);
  });
}

function planJson(value: unknown, path: PathPart[], ctx: RewriteContext, plan: Map<string, Decision>): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => planJson(item, [...path, i], ctx, plan));
    return;
  }
  if (!isObj(value)) return;
  const set = (field: string, decision: Decision) => plan.set(JSON.stringify([...path, field]), decision);
  const pass = (field: string, marker: Marker) => {
    if (typeof value[field] === 'string') set(field, ctx.unmask ? { kind: 'keep' } : { kind: 'mask', marker });
  };
  const named = NAMED_VALUES.find(([n, v]) => typeof value[n] === 'string' && typeof value[v] === 'string');
  if (named) set(named[1], { kind: 'key', key: value[named[0]] as string });
  for (const rule of ctx.rules) {
    if (rule.kind === 'fields') {
      const parent = lastKey(path);
      if (rule.parents && (parent === undefined || !rule.parents.includes(parent))) continue;
      for (const [field, marker] of Object.entries(rule.fields)) pass(field, marker);
      if (ctx.unmask) for (const field of rule.companions ?? []) if (typeof value[field] === 'string') set(field, { kind: 'keep' });
    } else if (rule.kind === 'ssm-parameters') {
      if (typeof value.Name !== 'string' || typeof value.Value !== 'string') continue;
      const decrypted = rule.typeless === 'mask' || (isObj(ctx.params) && ctx.params.WithDecryption === true);
      if (value.Type === 'SecureString' || (value.Type === undefined && decrypted)) pass('Value', { marker: MASKED_VALUE, count: C.parameterValue });
    } else if (path[path.length - 1] === 'Environment' && isObj(value.Variables)) {
      const variables = value.Variables;
      for (const name of Object.keys(variables)) {
        if (typeof variables[name] === 'string') {
          plan.set(JSON.stringify([...path, 'Variables', name]), ctx.unmask ? { kind: 'keep' } : { kind: 'mask', marker: text(C.functionEnvironment) });
        }
      }
    }
  }
  for (const key of Object.keys(value)) planJson(value[key], [...path, key], ctx, plan);
}

interface Frame {
  readonly array: boolean;
  key: PathPart | undefined;
  expectKey: boolean;
}

/**
 * Walks valid JSON text and replaces string values by what `onString` answers (given the value's path, its key
 * or, in an array, the array's key). Everything else is copied as it is.
 */
function scanJson(text: string, onString: (path: readonly PathPart[], key: string | undefined, value: string) => string): string {
  const frames: Frame[] = [];
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = frames[frames.length - 1];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const token = text.slice(i, j + 1);
      if (top && !top.array && top.expectKey) top.key = JSON.parse(token) as string;
      else {
        const value = JSON.parse(token) as string;
        const path = frames.map((f) => f.key as PathPart);
        const masked = onString(path, lastKey(path), value);
        if (masked !== value) {
          out += text.slice(last, i) + JSON.stringify(masked);
          last = j + 1;
        }
      }
      i = j;
    } else if (c === '{' || c === '[') frames.push({ array: c === '[', key: c === '[' ? 0 : undefined, expectKey: c === '{' });
    else if (c === '}' || c === ']') frames.pop();
    else if (c === ':' && top) top.expectKey = false;
    else if (c === ',' && top) {
      if (top.array) top.key = (top.key as number) + 1;
      else top.expectKey = true;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

const START_TAG = /<([A-Za-z_][\w.:-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(\/?)>/y;
const END_TAG = /<\/([A-Za-z_][\w.:-]*)\s*>/y;
const BAD_ENTITY = /&(?!(?:#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);)/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };
const localName = (name: string | undefined): string | undefined => name?.slice(name.indexOf(':') + 1);

/** Masks an XML body's text (element names are the keys; rules by element and parent). Undefined when malformed. */
export function rewriteXml(text: string, ctx: RewriteContext): string | undefined {
  return scanXml(text, (stack, value) => {
    const name = localName(stack[stack.length - 1]) as string;
    const parent = localName(stack[stack.length - 2]);
    for (const rule of ctx.rules) {
      if (rule.kind !== 'fields' || (rule.parents && (parent === undefined || !rule.parents.includes(parent)))) continue;
      const marker = Object.prototype.hasOwnProperty.call(rule.fields, name) ? rule.fields[name] : undefined;
      if (marker) return ctx.unmask ? value : maskedBy(value, marker, ctx.counts);
      if (ctx.unmask && rule.companions?.includes(name)) return value;
    }
    return maskAwsString(value, name, ctx.patterns, ctx.counts);
  });
}

/**
 * Walks XML text (prolog, comments, CDATA; no DOCTYPE, which AWS never sends and whose entities could hide text)
 * and replaces the non-blank text of elements by what `onText` answers for the decoded text. Changed text is
 * written escaped; everything else is copied as it is.
 */
function scanXml(text: string, onText: (stack: readonly string[], value: string) => string): string | undefined {
  const stack: string[] = [];
  let out = '';
  let last = 0;
  let i = 0;
  let root = false;
  const replace = (from: number, to: number, value: string | undefined): boolean => {
    if (value === undefined) return false;
    if (value.trim() === '') return true;
    if (stack.length === 0) return false;
    const masked = onText(stack, value);
    if (masked !== value) {
      out += text.slice(last, from) + xmlEscape(masked);
      last = to;
    }
    return true;
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? text.length : lt;
    if (end > i && !replace(i, end, decodeXml(text.slice(i, end)))) return undefined;
    if (lt < 0) break;
    const close = (marker: string, from: number) => {
      const e = text.indexOf(marker, from);
      return e < 0 ? -1 : e + marker.length;
    };
    if (text.startsWith('<?', lt) || text.startsWith('<!--', lt)) {
      i = close(text.startsWith('<?', lt) ? '?>' : '-->', lt + 2);
      if (i < 0) return undefined;
    } else if (text.startsWith('<![CDATA[', lt)) {
      i = close(']]>', lt + 9);
      if (i < 0 || stack.length === 0 || !replace(lt, i, text.slice(lt + 9, i - 3))) return undefined;
    } else if (text.startsWith('</', lt)) {
      END_TAG.lastIndex = lt;
      const m = END_TAG.exec(text);
      if (!m || stack.pop() !== m[1]) return undefined;
      i = END_TAG.lastIndex;
    } else {
      START_TAG.lastIndex = lt;
      const m = START_TAG.exec(text);
      if (!m || (root && stack.length === 0)) return undefined;
      root = true;
      if (m[2] !== '/') stack.push(m[1]);
      i = START_TAG.lastIndex;
    }
  }
  if (!root || stack.length > 0) return undefined;
  return last === 0 ? text : out + text.slice(last);
}

function decodeXml(raw: string): string | undefined {
  if (raw.includes('<') || BAD_ENTITY.test(raw)) return undefined;
  try {
    return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
      e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]);
  } catch {
    return undefined;
  }
}

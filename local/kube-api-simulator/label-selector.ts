import { badRequest } from './status-errors';

/** One requirement of a label selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  readonly values: readonly string[];
}

type Token = { readonly kind: 'id' | 'op' | 'end'; readonly text: string };

const OPERATORS = ['!=', '==', '=', '!', '(', ')', ',', '>', '<'];

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j]!) && !OPERATORS.some((o) => input.startsWith(o, j))) j += 1;
    tokens.push({ kind: 'id', text: input.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validates a label key (optional DNS prefix, then a name of at most 63 characters). */
export function isValidLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

/** Validates a label value (empty, or at most 63 characters of a name). */
export function isValidLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

function fail(message: string): never {
  throw badRequest(`unable to parse requirement: ${message}`);
}

function checkKey(key: string): string {
  if (!isValidLabelKey(key)) fail(`key: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return key;
}

function checkValue(key: string, value: string): string {
  if (!isValidLabelValue(value)) fail(`values[0][${key}]: Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return value;
}

/**
 * Parses a label selector with the real grammar: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k>1`, `k<1`, comma-separated. Errors are 400 BadRequest, as on the real server.
 */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector || !selector.trim()) return [];
  const tokens = tokenize(selector);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const requirements: LabelRequirement[] = [];
  for (;;) {
    let t = next();
    if (t.kind === 'op' && t.text === '!') {
      const key = next();
      if (key.kind !== 'id') fail(`found '${key.text}', expected: identifier after '!'`);
      requirements.push({ key: checkKey(key.text), operator: '!', values: [] });
    } else if (t.kind === 'id') {
      const key = checkKey(t.text);
      const op = peek();
      if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        next();
        if (next().text !== '(') fail(`found '${tokens[pos - 1]!.text}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          t = next();
          if (t.kind === 'op' && t.text === ')' && values.length === 0) break;
          if (t.kind === 'id') values.push(checkValue(key, t.text));
          else if (t.kind === 'op' && (t.text === ',' || t.text === ')')) values.push('');
          else fail(`found '${t.text}', expected: ',', ')' or identifier`);
          const sep = t.kind === 'id' ? next() : t;
          if (sep.text === ')') break;
          if (sep.text !== ',') fail(`found '${sep.text}', expected: ',' or ')'`);
        }
        if (values.length === 0) fail(`for 'in', 'notin' operators, values set can't be empty`);
        requirements.push({ key, operator: op.text, values });
      } else if (op.kind === 'op' && ['=', '==', '!=', '>', '<'].includes(op.text)) {
        next();
        const v = peek();
        const value = v.kind === 'id' ? next().text : '';
        if (op.text === '>' || op.text === '<') {
          if (!/^-?\d+$/.test(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
          requirements.push({ key, operator: op.text === '>' ? 'gt' : 'lt', values: [value] });
        } else {
          requirements.push({ key, operator: op.text === '!=' ? '!=' : '=', values: [checkValue(key, value)] });
        }
      } else {
        fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      fail(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.text !== ',') fail(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return requirements;
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case '=':
        return has && value === r.values[0];
      case '!=':
        return !has || value !== r.values[0];
      case 'in':
        return has && r.values.includes(value!);
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const limit = Number(r.values[0]);
        return r.operator === 'gt' ? n > limit : n < limit;
      }
      default:
        return false;
    }
  });
}

/** Whether labels match a `matchLabels` / `matchExpressions` LabelSelector object (for workload status). */
export function matchesLabelSelectorObject(selector: unknown, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const l = labels ?? {};
  const okLabels = Object.entries(s.matchLabels ?? {}).every(([k, v]) => l[k] === v);
  const okExpr = (s.matchExpressions ?? []).every((e) => {
    const op = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : '!';
    return matchesLabels([{ key: e.key, operator: op, values: e.values ?? [] }], l);
  });
  return okLabels && okExpr;
}

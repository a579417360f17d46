import type { AwsRequestInfo } from '../aws/aws-request-info';
import { BodyFacts, compileBodyCondition, type BodyCondition } from './body-conditions';
import type { PolicyAwsSpec, PolicyEffect, PolicyFieldSpec } from './policy-types';

/** Keys of `match.aws`. */
export const AWS_MATCH_KEYS = ['services', 'actions', 'resources', 'unknownActions', 'fields'];
/**
 * Keys of `match` that describe a Kubernetes request: a block with any of them never matches an AWS call, and
 * one with `aws` never matches a kubectl request. Identity keys (agents, issuers, groups, claims, connections)
 * are shared: a rule with only those applies to both.
 */
export const KUBE_MATCH_KEYS = ['verbs', 'apiGroups', 'resources', 'subresources', 'namespaces', 'namespaceLabels', 'names', 'nonResourceURLs', 'body', 'cel', 'exec', 'ports'];

/** IAM's own limit on a policy element is larger, but a rule glob past this is a mistake, and it bounds matching work. */
const MAX_GLOB_LENGTH = 2048;

type Report = (path: string, what: string) => void;
type GlobKind = 'services' | 'actions' | 'resources';

/**
 * What is wrong with one `match.aws` glob, if anything. The syntax is IAM's (`*` any run of characters, `?` one),
 * so `.`, `:` and `/` are literal and `*` spans them: `arn:aws:s3:::logs/*` covers every key under `logs/`.
 */
export function awsGlobProblem(kind: GlobKind, value: string): string | undefined {
  if (value.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `"${JSON.stringify(value).slice(1, -1)}" contains a control character`;
  if (value.includes('${')) return `"${value}": IAM policy variables such as \${aws:username} are not supported; write the value`;
  if (kind !== 'resources' && /\.\*|^\^|\$$|[[\]()|\\+]/.test(value)) {
    return `bad glob "${value}": looks like a regular expression; the wildcards are * (any run of characters) and ? (one character), as in IAM`;
  }
  switch (kind) {
    case 'services':
      return /^[A-Za-z0-9*?-]+$/.test(value) ? undefined : `"${value}" is not a service signing name or glob (s3, dynamodb, secretsmanager, "*")`;
    case 'actions':
      return value === '*' || /^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(value)
        ? undefined : `"${value}" is not an IAM action such as s3:DeleteBucket, "s3:Delete*" or "secretsmanager:*"`;
    default:
      if (value !== '*' && !value.startsWith('arn:')) return `"${value}" is not an ARN glob such as "arn:aws:s3:::my-bucket/*" (or "*")`;
      if (value.endsWith('$')) return `bad glob "${value}": globs are always anchored; drop the $`;
      return undefined;
  }
}

/**
 * Validates `match.aws`: lists of IAM-style globs over service signing names, IAM action names (`s3:Delete*`) and
 * resource ARNs, `unknownActions: true`, and field conditions over the call's decoded parameters (`path` from their root).
 */
export function validateAwsMatch(
  raw: unknown, path: string, report: Report, validateField: (raw: unknown, path: string, report: Report) => PolicyFieldSpec,
): PolicyAwsSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    report(path, `must be a mapping with at least one of ${AWS_MATCH_KEYS.join(', ')} (e.g. { actions: ["s3:DeleteBucket"] })`);
    return {};
  }
  const block = raw as Record<string, unknown>;
  for (const key of Object.keys(block)) {
    if (!AWS_MATCH_KEYS.includes(key)) report(`${path}.${key}`, `is not a key of aws (known: ${AWS_MATCH_KEYS.join(', ')})`);
  }
  const out: { -readonly [K in keyof PolicyAwsSpec]: PolicyAwsSpec[K] } = {};
  for (const key of ['services', 'actions', 'resources'] as const) {
    if (block[key] === undefined) continue;
    const list = Array.isArray(block[key]) ? (block[key] as unknown[]) : [block[key]];
    if (list.length === 0) report(`${path}.${key}`, 'an empty list matches nothing; leave the key out to match anything');
    const values: string[] = [];
    list.forEach((v, i) => {
      const at = `${path}.${key}[${i}]`;
      if (typeof v !== 'string' || v === '') return report(at, 'must be non-empty text');
      const problem = awsGlobProblem(key, v);
      if (problem) report(at, problem);
      values.push(v);
    });
    out[key] = values;
  }
  if (block.unknownActions !== undefined) {
    if (block.unknownActions !== true) report(`${path}.unknownActions`, `can only be true (leave it out otherwise), got ${JSON.stringify(block.unknownActions)}`);
    else out.unknownActions = true;
  }
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length === 0) report(`${path}.fields`, 'must be a non-empty list of { path, values | exists }');
    else {
      out.fields = block.fields.map((f, i) => {
        const field = validateField(f, `${path}.fields[${i}]`, report);
        if (field.podSpecPath !== undefined) report(`${path}.fields[${i}].podSpecPath`, 'AWS calls have no pod specs: use path (from the call\'s parameters)');
        return field;
      });
    }
  }
  return out;
}

/** A compiled list of IAM-style globs. */
export interface AwsGlobSet {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly ((value: string) => boolean)[];
  /** Services and actions match case-insensitively, as in IAM; ARNs case-sensitively. */
  readonly fold: boolean;
}

/**
 * Compiles IAM-style globs. Matching splits the pattern at `*` and places each fixed-length piece (where `?` is any
 * one character) leftmost: for such pieces that is exact and never backtracks, so a client-chosen ARN cannot make it slow.
 */
export function compileAwsGlobSet(patterns: readonly string[], fold: boolean): AwsGlobSet {
  const exact = new Set<string>();
  const globs: ((value: string) => boolean)[] = [];
  let any = false;
  for (const raw of patterns) {
    const p = fold ? raw.toLowerCase() : raw;
    if (/^\*+$/.test(p)) any = true;
    else if (p.includes('*') || p.includes('?')) globs.push(compileIamGlob(p));
    else exact.add(p);
  }
  return { any, exact, globs, fold };
}

/** True when `value` matches any glob of the set. */
export function awsGlobSetMatches(set: AwsGlobSet, value: string): boolean {
  if (set.any) return true;
  const v = set.fold ? value.toLowerCase() : value;
  return set.exact.has(v) || set.globs.some((g) => g(v));
}

function compileIamGlob(pattern: string): (value: string) => boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return (value) => value.length === pattern.length && pieceAt(value, 0, pattern);
  const prefix = parts[0]!;
  const suffix = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const fixed = prefix.length + suffix.length + middle.reduce((n, p) => n + p.length, 0);
  return (value) => {
    if (value.length < fixed || !pieceAt(value, 0, prefix) || !pieceAt(value, value.length - suffix.length, suffix)) return false;
    let at = prefix.length;
    const end = value.length - suffix.length;
    for (const piece of middle) {
      let found = -1;
      for (let i = at; i + piece.length <= end; i++) {
        if (pieceAt(value, i, piece)) {
          found = i;
          break;
        }
      }
      if (found < 0) return false;
      at = found + piece.length;
    }
    return true;
  };
}

/** Whether `piece` (with `?` for any one character) sits in `value` at `at`. */
function pieceAt(value: string, at: number, piece: string): boolean {
  for (let j = 0; j < piece.length; j++) {
    const c = piece.charCodeAt(j);
    if (c !== 63 /* ? */ && c !== value.charCodeAt(at + j)) return false;
  }
  return true;
}

/** A compiled `match.aws`. */
export interface AwsCondition {
  readonly services: AwsGlobSet | null;
  readonly actions: AwsGlobSet | null;
  readonly resources: AwsGlobSet | null;
  readonly unknownActions: boolean;
  readonly fields: BodyCondition | null;
  /**
   * How a call naming several resources is judged against `resources`: `any` (one of them matches) where
   * matching makes the decision stricter (a deny or approve rule, an allow rule's except), `all` where it makes
   * it looser (an allow rule, a deny or approve rule's except): naming one more resource never loosens a decision.
   */
  readonly resourceMode: 'any' | 'all';
}

/** Compiles `match.aws` for a rule of `effect`, as its match block or one of its excepts. */
export function compileAwsMatch(spec: PolicyAwsSpec, effect: PolicyEffect, isExcept: boolean): AwsCondition {
  const loosens = (effect === 'allow') !== isExcept;
  return {
    services: spec.services ? compileAwsGlobSet(spec.services, true) : null,
    actions: spec.actions ? compileAwsGlobSet(spec.actions, true) : null,
    resources: spec.resources ? compileAwsGlobSet(spec.resources, false) : null,
    unknownActions: spec.unknownActions === true,
    fields: spec.fields ? compileBodyCondition({ fields: spec.fields }) : null,
    resourceMode: loosens ? 'all' : 'any',
  };
}

/**
 * Whether a call meets the condition. An unknown action (`''`) meets an `actions` list never, and `unknownActions`
 * always; field conditions on a call whose parameters could not be decoded hold where that is stricter (fail
 * closed) and not where it is looser.
 */
export function awsConditionHolds(c: AwsCondition, info: AwsRequestInfo): boolean {
  if (c.services !== null && !awsGlobSetMatches(c.services, info.service)) return false;
  if (info.action === '') {
    if (c.actions !== null && !c.unknownActions) return false;
  } else if (c.actions !== null && !awsGlobSetMatches(c.actions, info.iamAction)) {
    return false;
  } else if (c.actions === null && c.unknownActions) {
    // `unknownActions` alone is about calls Gatehouse cannot name, not every call.
    return false;
  }
  if (c.resources !== null) {
    const hits = info.resources.filter((arn) => awsGlobSetMatches(c.resources as AwsGlobSet, arn)).length;
    if (c.resourceMode === 'any' ? hits === 0 : hits === 0 || hits !== info.resources.length) return false;
  }
  if (c.fields !== null) {
    if (info.params === undefined) return c.resourceMode === 'any';
    if (!c.fields(new BodyFacts(info.params, '', undefined))) return false;
  }
  return true;
}

import type { AwsRequestInfo } from '../aws/aws-request-info';
import { BodyFacts, compileBodyCondition, type BodyCondition } from './body-conditions';
import { compileGlobSet, globProblem, globSetMatches, type GlobSet } from './glob';
import type { PolicyAwsSpec, PolicyEffect, PolicyFieldSpec } from './policy-types';

/** Keys of `match.aws`. */
export const AWS_MATCH_KEYS = ['services', 'actions', 'resources', 'unknownActions', 'fields'];
/**
 * Keys of `match` that describe a Kubernetes request: a block with any of them never matches an AWS call, and
 * one with `aws` never matches a kubectl request. Identity keys (agents, issuers, groups, claims, connections)
 * are shared: a rule with only those applies to both.
 */
export const KUBE_MATCH_KEYS = ['verbs', 'apiGroups', 'resources', 'subresources', 'namespaces', 'namespaceLabels', 'names', 'nonResourceURLs', 'body', 'cel', 'exec', 'ports'];

type Report = (path: string, what: string) => void;

/**
 * Validates `match.aws`: lists of globs over service signing names, IAM action names (`s3:Delete*`) and resource
 * ARNs, `unknownActions: true`, and field conditions over the call's decoded parameters (`path` from their root).
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
  const globs = (key: 'services' | 'actions' | 'resources', check?: (v: string) => string | undefined) => {
    if (block[key] === undefined) return;
    const list = Array.isArray(block[key]) ? (block[key] as unknown[]) : [block[key]];
    if (list.length === 0) report(`${path}.${key}`, 'an empty list matches nothing; leave the key out to match anything');
    const values: string[] = [];
    list.forEach((v, i) => {
      const at = `${path}.${key}[${i}]`;
      if (typeof v !== 'string' || v === '') return report(at, 'must be non-empty text');
      const problem = globProblem(v) ?? check?.(v);
      if (problem) report(at, problem);
      values.push(v);
    });
    out[key] = values;
  };
  globs('services', (v) => (/^[a-z0-9*-]+$/.test(v) ? undefined : `"${v}" is not a service signing name (s3, dynamodb, secretsmanager, ...)`));
  globs('actions', (v) => (/^[a-z0-9*-]+:[A-Za-z0-9*]+$/.test(v) ? undefined : `"${v}" is not an IAM action such as s3:DeleteBucket or "secretsmanager:*"`));
  globs('resources', (v) => (v === '*' || v.startsWith('arn:') ? undefined : `"${v}" is not an ARN glob such as arn:aws:s3:::my-bucket/*`));
  if (block.unknownActions !== undefined) {
    if (block.unknownActions !== true) report(`${path}.unknownActions`, 'can only be true (leave it out otherwise)');
    else out.unknownActions = true;
  }
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length === 0) report(`${path}.fields`, 'must be a non-empty list');
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

/** A compiled `match.aws`. */
export interface AwsCondition {
  readonly services: GlobSet | null;
  /** Lower-cased: IAM action names match case-insensitively. */
  readonly actions: GlobSet | null;
  readonly resources: GlobSet | null;
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
    services: spec.services ? compileGlobSet(spec.services) : null,
    actions: spec.actions ? compileGlobSet(spec.actions.map((a) => a.toLowerCase())) : null,
    resources: spec.resources ? compileGlobSet(spec.resources) : null,
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
  if (c.services !== null && !globSetMatches(c.services, info.service)) return false;
  if (info.action === '') {
    if (c.actions !== null && !c.unknownActions) return false;
  } else if (c.actions !== null && !globSetMatches(c.actions, info.iamAction.toLowerCase())) {
    return false;
  } else if (c.actions === null && c.unknownActions) {
    // `unknownActions` alone is about calls Gatehouse cannot name, not every call.
    return false;
  }
  if (c.resources !== null) {
    const hits = info.resources.filter((arn) => globSetMatches(c.resources as GlobSet, arn)).length;
    if (c.resourceMode === 'any' ? hits === 0 : hits === 0 || hits !== info.resources.length) return false;
  }
  if (c.fields !== null) {
    if (info.params === undefined) return c.resourceMode === 'any';
    if (!c.fields(new BodyFacts(info.params, '', undefined))) return false;
  }
  return true;
}

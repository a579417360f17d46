import { celProblem } from './cel-condition';
import { KUBE_MATCH_KEYS, validateAwsMatch } from './aws-match';
import { closestMatch, didYouMean } from './closest-match';
import { parseFieldPath } from './field-path';
import { compileGlob, globProblem } from './glob';
import { BODY_VERBS, ValueKind, valueProblem } from './policy-vocabulary';
import {
  POLICY_EFFECTS, PolicyBodySpec, PolicyEffect, PolicyExecSpec, PolicyFieldSpec, PolicyMatchSpec, PolicyPortSpec, PolicyRuleSpec,
} from './policy-types';

const RULE_KEYS = ['id', 'description', 'effect', 'message', 'unmaskSecrets', 'match', 'except'];
const LIST_KEYS: Readonly<Record<string, ValueKind>> = {
  agents: 'glob', issuers: 'glob', groups: 'glob', connections: 'connection', verbs: 'verb', apiGroups: 'apiGroup',
  resources: 'resource', subresources: 'subresource', namespaces: 'namespace', names: 'glob', nonResourceURLs: 'url',
};
const MAP_KEYS = ['claims', 'namespaceLabels'];
const MATCH_KEYS = [...Object.keys(LIST_KEYS), ...MAP_KEYS, 'body', 'cel', 'exec', 'ports', 'aws'];
/** Keys that only make sense for resource requests (cannot be combined with nonResourceURLs). */
export const RESOURCE_KEYS = ['apiGroups', 'resources', 'subresources', 'namespaces', 'namespaceLabels', 'names', 'body', 'exec', 'ports'];
const EXEC_KEYS = ['commands', 'containers', 'tty', 'stdin'];
/** The verbs exec, attach and port-forward requests arrive with: get (WebSocket) and create (SPDY). */
const SESSION_VERBS = ['get', 'create', '*'];
/** Verbs whose requests have a live object before them (CEL's `oldObject`). */
const OLD_OBJECT_VERBS = ['update', 'patch', 'delete'];
/** Built-in cluster-scoped resources: a namespace-label condition on these can never match. */
const CLUSTER_SCOPED = ['nodes', 'persistentvolumes', 'clusterroles', 'clusterrolebindings', 'customresourcedefinitions', 'storageclasses', 'priorityclasses', 'apiservices', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'certificatesigningrequests', 'ingressclasses', 'runtimeclasses'];
const FLAG_BODY_KEYS = ['privileged', 'hostPath', 'hostNamespaces', 'rbacWildcard'];
const BODY_KEYS = [...FLAG_BODY_KEYS, 'roleRef', 'rbacVerbs', 'fields'];
const FIELD_KEYS = ['path', 'podSpecPath', 'values', 'exists'];
const ID_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\/[a-z0-9]([a-z0-9-]*[a-z0-9])?)?$/;

type Report = (path: string, what: string) => void;
type Raw = Record<string, unknown>;

/**
 * Validates one rule as written and returns its normalized form, or undefined when it has problems. Each
 * problem is reported as `<where>: rule "<id>": <path>: <what is wrong>` so the author can find it.
 */
export function validatePolicyRule(raw: unknown, where: string, index: number, problems: string[]): PolicyRuleSpec | undefined {
  const before = problems.length;
  const rawId = isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined;
  const label = rawId !== undefined ? `rule "${rawId}"` : `rule #${index + 1}`;
  const report: Report = (path, what) => problems.push(`${where}: ${label}: ${path ? `${path}: ` : ''}${what}`);
  if (!isRecord(raw)) {
    report('', 'must be a mapping with id, effect and match');
    return undefined;
  }
  checkKeys(raw, RULE_KEYS, '', report, (key) => (MATCH_KEYS.includes(key) ? ` ("${key}" belongs under match:)` : ''));
  if (rawId === undefined) report('id', 'is required (a short kebab-case name, e.g. no-delete-namespaces)');
  else if (rawId === 'default') report('id', '"default" is reserved for decisions no rule made');
  else if (!ID_PATTERN.test(rawId)) report('id', `"${rawId}" must be kebab-case ([a-z0-9-], optionally "pack/name")`);
  const effect = raw.effect;
  if (effect === undefined) report('effect', `is required (${POLICY_EFFECTS.join(', ')})`);
  else if (typeof effect !== 'string' || !POLICY_EFFECTS.includes(effect as PolicyEffect)) {
    report('effect', `unknown effect "${String(effect)}"${didYouMean(String(effect), POLICY_EFFECTS)}; use deny, approve or allow`);
  }
  for (const key of ['message', 'description']) {
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || (raw[key] as string).trim() === '')) report(key, 'must be non-empty text');
  }
  if (raw.unmaskSecrets !== undefined && typeof raw.unmaskSecrets !== 'boolean') report('unmaskSecrets', 'must be true or false');
  if (raw.unmaskSecrets === true && effect === 'deny') report('unmaskSecrets', 'has no effect on a deny rule');
  if (raw.match === undefined || raw.match === null) report('match', 'is required; write match: {} to match every request');
  const match = raw.match === undefined || raw.match === null ? {} : validateMatch(raw.match, 'match', report, true);
  const except = raw.except === undefined ? undefined
    : (Array.isArray(raw.except) ? raw.except : [raw.except]).map((e, i) => validateMatch(e, `except[${i}]`, report, false));
  checkAwsExcepts(match, except ?? [], report);
  const readsObject = match.body !== undefined || (match.cel ?? []).some((c) => /\b(object|pods|podSpecs|allContainers)\b/.test(c));
  if (readsObject) {
    const what = match.body ? 'body conditions' : 'CEL conditions on object';
    const verbs = match.verbs;
    if (!verbs) report('match.verbs', `a rule with ${what} must list its verbs (${BODY_VERBS.join(', ')})`);
    const bodiless = (verbs ?? []).filter((v) => !BODY_VERBS.includes(v));
    if (bodiless.length > 0) report('match.verbs', `${what} cannot apply to ${bodiless.join(', ')}: those requests carry no body`);
  }
  if ((match.cel ?? []).some((c) => /\boldObject\b/.test(c))) {
    const other = (match.verbs ?? ['*']).filter((v) => !OLD_OBJECT_VERBS.includes(v));
    if (other.length > 0) report('match.verbs', `CEL conditions on oldObject apply only to ${OLD_OBJECT_VERBS.join(', ')}; list those verbs (not ${other.join(', ')})`);
  }
  if (match.namespaceLabels) {
    if (match.namespaces && match.namespaces.every((n) => n === '')) report('match.namespaceLabels', 'can never match: namespaces: [""] are requests without a namespace, which have no labels');
    if (match.resources && match.resources.every((r) => CLUSTER_SCOPED.includes(r))) report('match.namespaceLabels', `can never match: ${match.resources.join(', ')} are cluster-scoped and have no namespace`);
  }
  if (problems.length > before) return undefined;
  return {
    id: rawId as string,
    effect: effect as PolicyEffect,
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    ...(typeof raw.message === 'string' ? { message: raw.message } : {}),
    ...(raw.unmaskSecrets === true ? { unmaskSecrets: true } : {}),
    match,
    ...(except ? { except } : {}),
  };
}

/**
 * An except about the other kind of request than its rule could never apply: a Kubernetes rule's `except: { aws }`
 * or an AWS rule's `except: { verbs }` reads as an exemption and silently is none.
 */
function checkAwsExcepts(match: PolicyMatchSpec, except: readonly PolicyMatchSpec[], report: Report): void {
  const kubeKeys = (m: PolicyMatchSpec) => KUBE_MATCH_KEYS.filter((k) => m[k as keyof PolicyMatchSpec] !== undefined);
  const ruleKube = kubeKeys(match);
  except.forEach((e, i) => {
    if (match.aws !== undefined && kubeKeys(e).length > 0) {
      report(`except[${i}]`, `${kubeKeys(e).join(', ')} can never hold for an AWS call, and this rule matches only AWS calls (write the exemption in aws:)`);
    }
    if (ruleKube.length > 0 && e.aws !== undefined) {
      report(`except[${i}].aws`, `can never hold: this rule matches only Kubernetes requests (it has ${ruleKube.join(', ')})`);
    }
  });
}

function validateMatch(raw: unknown, path: string, report: Report, allowBody: boolean): PolicyMatchSpec {
  if (!isRecord(raw)) {
    report(path, 'must be a mapping (e.g. { verbs: [delete], resources: [namespaces] })');
    return {};
  }
  // `claims.repository: acme/*` is shorthand for `claims: { repository: acme/* }`.
  const shorthand = Object.keys(raw).filter((k) => k.startsWith('claims.') && k.length > 'claims.'.length);
  const block: Raw = shorthand.length === 0 ? raw : {
    ...Object.fromEntries(Object.entries(raw).filter(([k]) => !shorthand.includes(k))),
    claims: { ...(isRecord(raw.claims) ? raw.claims : {}), ...Object.fromEntries(shorthand.map((k) => [k.slice('claims.'.length), raw[k]])) },
  };
  checkKeys(block, MATCH_KEYS, path, report, (key) => {
    if (RULE_KEYS.includes(key)) return ` ("${key}" belongs beside match:, not under it)`;
    // `commands`, `tty`... written straight under match (or misspelt there) belong under exec.
    const closest = closestMatch(key, [...MATCH_KEYS, ...EXEC_KEYS]);
    return closest !== undefined && EXEC_KEYS.includes(closest) ? ` ("${closest}" belongs under ${path}.exec:)` : '';
  });
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(LIST_KEYS)) {
    if (block[key] !== undefined) out[key] = stringList(block[key], `${path}.${key}`, kind, report);
  }
  for (const key of MAP_KEYS) {
    if (block[key] === undefined) continue;
    if (!isRecord(block[key])) {
      report(`${path}.${key}`, 'must be a mapping of name to value (or list of values)');
      continue;
    }
    const map: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(block[key] as Raw)) map[name] = stringList(value, `${path}.${key}.${name}`, 'glob', report);
    out[key] = map;
  }
  if (block.nonResourceURLs !== undefined) {
    const mixed = RESOURCE_KEYS.filter((k) => block[k] !== undefined);
    if (mixed.length > 0) report(path, `nonResourceURLs cannot be combined with ${mixed.join(', ')} (those apply to resource requests only)`);
  }
  if (block.body !== undefined) {
    if (!allowBody) report(`${path}.body`, 'except: cannot have body conditions');
    else out.body = validateBody(block.body, `${path}.body`, report);
  }
  if (block.cel !== undefined) {
    if (!allowBody) report(`${path}.cel`, 'except: cannot have CEL conditions (write the negation into match.cel)');
    else out.cel = validateCel(block.cel, `${path}.cel`, report);
  }
  if (block.aws !== undefined) {
    out.aws = validateAwsMatch(block.aws, `${path}.aws`, report, validateField);
    const kube = KUBE_MATCH_KEYS.filter((k) => block[k] !== undefined);
    if (kube.length > 0) report(path, `aws cannot be combined with ${kube.join(', ')} (those are about Kubernetes requests; write two rules)`);
  }
  if (block.exec !== undefined) out.exec = validateExec(block.exec, `${path}.exec`, report);
  if (block.ports !== undefined) out.ports = validatePorts(block.ports, `${path}.ports`, report);
  if (block.exec !== undefined || block.ports !== undefined) checkSessionPlacement(out as PolicyMatchSpec, path, report);
  return out as PolicyMatchSpec;
}

function validateExec(raw: unknown, path: string, report: Report): PolicyExecSpec {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    report(path, `must be a mapping with at least one of ${EXEC_KEYS.join(', ')} (e.g. { commands: ["sh", "bash *"] })`);
    return {};
  }
  checkKeys(raw, EXEC_KEYS, path, report, (key) => (MATCH_KEYS.includes(key) ? ` ("${key}" belongs under match:, beside exec)` : ''));
  const out: Record<string, unknown> = {};
  if (raw.commands !== undefined) out.commands = stringList(raw.commands, `${path}.commands`, 'command', report);
  if (raw.containers !== undefined) out.containers = stringList(raw.containers, `${path}.containers`, 'container', report);
  for (const key of ['tty', 'stdin']) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] === 'boolean') out[key] = raw[key];
    else report(`${path}.${key}`, `must be true or false${typeof raw[key] === 'string' ? ' (unquoted)' : ''}; leave it out to match either`);
  }
  return out as PolicyExecSpec;
}

/** Ports (1-65535) and ranges "low-high"; numeric text is kept as a number, a range as "low-high". */
function validatePorts(raw: unknown, path: string, report: Report): PolicyPortSpec[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) report(path, 'an empty list matches nothing; leave the key out to match any port');
  const out: PolicyPortSpec[] = [];
  list.forEach((v, i) => {
    const at = Array.isArray(raw) ? `${path}[${i}]` : path;
    const problem = portProblem(v);
    if (problem) {
      report(at, problem);
      return;
    }
    const [low, high] = String(v).split('-').map(Number);
    out.push(high === undefined ? low : `${low}-${high}`);
  });
  return out;
}

function portProblem(v: unknown): string | undefined {
  const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (typeof v === 'number') return isPort(v) ? undefined : `${v} is not a port (1-65535)`;
  if (typeof v !== 'string') return 'must be a port (5432) or a range ("8000-8999")';
  if (v.includes('*')) return `"${v}": ports take no globs; write a range ("1-65535" for any)`;
  if (v.includes(',')) return `"${v}": list the ports apart ([${v.split(',').map((p) => p.trim()).join(', ')}])`;
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(v.trim() === v ? v : '');
  if (!m) return `"${v}" is not a port or range (e.g. 5432 or "8000-8999")`;
  const [low, high] = [Number(m[1]), Number(m[2] ?? m[1])];
  if (!isPort(low) || !isPort(high)) return `"${v}": ports are 1-65535`;
  if (low > high) return `"${v}": the range runs backwards (write "${high}-${low}")`;
  return undefined;
}

/** exec needs exec/attach requests, ports port-forward ones; says so when the rest of the block rules them out. */
function checkSessionPlacement(m: PolicyMatchSpec, path: string, report: Report): void {
  const covers = (list: readonly string[] | undefined, value: string) => list === undefined || list.some((g) => compileGlob(g)(value));
  const subs = m.subresources;
  const shown = (list: readonly string[]) => `[${list.map((x) => (x === '' ? '""' : x)).join(', ')}]`;
  if (m.exec && m.ports) report(path, 'exec and ports cannot both hold: a request is an exec/attach or a port-forward; write two rules');
  if (m.exec) {
    if (!covers(subs, 'exec') && !covers(subs, 'attach')) report(`${path}.exec`, `applies only to exec and attach requests; subresources: ${shown(subs!)} has neither`);
    else if (m.exec.commands) {
      if (!covers(subs, 'exec')) report(`${path}.exec.commands`, 'applies only to exec (attach runs no command); add exec to subresources or drop commands');
      else if (subs?.includes('attach')) report(`${path}.exec.commands`, 'never matches attach, which runs no command; write attach in a rule of its own');
    }
  }
  if (m.ports && !covers(subs, 'portforward')) report(`${path}.ports`, `applies only to port-forward requests; subresources: ${shown(subs!)} has no portforward`);
  if (m.resources && !covers(m.resources, 'pods')) {
    report(path, `${m.exec ? 'exec' : 'ports'} can never match: only pods have exec, attach and portforward (resources: ${shown(m.resources)})`);
  }
  if (m.verbs && !m.verbs.some((v) => SESSION_VERBS.includes(v))) {
    report(`${path}.verbs`, `exec, attach and port-forward requests are get (WebSocket) or create (SPDY); verbs: [${m.verbs.join(', ')}] never match them`);
  }
}

function validateBody(raw: unknown, path: string, report: Report): PolicyBodySpec {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    report(path, `must be a mapping with at least one of ${BODY_KEYS.join(', ')}`);
    return {};
  }
  checkKeys(raw, BODY_KEYS, path, report);
  const out: Record<string, unknown> = {};
  for (const key of FLAG_BODY_KEYS) {
    if (raw[key] === undefined) continue;
    if (raw[key] !== true) report(`${path}.${key}`, 'can only be true (leave it out to not test it)');
    else out[key] = true;
  }
  if (raw.roleRef !== undefined) out.roleRef = stringList(raw.roleRef, `${path}.roleRef`, 'glob', report);
  if (raw.rbacVerbs !== undefined) out.rbacVerbs = stringList(raw.rbacVerbs, `${path}.rbacVerbs`, 'verb', report);
  if (raw.fields !== undefined) {
    if (!Array.isArray(raw.fields) || raw.fields.length === 0) report(`${path}.fields`, 'must be a non-empty list');
    else out.fields = raw.fields.map((f, i) => validateField(f, `${path}.fields[${i}]`, report));
  }
  return out as PolicyBodySpec;
}

function validateField(raw: unknown, path: string, report: Report): PolicyFieldSpec {
  if (!isRecord(raw)) {
    report(path, 'must be a mapping like { path: spec.hostNetwork, values: [true] }');
    return {};
  }
  checkKeys(raw, FIELD_KEYS, path, report);
  const where = ['path', 'podSpecPath'].filter((k) => raw[k] !== undefined);
  if (where.length !== 1) report(path, 'needs exactly one of path (from the body root) or podSpecPath (from each pod spec)');
  for (const key of where) {
    const parsed = typeof raw[key] === 'string' ? parseFieldPath(raw[key] as string) : { error: 'must be text' };
    if ('error' in parsed) report(`${path}.${key}`, parsed.error);
  }
  if ((raw.values === undefined) === (raw.exists === undefined)) report(path, 'needs exactly one of values or exists: true');
  if (raw.exists !== undefined && raw.exists !== true) report(`${path}.exists`, 'can only be true');
  let values: (string | number | boolean)[] | undefined;
  if (raw.values !== undefined) {
    const list = Array.isArray(raw.values) ? raw.values : [raw.values];
    values = list.filter((v, i) => {
      const ok = ['string', 'number', 'boolean'].includes(typeof v);
      if (!ok) report(`${path}.values[${i}]`, 'must be text, a number or true/false');
      const bad = typeof v === 'string' ? globProblem(v) : undefined;
      if (bad) report(`${path}.values[${i}]`, bad);
      return ok;
    }) as (string | number | boolean)[];
    if (list.length === 0) report(`${path}.values`, 'an empty list matches nothing');
  }
  return { ...(raw.path !== undefined ? { path: raw.path as string } : {}), ...(raw.podSpecPath !== undefined ? { podSpecPath: raw.podSpecPath as string } : {}),
    ...(values ? { values } : {}), ...(raw.exists === true ? { exists: true } : {}) };
}

function validateCel(raw: unknown, path: string, report: Report): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) report(path, 'an empty list matches nothing; leave the key out');
  return list.filter((expression, i) => {
    const at = Array.isArray(raw) ? `${path}[${i}]` : path;
    if (typeof expression !== 'string') {
      report(at, 'must be a CEL expression (text)');
      return false;
    }
    const problem = celProblem(expression);
    if (problem) report(at, `CEL ${problem}`);
    return problem === undefined;
  }) as string[];
}

/** A list of strings; a single string is accepted as a list of one, since that is what people write. */
function stringList(raw: unknown, path: string, kind: ValueKind, report: Report): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) report(path, 'an empty list matches nothing; leave the key out to match anything');
  const out: string[] = [];
  list.forEach((v, i) => {
    const at = Array.isArray(raw) ? `${path}[${i}]` : path;
    if (typeof v !== 'string') {
      report(at, `must be text${typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: "${String(v)}")` : ''}`);
      return;
    }
    const problem = valueProblem(kind, v);
    if (problem) report(at, problem);
    out.push(v);
  });
  return out;
}

/** Reports unknown keys, naming the closest known one. */
export function checkKeys(raw: Raw, known: readonly string[], path: string, report: Report, hint?: (key: string) => string): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const extra = hint?.(key) ?? '';
    report(path ? `${path}.${key}` : key, `unknown key${extra || didYouMean(key, known)}; known keys: ${known.join(', ')}`);
  }
}

/** A plain mapping (not a list, not null). */
export function isRecord(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

import { BodyCondition, compileBodyCondition } from './body-conditions';
import { CelCondition, compileCelCondition } from './cel-condition';
import { compileGlobSet, GlobSet, globSetMatches } from './glob';
import type { PolicyEffect, PolicyInput, PolicyMatchSpec, PolicyRuleSpec } from './policy-types';
import { awsConditionHolds, compileAwsMatch, KUBE_MATCH_KEYS, type AwsCondition } from './aws-match';
import { compileExecCondition, compilePortsCondition, ExecCondition, isSessionUpgradeGet, PortsCondition, sessionFactsOf } from './session-match';
import { RESOURCE_KEYS } from './validate-policy-rule';

/** A `match` (or `except`) block with every glob compiled; null means "not constrained". */
export interface CompiledMatch {
  /** Which requests the block can apply to at all. */
  readonly scope: 'any' | 'resource' | 'nonResource';
  readonly verbs: ReadonlySet<string> | null;
  readonly agents: GlobSet | null;
  readonly issuers: GlobSet | null;
  readonly groups: GlobSet | null;
  readonly claims: readonly (readonly [string, GlobSet])[] | null;
  readonly connections: GlobSet | null;
  readonly apiGroups: GlobSet | null;
  readonly resources: GlobSet | null;
  readonly subresources: GlobSet | null;
  readonly namespaces: GlobSet | null;
  readonly namespaceLabels: readonly (readonly [string, GlobSet])[] | null;
  readonly names: GlobSet | null;
  readonly nonResourceURLs: GlobSet | null;
  readonly body: BodyCondition | null;
  readonly cel: readonly CelCondition[] | null;
  /** `match.exec`: conditions on the exec/attach options in the query. */
  readonly exec: ExecCondition | null;
  /** `match.ports`: the port-forward ports in the query. */
  readonly ports: PortsCondition | null;
  /** `match.aws`: conditions on an AWS call; such a block never matches a kubectl request. */
  readonly aws: AwsCondition | null;
  /** Whether the block names a Kubernetes request key: such a block never matches an AWS call. */
  readonly kube: boolean;
}

/** A rule ready for evaluation. */
export interface CompiledRule {
  readonly id: string;
  readonly effect: PolicyEffect;
  readonly message: string;
  readonly unmaskSecrets: boolean;
  /** Position in the policy; decides which rule speaks when several of the same effect match. */
  readonly order: number;
  readonly match: CompiledMatch;
  readonly except: readonly CompiledMatch[];
}

/** Compiles a validated rule. */
export function compileRule(spec: PolicyRuleSpec, order: number): CompiledRule {
  return {
    id: spec.id,
    effect: spec.effect,
    message: spec.message ?? defaultMessage(spec),
    unmaskSecrets: spec.unmaskSecrets === true,
    order,
    match: compileMatch(spec.match, spec.effect, false),
    except: (spec.except ?? []).map((e) => compileMatch(e, spec.effect, true)),
  };
}

function defaultMessage(spec: PolicyRuleSpec): string {
  if (spec.effect === 'deny') return `Denied by Gatehouse policy rule "${spec.id}".`;
  if (spec.effect === 'approve') return `This request needs an approval (Gatehouse policy rule "${spec.id}").`;
  return `Allowed by Gatehouse policy rule "${spec.id}".`;
}

function compileMatch(m: PolicyMatchSpec, effect: PolicyEffect, isExcept: boolean): CompiledMatch {
  const set = (list: readonly string[] | undefined) => (list ? compileGlobSet(list) : null);
  const map = (rec: Readonly<Record<string, readonly string[]>> | undefined) =>
    rec ? Object.entries(rec).map(([k, v]) => [k, compileGlobSet(v)] as const) : null;
  const scope = m.nonResourceURLs ? 'nonResource' : RESOURCE_KEYS.some((k) => k in m) ? 'resource' : 'any';
  // Like RBAC, naming a resource does not cover its subresources: `pods` is not `pods/exec`. An exec or ports
  // condition names its subresources itself (it only holds on exec/attach, or portforward).
  const subresources = m.subresources ?? (m.resources && !m.exec && !m.ports ? [''] : undefined);
  return {
    scope,
    verbs: m.verbs && !m.verbs.includes('*') ? new Set(m.verbs) : null,
    agents: set(m.agents),
    issuers: set(m.issuers),
    groups: set(m.groups),
    claims: map(m.claims),
    connections: set(m.connections),
    apiGroups: set(m.apiGroups),
    resources: set(m.resources),
    subresources: set(subresources),
    namespaces: set(m.namespaces),
    namespaceLabels: map(m.namespaceLabels),
    names: set(m.names),
    nonResourceURLs: set(m.nonResourceURLs),
    body: m.body ? compileBodyCondition(m.body) : null,
    cel: m.cel ? m.cel.map(compileCelCondition) : null,
    exec: m.exec ? compileExecCondition(m.exec) : null,
    ports: m.ports ? compilePortsCondition(m.ports) : null,
    aws: m.aws ? compileAwsMatch(m.aws, effect, isExcept) : null,
    kube: KUBE_MATCH_KEYS.some((k) => k in m),
  };
}

/** Which inputs a block reads beyond the request line: the stored object, the live one, the namespace. */
export function blockReads(m: CompiledMatch): { readonly object: boolean; readonly oldObject: boolean; readonly namespaceObject: boolean } {
  const cel = m.cel ?? [];
  return {
    object: m.body !== null || cel.some((c) => c.reads.object),
    oldObject: cel.some((c) => c.reads.oldObject),
    namespaceObject: m.namespaceLabels !== null || cel.some((c) => c.reads.namespaceObject),
  };
}

/**
 * True when every condition of the block except the body and CEL holds. Cheap checks on the request come first since
 * most candidates fail on them; identity checks follow.
 *
 * A WebSocket GET of pods/exec, attach or portforward also matches `verbs: [create]` (see `isSessionUpgradeGet`).
 * A `ports` condition on a port-forward that names no port yet (the opening of kubectl's tunnel) does not hold,
 * unless `ignoreLabels` asks whether the block could match (`policyNeeds`); `evaluatePolicy` decides such an
 * opening port by port instead.
 */
export function matchesRequest(m: CompiledMatch, input: PolicyInput, ignoreLabels = false): boolean {
  if (input.aws) return !m.kube && (m.aws === null || awsConditionHolds(m.aws, input.aws)) && matchesIdentity(m, input);
  if (m.aws !== null) return false;
  const req = input.request;
  if (m.scope !== 'any' && (m.scope === 'resource') !== req.isResourceRequest) return false;
  if (m.verbs !== null && !m.verbs.has(req.verb) && !(m.verbs.has('create') && isSessionUpgradeGet(req))) return false;
  if (m.resources !== null && !globSetMatches(m.resources, req.resource)) return false;
  if (m.subresources !== null && !globSetMatches(m.subresources, req.subresource)) return false;
  if (m.namespaces !== null && !globSetMatches(m.namespaces, req.namespace)) return false;
  if (m.apiGroups !== null && !globSetMatches(m.apiGroups, req.apiGroup)) return false;
  if (m.names !== null && !globSetMatches(m.names, req.name)) return false;
  if (m.nonResourceURLs !== null && !globSetMatches(m.nonResourceURLs, req.path)) return false;
  if (m.exec !== null && !m.exec(sessionFactsOf(input))) return false;
  if (m.ports !== null) {
    const held = m.ports.holds(sessionFactsOf(input));
    if (held === false || (held === undefined && !ignoreLabels)) return false;
  }
  if (!matchesIdentity(m, input)) return false;
  if (m.namespaceLabels !== null && !ignoreLabels) {
    // Unknown labels never match: the proxy supplies them when a candidate rule needs them (`policyNeeds`).
    const labels = input.namespaceLabels ?? labelsOf(input.namespaceObject);
    if (!labels) return false;
    for (const [key, globs] of m.namespaceLabels) {
      const value = Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
      if (typeof value !== 'string' || !globSetMatches(globs, value)) return false;
    }
  }
  return true;
}

/** The identity keys (agents, issuers, groups, claims) and the connection, shared by kubectl requests and AWS calls. */
function matchesIdentity(m: CompiledMatch, input: PolicyInput): boolean {
  if (m.connections !== null && !globSetMatches(m.connections, input.connection)) return false;
  const id = input.identity;
  if (m.agents !== null && !globSetMatches(m.agents, id.agent)) return false;
  if (m.issuers !== null && !globSetMatches(m.issuers, id.issuer)) return false;
  if (m.groups !== null && !id.groups.some((g) => globSetMatches(m.groups as GlobSet, g))) return false;
  if (m.claims !== null) {
    for (const [name, globs] of m.claims) {
      const value = Object.prototype.hasOwnProperty.call(id.claims, name) ? id.claims[name] : undefined;
      if (typeof value !== 'string' || !globSetMatches(globs, value)) return false;
    }
  }
  return true;
}

/** `metadata.labels` of a Namespace object, when it has any. */
export function labelsOf(namespace: unknown): Readonly<Record<string, string>> | undefined {
  if (namespace === undefined) return undefined;
  const metadata = namespace !== null && typeof namespace === 'object' ? (namespace as { metadata?: unknown }).metadata : undefined;
  const labels = metadata !== null && typeof metadata === 'object' ? (metadata as { labels?: unknown }).labels : undefined;
  if (labels === null || typeof labels !== 'object') return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

import { BodyFacts } from './body-conditions';
import { toCelValue, type CelVariables } from './cel-condition';
import type { CompiledRule } from './compiled-rule';
import { matchesRequest } from './compiled-rule';
import { CompiledPolicy, IMPLICIT_DEFAULT_EFFECT } from './compile-policy';
import { POLICY_EFFECTS, type PolicyDecision, type PolicyInput } from './policy-types';
import { PortsCondition, representativePorts, sessionFactsOf, withSinglePort } from './session-match';

/**
 * Decides a request: every candidate rule is checked (so the record lists all matches), then the strongest
 * effect wins (deny > approve > allow); among rules of that effect the first in policy order gives the id and
 * message. Without a matching rule the connection's default applies (`*` otherwise, else deny).
 *
 * Body and CEL conditions judge `input.object` (what the server would store) when the proxy supplies it, else
 * the body itself. A rule whose other conditions match but whose body conditions cannot be judged (protobuf,
 * unknown content type, a copy/move patch without the live object) makes the decision
 * `{ effect: 'deny', reason: 'undecodable-body' }`, which the proxy answers with 415, unless a rule denies
 * anyway. A CEL condition that fails to evaluate counts as true for deny and approve rules (fail closed, as a
 * ValidatingAdmissionPolicy with failurePolicy Fail) and as false for allow rules.
 *
 * Sessions: a WebSocket GET of pods/exec, attach or portforward matches rules listing `create` as well as `get`.
 * A port-forward naming several ports is decided per port (the strongest decision wins); one naming none yet
 * (the opening of kubectl's tunnel, whose ports come per connection) gets the most permissive decision any port would get.
 */
export function evaluatePolicy(policy: CompiledPolicy, input: PolicyInput): PolicyDecision {
  if (input.aws) return evaluateCandidates(policy, policy.index.awsCandidates, input);
  const candidates = policy.index.candidatesFor(input.request);
  const ports = portConditionsOf(candidates);
  if (ports.length > 0) {
    const facts = sessionFactsOf(input);
    if (facts.subresource === 'portforward' && facts.ports.length !== 1) {
      const per = (list: readonly number[]) => list.map((port) => evaluateCandidates(policy, candidates, withSinglePort(input, port)));
      // Several ports (`ports=8080,9090`): one request per port, the strongest decision wins, so an allow for
      // 8080 does not carry 22 along, nor an except for 8080 lift a deny of 22.
      if (facts.ports.length > 1) return strongest(policy, per(facts.ports));
      // No port yet (the opening of kubectl's tunnel; each connection is asked again with its port): the most
      // permissive decision any port would get, so the tunnel opens where some port may be used, and not where none may.
      return weakest(per(representativePorts(ports)));
    }
  }
  return evaluateCandidates(policy, candidates, input);
}

/** Per candidate list (the index caches them), the ports conditions in it. */
const portConditions = new WeakMap<readonly CompiledRule[], readonly PortsCondition[]>();

function portConditionsOf(candidates: readonly CompiledRule[]): readonly PortsCondition[] {
  let known = portConditions.get(candidates);
  if (known === undefined) {
    known = candidates.flatMap((rule) => [rule.match, ...rule.except]).flatMap((m) => (m.ports ? [m.ports] : []));
    portConditions.set(candidates, known);
  }
  return known;
}

const rank = (d: PolicyDecision) => POLICY_EFFECTS.indexOf(d.effect);

/** The strongest of several decisions (the first of that effect), listing every rule any of them matched. */
function strongest(policy: CompiledPolicy, decisions: readonly PolicyDecision[]): PolicyDecision {
  const winner = decisions.reduce((best, d) => (rank(d) < rank(best) ? d : best));
  const matched = new Set(decisions.flatMap((d) => d.matchedRuleIds));
  const celErrors = [...new Set(decisions.flatMap((d) => d.celErrors ?? []))];
  return {
    ...winner,
    matchedRuleIds: policy.rules.filter((r) => matched.has(r.id)).map((r) => r.id),
    ...(celErrors.length > 0 ? { celErrors } : {}),
  };
}

/** The weakest of several decisions (the first of that effect), as it is. */
function weakest(decisions: readonly PolicyDecision[]): PolicyDecision {
  return decisions.reduce((best, d) => (rank(d) > rank(best) ? d : best));
}

function evaluateCandidates(policy: CompiledPolicy, candidates: readonly CompiledRule[], input: PolicyInput): PolicyDecision {
  const matched: string[] = [];
  const celErrors: string[] = [];
  let deny: CompiledRule | undefined;
  let approve: CompiledRule | undefined;
  let allow: CompiledRule | undefined;
  let needsBody: CompiledRule | undefined;
  let unmask = false;
  const view = new ObjectView(input);
  const unknownAction = input.aws !== undefined && input.aws.action === '';
  for (const rule of candidates) {
    if (!matchesRequest(rule.match, input)) continue;
    if (rule.except.length > 0 && rule.except.some((e) => matchesRequest(e, input))) continue;
    // An action Gatehouse cannot name is let through (or put to a person) only by a rule that says so, not by
    // one about its agent, connection or service alone; any deny may still stop it.
    if (unknownAction && rule.effect !== 'deny' && !rule.match.aws?.unknownActions) continue;
    const condition = rule.match.body;
    if (condition !== null || rule.match.cel?.some((c) => c.reads.object)) {
      const facts = view.facts();
      if (facts === 'undecodable') {
        needsBody ??= rule;
        continue;
      }
      if (condition !== null && (facts === 'none' || !condition(facts))) continue;
    }
    if (rule.match.cel !== null && !celHolds(rule, view, celErrors)) continue;
    matched.push(rule.id);
    if (rule.effect === 'deny') deny ??= rule;
    else if (rule.effect === 'approve') approve ??= rule;
    else allow ??= rule;
    if (rule.unmaskSecrets) unmask = true;
  }
  const errors = celErrors.length > 0 ? { celErrors } : {};
  if (!deny && needsBody) {
    const what = input.body.state === 'undecodable' ? `this request's body (${input.body.contentType || 'no content type'})` : 'what this patch writes without the live object';
    return {
      effect: 'deny',
      reason: 'undecodable-body',
      ruleId: needsBody.id,
      message:
        `Gatehouse cannot read ${what} and policy rule "${needsBody.id}" must inspect it. Send it as JSON or YAML: write a manifest and use kubectl apply -f (kubectl create <kind> and run send protobuf; client-go: set ContentType to application/json).`,
      unmaskSecrets: false,
      matchedRuleIds: matched,
      ...errors,
    };
  }
  const winner = deny ?? approve ?? allow;
  if (winner) {
    const celNote = winner.effect !== 'allow' && celErrors.some((e) => e.startsWith(`${winner.id}: `))
      ? ` (a CEL condition of this rule could not be evaluated, so Gatehouse applied it: ${celErrors.find((e) => e.startsWith(`${winner.id}: `))!.slice(winner.id.length + 2)})`
      : '';
    return { effect: winner.effect, reason: 'rule', ruleId: winner.id, message: winner.message + celNote, unmaskSecrets: unmask && !deny, matchedRuleIds: matched, ...errors };
  }
  if (unknownAction) {
    return {
      effect: 'deny',
      reason: 'unknown-action',
      ruleId: 'unknown-action',
      message: `Gatehouse cannot tell which ${input.aws!.service} action this call is (${input.aws!.summary}), so neither a rule about named actions nor a default lets it through. `
        + 'Use a current AWS SDK or CLI; if the action is new to Gatehouse, an operator can let such calls through with a policy rule '
        + `{ effect: allow, match: { connections: [${input.connection}], aws: { services: [${input.aws!.service}], unknownActions: true } } } (or effect: approve to have a person decide each).`,
      unmaskSecrets: false,
      matchedRuleIds: matched,
      ...errors,
    };
  }
  const connectionDefault = policy.defaults.get(input.connection);
  const effect = connectionDefault ?? policy.defaults.get('*') ?? IMPLICIT_DEFAULT_EFFECT;
  const from = connectionDefault ? `connection "${input.connection}"` : policy.defaults.has('*') ? 'all connections ("*")' : 'a policy without defaults';
  return {
    effect,
    reason: 'default',
    ruleId: 'default',
    message: `No Gatehouse policy rule matched; the default for ${from} is ${effect}.`,
    unmaskSecrets: false,
    matchedRuleIds: matched,
    ...errors,
  };
}

function celHolds(rule: CompiledRule, view: ObjectView, errors: string[]): boolean {
  const variables = view.celVariables();
  for (const condition of rule.match.cel ?? []) {
    const result = condition.evaluate(variables);
    if (result === true) continue;
    if (result === false) return false;
    errors.push(`${rule.id}: ${result.error}`);
    if (rule.effect === 'allow') return false;
  }
  return true;
}

const OPERATIONS: Readonly<Record<string, string>> = { create: 'CREATE', update: 'UPDATE', patch: 'UPDATE', delete: 'DELETE', deletecollection: 'DELETE' };
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** What rules judge, computed once per evaluation and only when a rule asks. */
class ObjectView {
  private bodyFacts?: BodyFacts | 'none' | 'undecodable';
  private variables?: CelVariables;

  constructor(private readonly input: PolicyInput) {}

  /** The stored object when known, else the body; 'none' without a body, 'undecodable' when it cannot be judged. */
  facts(): BodyFacts | 'none' | 'undecodable' {
    if (this.bodyFacts) return this.bodyFacts;
    const { input } = this;
    const body = input.body;
    if (input.object !== undefined) {
      this.bodyFacts = input.object === null ? 'none' : new BodyFacts(input.object, input.request.resource, undefined);
    } else if (body.state === 'undecodable') this.bodyFacts = 'undecodable';
    else if (body.state === 'none') this.bodyFacts = 'none';
    else if (body.value === undefined) this.bodyFacts = 'undecodable';
    else this.bodyFacts = new BodyFacts(body.value, input.request.resource, body.patchType);
    return this.bodyFacts;
  }

  celVariables(): CelVariables {
    if (this.variables) return this.variables;
    const { input } = this;
    const req = input.request;
    const facts = this.facts();
    // Convert the object once; pods and containers are views into the converted object.
    const object = typeof facts === 'object' ? toCelValue(facts.value) : null;
    const known = object !== null ? new BodyFacts(object, req.resource, undefined) : undefined;
    const id = input.identity;
    const operation = CONNECT_SUBRESOURCES.has(req.subresource) ? 'CONNECT' : OPERATIONS[req.verb] ?? '';
    const dryRun = new URLSearchParams(input.query ?? '').getAll('dryRun').length > 0;
    this.variables = {
      object,
      oldObject: input.oldObject === undefined ? null : toCelValue(input.oldObject),
      namespaceObject: input.namespaceObject === undefined ? null : toCelValue(input.namespaceObject),
      pods: known ? known.pods().map((p) => Object.assign(Object.create(null) as object, p)) : [],
      podSpecs: known ? known.podSpecs() : [],
      allContainers: known ? known.containers() : [],
      request: {
        operation, verb: req.verb, namespace: req.namespace, name: req.name, subResource: req.subresource, dryRun,
        resource: { group: req.apiGroup, version: req.apiVersion, resource: req.resource },
        userInfo: { username: id.agent, groups: [...id.groups] },
      },
      agent: { agent: id.agent, issuer: id.issuer, session: id.session, groups: [...id.groups], claims: { ...id.claims } },
      connection: input.connection,
    };
    return this.variables;
  }
}

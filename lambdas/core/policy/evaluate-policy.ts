import { BodyFacts } from './body-conditions';
import type { CompiledRule } from './compiled-rule';
import { matchesRequest } from './compiled-rule';
import { CompiledPolicy, IMPLICIT_DEFAULT_EFFECT } from './compile-policy';
import type { PolicyDecision, PolicyInput } from './policy-types';

/**
 * Decides a request: every candidate rule is checked (so the record lists all matches), then the strongest
 * effect wins (deny > approve > allow); among rules of that effect the first in policy order gives the id and
 * message. Without a matching rule the connection's default applies (`*` otherwise, else deny).
 *
 * A rule whose non-body conditions match but whose body conditions cannot be judged because the body is
 * undecodable (protobuf, unknown content type) makes the decision `{ effect: 'deny', reason: 'undecodable-body' }`,
 * which the proxy answers with 415 — unless a rule denies the request outright anyway.
 */
export function evaluatePolicy(policy: CompiledPolicy, input: PolicyInput): PolicyDecision {
  const req = input.request;
  const candidates = policy.index.candidates(req.verb, req.isResourceRequest ? req.resource : '');
  const matched: string[] = [];
  let deny: CompiledRule | undefined;
  let approve: CompiledRule | undefined;
  let allow: CompiledRule | undefined;
  let needsBody: CompiledRule | undefined;
  let unmask = false;
  let facts: BodyFacts | undefined;
  for (const rule of candidates) {
    if (!matchesRequest(rule.match, input)) continue;
    if (rule.except.length > 0 && rule.except.some((e) => matchesRequest(e, input))) continue;
    const condition = rule.match.body;
    if (condition !== null) {
      const body = input.body;
      if (body.state === 'undecodable') {
        needsBody ??= rule;
        continue;
      }
      if (body.state === 'none') continue;
      facts ??= new BodyFacts(body.value, req.resource, body.patchType);
      if (!condition(facts)) continue;
    }
    matched.push(rule.id);
    if (rule.effect === 'deny') deny ??= rule;
    else if (rule.effect === 'approve') approve ??= rule;
    else allow ??= rule;
    if (rule.unmaskSecrets) unmask = true;
  }
  if (!deny && needsBody && input.body.state === 'undecodable') {
    return {
      effect: 'deny',
      reason: 'undecodable-body',
      ruleId: needsBody.id,
      message:
        `Gatehouse cannot read this request's body (${input.body.contentType || 'no content type'}) and policy rule ` +
        `"${needsBody.id}" must inspect it. Send it as JSON or YAML: write a manifest and use kubectl apply -f (kubectl create <kind> and run send protobuf; client-go: set ContentType to application/json).`,
      unmaskSecrets: false,
      matchedRuleIds: matched,
    };
  }
  const winner = deny ?? approve ?? allow;
  if (winner) {
    return { effect: winner.effect, reason: 'rule', ruleId: winner.id, message: winner.message, unmaskSecrets: unmask && !deny, matchedRuleIds: matched };
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
  };
}

import { ConfigError } from '../../../lambdas/core/errors';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { policyNeeds } from '../../../lambdas/core/policy/policy-needs';
import { identity, input, objectBody, podSpec, policyFrom, resourceRequest } from './policy-test-support';

const policy = (rules: string, defaults = '{ "*": allow }') => policyFrom(`apiVersion: gatehouse.dev/v1\nkind: Policy\ndefaults: ${defaults}\nrules:\n${rules}`);

function problems(rules: string): string[] {
  try {
    policy(rules);
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
  return [];
}

const noLatest = policy(`
  - id: no-latest
    effect: deny
    match:
      verbs: [create, update, patch]
      resources: [pods, deployments]
      cel: "allContainers.exists(c, c.?image.orValue('').endsWith(':latest'))"
  - id: replicas-capped
    effect: deny
    match: { verbs: [create, update], resources: [deployments], apiGroups: [apps], cel: "object.spec.replicas > 10" }
  - id: dry-runs-only-for-bots
    effect: deny
    match: { verbs: [delete], agents: ["bot-*"], cel: "!request.dryRun" }
  - id: prod-label
    effect: approve
    match: { verbs: [create], cel: "namespaceObject != null && namespaceObject.metadata.?labels.?tier.orValue('') == 'prod'" }
`);

describe('CEL conditions', () => {
  it.each([
    ['a pod with a :latest image', resourceRequest({ verb: 'create', resource: 'pods', namespace: 'a' }), { spec: podSpec({}, { image: 'nginx:latest' }) }, 'deny', 'no-latest'],
    ['a pod with a pinned image', resourceRequest({ verb: 'create', resource: 'pods', namespace: 'a' }), { spec: podSpec() }, 'allow', 'default'],
    ['an init container with :latest in a deployment', resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'a' }), { spec: { template: { spec: { ...podSpec(), initContainers: [{ name: 'i', image: 'x:latest' }] } } } }, 'deny', 'no-latest'],
    ['a deployment of 11 replicas (int arithmetic on JSON numbers)', resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'a' }), { spec: { replicas: 11, template: { spec: podSpec() } } }, 'deny', 'replicas-capped'],
    ['a deployment of 3 replicas', resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'a' }), { spec: { replicas: 3, template: { spec: podSpec() } } }, 'allow', 'default'],
  ])('judges %s', (_name, request, body, effect, ruleId) => {
    const decision = evaluatePolicy(noLatest, input(request, { body: objectBody(body), object: body }));
    expect([decision.effect, decision.ruleId]).toEqual([effect, ruleId]);
  });

  it('reads request.dryRun from the query', () => {
    const req = resourceRequest({ verb: 'delete', resource: 'pods', namespace: 'a', name: 'p' });
    const bot = identity({ agent: 'bot-1' });
    expect(evaluatePolicy(noLatest, input(req, { identity: bot, query: 'dryRun=All' })).effect).toBe('allow');
    expect(evaluatePolicy(noLatest, input(req, { identity: bot, query: '' })).ruleId).toBe('dry-runs-only-for-bots');
  });

  it('reads namespaceObject when the proxy supplies it, and treats an unknown namespace as null', () => {
    const req = resourceRequest({ verb: 'create', resource: 'configmaps', namespace: 'a' });
    const body = objectBody({ data: {} });
    expect(evaluatePolicy(noLatest, input(req, { body, namespaceObject: { metadata: { labels: { tier: 'prod' } } } })).effect).toBe('approve');
    expect(evaluatePolicy(noLatest, input(req, { body, namespaceObject: null })).effect).toBe('allow');
  });

  it('fails closed when a deny rule\'s condition cannot be evaluated, and says why', () => {
    const p = policy(`
  - id: needs-field
    effect: deny
    match: { verbs: [create], resources: [pods], cel: "object.spec.securityContext.runAsNonRoot != true" }
`);
    const req = resourceRequest({ verb: 'create', resource: 'pods', namespace: 'a' });
    const decision = evaluatePolicy(p, input(req, { body: objectBody({ spec: podSpec() }), object: { spec: podSpec() } }));
    expect(decision).toMatchObject({ effect: 'deny', ruleId: 'needs-field' });
    expect(decision.message).toMatch(/could not be evaluated.*securityContext/);
    expect(decision.celErrors).toEqual([expect.stringContaining('needs-field: ')]);
  });

  it('does not let an allow rule whose condition errors open anything', () => {
    const p = policy(`
  - id: maybe-allow
    effect: allow
    match: { verbs: [create], resources: [pods], cel: "object.spec.missing.field == 'x'" }
`, '{ "*": deny }');
    const req = resourceRequest({ verb: 'create', resource: 'pods', namespace: 'a' });
    expect(evaluatePolicy(p, input(req, { body: objectBody({ spec: {} }), object: { spec: {} } })).effect).toBe('deny');
  });

  it.each([
    ['a syntax error, with its column', `cel: "object.spec +"`, /match\.cel: CEL column 14: Unexpected token/],
    ['an unknown variable', `cel: "nope == 1"`, /match\.cel: CEL column 1: Unknown variable: nope/],
    ['a type error', `cel: "'a' + 1 == 'a1'"`, /match\.cel: CEL column \d+: no such overload: string \+ int/],
    ['a non-boolean expression', `cel: "1 + 2"`, /match\.cel: CEL must be a boolean condition, but its type is int/],
    ['object on a verb without a body', `cel: "has(object.spec)"`, /CEL conditions on object cannot apply to get/],
    ['oldObject on create', `cel: "oldObject != null"`, /CEL conditions on oldObject apply only to update, patch, delete/],
  ])('rejects %s at load, naming the file, rule and position', (_name, cel, expected) => {
    const found = problems(`  - id: r1\n    effect: deny\n    match: { verbs: [${cel.includes('oldObject') ? 'create' : cel.includes('object') ? 'get' : 'create'}], ${cel} }\n`);
    expect(found.join('\n')).toMatch(/^policy\.yaml:\d+: rule "r1": /);
    expect(found.join('\n')).toMatch(expected);
  });
});

describe('policyNeeds', () => {
  const p = policyFrom(`apiVersion: gatehouse.dev/v1
kind: Policy
packs: [baseline, production-approval]
defaults: { "*": allow }
rules:
  - id: old-replicas
    effect: deny
    match: { verbs: [update], resources: [deployments], cel: "oldObject.spec.replicas > object.spec.replicas" }
`);
  const patchBody = { state: 'decoded' as const, value: {}, patchType: 'merge' as const, patch: {} };
  it.each([
    ['a patch of a deployment (the baseline pack inspects pod specs)', resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'a', name: 'd' }), patchBody, { liveObject: true, namespace: true }],
    ['a patch of a configmap (no body rule), in a namespace (label rules)', resourceRequest({ verb: 'patch', resource: 'configmaps', namespace: 'a', name: 'c' }), patchBody, { liveObject: false, namespace: true }],
    ['a get (nothing to read)', resourceRequest({ verb: 'get', resource: 'pods', namespace: 'a', name: 'p' }), { state: 'none' as const }, { liveObject: false, namespace: false }],
    ['an update read by an oldObject rule', resourceRequest({ verb: 'update', resource: 'deployments', apiGroup: 'apps', namespace: 'a', name: 'd' }), objectBody({}), { liveObject: true, namespace: true }],
    ['a cluster-scoped patch', resourceRequest({ verb: 'patch', resource: 'clusterroles', apiGroup: 'rbac.authorization.k8s.io', name: 'r' }), patchBody, { liveObject: true, namespace: false }],
  ])('asks for the reads of %s', (_name, request, body, expected) => {
    expect(policyNeeds(p, input(request, { body }))).toEqual(expected);
  });
});

import { classifyRequest } from '../../../lambdas/core/classify-request';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { policyNeeds } from '../../../lambdas/core/policy/policy-needs';
import { input, nonResourceRequest, objectBody, policyFrom, resourceRequest } from './policy-test-support';

// Every policy here is compiled inside its test, not at the top of a describe: Stryker activates a mutant only
// while a test runs, so a policy compiled when the file loads would not show a mutant of compileRule.

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';
const policyOf = (rules: string, defaults = '{ "*": allow }') => policyFrom(`${header}defaults: ${defaults}\nrules:\n${rules}`);

describe('which effect wins', () => {
  it('lets an approve rule win over an allow rule listed before it', () => {
    // Arrange
    const policy = policyOf(`
  - id: reads-and-scales
    effect: allow
    match: { verbs: [patch], resources: [deployments] }
  - id: prod-needs-approval
    effect: approve
    match: { verbs: [patch], namespaces: [prod] }
`, '{ "*": deny }');
    // Act
    const decision = evaluatePolicy(policy, input(resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'prod', name: 'web' })));
    // Assert
    expect({ effect: decision.effect, ruleId: decision.ruleId, matched: decision.matchedRuleIds }).toEqual({ effect: 'approve', ruleId: 'prod-needs-approval', matched: ['reads-and-scales', 'prod-needs-approval'] });
  });

  it('unmasks Secrets for an allow rule with unmaskSecrets', () => {
    // Arrange
    const policy = policyOf(`
  - id: rotator-reads-secrets
    effect: allow
    unmaskSecrets: true
    match: { verbs: [get], resources: [secrets] }
`);
    // Act
    const decision = evaluatePolicy(policy, input(resourceRequest({ verb: 'get', resource: 'secrets', namespace: 'a', name: 'db' })));
    // Assert
    expect({ effect: decision.effect, unmaskSecrets: decision.unmaskSecrets }).toEqual({ effect: 'allow', unmaskSecrets: true });
  });
});

describe('what a rule covers', () => {
  it('matches every verb with verbs: ["*"]', () => {
    // Arrange
    const policy = policyOf(`
  - id: no-touching-kube-system
    effect: deny
    match: { verbs: ["*"], namespaces: [kube-system] }
`);
    // Act
    const effects = ['get', 'list', 'delete', 'patch'].map((verb) => evaluatePolicy(policy, input(resourceRequest({ verb, resource: 'pods', namespace: 'kube-system', name: verb === 'list' ? undefined : 'p' }))).effect);
    // Assert
    expect(effects).toEqual(['deny', 'deny', 'deny', 'deny']);
  });

  it('does not stretch a rule on every resource (resources: ["*"]) to non-resource URLs such as /version', () => {
    // Arrange
    const policy = policyOf(`
  - id: no-reads-of-anything
    effect: deny
    match: { verbs: [get], resources: ["*"] }
`);
    // Act
    const version = evaluatePolicy(policy, input(nonResourceRequest('/version')));
    const pods = evaluatePolicy(policy, input(resourceRequest({ verb: 'get', resource: 'pods', namespace: 'a', name: 'p' })));
    // Assert
    expect({ version: `${version.effect} ${version.ruleId}`, pods: `${pods.effect} ${pods.ruleId}` }).toEqual({ version: 'allow default', pods: 'deny no-reads-of-anything' });
  });

  it('applies the rules on every resource, once, to a request naming a resource literally "*"', () => {
    // Arrange: GET /api/v1/* classifies as resource "*" (the API server answers 404; the record must still be right)
    const policy = policyOf(`
  - id: no-reads-of-anything
    effect: deny
    match: { verbs: [get, list], resources: ["*"] }
`);
    const request = classifyRequest('GET', '/api/v1/*', new URLSearchParams());
    // Act
    const decision = evaluatePolicy(policy, input(request));
    // Assert
    expect({ resource: request.resource, effect: decision.effect, matched: decision.matchedRuleIds }).toEqual({ resource: '*', effect: 'deny', matched: ['no-reads-of-anything'] });
  });
});

describe('CEL conditions on the object', () => {
  it('names the failing condition of the winning rule in its message, without the rule id or another rule\'s error', () => {
    // Arrange: both conditions fail (fields absent); the allow rule's error is recorded first
    const policy = policyOf(`
  - id: small-ok
    effect: allow
    match: { verbs: [create], cel: "object.spec.size < 3" }
  - id: no-big
    effect: deny
    message: Too big.
    match: { verbs: [create], cel: "object.spec.replicas > 10" }
`);
    // Act
    const decision = evaluatePolicy(policy, input(resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'a' }), { body: objectBody({ spec: {} }) }));
    // Assert
    expect({ ruleId: decision.ruleId, message: decision.message, celErrors: decision.celErrors }).toEqual({
      ruleId: 'no-big',
      message: 'Too big. (a CEL condition of this rule could not be evaluated, so Gatehouse applied it: No such key: replicas)',
      celErrors: ['small-ok: No such key: size', 'no-big: No such key: replicas'],
    });
  });

  it('refuses a body it cannot read (415) when a CEL rule must inspect the object, instead of judging it as absent', () => {
    // Arrange
    const policy = policyOf(`
  - id: no-host-network
    effect: deny
    match: { verbs: [create], resources: [pods], cel: "object.spec.hostNetwork == true" }
`);
    // Act
    const decision = evaluatePolicy(policy, input(resourceRequest({ verb: 'create', resource: 'pods', namespace: 'a' }), { body: { state: 'undecodable', contentType: 'application/vnd.kubernetes.protobuf' } }));
    // Assert
    expect({ effect: decision.effect, reason: decision.reason, ruleId: decision.ruleId }).toEqual({ effect: 'deny', reason: 'undecodable-body', ruleId: 'no-host-network' });
  });

  it('reads the live object for a patch that a CEL rule on the object judges', () => {
    // Arrange
    const policy = policyOf(`
  - id: replicas-capped
    effect: deny
    match: { verbs: [patch], resources: [deployments], apiGroups: [apps], cel: "object.spec.replicas > 10" }
`);
    const patch = { spec: { replicas: 3 } };
    // Act
    const needs = policyNeeds(policy, input(resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'a', name: 'web' }), { body: { state: 'decoded', value: patch, patchType: 'merge', patch } }));
    // Assert
    expect(needs).toEqual({ liveObject: true, namespace: false });
  });
});

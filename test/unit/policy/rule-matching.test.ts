import { ForbiddenError, UnsupportedMediaTypeError } from '../../../lambdas/core/errors';
import { labelsOf } from '../../../lambdas/core/policy/compiled-rule';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { policyDecisionError } from '../../../lambdas/core/policy/policy-decision-error';
import { policyNeeds } from '../../../lambdas/core/policy/policy-needs';
import type { BodyInput, PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity, input, nonResourceRequest, objectBody, podSpec, policyFrom, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';
const r = resourceRequest;

/** A policy of the given rules (YAML list items), with a default for every connection. */
const rules = (text: string, defaults = '{ "*": allow }') => policyFrom(`${header}defaults: ${defaults}\nrules:\n${text}`);

/** The effect and rule of one decision. */
const outcome = (decision: { effect: string; ruleId: string }) => `${decision.effect} ${decision.ruleId}`;

describe('which requests a rule matches', () => {
  const policy = rules(`
  - id: any-verb
    effect: deny
    match: { verbs: ["*"], names: [forbidden] }
  - id: in-namespaces
    effect: deny
    match: { namespaces: ["*"], verbs: [options] }
  - id: urls
    effect: deny
    match: { nonResourceURLs: ["*"], verbs: [post] }
  - id: team-claim
    effect: deny
    match: { claims: { team: "*" }, verbs: [delete] }
  - id: labelled
    effect: deny
    match: { namespaceLabels: { frozen: "*" }, verbs: [update] }
  - id: on-connection
    effect: deny
    match: { connections: ["prod-*"], verbs: [deletecollection] }
  - id: by-agent
    effect: deny
    match: { agents: [intruder], verbs: [watch] }
  - id: exec-only
    effect: deny
    match: { resources: [pods], subresources: [exec], verbs: [create] }
  - id: in-group
    effect: approve
    match: { groups: [admins], verbs: [patch] }
`);

  it.each<[string, PolicyInput, string]>([
    ['verbs: ["*"] covers every verb', input(r({ verb: 'escalate', resource: 'roles', name: 'forbidden' })), 'deny any-verb'],
    ['a namespaced rule leaves non-resource requests alone', input(nonResourceRequest('/healthz', 'options')), 'allow default'],
    ['a namespaced rule holds for resource requests', input(r({ verb: 'options', resource: 'pods', namespace: 'shop' })), 'deny in-namespaces'],
    ['a non-resource rule leaves resource requests alone', input(r({ verb: 'post', resource: 'pods', namespace: 'a' })), 'allow default'],
    ['a non-resource rule holds for a URL', input(nonResourceRequest('/logs', 'post')), 'deny urls'],
    ['a claim glob * needs the claim', input(r({ verb: 'delete', resource: 'pods', namespace: 'a', name: 'p' })), 'allow default'],
    ['a claim glob * holds for any value of the claim', input(r({ verb: 'delete', resource: 'pods', namespace: 'a', name: 'p' }), { identity: identity({ claims: { team: 'x' } }) }), 'deny team-claim'],
    ['a label glob * needs the label', input(r({ verb: 'update', resource: 'pods', namespace: 'a', name: 'p' }), { namespaceLabels: { tier: 'x' } }), 'allow default'],
    ['a label glob * holds for any value of the label', input(r({ verb: 'update', resource: 'pods', namespace: 'a', name: 'p' }), { namespaceLabels: { frozen: 'yes' } }), 'deny labelled'],
    ['labels are read from the Namespace object', input(r({ verb: 'update', resource: 'pods', namespace: 'a', name: 'p' }), { namespaceObject: { metadata: { labels: { frozen: 'yes' } } } }), 'deny labelled'],
    ['a Namespace object without the label', input(r({ verb: 'update', resource: 'pods', namespace: 'a', name: 'p' }), { namespaceObject: { metadata: { labels: { other: 'yes' } } } }), 'allow default'],
    ['a connection glob', input(r({ verb: 'deletecollection', resource: 'pods', namespace: 'a' }), { connection: 'prod-eu' }), 'deny on-connection'],
    ['another connection', input(r({ verb: 'deletecollection', resource: 'pods', namespace: 'a' }), { connection: 'staging' }), 'allow default'],
    ['an agent', input(r({ verb: 'watch', resource: 'pods', namespace: 'a' }), { identity: identity({ agent: 'intruder' }) }), 'deny by-agent'],
    ['another agent', input(r({ verb: 'watch', resource: 'pods', namespace: 'a' })), 'allow default'],
    ['a listed subresource', input(r({ verb: 'create', resource: 'pods', namespace: 'a', name: 'p', subresource: 'exec' })), 'deny exec-only'],
    ['the resource itself when only a subresource is listed', input(r({ verb: 'create', resource: 'pods', namespace: 'a' })), 'allow default'],
    ['one group of several', input(r({ verb: 'patch', resource: 'pods', namespace: 'a', name: 'p' }), { identity: identity({ groups: ['devs', 'admins'] }) }), 'approve in-group'],
    ['no group listed', input(r({ verb: 'patch', resource: 'pods', namespace: 'a', name: 'p' }), { identity: identity({ groups: ['devs'] }) }), 'allow default'],
  ])('%s', (_name, policyInput, expected) => {
    // Act
    const decision = evaluatePolicy(policy, policyInput);
    // Assert
    expect(outcome(decision)).toBe(expected);
  });

  it('takes the message and id of the first matching rule in policy order, and lists every match in that order', () => {
    // Arrange: the first rule sits in the index's "any verb" bucket, the others under their verb and resource.
    const policy = rules(`
  - id: first
    effect: deny
    match: { namespaces: [shop] }
  - id: second
    effect: deny
    match: { verbs: [delete], resources: [pods] }
  - id: third
    effect: deny
    match: { verbs: [delete] }
  - id: fourth
    effect: deny
    match: { resources: [pods] }
`);
    // Act
    const decision = evaluatePolicy(policy, input(r({ verb: 'delete', resource: 'pods', namespace: 'shop', name: 'p' })));
    // Assert
    expect(decision.matchedRuleIds).toEqual(['first', 'second', 'third', 'fourth']);
    expect(decision.ruleId).toBe('first');
  });

  it('finds rules listed under several verbs and resources', () => {
    const policy = rules('  - id: both\n    effect: deny\n    match: { verbs: [get, delete], resources: [pods, secrets] }\n');
    const decided = [['get', 'pods'], ['delete', 'pods'], ['get', 'secrets'], ['delete', 'secrets'], ['list', 'pods'], ['get', 'configmaps']]
      .map(([verb, resource]) => outcome(evaluatePolicy(policy, input(r({ verb, resource, namespace: 'a', name: 'x' })))));
    expect(decided).toEqual(['deny both', 'deny both', 'deny both', 'deny both', 'allow default', 'allow default']);
  });

  it('finds rules whose resources are globs for any resource', () => {
    const policy = rules('  - id: all-rbac\n    effect: deny\n    match: { verbs: [create], resources: ["*bindings"] }\n  - id: everything\n    effect: approve\n    match: { verbs: [update], resources: ["*"] }\n');
    expect(outcome(evaluatePolicy(policy, input(r({ verb: 'create', resource: 'rolebindings', namespace: 'a' }))))).toBe('deny all-rbac');
    expect(outcome(evaluatePolicy(policy, input(r({ verb: 'create', resource: 'roles', namespace: 'a' }))))).toBe('allow default');
    expect(outcome(evaluatePolicy(policy, input(r({ verb: 'update', resource: 'widgets', namespace: 'a', name: 'w' }))))).toBe('approve everything');
  });
});

describe('decision messages', () => {
  it.each([
    ['deny', 'Denied by Gatehouse policy rule "r1".'],
    ['approve', 'This request needs an approval (Gatehouse policy rule "r1").'],
    ['allow', 'Allowed by Gatehouse policy rule "r1".'],
  ])('writes a default message for a %s rule without one', (effect, expected) => {
    const policy = rules(`  - id: r1\n    effect: ${effect}\n    match: {}\n`, '{ "*": deny }');
    expect(evaluatePolicy(policy, input(r({ verb: 'get', resource: 'pods', namespace: 'a' }))).message).toBe(expected);
  });

  it.each([
    ['the * default', '{ "*": approve }', 'staging', 'No Gatehouse policy rule matched; the default for all connections ("*") is approve.'],
    ['the connection\'s default', '{ "*": allow, staging: deny }', 'staging', 'No Gatehouse policy rule matched; the default for connection "staging" is deny.'],
    ['no default at all', '{ prod: allow }', 'staging', 'No Gatehouse policy rule matched; the default for a policy without defaults is deny.'],
  ])('explains %s', (_name, defaults, connection, expected) => {
    const policy = policyFrom(`${header}defaults: ${defaults}\n`);
    const decision = evaluatePolicy(policy, input(r({ verb: 'get', resource: 'pods', namespace: 'a' }), { connection }));
    expect({ reason: decision.reason, ruleId: decision.ruleId, message: decision.message, unmaskSecrets: decision.unmaskSecrets, matchedRuleIds: decision.matchedRuleIds })
      .toEqual({ reason: 'default', ruleId: 'default', message: expected, unmaskSecrets: false, matchedRuleIds: [] });
  });

  const bodyRule = rules('  - id: no-host-network\n    effect: deny\n    match: { verbs: [create, patch], resources: [pods], body: { hostNamespaces: true } }\n');

  it('says which content type it cannot read, and that a body rule needs it', () => {
    const body: BodyInput = { state: 'undecodable', contentType: 'application/cbor' };
    const decision = evaluatePolicy(bodyRule, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }), { body }));
    expect(decision).toEqual({
      effect: 'deny', reason: 'undecodable-body', ruleId: 'no-host-network', unmaskSecrets: false, matchedRuleIds: [],
      message: 'Gatehouse cannot read this request\'s body (application/cbor) and policy rule "no-host-network" must inspect it. Send it as JSON or YAML: write a manifest and use kubectl apply -f (kubectl create <kind> and run send protobuf; client-go: set ContentType to application/json).',
    });
    expect(policyDecisionError(decision)).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('says so when the body has no content type', () => {
    const body: BodyInput = { state: 'undecodable', contentType: '' };
    const decision = evaluatePolicy(bodyRule, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }), { body }));
    expect(decision.message).toContain('cannot read this request\'s body (no content type)');
  });

  it('says a patch copying live state cannot be judged without the live object', () => {
    const body: BodyInput = { state: 'decoded', value: undefined, patchType: 'json', patch: [{ op: 'copy', from: '/a', path: '/spec/hostNetwork' }] };
    const decision = evaluatePolicy(bodyRule, input(r({ verb: 'patch', resource: 'pods', namespace: 'a', name: 'p' }), { body }));
    expect({ effect: decision.effect, reason: decision.reason }).toEqual({ effect: 'deny', reason: 'undecodable-body' });
    expect(decision.message).toContain('Gatehouse cannot read what this patch writes without the live object and policy rule "no-host-network"');
  });

  it('judges the live object with the patch applied when the proxy supplies it, whatever the patch text', () => {
    const body: BodyInput = { state: 'decoded', value: undefined, patchType: 'json', patch: [] };
    const request = r({ verb: 'patch', resource: 'pods', namespace: 'a', name: 'p' });
    expect(outcome(evaluatePolicy(bodyRule, input(request, { body, object: { spec: podSpec({ hostNetwork: true }) } })))).toBe('deny no-host-network');
    expect(outcome(evaluatePolicy(bodyRule, input(request, { body, object: { spec: podSpec() } })))).toBe('allow default');
    expect(outcome(evaluatePolicy(bodyRule, input(request, { body, object: null })))).toBe('allow default');
  });

  it('lets a body rule pass a request without a body', () => {
    expect(outcome(evaluatePolicy(bodyRule, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }))))).toBe('allow default');
  });

  it('names the rule in the 403 of a deny, and raises nothing for allow and approve', () => {
    const policy = rules('  - id: stop\n    effect: deny\n    message: Not here.\n    match: { verbs: [delete] }\n  - id: ask\n    effect: approve\n    match: { verbs: [create] }\n');
    const denied = evaluatePolicy(policy, input(r({ verb: 'delete', resource: 'pods', namespace: 'a', name: 'p' })));
    const error = policyDecisionError(denied);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error?.message).toBe('Denied by Gatehouse policy rule "stop": Not here.');
    expect(policyDecisionError(evaluatePolicy(policy, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }))))).toBeUndefined();
    expect(policyDecisionError(evaluatePolicy(policy, input(r({ verb: 'get', resource: 'pods', namespace: 'a' }))))).toBeUndefined();
  });
});

describe('unmaskSecrets', () => {
  const policy = rules(`
  - id: rotator
    effect: allow
    unmaskSecrets: true
    match: { agents: [rotator], resources: [secrets] }
  - id: ask
    effect: approve
    match: { namespaces: [prod] }
  - id: plain
    effect: allow
    match: { resources: [secrets] }
`);

  it.each([
    ['an allow rule with unmaskSecrets matches', 'rotator', 'shop', true],
    ['only a plain allow rule matches', 'someone', 'shop', false],
    ['the approval wins but the unmasking rule matched too', 'rotator', 'prod', true],
  ])('unmasks when %s: %s', (_name, agent, namespace, expected) => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'get', resource: 'secrets', namespace, name: 's' }), { identity: identity({ agent }) }));
    expect(decision.unmaskSecrets).toBe(expected);
  });
});

describe('labelsOf', () => {
  it.each<[string, unknown, Record<string, string> | undefined]>([
    ['an unknown namespace', undefined, undefined],
    ['no namespace (null)', null, {}],
    ['a Namespace without metadata', {}, {}],
    ['metadata null', { metadata: null }, {}],
    ['labels null', { metadata: { labels: null } }, {}],
    ['labels that are text', { metadata: { labels: 'a=b' } }, {}],
    ['labels, dropping values that are not text', { metadata: { labels: { team: 'shop', count: 3, none: null } } }, { team: 'shop' }],
  ])('reads %s', (_name, namespace, expected) => {
    expect(labelsOf(namespace)).toEqual(expected);
  });
});

describe('policyNeeds: what the proxy reads before deciding', () => {
  const policy = rules(`
  - id: ns-cel
    effect: deny
    match: { verbs: [create], resources: [configmaps], cel: "namespaceObject != null && has(namespaceObject.metadata.labels)" }
  - id: except-labels
    effect: deny
    match: { verbs: [delete], resources: [configmaps] }
    except: { namespaceLabels: { keep: "yes" } }
  - id: body-on-patch
    effect: deny
    match: { verbs: [patch], resources: [secrets], namespaces: [a], body: { fields: [{ path: type, values: [x] }] } }
  - id: old-on-delete
    effect: deny
    match: { verbs: [delete], resources: [secrets], cel: "oldObject.type == 'x'" }
  - id: first-reads-nothing
    effect: deny
    match: { verbs: [patch], resources: [services], names: [web] }
  - id: second-reads-labels
    effect: deny
    match: { verbs: [patch], resources: [services], namespaceLabels: { tier: prod } }
  - id: live-first
    effect: deny
    match: { verbs: [patch], resources: [leases], body: { fields: [{ path: spec, exists: true }] } }
  - id: labels-second
    effect: deny
    match: { verbs: [patch], resources: [leases], namespaceLabels: { tier: prod } }
`);
  const decoded: BodyInput = { state: 'decoded', value: { type: 'x' }, patchType: 'merge', patch: { type: 'x' } };

  it.each<[string, PolicyInput, { liveObject: boolean; namespace: boolean }]>([
    ['a non-resource request', input(nonResourceRequest('/version')), { liveObject: false, namespace: false }],
    ['a CEL rule on namespaceObject', input(r({ verb: 'create', resource: 'configmaps', namespace: 'a' }), { body: objectBody({}) }), { liveObject: false, namespace: true }],
    ['a CEL rule on namespaceObject, cluster-wide', input(r({ verb: 'create', resource: 'configmaps' }), { body: objectBody({}) }), { liveObject: false, namespace: false }],
    ['an except block on namespace labels', input(r({ verb: 'delete', resource: 'configmaps', namespace: 'a', name: 'c' })), { liveObject: false, namespace: true }],
    ['a body rule on a decoded patch', input(r({ verb: 'patch', resource: 'secrets', namespace: 'a', name: 's' }), { body: decoded }), { liveObject: true, namespace: false }],
    ['a body rule on a patch it cannot read', input(r({ verb: 'patch', resource: 'secrets', namespace: 'a', name: 's' }), { body: { state: 'undecodable', contentType: 'application/cbor' } }), { liveObject: false, namespace: false }],
    ['a body rule on a patch without a name', input(r({ verb: 'patch', resource: 'secrets', namespace: 'a' }), { body: decoded }), { liveObject: false, namespace: false }],
    ['an oldObject rule on a delete', input(r({ verb: 'delete', resource: 'secrets', namespace: 'a', name: 's' })), { liveObject: true, namespace: false }],
    ['an oldObject rule on a delete without a name', input(r({ verb: 'delete', resource: 'secrets', namespace: 'a' })), { liveObject: false, namespace: false }],
    ['a label rule after a rule that reads nothing', input(r({ verb: 'patch', resource: 'services', namespace: 'a', name: 'web' }), { body: decoded }), { liveObject: false, namespace: true }],
    ['a body rule whose request line does not match', input(r({ verb: 'patch', resource: 'secrets', namespace: 'b', name: 's' }), { body: decoded }), { liveObject: false, namespace: false }],
    ['a label rule after a body rule', input(r({ verb: 'patch', resource: 'leases', namespace: 'a', name: 'l' }), { body: decoded }), { liveObject: true, namespace: true }],
    ['a body rule, cluster-wide', input(r({ verb: 'patch', resource: 'leases', name: 'l' }), { body: decoded }), { liveObject: true, namespace: false }],
  ])('%s', (_name, policyInput, expected) => {
    // Act
    const needs = policyNeeds(policy, policyInput);
    // Assert
    expect(needs).toEqual(expected);
  });
});

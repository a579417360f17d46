import { celProblem, compileCelCondition, toCelValue } from '../../../lambdas/core/policy/cel-condition';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import type { PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity, input, objectBody, podSpec, policyFrom, problemsOf, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';
const r = resourceRequest;

/**
 * A policy allowing exactly what `cel` accepts (default deny), so a condition that errors denies. A condition on
 * the object may only name verbs with a body, one on oldObject only update here.
 */
function allowWhen(cel: string): ReturnType<typeof policyFrom> {
  const verbs = /\boldObject\b/.test(cel) ? '[update]'
    : /\b(object|pods|podSpecs|allContainers)\b/.test(cel) ? '[create, update, patch]' : '[create, update, patch, delete, get, deletecollection]';
  return policyFrom(`${header}defaults: { "*": deny }\nrules:\n  - id: when\n    effect: allow\n    match: { verbs: ${verbs}, cel: ${JSON.stringify(cel)} }\n`);
}

describe('what CEL conditions see', () => {
  const deployment = {
    metadata: { name: 'web' },
    spec: { replicas: 2, ports: null, template: { metadata: { labels: { app: 'web' } }, spec: podSpec({ initContainers: [{ name: 'init', image: 'busybox' }] }) } },
  };
  const create = r({ verb: 'create', resource: 'deployments', apiGroup: 'apps', apiVersion: 'v1', namespace: 'shop' });
  const withBody = (request = create, extra: Partial<PolicyInput> = {}) => input(request, { body: objectBody(deployment), ...extra });

  it.each<[string, string, PolicyInput]>([
    ['the object', "object.metadata.name == 'web'", withBody()],
    ['JSON integers as int', 'object.spec.replicas == 2', withBody()],
    ['null fields as absent', '!has(object.spec.ports)', withBody()],
    ['the pods of a workload, with their metadata', "pods.size() == 1 && pods[0].metadata.labels.app == 'web'", withBody()],
    ['the pod specs', "podSpecs.size() == 1 && podSpecs[0].containers[0].name == 'app'", withBody()],
    ['every container, init containers included', "allContainers.map(c, c.name) == ['app', 'init']", withBody()],
    ['the operation of a create', "request.operation == 'CREATE'", withBody()],
    ['the operation of a patch', "request.operation == 'UPDATE'", withBody(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }))],
    ['the operation of a deletecollection', "request.operation == 'DELETE'", input(r({ verb: 'deletecollection', resource: 'pods', namespace: 'shop' }))],
    ['the operation of an exec', "request.operation == 'CONNECT'", input(r({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'p', subresource: 'exec' }))],
    ['no operation for a read', "request.operation == ''", input(r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'p' }))],
    ['the request line', "request.verb == 'create' && request.namespace == 'shop' && request.name == '' && request.subResource == ''", withBody()],
    ['the name and subresource', "request.name == 'p' && request.subResource == 'status'", withBody(r({ verb: 'update', resource: 'pods', namespace: 'shop', name: 'p', subresource: 'status' }))],
    ['the resource', "request.resource.group == 'apps' && request.resource.version == 'v1' && request.resource.resource == 'deployments'", withBody()],
    ['the user', "request.userInfo.username == 'bot' && request.userInfo.groups == ['ci', 'deployers']", withBody(create, { identity: identity({ agent: 'bot', groups: ['ci', 'deployers'] }) })],
    ['no dry run', '!request.dryRun', withBody()],
    ['a dry run', 'request.dryRun', withBody(create, { query: 'fieldManager=kubectl&dryRun=All' })],
    ['the agent', "agent.agent == 'bot' && agent.issuer == 'okta' && agent.session == 'bot#1' && agent.groups == ['ci'] && agent.claims.team == 'shop'",
      withBody(create, { identity: identity({ agent: 'bot', issuer: 'okta', session: 'bot#1', groups: ['ci'], claims: { team: 'shop' } }) })],
    ['the connection', "connection == 'prod-eu'", withBody(create, { connection: 'prod-eu' })],
    ['the live object', 'oldObject.spec.replicas == 1', withBody(r({ verb: 'update', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { oldObject: { spec: { replicas: 1 } } })],
    ['no live object as null', 'oldObject == null', withBody(r({ verb: 'update', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }))],
    ['the namespace object', "namespaceObject.metadata.name == 'shop'", withBody(create, { namespaceObject: { metadata: { name: 'shop' } } })],
    ['no namespace object as null', 'namespaceObject == null', withBody()],
    ['no object for a request without a body', 'object == null && pods.size() == 0 && podSpecs.size() == 0 && allContainers.size() == 0', input(r({ verb: 'create', resource: 'pods', namespace: 'shop' }))],
  ])('%s', (_name, cel, policyInput) => {
    // Arrange
    const policy = allowWhen(cel);
    // Act
    const decision = evaluatePolicy(policy, policyInput);
    // Assert
    expect({ effect: decision.effect, celErrors: decision.celErrors }).toEqual({ effect: 'allow', celErrors: undefined });
  });

  it('does not let a condition that is false allow anything (so the table above can fail)', () => {
    expect(evaluatePolicy(allowWhen("connection == 'other'"), withBody()).effect).toBe('deny');
  });

  it('prefers the object the proxy supplies over the body', () => {
    const policyInput = withBody(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { object: { spec: { replicas: 5 } } });
    expect(evaluatePolicy(allowWhen('object.spec.replicas == 5'), policyInput).effect).toBe('allow');
  });
});

describe('CEL results that are not true or false', () => {
  it.each([
    ['an int', 'object.spec.replicas', 'when: the condition gave an int, not a bool'],
    ['a string', 'object.metadata.name', 'when: the condition gave string, not a bool'],
  ])('records a condition giving %s as an error', (_name, cel, expected) => {
    const decision = evaluatePolicy(allowWhen(cel), input(r({ verb: 'create', resource: 'pods', namespace: 'a' }), { body: objectBody({ metadata: { name: 'p' }, spec: { replicas: 1 } }) }));
    expect({ effect: decision.effect, celErrors: decision.celErrors }).toEqual({ effect: 'deny', celErrors: [expected] });
  });

  it('reports only the first line of an evaluation error', () => {
    const condition = compileCelCondition('object.spec.missing == 1');
    const result = condition.evaluate({ object: toCelValue({ spec: {} }), oldObject: null, namespaceObject: null, request: {}, pods: [], podSpecs: [], allContainers: [], agent: {}, connection: 'c' });
    expect(result).toEqual({ error: expect.not.stringContaining('\n') });
    expect((result as { error: string }).error.length).toBeGreaterThan(0);
  });

  it('gives no message about CEL on the decision of an allow rule', () => {
    const policy = policyFrom(`${header}defaults: { "*": deny }\nrules:\n  - id: a\n    effect: allow\n    message: ok\n    match: { verbs: [create], cel: "true" }\n  - id: b\n    effect: allow\n    match: { verbs: [create], cel: "object.x == 1" }\n`);
    const decision = evaluatePolicy(policy, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }), { body: objectBody({}) }));
    expect({ effect: decision.effect, message: decision.message, celErrors: decision.celErrors }).toEqual({ effect: 'allow', message: 'ok', celErrors: [expect.stringMatching(/^b: /)] });
  });

  it('names only the errors of the winning rule in its message', () => {
    const policy = policyFrom(`${header}defaults: { "*": allow }\nrules:\n  - id: a\n    effect: deny\n    message: Stop.\n    match: { verbs: [create], cel: "true" }\n  - id: b\n    effect: approve\n    match: { verbs: [create], cel: "object.x == 1" }\n`);
    const decision = evaluatePolicy(policy, input(r({ verb: 'create', resource: 'pods', namespace: 'a' }), { body: objectBody({}) }));
    expect({ ruleId: decision.ruleId, message: decision.message }).toEqual({ ruleId: 'a', message: 'Stop.' });
  });
});

describe('checking CEL conditions at load', () => {
  it.each([
    ['a blank expression', '   ', 'an empty CEL expression'],
    ['a list expression', '[1, 2]', 'must be a boolean condition, but its type is list<int>'],
    ['an error on a later line, with its line and column', 'object != null &&\n  nope', 'line 2, column 3: Unknown variable: nope'],
    ['an error on the first of two lines, with its column only', 'nope &&\n  object != null', 'column 1: Unknown variable: nope'],
  ])('reports %s', (_name, expression, expected) => {
    expect(celProblem(expression)).toBe(expected);
  });

  it.each([
    ['a field of the object (dyn)', 'object.spec.hostNetwork'],
    ['a comparison', 'object.spec.replicas > 3'],
    ['a list literal of mixed types, as Kubernetes CEL allows', "object.spec.port in [8080, 'http']"],
  ])('accepts %s', (_name, expression) => {
    expect(celProblem(expression)).toBeUndefined();
  });

  it('refuses a list literal beyond the size limit', () => {
    const big = `object.spec.x in [${Array.from({ length: 501 }, (_, i) => i).join(', ')}]`;
    expect(celProblem(big)).toEqual(expect.any(String));
    expect(celProblem(`object.spec.x in [${Array.from({ length: 10 }, (_, i) => i).join(', ')}]`)).toBeUndefined();
  });

  it('reports a blank CEL condition in a rule', () => {
    const text = `${header}rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [create], cel: ["  "] }\n`;
    expect(problemsOf(text)).toEqual(['team-a.yaml:4: rule "r1": match.cel[0]: CEL an empty CEL expression']);
  });

  it.each([
    ['the object', 'object.x == 1', { object: true, oldObject: false, namespaceObject: false }],
    ['the pods', 'pods.size() > 0', { object: true, oldObject: false, namespaceObject: false }],
    ['the pod specs', 'podSpecs.size() > 0', { object: true, oldObject: false, namespaceObject: false }],
    ['the containers', 'allContainers.size() > 0', { object: true, oldObject: false, namespaceObject: false }],
    ['the live object only', 'oldObject.x == 1', { object: false, oldObject: true, namespaceObject: false }],
    ['the namespace only', 'namespaceObject.x == 1', { object: false, oldObject: false, namespaceObject: true }],
    ['nothing beyond the request', "request.verb == 'get'", { object: false, oldObject: false, namespaceObject: false }],
  ])('knows a condition on %s reads it', (_name, expression, expected) => {
    expect(compileCelCondition(expression).reads).toEqual(expected);
  });
});

describe('toCelValue', () => {
  it('turns JSON integers into ints, keeps other numbers, drops null fields and copies lists', () => {
    // Arrange
    const value = { a: 1, b: 1.5, c: null, d: [2, { e: null, f: 'x' }], g: true };
    // Act
    const converted = toCelValue(value) as Record<string, unknown>;
    // Assert
    expect(converted).toEqual({ a: BigInt(1), b: 1.5, d: [BigInt(2), { f: 'x' }], g: true });
    expect(Object.getPrototypeOf(converted)).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(converted, 'c')).toBe(false);
  });

  it('keeps a __proto__ key as data', () => {
    const converted = toCelValue(JSON.parse('{"__proto__":{"polluted":1}}')) as Record<string, unknown>;
    expect(Object.keys(converted)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([['text', 'x'], ['null', null], ['a boolean', false]])('returns %s unchanged', (_name, value) => {
    expect(toCelValue(value)).toBe(value);
  });
});

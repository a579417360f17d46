import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { parsePolicySource } from '../../../lambdas/core/policy/parse-policy-source';
import { ANY_KEY, parseFieldPath, valuesAtPath } from '../../../lambdas/core/policy/field-path';
import { input, objectBody, policyFrom, problemsOf, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';

const rule = (match: string, extra = '') => `${header}rules:\n  - id: r1\n    effect: deny\n${extra}    match: ${match}\n`;

describe('policy validation: shapes that are not what they should be', () => {
  it.each([
    ['a rule that is not a mapping', `${header}rules:\n  - just-a-string\n`, 'rule #1: must be a mapping with id, effect and match'],
    ['a match that is a list', rule('[delete]'), 'rule "r1": match: must be a mapping (e.g. { verbs: [delete], resources: [namespaces] })'],
    ['claims that are a list', rule('{ claims: [repository] }'), 'match.claims: must be a mapping of name to value (or list of values)'],
    ['an empty body block', rule('{ verbs: [create], body: {} }'), 'match.body: must be a mapping with at least one of privileged, hostPath'],
    ['a body field that is not a mapping', rule('{ verbs: [create], body: { fields: [spec.hostNetwork] } }'), 'match.body.fields[0]: must be a mapping like { path: spec.hostNetwork, values: [true] }'],
    ['an empty fields list', rule('{ verbs: [create], body: { fields: [] } }'), 'match.body.fields: must be a non-empty list'],
    ['a CEL condition that is not text', rule('{ verbs: [create], cel: [1] }'), 'match.cel[0]: must be a CEL expression (text)'],
    ['an empty agent glob', rule('{ agents: [""] }'), 'match.agents[0]: empty string matches nothing'],
    ['a connection name with capitals', rule('{ connections: [Prod_1] }'), '"Prod_1" is not a connection name or glob ([a-z0-9-])'],
    ['an API group with its version', rule('{ apiGroups: [apps/v1] }'), '"apps/v1": write the group without its version ("apps")'],
    ['a pack name that is not text', `${header}packs: [1]\n`, 'packs[0]: must be a name'],
    ['a document that is not a mapping', '- a\n- b\n', 'team-a.yaml:1: must be a mapping with apiVersion: gatehouse.dev/v1'],
  ])('reports %s', (_name, text, expected) => {
    // Act
    const problems = problemsOf(text);
    // Assert
    expect(problems.join('\n')).toContain(expected);
  });

  it('reports a JSON policy (the serialized document) that does not parse, naming the source', () => {
    const problems: string[] = [];
    expect(parsePolicySource({ source: 'GATEHOUSE_POLICY', text: '{"apiVersion":' }, problems, { json: true })).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^GATEHOUSE_POLICY: /);
  });
});

describe('field paths', () => {
  it.each([
    ['spec.containers[*].image', ['spec', 'containers', ANY_KEY, 'image']],
    ['metadata.annotations["a.b/c"]', ['metadata', 'annotations', 'a.b/c']],
    ['metadata.annotations["a.b/c"].x', ['metadata', 'annotations', 'a.b/c', 'x']],
    ['spec.*.image', ['spec', ANY_KEY, 'image']],
    ['["x"]["y"]', ['x', 'y']],
  ])('parses %s', (text, expected) => {
    expect(parseFieldPath(text)).toEqual({ path: expected });
  });

  it.each([
    ['', 'bad path "": empty'],
    ['a[x]', 'bad path "a[x]": expected [*] or ["key"] at 1'],
    ['a["b', 'bad path "a["b": unterminated ["..."] at 1'],
    ['a.', 'bad path "a.": ends with "."'],
    ['a["b"]c', 'bad path "a["b"]c": unexpected "c" at 6'],
    ['a..b', 'bad path "a..b": empty segment at 2'],
  ])('refuses %j', (text, expected) => {
    expect(parseFieldPath(text)).toEqual({ error: expected });
  });

  it('reaches values through arrays and any key', () => {
    const body = { spec: { containers: [{ image: 'a' }, { image: 'b' }], extra: { one: { image: 'c' } } } };
    const path = parseFieldPath('spec.*.image');
    expect('path' in path && valuesAtPath(body, path.path)).toEqual(['a', 'b']);
  });

  it.each([
    ['spec.containers[*].image'], ['spec.containers.*.image'], ['spec.containers.image'],
  ])('reaches every container\'s image through %s, as kubectl\'s JSONPath does', (text) => {
    const body = { spec: { containers: [{ name: 'app', image: 'a' }, { name: 'side', image: 'b' }] } };
    const path = parseFieldPath(text);
    expect('path' in path && valuesAtPath(body, path.path)).toEqual(['a', 'b']);
  });

  it('denies a deployment whose image a rule names with a JSONPath [*] path', () => {
    const match = '{ verbs: [create], resources: [deployments], body: { fields: [{ path: \'spec.template.spec.containers[*].image\', values: ["evil:latest"] }] } }';
    const policy = policyFrom(`${rule(match)}defaults: { "*": allow }\n`);
    const req = resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'shop' });
    const withImage = (image: string) => input(req, { body: objectBody({ spec: { template: { spec: { containers: [{ name: 'ok', image: 'fine:1' }, { name: 'x', image }] } } } }) });
    expect(evaluatePolicy(policy, withImage('evil:latest')).effect).toBe('deny');
    expect(evaluatePolicy(policy, withImage('fine:2')).effect).toBe('allow');
  });

  it('denies by an annotation whose key has dots and slashes', () => {
    const match = '{ verbs: [create], resources: [deployments], body: { fields: [{ path: \'metadata.annotations["example.com/owner"]\', values: ["team-x"] }] } }';
    const policy = policyFrom(`${rule(match)}defaults: { "*": allow }\n`);
    const req = resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'shop' });
    const owned = (owner: string) => input(req, { body: objectBody({ metadata: { annotations: { 'example.com/owner': owner } } }) });
    expect(evaluatePolicy(policy, owned('team-x')).effect).toBe('deny');
    expect(evaluatePolicy(policy, owned('team-y')).effect).toBe('allow');
  });
});

import { compilePolicy, serializePolicy } from '../../../lambdas/core/policy/compile-policy';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { input, policyFrom, problemsOf, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';

describe('compilePolicy validation', () => {
  it.each([
    ['an unknown key, with the closest known key', 'rules:\n  - id: r1\n    effect: deny\n    match: { verb: [delete] }\n',
      'team-a.yaml:4: rule "r1": match.verb: unknown key (did you mean "verbs"?)'],
    ['an unknown effect', 'rules:\n  - id: r1\n    effect: denied\n    match: {}\n', 'team-a.yaml:4: rule "r1": effect: unknown effect "denied" (did you mean "deny"?)'],
    ['an unknown verb', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [delte] }\n', 'rule "r1": match.verbs[0]: unknown verb "delte" (did you mean "delete"?)'],
    ['a regex where a glob belongs', 'rules:\n  - id: r1\n    effect: deny\n    match: { namespaces: ["prod.*"] }\n', 'rule "r1": match.namespaces[0]: bad glob "prod.*"'],
    ['a character class in a glob', 'rules:\n  - id: r1\n    effect: deny\n    match: { agents: ["repo:acme/[a-z]*"] }\n', '"[" is not supported; the only wildcard is *'],
    ['a double star', 'rules:\n  - id: r1\n    effect: deny\n    match: { names: ["web-**"] }\n', 'bad glob "web-**": use a single *'],
    ['a body rule on a verb without a body', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [get, create], resources: [pods], body: { privileged: true } }\n',
      'rule "r1": match.verbs: body conditions cannot apply to get: those requests carry no body'],
    ['a body rule without verbs', 'rules:\n  - id: r1\n    effect: deny\n    match: { resources: [pods], body: { hostPath: true } }\n', 'rule "r1": match.verbs: a rule with body conditions must list its verbs'],
    ['a duplicate id', 'rules:\n  - id: r1\n    effect: deny\n    match: {}\n  - id: r1\n    effect: allow\n    match: {}\n', 'team-a.yaml:7: rule "r1": duplicate id (first defined at team-a.yaml:4)'],
    ['a duplicate of a pack rule', 'packs: [baseline]\nrules:\n  - id: baseline/no-delete-nodes\n    effect: deny\n    match: {}\n', 'rule "baseline/no-delete-nodes": duplicate id'],
    ['a kind name instead of a resource', 'rules:\n  - id: r1\n    effect: deny\n    match: { resources: [Pod] }\n', '"Pod" is not a resource name; resources are lower-case plurals ("pods")'],
    ['a singular resource', 'rules:\n  - id: r1\n    effect: deny\n    match: { resources: [deployment] }\n', '("deployments")'],
    ['a resource/subresource pair', 'rules:\n  - id: r1\n    effect: deny\n    match: { resources: [pods/exec] }\n', 'list the subresource apart (resources: [pods], subresources: [exec])'],
    ['"core" as an API group', 'rules:\n  - id: r1\n    effect: deny\n    match: { apiGroups: [core] }\n', 'the core API group is written ""'],
    ['a body key misspelt', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [create], body: { privilegd: true } }\n', 'match.body.privilegd: unknown key (did you mean "privileged"?)'],
    ['a body flag set to false', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [create], body: { privileged: false } }\n', 'match.body.privileged: can only be true'],
    ['a bad field path', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [create], body: { fields: [{ path: "spec..x", exists: true }] } }\n', 'bad path "spec..x"'],
    ['match placed at rule level', 'rules:\n  - id: r1\n    effect: deny\n    verbs: [delete]\n    match: {}\n', 'rule "r1": verbs: unknown key ("verbs" belongs under match:)'],
    ['except placed under match', 'rules:\n  - id: r1\n    effect: deny\n    match: { verbs: [delete], except: { names: [x] } }\n', 'match.except: unknown key ("except" belongs beside match:, not under it)'],
    ['unmaskSecrets on a deny', 'rules:\n  - id: r1\n    effect: deny\n    unmaskSecrets: true\n    match: {}\n', 'unmaskSecrets: has no effect on a deny rule'],
    ['a missing id', 'rules:\n  - effect: deny\n    match: {}\n', 'team-a.yaml:4: rule #1: id: is required'],
    ['an unknown pack', 'packs: [baseline, read-onyl]\n', 'packs: unknown pack "read-onyl" (did you mean "read-only"?)'],
    ['disabling a rule that does not exist', 'packs: [baseline]\ndisable: [baseline/no-delete-node]\n', 'disable: no rule "baseline/no-delete-node" (did you mean "baseline/no-delete-nodes"?)'],
    ['an unknown effect as a default', 'defaults: { "*": alow }\n', 'defaults.*: unknown effect "alow" (did you mean "allow"?)'],
    ['a glob as a default key', 'defaults: { "prod-*": approve }\n', 'keys are connection names or "*"'],
    ['an empty list', 'rules:\n  - id: r1\n    effect: deny\n    match: { namespaces: [] }\n', 'an empty list matches nothing'],
    ['a number where a name belongs', 'rules:\n  - id: r1\n    effect: deny\n    match: { names: [123] }\n', 'must be text (quote it: "123")'],
    ['nonResourceURLs with resources', 'rules:\n  - id: r1\n    effect: deny\n    match: { nonResourceURLs: [/version], resources: [pods] }\n', 'nonResourceURLs cannot be combined with resources'],
  ])('reports %s', (_name, body, expected) => {
    const problems = problemsOf(header + body);
    expect(problems.join('\n')).toContain(expected);
  });

  it.each([
    ['a wrong apiVersion', 'apiVersion: gatehouse.dev/v2\nkind: Policy\n', 'team-a.yaml:1: apiVersion: must be gatehouse.dev/v1'],
    ['a wrong kind', 'apiVersion: gatehouse.dev/v1\nkind: Polcy\n', 'kind: must be Policy or PolicyPack (got "Polcy") (did you mean "Policy"?)'],
    ['YAML syntax errors, with the line', 'apiVersion: gatehouse.dev/v1\nkind: Policy\nrules:\n  - id: x\n   effect: deny\n', 'team-a.yaml:5:'],
    ['duplicate YAML keys', 'apiVersion: gatehouse.dev/v1\nkind: Policy\nkind: Policy\n', 'team-a.yaml:3: Map keys must be unique'],
  ])('reports %s', (_name, text, expected) => {
    expect(problemsOf(text).join('\n')).toContain(expected);
  });

  it('reports every problem at once in a ConfigError naming the file', () => {
    const text = `${header}rules:\n  - id: a\n    effect: nope\n    match: {}\n  - id: b\n    effect: deny\n    match: { verbs: [gett] }\n`;
    expect(() => compilePolicy([{ source: 'team-a.yaml', text }])).toThrow(/^team-a\.yaml is invalid:\n {2}- team-a\.yaml:4: rule "a"/);
    expect(problemsOf(text)).toHaveLength(2);
  });

  it('flags conflicting defaults across files', () => {
    const a = { source: 'a.yaml', text: `${header}defaults: { prod: approve }\n` };
    const b = { source: 'b.yaml', text: `${header}defaults: { prod: allow }\n` };
    expect(() => compilePolicy([a, b])).toThrow(/b\.yaml:1: defaults\.prod: allow conflicts with approve set at a\.yaml:1/);
  });

  it('accepts its own serialized document (what the Lambda receives) and decides the same', () => {
    const original = policyFrom(`${header}packs: [baseline, production-approval]\ndisable: [baseline/no-delete-nodes]\ndefaults: { "*": allow, prod: approve }\n`);
    const rebuilt = compilePolicy([{ source: 'GATEHOUSE_POLICY', text: serializePolicy(original) }]);
    expect(rebuilt.document).toEqual(original.document);
    expect(rebuilt.rules.map((r) => r.id)).not.toContain('baseline/no-delete-nodes');
    const request = resourceRequest({ verb: 'delete', resource: 'namespaces', namespace: 'kube-system', name: 'kube-system' });
    expect(evaluatePolicy(rebuilt, input(request))).toEqual(evaluatePolicy(original, input(request)));
  });

  it('orders the policy\'s own rules before pack rules', () => {
    const policy = policyFrom(`${header}packs: [baseline]\nrules:\n  - id: mine\n    effect: deny\n    match: { verbs: [delete] }\n`);
    expect(policy.rules[0].id).toBe('mine');
    expect(policy.rules[1].id).toBe('baseline/no-delete-namespaces');
  });
});

import { compilePolicy } from '../../../lambdas/core/policy/compile-policy';
import { validatePolicyRule } from '../../../lambdas/core/policy/validate-policy-rule';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { identity, input, objectBody, problemsOf, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';

/** One rule `r1` with the given fields (YAML lines, indented by four). */
const ruleWith = (fields: string) => `${header}rules:\n  - id: r1\n${fields}`;
/** One deny rule `r1` with the given match block (flow YAML). */
const matching = (match: string, extra = '') => ruleWith(`    effect: deny\n${extra}    match: ${match}\n`);

/** The normalized rule as compilePolicy keeps it (the document the Lambda receives). */
function normalized(text: string): unknown {
  return compilePolicy([{ source: 'team-a.yaml', text }]).document.rules[0];
}

describe('rule validation: what an author is told', () => {
  it.each([
    ['the reserved id "default"', `${header}rules:\n  - id: default\n    effect: deny\n    match: {}\n`, 'team-a.yaml:4: rule "default": id: "default" is reserved for decisions no rule made'],
    ['an id with capitals', `${header}rules:\n  - id: No-Deletes\n    effect: deny\n    match: {}\n`, 'team-a.yaml:4: rule "No-Deletes": id: "No-Deletes" must be kebab-case ([a-z0-9-], optionally "pack/name")'],
    ['an id that is not text', `${header}rules:\n  - id: 7\n    effect: deny\n    match: {}\n`, 'team-a.yaml:4: rule #1: id: is required (a short kebab-case name, e.g. no-delete-namespaces)'],
    ['a missing effect', ruleWith('    match: {}\n'), 'team-a.yaml:4: rule "r1": effect: is required (deny, approve, allow)'],
    ['an effect that is not text', ruleWith('    effect: 1\n    match: {}\n'), 'team-a.yaml:4: rule "r1": effect: unknown effect "1"; use deny, approve or allow'],
    ['an empty message', ruleWith('    effect: deny\n    message: "  "\n    match: {}\n'), 'team-a.yaml:4: rule "r1": message: must be non-empty text'],
    ['a description that is not text', ruleWith('    effect: deny\n    description: [a]\n    match: {}\n'), 'team-a.yaml:4: rule "r1": description: must be non-empty text'],
    ['unmaskSecrets that is not a boolean', ruleWith('    effect: allow\n    unmaskSecrets: "yes"\n    match: {}\n'), 'team-a.yaml:4: rule "r1": unmaskSecrets: must be true or false'],
    ['a missing match', ruleWith('    effect: deny\n'), 'team-a.yaml:4: rule "r1": match: is required; write match: {} to match every request'],
    ['a null match', ruleWith('    effect: deny\n    match:\n'), 'team-a.yaml:4: rule "r1": match: is required; write match: {} to match every request'],
    ['an unknown rule key', ruleWith('    effect: deny\n    match: {}\n    colour: red\n'), 'team-a.yaml:4: rule "r1": colour: unknown key; known keys: id, description, effect, message, unmaskSecrets, match, except'],
    ['an except that is not a mapping', matching('{ verbs: [delete] }', '    except: [[a]]\n'), 'team-a.yaml:4: rule "r1": except[0]: must be a mapping (e.g. { verbs: [delete], resources: [namespaces] })'],
    ['body conditions in an except', matching('{ verbs: [create] }', '    except: { body: { privileged: true } }\n'), 'team-a.yaml:4: rule "r1": except[0].body: except: cannot have body conditions'],
    ['CEL conditions in an except', matching('{ verbs: [create] }', '    except: { cel: "true" }\n'), 'team-a.yaml:4: rule "r1": except[0].cel: except: cannot have CEL conditions (write the negation into match.cel)'],
    ['a bad value in the second except', matching('{ verbs: [create] }', '    except: [{ names: [a] }, { names: [""] }]\n'), 'team-a.yaml:4: rule "r1": except[1].names[0]: empty string matches nothing'],
    ['CEL on object without verbs', matching('{ cel: "object.x == 1" }'), 'team-a.yaml:4: rule "r1": match.verbs: a rule with CEL conditions on object must list its verbs (create, update, patch, post, put)'],
    ['CEL on pods for a delete', matching('{ verbs: [delete], cel: "pods.size() > 0" }'), 'team-a.yaml:4: rule "r1": match.verbs: CEL conditions on object cannot apply to delete: those requests carry no body'],
    ['body conditions for two verbs without a body', matching('{ verbs: [get, list, create], body: { privileged: true } }'), 'team-a.yaml:4: rule "r1": match.verbs: body conditions cannot apply to get, list: those requests carry no body'],
    ['CEL on oldObject without verbs', matching('{ cel: "oldObject != null" }'), 'team-a.yaml:4: rule "r1": match.verbs: CEL conditions on oldObject apply only to update, patch, delete; list those verbs (not *)'],
    ['CEL on oldObject for create and get', matching('{ verbs: [create, get, update], cel: "oldObject != null" }'), 'team-a.yaml:4: rule "r1": match.verbs: CEL conditions on oldObject apply only to update, patch, delete; list those verbs (not create, get)'],
    ['labels for requests without a namespace', matching('{ namespaces: [""], namespaceLabels: { a: b } }'), 'team-a.yaml:4: rule "r1": match.namespaceLabels: can never match: namespaces: [""] are requests without a namespace, which have no labels'],
    ['labels for cluster-scoped resources', matching('{ resources: [nodes, clusterroles], namespaceLabels: { a: b } }'), 'team-a.yaml:4: rule "r1": match.namespaceLabels: can never match: nodes, clusterroles are cluster-scoped and have no namespace'],
    ['non-resource URLs with two resource keys', matching('{ nonResourceURLs: [/healthz], names: [x], namespaces: [y] }'), 'team-a.yaml:4: rule "r1": match: nonResourceURLs cannot be combined with namespaces, names (those apply to resource requests only)'],
    ['a claims. key without a name', matching('{ "claims.": x }'), 'team-a.yaml:4: rule "r1": match.claims.: unknown key'],
    ['a claim value that is not text', matching('{ claims: { run: 5 } }'), 'team-a.yaml:4: rule "r1": match.claims.run: must be text (quote it: "5")'],
    ['a label value that is a mapping', matching('{ namespaceLabels: { tier: { a: b } } }'), 'team-a.yaml:4: rule "r1": match.namespaceLabels.tier: must be text'],
    ['a boolean in a list', matching('{ names: [true] }'), 'team-a.yaml:4: rule "r1": match.names[0]: must be text (quote it: "true")'],
    ['an empty CEL list', matching('{ verbs: [create], cel: [] }'), 'team-a.yaml:4: rule "r1": match.cel: an empty list matches nothing; leave the key out'],
    ['a single CEL expression that does not compile', matching('{ verbs: [create], cel: "1 +" }'), 'team-a.yaml:4: rule "r1": match.cel: CEL '],
    ['the second CEL expression of a list', matching('{ verbs: [create], cel: ["true", "nope"] }'), 'team-a.yaml:4: rule "r1": match.cel[1]: CEL column 1: Unknown variable: nope'],
  ])('reports %s', (_name, text, expected) => {
    // Act
    const problems = problemsOf(text);
    // Assert
    expect(problems).toEqual([expect.stringContaining(expected)]);
  });

  it.each([
    ['a pack-qualified id', 'baseline/no-x'],
    ['a one-letter id', 'a'],
    ['digits', 'r2d2'],
  ])('accepts %s', (_name, id) => {
    expect(problemsOf(`${header}rules:\n  - id: ${id}\n    effect: deny\n    match: {}\n`)).toEqual([]);
  });

  it.each(['-leading', 'trailing-', 'a/b/c', 'a//b', 'under_score', 'pack/-x', 'white space'])('refuses the id %j', (id) => {
    expect(problemsOf(`${header}rules:\n  - id: "${id}"\n    effect: deny\n    match: {}\n`)).toEqual([expect.stringContaining(`id: "${id}" must be kebab-case`)]);
  });

  it.each([
    ['namespaces: ["", a] (one of them has a namespace)', '{ namespaces: ["", a], namespaceLabels: { a: b } }'],
    ['a namespaced resource among cluster-scoped ones', '{ resources: [nodes, pods], namespaceLabels: { a: b } }'],
    ['CEL on oldObject for update and delete', '{ verbs: [update, delete], cel: "oldObject != null" }'],
    ['a body rule on every body verb', '{ verbs: [create, update, patch, post, put], body: { privileged: true } }'],
    ['a claims. shorthand next to a claims mapping', '{ claims: { repository: acme/app }, "claims.environment": prod }'],
  ])('accepts %s', (_name, match) => {
    expect(problemsOf(matching(match))).toEqual([]);
  });

  it.each([
    ['a rule that is null', `${header}rules:\n  -\n`, 'rule #1: must be a mapping with id, effect and match'],
    ['an except that is null', matching('{ verbs: [delete] }', '    except: [null]\n'), 'rule "r1": except[0]: must be a mapping (e.g. { verbs: [delete], resources: [namespaces] })'],
    ['a label value that is a mapping', matching('{ namespaceLabels: { tier: { a: b } } }'), 'rule "r1": match.namespaceLabels.tier: must be text'],
  ])('reports %s, and nothing more', (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(problems.map((p) => p.replace(/^team-a\.yaml:\d+: /, ''))).toEqual([expected]);
  });

  it('returns no rule when it reports a problem, and the normalized rule otherwise', () => {
    const problems: string[] = [];
    expect(validatePolicyRule({ id: 'r1', effect: 'deny', match: { verbs: ['gett'] } }, 'w', 0, problems)).toBeUndefined();
    expect(problems).toEqual(['w: rule "r1": match.verbs[0]: unknown verb "gett" (did you mean "get"?)']);
    expect(validatePolicyRule({ id: 'r1', effect: 'deny', match: { verbs: 'get' } }, 'w', 0, problems)).toEqual({ id: 'r1', effect: 'deny', match: { verbs: ['get'] } });
  });

  it('reports every problem of a rule, not only the first', () => {
    const problems = problemsOf(`${header}rules:\n  - id: Bad\n    effect: nope\n    match: { verbs: [gett], names: [""] }\n`);
    expect(problems).toHaveLength(4);
  });
});

describe('the normalized rule', () => {
  it('keeps the fields written, and only those', () => {
    const text = ruleWith('    effect: allow\n    description: Rotation job.\n    message: Go ahead.\n    unmaskSecrets: true\n    match: { verbs: get, "claims.team": shop }\n    except: { names: [x] }\n');
    expect(normalized(text)).toEqual({
      id: 'r1', effect: 'allow', description: 'Rotation job.', message: 'Go ahead.', unmaskSecrets: true,
      match: { verbs: ['get'], claims: { team: ['shop'] } }, except: [{ names: ['x'] }],
    });
  });

  it('leaves out unmaskSecrets: false and a missing except', () => {
    expect(normalized(ruleWith('    effect: allow\n    unmaskSecrets: false\n    match: {}\n'))).toEqual({ id: 'r1', effect: 'allow', match: {} });
  });

  it('merges the claims. shorthand into a claims mapping, the shorthand winning', () => {
    const text = matching('{ claims: { repository: acme/app, env: dev }, "claims.env": prod }');
    expect(normalized(text)).toEqual({ id: 'r1', effect: 'deny', match: { claims: { repository: ['acme/app'], env: ['prod'] } } });
  });

  it('normalizes every kind of body condition', () => {
    const text = matching('{ verbs: [create], body: { privileged: true, hostPath: true, hostNamespaces: true, rbacWildcard: true, roleRef: admin, rbacVerbs: bind, fields: [{ podSpecPath: hostNetwork, values: true }, { path: metadata.name, exists: true }] } }');
    expect(normalized(text)).toEqual({
      id: 'r1', effect: 'deny',
      match: { verbs: ['create'], body: {
        privileged: true, hostPath: true, hostNamespaces: true, rbacWildcard: true, roleRef: ['admin'], rbacVerbs: ['bind'],
        fields: [{ podSpecPath: 'hostNetwork', values: [true] }, { path: 'metadata.name', exists: true }],
      } },
    });
  });

  it('judges requests by the normalized rule: a single CEL expression, a single claim value', () => {
    const policy = compilePolicy([{ source: 'p.yaml', text: `${header}defaults: { "*": allow }\nrules:\n  - id: r1\n    effect: deny\n    match: { verbs: [create], "claims.team": shop, cel: "object.spec.replicas > 3" }\n` }]);
    const request = resourceRequest({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'a' });
    const decide = (team: string, replicas: number) => evaluatePolicy(policy, input(request, { identity: identity({ claims: { team } }), body: objectBody({ spec: { replicas } }) })).effect;
    expect([decide('shop', 5), decide('shop', 2), decide('web', 5)]).toEqual(['deny', 'allow', 'allow']);
  });
});

describe('body condition validation', () => {
  it.each([
    ['a body that is a list', '{ verbs: [create], body: [privileged] }', 'match.body: must be a mapping with at least one of privileged, hostPath, hostNamespaces, rbacWildcard, roleRef, rbacVerbs, fields'],
    ['an unknown body key', '{ verbs: [create], body: { privileged: true, seccomp: true } }', 'match.body.seccomp: unknown key; known keys: privileged, hostPath, hostNamespaces, rbacWildcard, roleRef, rbacVerbs, fields'],
    ['a flag set to a string', '{ verbs: [create], body: { hostPath: "true" } }', 'match.body.hostPath: can only be true (leave it out to not test it)'],
    ['an unknown RBAC verb', '{ verbs: [create], body: { rbacVerbs: [escalat] } }', 'match.body.rbacVerbs[0]: unknown verb "escalat" (did you mean "escalate"?)'],
    ['a bad roleRef glob', '{ verbs: [create], body: { roleRef: ["admin.*"] } }', 'match.body.roleRef[0]: bad glob "admin.*"'],
    ['fields that are not a list', '{ verbs: [create], body: { fields: { path: a, exists: true } } }', 'match.body.fields: must be a non-empty list'],
    ['a field with both path and podSpecPath', '{ verbs: [create], body: { fields: [{ path: a, podSpecPath: b, exists: true }] } }', 'match.body.fields[0]: needs exactly one of path (from the body root) or podSpecPath (from each pod spec)'],
    ['a field with neither path', '{ verbs: [create], body: { fields: [{ exists: true }] } }', 'match.body.fields[0]: needs exactly one of path (from the body root) or podSpecPath (from each pod spec)'],
    ['a path that is not text', '{ verbs: [create], body: { fields: [{ path: 1, exists: true }] } }', 'match.body.fields[0].path: must be text'],
    ['a bad podSpecPath', '{ verbs: [create], body: { fields: [{ podSpecPath: "a.", exists: true }] } }', 'match.body.fields[0].podSpecPath: bad path "a.": ends with "."'],
    ['a field with values and exists', '{ verbs: [create], body: { fields: [{ path: a, values: [x], exists: true }] } }', 'match.body.fields[0]: needs exactly one of values or exists: true'],
    ['a field with neither values nor exists', '{ verbs: [create], body: { fields: [{ path: a }] } }', 'match.body.fields[0]: needs exactly one of values or exists: true'],
    ['exists: false', '{ verbs: [create], body: { fields: [{ path: a, exists: false }] } }', 'match.body.fields[0].exists: can only be true'],
    ['a value that is a mapping', '{ verbs: [create], body: { fields: [{ path: a, values: [x, { b: c }] }] } }', 'match.body.fields[0].values[1]: must be text, a number or true/false'],
    ['a value that is a bad glob', '{ verbs: [create], body: { fields: [{ path: a, values: ["^x"] }] } }', 'match.body.fields[0].values[0]: bad glob "^x": globs are always anchored; drop ^ and $'],
    ['an empty values list', '{ verbs: [create], body: { fields: [{ path: a, values: [] }] } }', 'match.body.fields[0].values: an empty list matches nothing'],
    ['an unknown field key', '{ verbs: [create], body: { fields: [{ path: a, exists: true, value: 1 }] } }', 'match.body.fields[0].value: unknown key (did you mean "values"?); known keys: path, podSpecPath, values, exists'],
  ])('reports %s', (_name, match, expected) => {
    expect(problemsOf(matching(match))).toEqual([expect.stringContaining(`rule "r1": ${expected}`)]);
  });
});

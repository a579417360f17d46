import { closestMatch, didYouMean } from '../../../lambdas/core/policy/closest-match';
import { compileGlob, compileGlobSet, globProblem, globSetMatches } from '../../../lambdas/core/policy/glob';
import { KNOWN_VERBS, valueProblem, ValueKind } from '../../../lambdas/core/policy/policy-vocabulary';

describe('valueProblem: what a policy author is told about one entry of a match list', () => {
  it.each<[ValueKind, string]>([
    ['namespace', ''],
    ['namespace', 'team-*'],
    ['namespace', 'kube-system'],
    ['subresource', ''],
    ['subresource', 'exec'],
    ['subresource', 'ephemeralcontainers'],
    ['apiGroup', ''],
    ['apiGroup', 'apps'],
    ['apiGroup', '*.k8s.io'],
    ['apiGroup', 'rbac.authorization.k8s.io'],
    ['connection', 'prod-*'],
    ['connection', 'eu-1'],
    ['url', '/version'],
    ['url', '*'],
    ['resource', 'pods'],
    ['resource', 'widgets.acme.io'],
    ['resource', 'widgets'],
    ['resource', '*'],
    ['glob', 'repo:acme/*'],
    ['verb', '*'],
    ['verb', 'deletecollection'],
  ])('accepts a %s %j', (kind, value) => {
    // Act
    const problem = valueProblem(kind, value);
    // Assert
    expect(problem).toBeUndefined();
  });

  it.each<[ValueKind, string, string]>([
    ['glob', '', 'empty string matches nothing'],
    ['resource', '', 'empty string matches nothing'],
    ['connection', '', 'empty string matches nothing'],
    ['url', '', 'empty string matches nothing'],
    ['namespace', 'prod.*', 'bad glob "prod.*": looks like a regular expression; globs use * alone (write "prod-*", not "prod-.*")'],
    ['namespace', 'Shop', '"Shop": namespace names are lower-case'],
    ['namespace', 'shop_eu', '"shop_eu" is not a namespace name or glob'],
    ['namespace', 'shop.eu', '"shop.eu" is not a namespace name or glob'],
    ['subresource', 'Exec', '"Exec" is not a subresource (e.g. exec, log, status, ephemeralcontainers)'],
    ['subresource', 'port-forward', '"port-forward" is not a subresource (e.g. exec, log, status, ephemeralcontainers)'],
    ['apiGroup', 'core', '"core": the core API group is written "" (an empty string)'],
    ['apiGroup', 'v1', '"v1": the core API group is written "" (an empty string)'],
    ['apiGroup', 'batch/v1', '"batch/v1": write the group without its version ("batch")'],
    ['apiGroup', 'Apps', '"Apps" is not an API group'],
    ['apiGroup', 'acme_io', '"acme_io" is not an API group'],
    ['connection', 'prod eu', '"prod eu" is not a connection name or glob ([a-z0-9-])'],
    ['url', 'version', '"version": non-resource URLs start with /'],
    ['resource', 'pods/log', '"pods/log": list the subresource apart (resources: [pods], subresources: [log])'],
    ['resource', 'Pods', '"Pods" is not a resource name; resources are lower-case plurals ("pods")'],
    ['resource', 'Ingress', '"Ingress" is not a resource name; resources are lower-case plurals ("ingresses")'],
    ['resource', 'networkpolicy', '"networkpolicy" is not a resource name; resources are lower-case plurals ("networkpolicies")'],
    ['resource', 'secret', '"secret" is not a resource name; resources are lower-case plurals ("secrets")'],
    ['resource', 'Widget', '"Widget": resources are lower-case plurals (e.g. "pods"), not kinds'],
    ['resource', 'wid_gets', '"wid_gets" is not a resource name or glob'],
    ['verb', 'get*', '"get*": verbs take no globs; list them, or write "*" for all'],
    ['verb', 'lsit', 'unknown verb "lsit" (did you mean "list"?)'],
    ['verb', 'frobnicate', 'unknown verb "frobnicate"'],
  ])('refuses a %s %j', (kind, value, expected) => {
    // Act
    const problem = valueProblem(kind, value);
    // Assert
    expect(problem).toBe(expected);
  });

  it('knows the verbs of RBAC and of non-resource requests', () => {
    expect(KNOWN_VERBS.filter((v) => valueProblem('verb', v) !== undefined)).toEqual([]);
  });
});

describe('didYouMean: suggestions in validation messages', () => {
  it.each([
    ['one letter missing', 'delte', ['get', 'delete', 'deletecollection'], 'delete'],
    ['two letters swapped in a short word', 'wtach', ['get', 'list', 'watch'], 'watch'],
    ['a different case', 'DELETE', ['get', 'delete'], 'delete'],
    ['a shared stem with a longer tail', 'denied', ['deny', 'allow', 'approve'], 'deny'],
    ['the first of two equally close candidates', 'cat', ['bat', 'hat'], 'bat'],
    ['the closest of several', 'namespacess', ['names', 'namespaces'], 'namespaces'],
    ['an extra letter in a long word', 'namespacesx', ['namespaces'], 'namespaces'],
  ])('suggests %s', (_name, word, candidates, expected) => {
    // Act
    const best = closestMatch(word, candidates);
    // Assert
    expect(best).toBe(expected);
  });

  it.each([
    ['nothing close', 'zzzz', ['get', 'list']],
    ['a short word three edits away', 'xyz', ['get']],
    ['a word sharing only its stem but far off', 'delxxxxxxx', ['delete']],
    ['a five-letter word three edits away without a shared stem', 'daxyz', ['deny', 'allow', 'approve']],
    ['no candidates', 'get', []],
  ])('suggests nothing for %s', (_name, word, candidates) => {
    expect(closestMatch(word, candidates)).toBeUndefined();
  });

  it('writes the hint as a parenthesis, or nothing', () => {
    expect(didYouMean('alow', ['allow', 'deny'])).toBe(' (did you mean "allow"?)');
    expect(didYouMean('zzzz', ['allow', 'deny'])).toBe('');
  });
});

describe('globs', () => {
  it.each([
    ['prod$', 'bad glob "prod$": globs are always anchored; drop ^ and $'],
    ['^prod', 'bad glob "^prod": globs are always anchored; drop ^ and $'],
    ['(a|b)', 'bad glob "(a|b)": "(" is not supported; the only wildcard is *'],
    ['a)', 'bad glob "a)": ")" is not supported; the only wildcard is *'],
    ['a{2}', 'bad glob "a{2}": "{" is not supported; the only wildcard is *'],
    ['a}', 'bad glob "a}": "}" is not supported; the only wildcard is *'],
    ['a|b', 'bad glob "a|b": "|" is not supported; the only wildcard is *'],
    ['a\\d', 'bad glob "a\\d": "\\" is not supported; the only wildcard is *'],
    ['a]', 'bad glob "a]": "]" is not supported; the only wildcard is *'],
    ['web-**', 'bad glob "web-**": use a single * (it already matches any run of characters)'],
  ])('refuses %j', (pattern, expected) => {
    expect(globProblem(pattern)).toBe(expected);
  });

  it.each(['$', 'price$5', 'a$b', 'team-*', 'a+b@example.com'])('accepts %j', (pattern) => {
    expect(globProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['a*b', 'ab', true],
    ['a*b', 'a', false],
    ['a*b*b', 'abb', true],
    ['a*b*b', 'ab', false],
    ['a*bc*d', 'abcbcd', true],
    ['a*x*c', 'axc', true],
    ['a*x*c', 'ac', false],
    ['*x*', 'x', true],
    ['*x*', '', false],
    ['a**b', 'ab', true],
  ])('%s against %s -> %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });

  it.each([
    [['web', 'api-*'], 'web', true],
    [['web', 'api-*'], 'api-1', true],
    [['web', 'api-*'], 'db', false],
    [['web', '*'], 'anything', true],
    [[], 'web', false],
  ])('a set %j against %s -> %s', (patterns, value, expected) => {
    expect(globSetMatches(compileGlobSet(patterns), value)).toBe(expected);
  });
});

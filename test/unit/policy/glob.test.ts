import { compileGlob, globProblem } from '../../../lambdas/core/policy/glob';

describe('compileGlob', () => {
  it.each([
    ['*', '', true],
    ['prod', 'prod', true],
    ['prod', 'prod-1', false],
    ['prd*', 'prd-eu', true],
    ['prd*', 'prd', true],
    ['*-canary', 'web-canary', true],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/app:ref:refs/heads/main', true],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/app:ref:refs/heads/dev', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['*ab*ba*', 'aba', false],
    ['*ab*ba*', 'xabbax', true],
    ['*.*', 'a.b', true],
  ])('%s against %s -> %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });
});

describe('globProblem', () => {
  it.each([
    ['prod-*', undefined],
    ['repo:acme/*', undefined],
    ['a+b@example.com', undefined],
    ['prod.*', 'looks like a regular expression'],
    ['^prod$', 'globs are always anchored'],
    ['team-[ab]', '"[" is not supported'],
    ['web-?', '"?" is not supported'],
    ['**', 'use a single *'],
  ])('%s -> %s', (pattern, expected) => {
    const problem = globProblem(pattern);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(expected);
  });
});

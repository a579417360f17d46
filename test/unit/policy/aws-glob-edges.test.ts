import { awsGlobProblem, awsGlobSetMatches, compileAwsGlobSet } from '../../../lambdas/core/policy/aws-match';

describe('what awsGlobProblem refuses', () => {
  it.each<[string, 'services' | 'actions' | 'resources', string, RegExp | undefined]>([
    ['a glob of 2,048 characters (the longest allowed)', 'resources', `arn:${'a'.repeat(2044)}`, undefined],
    ['a glob of 2,049 characters', 'resources', `arn:${'a'.repeat(2045)}`, /is longer than 2048 characters/],
    ['a control character, shown escaped', 'actions', 's3:Get\nObject', /^"s3:Get\\nObject" contains a control character$/],
    ['a caret inside an action', 'actions', 's3:Get^Object', /is not an IAM action/],
    ['a dollar inside an action', 'actions', 's3:Get$Object', /is not an IAM action/],
    ['a dollar at the end of an action', 'actions', 's3:GetObject$', /looks like a regular expression/],
    ['text before an action', 'actions', 'x y:s3:GetObject', /is not an IAM action/],
    ['text after an action', 'actions', 's3:GetObject extra', /is not an IAM action/],
    ['a bare star as the resource', 'resources', '*', undefined],
    ['an empty resource', 'resources', '', /is not an ARN glob/],
    ['a resource that is not an ARN', 'resources', 'bucket/*', /is not an ARN glob/],
  ])('%s', (_label, kind, value, problem) => {
    const found = awsGlobProblem(kind, value);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});

describe('awsGlobSetMatches', () => {
  it.each<[string[], string, boolean]>([
    [['**'], 'arn:aws:s3:::anything', true],
    [['arn:aws:s3:::logs'], 'arn:aws:s3:::logs', true],
    [['arn:aws:s3:::logs'], 'arn:aws:s3:::logs/a', false],
    [['arn:aws:s3:::log?'], 'arn:aws:s3:::logs', true],
    [['arn:aws:s3:::log?'], 'arn:aws:s3:::log', false],
    [['arn:aws:s3:::a**b'], 'arn:aws:s3:::ab', true],
    [['arn:aws:s3:::a*b*c'], 'arn:aws:s3:::abc', true],
    [['arn:aws:s3:::a*bc*bc'], 'arn:aws:s3:::abc', false],
    [['arn:aws:s3:::a*xyz*q'], 'arn:aws:s3:::axyq', false],
  ])('%j against %s: %s', (patterns, value, expected) => {
    expect(awsGlobSetMatches(compileAwsGlobSet(patterns, false), value)).toBe(expected);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';
import { ForbiddenError } from '../../../lambdas/core/errors';
import { awsConditionHolds, awsGlobSetMatches, compileAwsGlobSet, compileAwsMatch } from '../../../lambdas/core/policy/aws-match';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import type { CompiledPolicy } from '../../../lambdas/core/policy/compile-policy';
import { policyDecisionError } from '../../../lambdas/core/policy/policy-decision-error';
import type { PolicyAwsSpec, PolicyEffect, PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity, policyFrom, problemsOf } from './policy-test-support';

const ACCOUNT = '111122223333';

/** A classified call, written out: these tests are about matching, not about reading the wire. */
function call(iamAction: string, resources: readonly string[] = [], ...decoded: unknown[]): AwsRequestInfo {
  const [service, action = ''] = iamAction.split(':') as [string, string?];
  // An explicit `undefined` stands for parameters the classifier could not decode.
  const params = decoded.length > 0 ? decoded[0] : {};
  return { service, region: 'us-east-1', protocol: 'awsJson1_1', action, iamAction: `${service}:${action}`, resources, params, summary: iamAction };
}

function input(info: AwsRequestInfo, agent = 'ci-deployer', connection = 'prod-aws'): PolicyInput {
  return {
    identity: identity({ agent }), connection, body: { state: 'none' }, aws: info,
    request: { isResourceRequest: false, path: '/', verb: info.action, apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', parts: [] },
  };
}

describe('IAM-style globs of match.aws', () => {
  it.each<[string, readonly string[], boolean, string, boolean]>([
    ['* spans / in a key', ['arn:aws:s3:::logs/*'], false, 'arn:aws:s3:::logs/2026/12/01.gz', true],
    ['a key glob does not cover the bucket itself', ['arn:aws:s3:::logs/*'], false, 'arn:aws:s3:::logs', false],
    ['* spans : across region and account', ['arn:aws:dynamodb:*:*:table/prod-*'], false, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/prod-orders`, true],
    ['a table outside the glob', ['arn:aws:dynamodb:*:*:table/prod-*'], false, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/dev-orders`, false],
    ['* alone spans a whole ARN', ['arn:*'], false, `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234`, true],
    ['? is one character', ['arn:aws:s3:::log?'], false, 'arn:aws:s3:::logs', true],
    ['? is not zero characters', ['arn:aws:s3:::log?'], false, 'arn:aws:s3:::log', false],
    ['? is not two characters', ['arn:aws:s3:::log?'], false, 'arn:aws:s3:::logss', false],
    ['? inside a piece between stars', ['arn:aws:s3:::*/b?d/*'], false, 'arn:aws:s3:::x/bad/y', true],
    ['. is literal', ['arn:aws:s3:::my.bucket/*'], false, 'arn:aws:s3:::myxbucket/a', false],
    ['ARNs are case-sensitive', ['arn:aws:s3:::Logs/*'], false, 'arn:aws:s3:::logs/a', false],
    ['actions are case-insensitive', ['S3:delete*'], true, 's3:DeleteObject', true],
    ['? in an action', ['s3:Get?bject'], true, 's3:GetObject', true],
    ['an exact action in another case', ['secretsmanager:putsecretvalue'], true, 'secretsmanager:PutSecretValue', true],
    ['a prefix is not the action', ['s3:Delete'], true, 's3:DeleteObject', false],
    ['repeated pieces that overlap', ['*ab*ab*'], false, 'abab', true],
    ['repeated pieces that do not fit', ['*ab*ab*'], false, 'aba', false],
    ['prefix and suffix may not share characters', ['ab*ba'], false, 'aba', false],
    ['a star then ? needs one character', ['a*?'], false, 'a', false],
    ['** is *', ['**'], false, 'anything', true],
  ])('%s', (_label, patterns, fold, value, expected) => {
    expect(awsGlobSetMatches(compileAwsGlobSet(patterns, fold), value)).toBe(expected);
  });

  it('matches a long client-chosen ARN against a star-heavy glob without backtracking', () => {
    const set = compileAwsGlobSet(['arn:aws:s3:::*a?a*a?a*a?a*c'], false);
    const arn = `arn:aws:s3:::${'a'.repeat(200_000)}`;
    const started = Date.now();
    expect(awsGlobSetMatches(set, arn)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('awsConditionHolds', () => {
  const A = 'arn:aws:s3:::a/x';
  const A2 = 'arn:aws:s3:::a/y';
  const B = 'arn:aws:s3:::b/x';
  it.each<[string, PolicyAwsSpec, PolicyEffect, boolean, AwsRequestInfo, boolean]>([
    ['a deny matches when any resource matches', { resources: ['arn:aws:s3:::a/*'] }, 'deny', false, call('s3:DeleteObjects', [B, A]), true],
    ['an approve matches when any resource matches', { resources: ['arn:aws:s3:::a/*'] }, 'approve', false, call('s3:DeleteObjects', [B, A]), true],
    ['an allow needs every resource to match', { resources: ['arn:aws:s3:::a/*'] }, 'allow', false, call('s3:CopyObject', [A, B]), false],
    ['an allow matches when every resource does', { resources: ['arn:aws:s3:::a/*'] }, 'allow', false, call('s3:DeleteObjects', [A, A2]), true],
    ['an allow on resources never matches a call naming none', { resources: ['*'] }, 'allow', false, call('s3:ListBuckets'), false],
    ['a deny on resources does not match a call naming none', { resources: ['*'] }, 'deny', false, call('s3:ListBuckets'), false],
    ['a deny\'s except needs every resource (it loosens)', { resources: ['arn:aws:s3:::a/*'] }, 'deny', true, call('s3:DeleteObjects', [A, B]), false],
    ['an allow\'s except needs one resource (it tightens)', { resources: ['arn:aws:s3:::b/*'] }, 'allow', true, call('s3:DeleteObjects', [A, B]), true],
    ['services are case-insensitive', { services: ['S3'] }, 'deny', false, call('s3:GetObject'), true],
    ['another service', { services: ['dynamodb'] }, 'deny', false, call('s3:GetObject'), false],
    ['an unknown action matches no actions glob, not even *', { actions: ['*'] }, 'deny', false, call('s3:'), false],
    ['an unknown action matches a rule on its service alone', { services: ['s3'] }, 'deny', false, call('s3:'), true],
    ['an unknown action matches unknownActions', { unknownActions: true }, 'approve', false, call('s3:'), true],
    ['unknownActions beside actions still matches the named ones', { actions: ['s3:Get*'], unknownActions: true }, 'allow', false, call('s3:GetObject'), true],
    ['unknownActions alone does not match a named action', { unknownActions: true }, 'allow', false, call('s3:GetObject'), false],
    ['a field over the parameters', { fields: [{ path: 'TableName', values: ['prod-*'] }] }, 'deny', false, call('dynamodb:PutItem', [], { TableName: 'prod-orders' }), true],
    ['a field that does not hold', { fields: [{ path: 'TableName', values: ['prod-*'] }] }, 'deny', false, call('dynamodb:PutItem', [], { TableName: 'dev' }), false],
    ['undecodable parameters meet a deny\'s fields (fail closed)', { fields: [{ path: 'TableName', exists: true }] }, 'deny', false, call('dynamodb:PutItem', [], undefined), true],
    ['undecodable parameters never meet an allow\'s fields', { fields: [{ path: 'TableName', exists: true }] }, 'allow', false, call('dynamodb:PutItem', [], undefined), false],
  ])('%s', (_label, spec, effect, isExcept, info, expected) => {
    expect(awsConditionHolds(compileAwsMatch(spec, effect, isExcept), info)).toBe(expected);
  });
});

const POLICY = policyFrom(`
apiVersion: gatehouse.dev/v1
kind: Policy
defaults: { "*": allow, locked-aws: deny, approve-aws: approve }
rules:
  - id: frozen-agent
    effect: deny
    message: This agent is frozen.
    match: { agents: [frozen-*] }
  - id: prod-needs-approval
    effect: approve
    match: { connections: [prod-aws], aws: { actions: ["*:Delete*"] } }
  - id: kube-reads
    effect: allow
    match: { verbs: [get, list] }
  - id: ops-may-do-anything
    effect: allow
    match: { agents: [ops-*] }
  - id: review-everything
    effect: approve
    match: { connections: [review-aws] }
  - id: approve-new-sqs
    effect: approve
    match: { aws: { services: [sqs], unknownActions: true } }
`);

describe('which rules judge an AWS call', () => {
  it.each<[string, AwsRequestInfo, string, string, string, string]>([
    ['a rule about the agent alone applies to its AWS calls', call('s3:GetObject', ['arn:aws:s3:::a/x']), 'frozen-bot', 'prod-aws', 'deny', 'frozen-agent'],
    ['an AWS rule with a connection', call('dynamodb:DeleteTable', [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`]), 'ci', 'prod-aws', 'approve', 'prod-needs-approval'],
    ['the same call on another connection', call('dynamodb:DeleteTable'), 'ci', 'dev-aws', 'allow', 'default'],
    ['a Kubernetes allow does not open a connection that defaults to deny', call('s3:GetObject'), 'ci', 'locked-aws', 'deny', 'default'],
    ['an identity-only allow opens it', call('s3:GetObject'), 'ops-alice', 'locked-aws', 'allow', 'ops-may-do-anything'],
    ['an identity-only allow does not let an unknown action through', call('s3:'), 'ops-alice', 'locked-aws', 'deny', 'unknown-action'],
    ['an identity-only deny still stops an unknown action by its own rule', call('s3:'), 'frozen-bot', 'prod-aws', 'deny', 'frozen-agent'],
    ['an approve rule with unknownActions holds an unknown action for a person', call('sqs:'), 'ci', 'prod-aws', 'approve', 'approve-new-sqs'],
    ['an approve rule about named actions does not put an unknown one to a person', call('s3:'), 'ci', 'prod-aws', 'deny', 'unknown-action'],
    ['an identity-only approve does not put an unknown action to a person', call('s3:'), 'ci', 'review-aws', 'deny', 'unknown-action'],
    ['an identity-only approve holds a named action', call('s3:GetObject'), 'ci', 'review-aws', 'approve', 'review-everything'],
    ['an approve default does not take an unknown action', call('s3:'), 'ci', 'approve-aws', 'deny', 'unknown-action'],
    ['an unknown action never takes the allow default', call('ecs:'), 'ci', 'dev-aws', 'deny', 'unknown-action'],
  ])('%s', (_label, info, agent, connection, effect, ruleId) => {
    expect(evaluatePolicy(POLICY, input(info, agent, connection))).toMatchObject({ effect, ruleId });
  });

  it('refuses an unknown action with a 403 that says how to allow it, not as a rule\'s denial', () => {
    const decision = evaluatePolicy(POLICY, input(call('ecs:')));
    const error = policyDecisionError(decision);
    expect(decision.reason).toBe('unknown-action');
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error?.message).toContain('{ effect: allow, match: { connections: [prod-aws], aws: { services: [ecs], unknownActions: true } } }');
    expect(error?.message).not.toMatch(/Denied by Gatehouse policy rule/);
  });

  it('keeps AWS rules away from kubectl requests', () => {
    const decision = evaluatePolicy(POLICY, {
      identity: identity(), connection: 'prod-aws', body: { state: 'none' },
      request: { isResourceRequest: true, path: '/api/v1/namespaces/a/pods/p', verb: 'delete', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'a', resource: 'pods', subresource: '', name: 'p', parts: [] },
    });
    expect(decision).toMatchObject({ effect: 'allow', reason: 'default' });
  });
});

describe('validation of match.aws', () => {
  const rule = (match: string, except = '', effect = 'deny') => `apiVersion: gatehouse.dev/v1\nkind: Policy\nrules:\n  - id: r1\n    effect: ${effect}\n    match: ${match}\n${except ? `    except: ${except}\n` : ''}`;

  it.each<[string, string, string?]>([
    ['? in an ARN', '{ aws: { resources: ["arn:aws:s3:::log?/*"] } }'],
    ['every action', '{ aws: { actions: ["*"] } }'],
    ['an action written in another case', '{ aws: { actions: ["S3:deletebucket"] } }'],
    ['? in an action', '{ aws: { actions: ["s3:Get?bject"] } }'],
    ['a dotted bucket', '{ aws: { resources: ["arn:aws:s3:::logs.example.com/*"] } }'],
    ['identity keys beside aws', '{ agents: [ci-*], connections: [prod-aws], aws: { services: [s3] } }'],
    ['an identity except on an AWS rule', '{ aws: { services: [s3] } }', '{ agents: [ops-*] }'],
    ['an aws except on an identity-only rule', '{ agents: [old-*] }', '{ aws: { actions: ["sts:GetCallerIdentity"] } }'],
    ['single values without brackets', '{ aws: { actions: "s3:DeleteBucket", resources: "arn:aws:s3:::logs" } }'],
  ])('accepts %s', (_label, match, except = '') => {
    expect(problemsOf(rule(match, except))).toEqual([]);
  });

  it.each<[string, string, string, RegExp]>([
    ['aws as a list', '{ aws: [s3] }', '', /match.aws: must be a mapping/],
    ['an empty services list', '{ aws: { services: [] } }', '', /match.aws.services: an empty list matches nothing/],
    ['an empty resources list', '{ aws: { resources: [] } }', '', /match.aws.resources: an empty list matches nothing/],
    ['an empty action', '{ aws: { actions: [""] } }', '', /match.aws.actions\[0\]: must be non-empty text/],
    ['unknownActions as text', '{ aws: { unknownActions: "yes" } }', '', /match.aws.unknownActions: can only be true .*"yes"/],
    ['empty fields', '{ aws: { fields: [] } }', '', /match.aws.fields: must be a non-empty list/],
    ['a field without a path', '{ aws: { fields: [{ values: [x] }] } }', '', /match.aws.fields\[0\]/],
    ['an alternation in an action', '{ aws: { actions: ["s3:Delete(Bucket|Object)"] } }', '', /looks like a regular expression/],
    ['an anchored ARN', '{ aws: { resources: ["arn:aws:s3:::logs$"] } }', '', /drop the \$/],
    ['a policy variable', '{ aws: { resources: ["arn:aws:s3:::home/${aws:username}/*"] } }', '', /policy variables .* are not supported/],
    ['a service with a dot', '{ aws: { services: ["s3.amazonaws.com"] } }', '', /is not a service signing name/],
    ['body beside aws', '{ aws: { services: [s3] }, body: { privileged: true } }', '', /aws cannot be combined with body/],
    ['namespaces beside aws', '{ namespaces: [prod], aws: { services: [s3] } }', '', /aws cannot be combined with namespaces/],
    ['a Kubernetes except on an AWS rule', '{ aws: { services: [s3] } }', '{ verbs: [get] }', /except\[0\]: verbs can never hold for an AWS call/],
    ['an aws except on a Kubernetes rule', '{ verbs: [delete] }', '{ aws: { services: [s3] } }', /except\[0\].aws: can never hold: this rule matches only Kubernetes requests \(it has verbs\)/],
  ])('refuses %s', (_label, match, except, message) => {
    expect(problemsOf(rule(match, except))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('reports every problem of one block at once, with its line', () => {
    const problems = problemsOf(rule('{ aws: { services: [], actions: [DeleteBucket], unknownActions: 1 } }'));
    expect(problems).toEqual([
      expect.stringMatching(/^team-a.yaml:4: rule "r1": match.aws.services: an empty list/),
      expect.stringMatching(/^team-a.yaml:4: rule "r1": match.aws.actions\[0\]: "DeleteBucket" is not an IAM action/),
      expect.stringMatching(/^team-a.yaml:4: rule "r1": match.aws.unknownActions: can only be true/),
    ]);
  });
});

describe('the AWS calls section of docs/POLICY.md', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/POLICY.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## AWS calls'));
  const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  let policy: CompiledPolicy;
  beforeAll(() => {
    policy = policyFrom(example, 'docs/POLICY.md');
  });

  it.each<[string, AwsRequestInfo, string, string, string]>([
    ['a protected photo', call('s3:DeleteObject', ['arn:aws:s3:::photos/protected/a.jpg']), 'ci', 'dev-aws', 'protected-photos'],
    ['a prod table write', call('dynamodb:PutItem', [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/prod-orders`]), 'ci', 'prod-aws', 'prod-table-writes'],
    ['a read of a log by an auditor', call('s3:GetObject', ['arn:aws:s3:::logs/a.gz']), 'ci', 'audit-aws', 'auditors-read-logs'],
    ['a read of another bucket by an auditor', call('s3:GetObject', ['arn:aws:s3:::payroll/a.csv']), 'ci', 'audit-aws', 'default'],
    ['any call of an old agent', call('sts:GetCallerIdentity'), 'repo:acme/old-tool', 'dev-aws', 'frozen-agent'],
  ])('decides %s as it says', (_label, info, agent, connection, ruleId) => {
    expect(evaluatePolicy(policy, input(info, agent, connection)).ruleId).toBe(ruleId);
  });
});

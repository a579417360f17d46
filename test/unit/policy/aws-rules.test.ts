import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput, AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';
import { awsRequestShape } from '../../../lambdas/core/approvals/aws-approval-subject';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import type { CompiledPolicy } from '../../../lambdas/core/policy/compile-policy';
import type { PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity, policyFrom, policyWithPacks, problemsOf } from './policy-test-support';

const ACCOUNT = '111122223333';

/** A call as the classifier reads it: JSON target, query form, or an S3 route. */
function json(service: string, target: string, body: Record<string, unknown>, version = '1.1'): AwsRequestInfo {
  return classify({ service, method: 'POST', path: '/', headers: { 'x-amz-target': [target], 'content-type': [`application/x-amz-json-${version}`] }, body: Buffer.from(JSON.stringify(body)) });
}
function query(service: string, params: Record<string, string>): AwsRequestInfo {
  return classify({ service, method: 'POST', path: '/', headers: { 'content-type': ['application/x-www-form-urlencoded; charset=utf-8'] }, body: Buffer.from(new URLSearchParams(params).toString()) });
}
function s3(method: string, path: string, body = ''): AwsRequestInfo {
  const [p, q = ''] = path.split('?');
  return classify({ service: 's3', method, path: p!, query: [...new URLSearchParams(q)], headers: {}, body: Buffer.from(body) });
}
function classify(call: Partial<AwsCallInput> & { service: string }): AwsRequestInfo {
  return classifyAwsRequest({ method: 'POST', path: '/', query: [], headers: {}, body: Buffer.alloc(0), region: 'us-east-1', accountId: ACCOUNT, ...call });
}

function decide(policy: CompiledPolicy, info: AwsRequestInfo, agent = 'ci-deployer', connection = 'prod-aws') {
  const input: PolicyInput = { identity: identity({ agent }), connection, request: awsRequestShape(info, '/'), body: { state: 'none' }, aws: info };
  return evaluatePolicy(policy, input);
}

const BASELINE = policyWithPacks(['baseline', 'aws-baseline']);

describe('the aws-baseline pack', () => {
  it.each<[string, AwsRequestInfo, string, string]>([
    ['deleting a bucket', s3('DELETE', '/build-cache'), 'approve', 'aws-baseline/approve-delete-buckets'],
    ['deleting a table', json('dynamodb', 'DynamoDB_20120810.DeleteTable', { TableName: 'orders' }, '1.0'), 'approve', 'aws-baseline/approve-delete-tables'],
    ['deleting a secret', json('secretsmanager', 'secretsmanager.DeleteSecret', { SecretId: 'db' }), 'approve', 'aws-baseline/approve-secret-changes'],
    ['writing a secret value', json('secretsmanager', 'secretsmanager.PutSecretValue', { SecretId: 'db', SecretString: 'x' }), 'approve', 'aws-baseline/approve-secret-changes'],
    ['scheduling a key deletion', json('kms', 'TrentService.ScheduleKeyDeletion', { KeyId: 'alias/app' }), 'approve', 'aws-baseline/approve-key-deletion'],
    ['disabling a key', json('kms', 'TrentService.DisableKey', { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }), 'approve', 'aws-baseline/approve-key-deletion'],
    ['updating a secret (which can write its value)', json('secretsmanager', 'secretsmanager.UpdateSecret', { SecretId: 'db', SecretString: 'x' }), 'approve', 'aws-baseline/approve-secret-changes'],
    ['changing a console password', query('iam', { Action: 'UpdateLoginProfile', UserName: 'ci', Password: 'x', Version: '2010-05-08' }), 'deny', 'aws-baseline/no-console-passwords'],
    ['deleting a trail', json('cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteTrail', { Name: 'org-trail' }), 'deny', 'aws-baseline/cloudtrail-stays-on'],
    ['reconfiguring a trail', json('cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.UpdateTrail', { Name: 'org-trail', S3BucketName: 'elsewhere' }), 'deny', 'aws-baseline/cloudtrail-stays-on'],
    ['narrowing what a trail records', json('cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.PutEventSelectors', { TrailName: 'org-trail', EventSelectors: [] }), 'deny', 'aws-baseline/cloudtrail-stays-on'],
    ['reading the trails', json('cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails', {}), 'allow', 'default'],
    ['listing IAM users', query('iam', { Action: 'ListUsers', Version: '2010-05-08' }), 'allow', 'default'],
    ['enabling a key', json('kms', 'TrentService.EnableKey', { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }), 'allow', 'default'],
    ['creating an IAM user', query('iam', { Action: 'CreateUser', UserName: 'backdoor', Version: '2010-05-08' }), 'deny', 'aws-baseline/no-iam-users'],
    ['creating an access key', query('iam', { Action: 'CreateAccessKey', UserName: 'ci', Version: '2010-05-08' }), 'deny', 'aws-baseline/no-access-keys'],
    ['creating a console password', query('iam', { Action: 'CreateLoginProfile', UserName: 'ci', Password: 'x', Version: '2010-05-08' }), 'deny', 'aws-baseline/no-console-passwords'],
    ['stopping CloudTrail', json('cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StopLogging', { Name: 'org-trail' }), 'deny', 'aws-baseline/cloudtrail-stays-on'],
    ['reading an item', json('dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'orders', Key: {} }, '1.0'), 'allow', 'default'],
    ['putting an object', s3('PUT', '/build-cache/a.tgz'), 'allow', 'default'],
    ['reading a secret', json('secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'db' }), 'allow', 'default'],
  ])('decides %s: %s', (_label, info, effect, ruleId) => {
    expect(decide(BASELINE, info)).toMatchObject({ effect, ruleId });
  });

  it('gives every rule an id of the pack and a message that says what to do', () => {
    const rules = BASELINE.rules.filter((r) => r.id.startsWith('aws-baseline/'));
    expect(rules).toHaveLength(8);
    for (const rule of rules) expect(rule.message).toMatch(rule.effect === 'deny' ? /Ask an? [a-z ]*admin\./ : /needs a person's approval/);
  });

  it('lets a team switch one rule off with disable', () => {
    const policy = policyFrom('apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [aws-baseline]\ndisable: [aws-baseline/approve-delete-buckets]\ndefaults: { "*": allow }\n');
    expect(decide(policy, s3('DELETE', '/build-cache'))).toMatchObject({ effect: 'allow', ruleId: 'default' });
    expect(decide(policy, json('dynamodb', 'DynamoDB_20120810.DeleteTable', { TableName: 'orders' }, '1.0'))).toMatchObject({ effect: 'approve' });
  });

  it('leaves kubectl requests to the Kubernetes rules: no AWS rule matches a request of the cluster', () => {
    const decision = evaluatePolicy(BASELINE, {
      identity: identity(), connection: 'prod', body: { state: 'none' },
      request: { isResourceRequest: true, path: '/api/v1/namespaces/a/secrets/s', verb: 'delete', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'a', resource: 'secrets', subresource: '', name: 's', parts: [] },
    });
    expect(decision.matchedRuleIds.filter((id) => id.startsWith('aws-baseline/'))).toEqual([]);
  });
});

const POLICY = policyFrom(`
apiVersion: gatehouse.dev/v1
kind: Policy
defaults: { "*": allow, audit-aws: deny }
rules:
  - id: protected-objects
    effect: deny
    match: { aws: { actions: ["s3:DeleteObject*"], resources: ["arn:aws:s3:::photos/protected/*"] } }
  - id: read-only-audit
    effect: allow
    match: { connections: [audit-aws], aws: { actions: ["s3:Get*", "s3:List*"], resources: ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"] } }
  - id: no-prod-writes
    effect: deny
    match: { aws: { services: [dynamodb], actions: ["dynamodb:PutItem"], fields: [{ path: TableName, values: ["prod-*"] }] } }
  - id: frozen-agent
    effect: deny
    match: { agents: [frozen-*] }
  - id: allow-new-kinesis
    effect: allow
    match: { aws: { services: [kinesis], unknownActions: true } }
`);

describe('rules on AWS calls', () => {
  it.each<[string, AwsRequestInfo, string, string, string]>([
    ['a delete of a protected key', s3('DELETE', '/photos/protected/2026/a.jpg'), 'deny', 'protected-objects', 'prod-aws'],
    ['a delete of another key', s3('DELETE', '/photos/public/a.jpg'), 'allow', 'default', 'prod-aws'],
    ['a DeleteObjects that names a protected key last among others', s3('POST', '/photos?delete', '<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object><Object><Key>protected/c</Key></Object></Delete>'), 'deny', 'protected-objects', 'prod-aws'],
    ['a delete of a key deep under the protected prefix (* spans /)', s3('DELETE', '/photos/protected/2026/12/a.jpg'), 'deny', 'protected-objects', 'prod-aws'],
    ['an audit read of the logs bucket', s3('GET', '/logs/2026/12/01.gz'), 'allow', 'read-only-audit', 'audit-aws'],
    ['an audit read of another bucket', s3('GET', '/payroll/2026.csv'), 'deny', 'default', 'audit-aws'],
    ['an audit write to the logs bucket', s3('PUT', '/logs/x'), 'deny', 'default', 'audit-aws'],
    ['a copy from another bucket into the logs bucket, for audit (every resource must be covered to allow)', classify({ service: 's3', method: 'PUT', path: '/logs/copy', headers: { 'x-amz-copy-source': ['payroll/2026.csv'] } }), 'deny', 'default', 'audit-aws'],
    ['a PutItem on a prod table (body field)', json('dynamodb', 'DynamoDB_20120810.PutItem', { TableName: 'prod-orders', Item: {} }, '1.0'), 'deny', 'no-prod-writes', 'prod-aws'],
    ['a PutItem on a dev table', json('dynamodb', 'DynamoDB_20120810.PutItem', { TableName: 'dev-orders', Item: {} }, '1.0'), 'allow', 'default', 'prod-aws'],
  ])('decides %s', (_label, info, effect, ruleId, connection) => {
    expect(decide(POLICY, info, 'ci-deployer', connection)).toMatchObject({ effect, ruleId });
  });

  it('applies a rule about the agent alone to its AWS calls too', () => {
    expect(decide(POLICY, s3('GET', '/photos/a.jpg'), 'frozen-bot')).toMatchObject({ effect: 'deny', ruleId: 'frozen-agent' });
  });

  it('denies an action it cannot name, whatever the default, and says how to allow it', () => {
    const unknown = json('dynamodb', 'DynamoDB_20120810.ExportEverything', { TableName: 'orders' }, '1.0');
    const decision = decide(POLICY, unknown);
    expect(decision).toMatchObject({ effect: 'deny', reason: 'unknown-action', ruleId: 'unknown-action' });
    expect(decision.message).toMatch(/unknownActions: true/);
  });

  it('lets an unknown action through only by a rule that allows unknown actions of its service', () => {
    const kinesis = classify({ service: 'kinesis', method: 'POST', path: '/', headers: { 'x-amz-target': ['Kinesis_20131202.SomethingNew'] }, body: Buffer.from('{}') });
    const unknown = classify({ service: 'kinesis', method: 'GET', path: '/streams' });
    expect(kinesis.action).toBe('SomethingNew');
    expect(decide(POLICY, unknown)).toMatchObject({ effect: 'allow', ruleId: 'allow-new-kinesis' });
    expect(decide(POLICY, classify({ service: 'ecs', method: 'GET', path: '/x' }))).toMatchObject({ effect: 'deny', reason: 'unknown-action' });
  });

  it('judges a body field rule that cannot read the call\'s parameters as matching, for a deny (fail closed)', () => {
    const garbled = classify({ service: 'dynamodb', method: 'POST', path: '/', headers: { 'x-amz-target': ['DynamoDB_20120810.PutItem'] }, body: Buffer.from('{not json') });
    expect(garbled.params).toBeUndefined();
    expect(decide(POLICY, garbled)).toMatchObject({ effect: 'deny', ruleId: 'no-prod-writes' });
  });
});

describe('validation of match.aws', () => {
  const rule = (match: string) => `apiVersion: gatehouse.dev/v1\nkind: Policy\nrules:\n  - id: r1\n    effect: deny\n    match: ${match}\n`;
  it.each<[string, string, RegExp]>([
    ['an unknown key', '{ aws: { action: ["s3:*"] } }', /match.aws.action: is not a key of aws/],
    ['an empty block', '{ aws: {} }', /match.aws: must be a mapping with at least one of/],
    ['an action without its service', '{ aws: { actions: [DeleteBucket] } }', /"DeleteBucket" is not an IAM action/],
    ['a resource that is not an ARN', '{ aws: { resources: [my-bucket] } }', /"my-bucket" is not an ARN glob/],
    ['unknownActions that is not true', '{ aws: { unknownActions: false } }', /unknownActions: can only be true/],
    ['Kubernetes keys beside aws', '{ verbs: [delete], aws: { actions: ["s3:*"] } }', /aws cannot be combined with verbs/],
    ['a pod spec path', '{ aws: { fields: [{ podSpecPath: hostNetwork, values: [true] }] } }', /AWS calls have no pod specs/],
    ['a regular expression for a glob', '{ aws: { actions: ["s3:.*"] } }', /looks like a regular expression/],
  ])('refuses %s', (_label, match, message) => {
    expect(problemsOf(rule(match))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });
});

describe('the read-only pack on AWS calls', () => {
  const READ_ONLY = policyWithPacks(['read-only'], '{ "*": approve }');
  it.each<[string, AwsRequestInfo, string, string]>([
    ['a GetItem', json('dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'orders', Key: {} }, '1.0'), 'allow', 'read-only/allow-aws-reads'],
    ['a Query', json('dynamodb', 'DynamoDB_20120810.Query', { TableName: 'orders' }, '1.0'), 'allow', 'read-only/allow-aws-reads'],
    ['a ListObjectsV2', s3('GET', '/logs?list-type=2'), 'allow', 'read-only/allow-aws-reads'],
    ['a GetCallerIdentity', query('sts', { Action: 'GetCallerIdentity', Version: '2011-06-15' }), 'allow', 'read-only/allow-aws-reads'],
    ['a PutItem', json('dynamodb', 'DynamoDB_20120810.PutItem', { TableName: 'orders', Item: {} }, '1.0'), 'deny', 'read-only/deny-writes'],
    ['a DeleteObject', s3('DELETE', '/logs/a'), 'deny', 'read-only/deny-writes'],
  ])('decides %s', (_label, info, effect, ruleId) => {
    expect(decide(READ_ONLY, info)).toMatchObject({ effect, ruleId });
  });
});

import { Buffer } from 'node:buffer';
import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput, AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';
import { MAX_DECODED_BODY_BYTES } from '../../../lambdas/core/aws/services/aws-service-spec';

const ACCOUNT = '111122223333';
const R = `us-east-1:${ACCOUNT}`;

/** A JSON-protocol call as the SDK sends it: POST / with X-Amz-Target and a JSON body. */
function jsonCall(service: string, target: string | readonly string[] | undefined, body: unknown, region = 'us-east-1'): AwsCallInput {
  const headers: Record<string, string[]> = { 'content-type': ['application/x-amz-json-1.1'] };
  if (target !== undefined) headers['x-amz-target'] = typeof target === 'string' ? [target] : [...target];
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method: 'POST', path: '/', query: [], headers, body: bytes, service, region, accountId: ACCOUNT };
}

type Row = [string, string, string, unknown, Partial<AwsRequestInfo>];

describe('classifyAwsRequest: JSON services', () => {
  it.each<Row>([
    // DynamoDB (awsJson1_0)
    ['GetItem names its table', 'dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'orders', Key: { id: { S: '1' } } },
      { protocol: 'awsJson1_0', action: 'GetItem', iamAction: 'dynamodb:GetItem', resources: [`arn:aws:dynamodb:${R}:table/orders`], summary: `dynamodb:GetItem arn:aws:dynamodb:${R}:table/orders` }],
    ['a table given as an ARN is kept', 'dynamodb', 'DynamoDB_20120810.PutItem', { TableName: 'arn:aws:dynamodb:eu-west-1:444455556666:table/t', Item: {} },
      { action: 'PutItem', resources: ['arn:aws:dynamodb:eu-west-1:444455556666:table/t'] }],
    ['DeleteTable', 'dynamodb', 'DynamoDB_20120810.DeleteTable', { TableName: 'orders' }, { action: 'DeleteTable', resources: [`arn:aws:dynamodb:${R}:table/orders`] }],
    ['ListTables names none', 'dynamodb', 'DynamoDB_20120810.ListTables', {}, { action: 'ListTables', resources: [], summary: 'dynamodb:ListTables' }],
    ['BatchGetItem lists each table', 'dynamodb', 'DynamoDB_20120810.BatchGetItem', { RequestItems: { a: { Keys: [] }, b: { Keys: [] } } },
      { action: 'BatchGetItem', resources: [`arn:aws:dynamodb:${R}:table/a`, `arn:aws:dynamodb:${R}:table/b`] }],
    ['BatchWriteItem keeps an ARN key', 'dynamodb', 'DynamoDB_20120810.BatchWriteItem', { RequestItems: { 'arn:aws:dynamodb:us-east-1:444455556666:table/x': [] } },
      { action: 'BatchWriteItem', resources: ['arn:aws:dynamodb:us-east-1:444455556666:table/x'] }],
    ['TransactWriteItems lists each table once, in order', 'dynamodb', 'DynamoDB_20120810.TransactWriteItems',
      { TransactItems: [{ Put: { TableName: 'a' } }, { Update: { TableName: 'b' } }, { Delete: { TableName: 'a' } }, { ConditionCheck: { TableName: 'c' } }] },
      { action: 'TransactWriteItems', resources: [`arn:aws:dynamodb:${R}:table/a`, `arn:aws:dynamodb:${R}:table/b`, `arn:aws:dynamodb:${R}:table/c`] }],
    ['TransactGetItems', 'dynamodb', 'DynamoDB_20120810.TransactGetItems', { TransactItems: [{ Get: { TableName: 'x' } }, 'junk', null] },
      { action: 'TransactGetItems', resources: [`arn:aws:dynamodb:${R}:table/x`] }],
    ['a TableName that is not a string names nothing', 'dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 7 }, { action: 'GetItem', resources: [] }],
    // Secrets Manager
    ['GetSecretValue by name', 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'prod/db' },
      { protocol: 'awsJson1_1', action: 'GetSecretValue', resources: [`arn:aws:secretsmanager:${R}:secret:prod/db`] }],
    ['a partial ARN stays the id', 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: 'prod/db-AbCdEf' },
      { resources: [`arn:aws:secretsmanager:${R}:secret:prod/db-AbCdEf`] }],
    ['a full ARN is kept', 'secretsmanager', 'secretsmanager.DeleteSecret', { SecretId: 'arn:aws:secretsmanager:us-east-1:444455556666:secret:x-AbCdEf' },
      { action: 'DeleteSecret', resources: ['arn:aws:secretsmanager:us-east-1:444455556666:secret:x-AbCdEf'] }],
    ['CreateSecret by Name', 'secretsmanager', 'secretsmanager.CreateSecret', { Name: 'new', SecretString: 's' }, { action: 'CreateSecret', resources: [`arn:aws:secretsmanager:${R}:secret:new`] }],
    ['PutSecretValue', 'secretsmanager', 'secretsmanager.PutSecretValue', { SecretId: 'a', SecretString: 's' }, { action: 'PutSecretValue', resources: [`arn:aws:secretsmanager:${R}:secret:a`] }],
    ['BatchGetSecretValue lists each secret', 'secretsmanager', 'secretsmanager.BatchGetSecretValue', { SecretIdList: ['a', 'b'] },
      { action: 'BatchGetSecretValue', resources: [`arn:aws:secretsmanager:${R}:secret:a`, `arn:aws:secretsmanager:${R}:secret:b`] }],
    // SSM
    ['GetParameter of a plain name', 'ssm', 'AmazonSSM.GetParameter', { Name: 'x', WithDecryption: true }, { protocol: 'awsJson1_1', action: 'GetParameter', resources: [`arn:aws:ssm:${R}:parameter/x`] }],
    ['GetParameter of a path, the slash not doubled', 'ssm', 'AmazonSSM.GetParameter', { Name: '/a/b' }, { resources: [`arn:aws:ssm:${R}:parameter/a/b`] }],
    ['GetParameter with a version selector', 'ssm', 'AmazonSSM.GetParameter', { Name: '/a/b:3' }, { resources: [`arn:aws:ssm:${R}:parameter/a/b`] }],
    ['GetParameter by ARN', 'ssm', 'AmazonSSM.GetParameter', { Name: 'arn:aws:ssm:us-east-1:444455556666:parameter/shared' }, { resources: ['arn:aws:ssm:us-east-1:444455556666:parameter/shared'] }],
    ['GetParameters lists each name', 'ssm', 'AmazonSSM.GetParameters', { Names: ['/a', 'b'] }, { action: 'GetParameters', resources: [`arn:aws:ssm:${R}:parameter/a`, `arn:aws:ssm:${R}:parameter/b`] }],
    ['DeleteParameters', 'ssm', 'AmazonSSM.DeleteParameters', { Names: ['/a'] }, { action: 'DeleteParameters', resources: [`arn:aws:ssm:${R}:parameter/a`] }],
    ['PutParameter', 'ssm', 'AmazonSSM.PutParameter', { Name: '/app/key', Value: 'v', Type: 'SecureString' }, { action: 'PutParameter', resources: [`arn:aws:ssm:${R}:parameter/app/key`] }],
    ['GetParametersByPath', 'ssm', 'AmazonSSM.GetParametersByPath', { Path: '/app', Recursive: true }, { action: 'GetParametersByPath', resources: [`arn:aws:ssm:${R}:parameter/app`] }],
    ['GetDocument names a document, not a parameter', 'ssm', 'AmazonSSM.GetDocument', { Name: 'AWS-RunShellScript' }, { resources: [`arn:aws:ssm:${R}:document/AWS-RunShellScript`] }],
    ['SendCommand names the document and each instance', 'ssm', 'AmazonSSM.SendCommand', { DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-1', 'i-2'] },
      { action: 'SendCommand', resources: [`arn:aws:ssm:${R}:document/AWS-RunShellScript`, `arn:aws:ec2:${R}:instance/i-1`, `arn:aws:ec2:${R}:instance/i-2`] }],
    // KMS
    ['Decrypt with a key id', 'kms', 'TrentService.Decrypt', { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', CiphertextBlob: 'AA==' },
      { protocol: 'awsJson1_1', action: 'Decrypt', resources: [`arn:aws:kms:${R}:key/1234abcd-12ab-34cd-56ef-1234567890ab`] }],
    ['Encrypt with an alias', 'kms', 'TrentService.Encrypt', { KeyId: 'alias/app', Plaintext: 'AA==' }, { action: 'Encrypt', resources: [`arn:aws:kms:${R}:alias/app`] }],
    ['ScheduleKeyDeletion with a key ARN', 'kms', 'TrentService.ScheduleKeyDeletion', { KeyId: 'arn:aws:kms:us-east-1:444455556666:key/k', PendingWindowInDays: 7 },
      { action: 'ScheduleKeyDeletion', resources: ['arn:aws:kms:us-east-1:444455556666:key/k'] }],
    ['CreateAlias names the alias, then its key', 'kms', 'TrentService.CreateAlias', { AliasName: 'alias/new', TargetKeyId: 'k1' },
      { action: 'CreateAlias', resources: [`arn:aws:kms:${R}:alias/new`, `arn:aws:kms:${R}:key/k1`] }],
    ['ReEncrypt names both keys', 'kms', 'TrentService.ReEncrypt', { SourceKeyId: 'k1', DestinationKeyId: 'alias/d' },
      { action: 'ReEncrypt', resources: [`arn:aws:kms:${R}:key/k1`, `arn:aws:kms:${R}:alias/d`] }],
    // CloudTrail
    ['StopLogging by trail name', 'cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StopLogging', { Name: 'main' },
      { protocol: 'awsJson1_1', action: 'StopLogging', resources: [`arn:aws:cloudtrail:${R}:trail/main`] }],
    ['DeleteTrail by trail ARN', 'cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteTrail', { Name: 'arn:aws:cloudtrail:us-east-1:444455556666:trail/org' },
      { action: 'DeleteTrail', resources: ['arn:aws:cloudtrail:us-east-1:444455556666:trail/org'] }],
    ['PutEventSelectors by TrailName', 'cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.PutEventSelectors', { TrailName: 'main', EventSelectors: [] },
      { action: 'PutEventSelectors', resources: [`arn:aws:cloudtrail:${R}:trail/main`] }],
    ['DescribeTrails lists the trails asked for', 'cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails', { trailNameList: ['a'] },
      { action: 'DescribeTrails', resources: [`arn:aws:cloudtrail:${R}:trail/a`] }],
    ['an event data store Name is not a trail', 'cloudtrail', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateEventDataStore', { Name: 'eds' },
      { action: 'CreateEventDataStore', resources: [] }],
    // CloudWatch Logs
    ['CreateLogGroup', 'logs', 'Logs_20140328.CreateLogGroup', { logGroupName: '/aws/app' }, { protocol: 'awsJson1_1', action: 'CreateLogGroup', resources: [`arn:aws:logs:${R}:log-group:/aws/app`] }],
    ['PutLogEvents names the stream, then its group', 'logs', 'Logs_20140328.PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [] },
      { action: 'PutLogEvents', resources: [`arn:aws:logs:${R}:log-group:g:log-stream:s`, `arn:aws:logs:${R}:log-group:g`] }],
    ['a log group identifier ARN is kept', 'logs', 'Logs_20140328.DescribeLogStreams', { logGroupIdentifier: 'arn:aws:logs:us-east-1:444455556666:log-group:g' },
      { action: 'DescribeLogStreams', resources: ['arn:aws:logs:us-east-1:444455556666:log-group:g'] }],
    // EventBridge
    ['PutRule on the default bus', 'events', 'AWSEvents.PutRule', { Name: 'nightly', ScheduleExpression: 'rate(1 day)' }, { protocol: 'awsJson1_1', action: 'PutRule', resources: [`arn:aws:events:${R}:rule/nightly`] }],
    ['PutTargets on a custom bus', 'events', 'AWSEvents.PutTargets', { Rule: 'nightly', EventBusName: 'ops', Targets: [] }, { action: 'PutTargets', resources: [`arn:aws:events:${R}:rule/ops/nightly`] }],
    ['PutEvents names each bus', 'events', 'AWSEvents.PutEvents', { Entries: [{ EventBusName: 'ops' }, { Source: 'x' }] },
      { action: 'PutEvents', resources: [`arn:aws:events:${R}:event-bus/ops`, `arn:aws:events:${R}:event-bus/default`] }],
    ['TagResource by ResourceARN', 'events', 'AWSEvents.TagResource', { ResourceARN: `arn:aws:events:${R}:rule/nightly`, Tags: [] }, { action: 'TagResource', resources: [`arn:aws:events:${R}:rule/nightly`] }],
    ['a secret given as a partial ARN (no random suffix) is kept', 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: `arn:aws:secretsmanager:${R}:secret:prod/db` },
      { resources: [`arn:aws:secretsmanager:${R}:secret:prod/db`] }],
    ['DeleteEventBus', 'events', 'AWSEvents.DeleteEventBus', { Name: 'ops' }, { action: 'DeleteEventBus', resources: [`arn:aws:events:${R}:event-bus/ops`] }],
    // SQS (awsJson1_0 in current SDKs)
    ['SendMessage names the queue of its URL', 'sqs', 'AmazonSQS.SendMessage', { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/444455556666/jobs', MessageBody: 'x' },
      { protocol: 'awsJson1_0', action: 'SendMessage', resources: ['arn:aws:sqs:us-east-1:444455556666:jobs'] }],
    ['CreateQueue by name', 'sqs', 'AmazonSQS.CreateQueue', { QueueName: 'jobs' }, { action: 'CreateQueue', resources: [`arn:aws:sqs:${R}:jobs`] }],
    ['a queue URL that is not one names nothing', 'sqs', 'AmazonSQS.DeleteQueue', { QueueUrl: 'not a url' }, { action: 'DeleteQueue', resources: [] }],
    // ECR
    ['DescribeImages of a repository', 'ecr', 'AmazonEC2ContainerRegistry_V20150921.DescribeImages', { repositoryName: 'app' },
      { protocol: 'awsJson1_1', action: 'DescribeImages', resources: [`arn:aws:ecr:${R}:repository/app`] }],
    ['a repository of another registry', 'ecr', 'AmazonEC2ContainerRegistry_V20150921.BatchDeleteImage', { repositoryName: 'app', registryId: '444455556666', imageIds: [] },
      { action: 'BatchDeleteImage', resources: ['arn:aws:ecr:us-east-1:444455556666:repository/app'] }],
    ['GetAuthorizationToken names none', 'ecr', 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', {}, { action: 'GetAuthorizationToken', resources: [] }],
  ])('classifies %s', (_case, service, target, body, expected) => {
    const info = classifyAwsRequest(jsonCall(service, target, body));
    expect(info).toMatchObject({ service, region: 'us-east-1', ...expected });
  });

  it('decodes the JSON body as params', () => {
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'orders', ConsistentRead: true }));
    expect(info.params).toEqual({ TableName: 'orders', ConsistentRead: true });
  });

  it('takes an empty body as {}', () => {
    expect(classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.ListTables', '')).params).toEqual({});
  });

  it.each<[string, unknown]>([
    ['malformed JSON', '{"TableName":'],
    ['a JSON array', '[{"TableName":"orders"}]'],
    ['a JSON string', '"orders"'],
    ['a repeated key, which policy and DynamoDB could read differently', '{"TableName":"public","TableName":"orders"}'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['a body larger than the decode limit', Buffer.alloc(MAX_DECODED_BODY_BYTES + 1, 0x20)],
  ])('keeps the action but leaves params undefined and names nothing for %s', (_case, body) => {
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.GetItem', body));
    expect(info).toMatchObject({ action: 'GetItem', params: undefined, resources: [] });
  });

  it.each<[string, string, string | readonly string[] | undefined]>([
    ['a target of another service', 'dynamodb', 'secretsmanager.GetSecretValue'],
    ['the right operation under another service prefix', 'secretsmanager', 'DynamoDB_20120810.GetSecretValue'],
    ['an operation in another case', 'dynamodb', 'DynamoDB_20120810.deletetable'],
    ['an operation the table does not know', 'dynamodb', 'DynamoDB_20120810.DropEverything'],
    ['CloudTrail without its full namespace', 'cloudtrail', 'CloudTrail_20131101.StopLogging'],
    ['a target without a prefix', 'dynamodb', 'DeleteTable'],
    ['a target with an empty prefix', 'dynamodb', '.DeleteTable'],
    ['two target headers', 'dynamodb', ['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.DeleteTable']],
    ['no target', 'dynamodb', undefined],
    ['an operation named like an Object property', 'kms', 'TrentService.constructor'],
  ])('gives an unknown action for %s', (_case, service, target) => {
    const info = classifyAwsRequest(jsonCall(service, target, { TableName: 'orders' }));
    expect(info).toMatchObject({ action: '', iamAction: `${service}:` });
  });

  it('names every table of a batch, in request order', () => {
    const names = Array.from({ length: 25 }, (_, i) => `t${i}`);
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.BatchGetItem', { RequestItems: Object.fromEntries(names.map((n) => [n, {}])) }));
    expect(info.resources).toHaveLength(25);
    expect(info.resources[0]).toBe(`arn:aws:dynamodb:${R}:table/t0`);
    expect(info.resources[24]).toBe(`arn:aws:dynamodb:${R}:table/t24`);
    expect(info.action).toBe('BatchGetItem');
  });

  it.each<[string, string]>([
    ['cn-north-1', `arn:aws-cn:dynamodb:cn-north-1:${ACCOUNT}:table/orders`],
    ['us-gov-west-1', `arn:aws-us-gov:dynamodb:us-gov-west-1:${ACCOUNT}:table/orders`],
  ])('builds ARNs in the partition of %s', (region, arn) => {
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.GetItem', { TableName: 'orders' }, region));
    expect(info).toMatchObject({ region, resources: [arn] });
  });

  it('keeps a __proto__ member as plain data', () => {
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.GetItem', '{"__proto__":{"polluted":true},"TableName":"orders"}'));
    expect(info.resources).toEqual([`arn:aws:dynamodb:${R}:table/orders`]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('classifyAwsRequest: DynamoDB PartiQL', () => {
  it('names no table from a statement, which could be written to mislead a parser', () => {
    const info = classifyAwsRequest(jsonCall('dynamodb', 'DynamoDB_20120810.ExecuteStatement', { Statement: 'SELECT "a FROM public" FROM secret' }));
    expect(info).toMatchObject({ action: 'ExecuteStatement', resources: [] });
  });
});

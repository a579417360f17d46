import { Buffer } from 'node:buffer';
import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput } from '../../../lambdas/core/aws/aws-request-info';
import { MAX_DECODED_BODY_BYTES } from '../../../lambdas/core/aws/services/aws-service-spec';

function call(fields: Partial<AwsCallInput>): AwsCallInput {
  return { method: 'POST', path: '/', query: [], headers: {}, body: Buffer.alloc(0), service: 'dynamodb', region: 'us-east-1', accountId: '111122223333', ...fields };
}

const SERVICES = ['s3', 'lambda', 'dynamodb', 'secretsmanager', 'ssm', 'kms', 'cloudtrail', 'logs', 'events', 'sqs', 'ecr', 'sts', 'iam', 'sns', 'ec2', 'ecs', 'constructor', '__proto__'];
const HOSTILE: readonly [string, Partial<AwsCallInput>][] = [
  ['a lone percent sign in the path', { path: '/%' }],
  ['a NUL in the path', { path: '/a\u0000b/c' }],
  ['a path without a leading slash', { path: 'bucket/key' }],
  ['a lower-case method', { method: 'get', path: '/bucket/key' }],
  ['random bytes as a JSON body', { headers: { 'x-amz-target': ['DynamoDB_20120810.GetItem'] }, body: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) }],
  ['a deeply nested JSON body', { headers: { 'x-amz-target': ['DynamoDB_20120810.GetItem'] }, body: Buffer.from(`${'['.repeat(100000)}${']'.repeat(100000)}`) }],
  ['random bytes as a form body', { headers: { 'content-type': ['application/x-www-form-urlencoded'] }, body: Buffer.from([0x25, 0xff, 0x3d, 0x26]) }],
  ['a body over the decode limit', { headers: { 'content-type': ['application/x-www-form-urlencoded'], 'x-amz-target': ['AmazonSQS.SendMessage'] }, body: Buffer.alloc(MAX_DECODED_BODY_BYTES + 1, 0x61) }],
  ['header lists that are empty', { headers: { 'x-amz-target': [], 'content-type': [] } }],
  ['query names like Object properties', { path: '/bucket', method: 'GET', query: [['constructor', ''], ['__proto__', 'x'], ['toString', '']] }],
];

describe('classifyAwsRequest on hostile input', () => {
  it.each(SERVICES.flatMap((service) => HOSTILE.map(([name, fields]): [string, string, Partial<AwsCallInput>] => [service, name, fields])))(
    'classifies a %s call with %s without throwing, as unknown or with params it could decode',
    (service, _case, fields) => {
      const info = classifyAwsRequest(call({ ...fields, service }));
      expect(info.service).toBe(service);
      expect(info.iamAction).toBe(`${service}:${info.action}`);
      expect(info.resources.length).toBeLessThanOrEqual(1002);
      expect(info.summary).not.toMatch(/[\r\n]/);
    },
  );

  it.each<[string, Partial<AwsCallInput>]>([
    ['a lone percent sign', { path: '/%', method: 'GET' }],
    ['random bytes as a body of a JSON call', { headers: { 'x-amz-target': ['DynamoDB_20120810.GetItem'] }, body: Buffer.from([0xff, 0xfe]) }],
    ['a form body with a bad escape', { service: 'iam', headers: { 'content-type': ['application/x-www-form-urlencoded'] }, body: Buffer.from('Action=%ZZ') }],
  ])('leaves params undefined for %s', (_case, fields) => {
    const service = fields.service ?? (fields.path ? 's3' : 'dynamodb');
    expect(classifyAwsRequest(call({ service, ...fields })).params).toBeUndefined();
  });

  it('classifies by the service of the verified scope, not by what the request looks like', () => {
    const info = classifyAwsRequest(call({
      service: 's3', method: 'GET', path: '/photos/a.jpg',
      headers: { 'x-amz-target': ['DynamoDB_20120810.DeleteTable'] }, body: Buffer.from('{"TableName":"orders"}'),
    }));
    expect(info).toMatchObject({ service: 's3', protocol: 'restXml', action: 'GetObject', resources: ['arn:aws:s3:::photos/a.jpg'] });
  });

  it('reads a query Action sent to a JSON-only service as nothing', () => {
    const info = classifyAwsRequest(call({ service: 'dynamodb', headers: { 'content-type': ['application/x-www-form-urlencoded'] }, body: Buffer.from('Action=DeleteTable&TableName=orders') }));
    expect(info).toMatchObject({ protocol: 'awsJson1_0', action: '', params: undefined });
  });

  it('takes the region from the scope into every regional ARN', () => {
    const info = classifyAwsRequest(call({ region: 'eu-west-1', headers: { 'x-amz-target': ['DynamoDB_20120810.GetItem'] }, body: Buffer.from('{"TableName":"t"}') }));
    expect(info).toMatchObject({ region: 'eu-west-1', resources: ['arn:aws:dynamodb:eu-west-1:111122223333:table/t'] });
  });
});

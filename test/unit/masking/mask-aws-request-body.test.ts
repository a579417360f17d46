import type { AwsProtocol, AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';
import { UpstreamResponseError } from '../../../lambdas/core/errors';
import { DEFAULT_CREDENTIAL_PATTERNS, MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { maskAwsRequestBody } from '../../../lambdas/core/masking/mask-aws-request-body';
import { MASKED_BASE64 } from '../../../lambdas/core/masking/mask-json-value';
import { compileCredentialPatterns } from '../../../lambdas/core/masking/mask-text';

const PATTERNS = compileCredentialPatterns(DEFAULT_CREDENTIAL_PATTERNS);
const PROTOCOL: Record<string, AwsProtocol> = { secretsmanager: 'awsJson1_1', ssm: 'awsJson1_1', kms: 'awsJson1_1', iam: 'awsQuery', sts: 'awsQuery', lambda: 'restJson1', s3: 'restXml', dynamodb: 'awsJson1_0' };
const CONTENT_TYPE: Record<AwsProtocol, string> = {
  awsJson1_0: 'application/x-amz-json-1.0', awsJson1_1: 'application/x-amz-json-1.1', awsQuery: 'application/x-www-form-urlencoded; charset=utf-8',
  restJson1: 'application/json', restXml: 'application/xml',
};
const info = (service: string, action: string): AwsRequestInfo => ({
  service, region: 'eu-west-1', protocol: PROTOCOL[service], action, iamAction: `${service}:${action}`, resources: [], params: undefined, summary: '',
});
const mask = (i: AwsRequestInfo, body: string, unmask = false) => {
  const result = maskAwsRequestBody({ info: i, status: 0, contentType: CONTENT_TYPE[i.protocol], body: Buffer.from(body), patterns: PATTERNS, unmask });
  return { text: result.body.toString(), counts: result.counts, body: result.body };
};
const enc = encodeURIComponent(MASKED_VALUE).replace(/\*/g, '%2A');

describe('maskAwsRequestBody by action', () => {
  it.each([
    ['secretsmanager CreateSecret', info('secretsmanager', 'CreateSecret'),
      '{"ClientRequestToken":"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1","Description":"db","Name":"prod/db","SecretString":"{\\"username\\":\\"app\\",\\"password\\":\\"EXAMPLE-PASSWORD\\"}"}',
      `{"ClientRequestToken":"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1","Description":"db","Name":"prod/db","SecretString":"${MASKED_VALUE}"}`, { 'aws-secret-value': 1 }],
    ['secretsmanager PutSecretValue with SecretBinary', info('secretsmanager', 'PutSecretValue'),
      '{"SecretId":"tls","SecretBinary":"c2VjcmV0IGJ5dGVz"}', `{"SecretId":"tls","SecretBinary":"${MASKED_BASE64}"}`, { 'aws-secret-value': 1 }],
    ['secretsmanager UpdateSecret', info('secretsmanager', 'UpdateSecret'),
      '{"SecretId":"prod/db","SecretString":"new-value"}', `{"SecretId":"prod/db","SecretString":"${MASKED_VALUE}"}`, { 'aws-secret-value': 1 }],
    ['ssm PutParameter SecureString', info('ssm', 'PutParameter'),
      '{"Name":"/prod/db/url","Value":"jdbc://x","Type":"SecureString","Overwrite":true}', `{"Name":"/prod/db/url","Value":"${MASKED_VALUE}","Type":"SecureString","Overwrite":true}`, { 'aws-parameter-value': 1 }],
    ['ssm PutParameter without a Type (an overwrite)', info('ssm', 'PutParameter'),
      '{"Name":"/prod/x","Value":"v","Overwrite":true}', `{"Name":"/prod/x","Value":"${MASKED_VALUE}","Overwrite":true}`, { 'aws-parameter-value': 1 }],
    ['ssm PutParameter String', info('ssm', 'PutParameter'),
      '{"Name":"/prod/region","Value":"eu-west-1","Type":"String"}', '{"Name":"/prod/region","Value":"eu-west-1","Type":"String"}', {}],
    ['lambda UpdateFunctionConfiguration', info('lambda', 'UpdateFunctionConfiguration'),
      '{"Environment":{"Variables":{"TABLE":"orders","TOKEN":"t-1"}},"MemorySize":256}',
      `{"Environment":{"Variables":{"TABLE":"${MASKED_VALUE}","TOKEN":"${MASKED_VALUE}"}},"MemorySize":256}`, { 'aws-function-environment': 2 }],
    ['lambda CreateFunction', info('lambda', 'CreateFunction'),
      '{"FunctionName":"orders","Code":{"S3Bucket":"b","S3Key":"k.zip"},"Environment":{"Variables":{"A":"1"}},"Role":"arn:aws:iam::123456789012:role/r"}',
      `{"FunctionName":"orders","Code":{"S3Bucket":"b","S3Key":"k.zip"},"Environment":{"Variables":{"A":"${MASKED_VALUE}"}},"Role":"arn:aws:iam::123456789012:role/r"}`, { 'aws-function-environment': 1 }],
    ['kms Encrypt', info('kms', 'Encrypt'),
      '{"KeyId":"alias/app","Plaintext":"cGxhaW4="}', `{"KeyId":"alias/app","Plaintext":"${MASKED_BASE64}"}`, { 'aws-kms-plaintext': 1 }],
    ['iam CreateLoginProfile', info('iam', 'CreateLoginProfile'),
      'Action=CreateLoginProfile&UserName=Bob&Password=h%5De%26l%3Dlo+world&PasswordResetRequired=true&Version=2010-05-08',
      `Action=CreateLoginProfile&UserName=Bob&Password=${enc}&PasswordResetRequired=true&Version=2010-05-08`, { 'aws-password': 1 }],
    ['iam ChangePassword', info('iam', 'ChangePassword'),
      'Action=ChangePassword&OldPassword=old-one&NewPassword=new-one&Version=2010-05-08',
      `Action=ChangePassword&OldPassword=${enc}&NewPassword=${enc}&Version=2010-05-08`, { 'aws-password': 2 }],
    ['sts AssumeRoleWithWebIdentity', info('sts', 'AssumeRoleWithWebIdentity'),
      'Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci&RoleSessionName=ci&WebIdentityToken=Atza%7CIQEBLjAsAhQ&Version=2011-06-15',
      `Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci&RoleSessionName=ci&WebIdentityToken=${enc}&Version=2011-06-15`, { 'aws-identity-token': 1 }],
  ])('%s', (_name, i, body, expected, counts) => {
    // Act
    const { text, counts: got } = mask(i, body);

    // Assert
    expect(text).toBe(expected);
    expect(got).toEqual(counts);
  });

  it('masks every rule of the service when the action is not known', () => {
    expect(mask(info('secretsmanager', ''), '{"SecretString":"x"}').text).toBe(`{"SecretString":"${MASKED_VALUE}"}`);
  });

  it('passes the values with unmask', () => {
    expect(mask(info('iam', 'ChangePassword'), 'Action=ChangePassword&OldPassword=a&NewPassword=b', true).text).toBe('Action=ChangePassword&OldPassword=a&NewPassword=b');
  });
});

describe('maskAwsRequestBody credential patterns', () => {
  it.each([
    ['a JWT in a form value', info('sts', 'GetCallerIdentity'), 'Action=X&Note=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln', 'jwt'],
    ['a password tag in a form body', info('iam', 'TagUser'), 'Action=TagUser&Tags.member.1.Key=k&Tags.member.1.Password=abc123', 'named-credential'],
    ['a DynamoDB attribute named token', info('dynamodb', 'PutItem'), '{"TableName":"t","Item":{"id":{"S":"1"},"api_token":{"S":"tok-123"}}}', 'named-credential'],
    ['an access key id in an S3 tagging XML', info('s3', 'PutObjectTagging'), '<Tagging><TagSet><Tag><Key>k</Key><Value>AKIAIOSFODNN7EXAMPLE</Value></Tag></TagSet></Tagging>', 'aws-access-key-id'],
  ])('masks %s', (_name, i, body, count) => {
    // Act
    const { text, counts } = mask(i, body);

    // Assert
    expect(text).not.toBe(body);
    expect(counts).toEqual({ [count]: 1 });
  });

  it('keeps the form byte for byte when nothing is masked', () => {
    // Arrange
    const body = 'Action=ListRoles&PathPrefix=%2Fservice-role%2F&MaxItems=10&Version=2010-05-08';

    // Act
    const result = maskAwsRequestBody({ info: info('iam', 'ListRoles'), status: 0, contentType: CONTENT_TYPE.awsQuery, body: Buffer.from(body), patterns: PATTERNS, unmask: false });

    // Assert
    expect(result.body.toString()).toBe(body);
    expect(result.counts).toEqual({});
  });

  it('masks a pair it cannot decode as text', () => {
    expect(mask(info('sts', 'X'), 'Action=X&Bad=%E0%A4%A&Key=AKIAIOSFODNN7EXAMPLE%zz').counts).toEqual({ 'aws-access-key-id': 1 });
  });

  it('refuses to store a body with values it cannot read', () => {
    expect(() => mask(info('secretsmanager', 'PutSecretValue'), '{"SecretString": "cut off')).toThrow(UpstreamResponseError);
  });
});

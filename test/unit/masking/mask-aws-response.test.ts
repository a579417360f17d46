// The SDK clients are used only to check that masked answers still parse as the service's own (a fake handler answers).
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HttpResponse } from '@smithy/core/protocols';
import type { AwsProtocol, AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';
import { UpstreamResponseError } from '../../../lambdas/core/errors';
import { DEFAULT_CREDENTIAL_PATTERNS, MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { awsBodySyntax, maskAwsResponse, MASKED_REGISTRY_TOKEN } from '../../../lambdas/core/masking/mask-aws-response';
import { MASKED_BASE64 } from '../../../lambdas/core/masking/mask-json-value';
import { compileCredentialPatterns } from '../../../lambdas/core/masking/mask-text';

const PATTERNS = compileCredentialPatterns(DEFAULT_CREDENTIAL_PATTERNS);
const PROTOCOL: Record<string, AwsProtocol> = {
  secretsmanager: 'awsJson1_1', ssm: 'awsJson1_1', kms: 'awsJson1_1', ecr: 'awsJson1_1', dynamodb: 'awsJson1_0',
  sts: 'awsQuery', iam: 'awsQuery', lambda: 'restJson1', s3: 'restXml',
};
const info = (service: string, action: string, params: unknown = {}): AwsRequestInfo => ({
  service, region: 'eu-west-1', protocol: PROTOCOL[service], action, iamAction: `${service}:${action}`, resources: [], params,
  summary: `${service}:${action}`,
});
const mask = (i: AwsRequestInfo, body: string, over: { contentType?: string; status?: number; unmask?: boolean } = {}) => {
  const result = maskAwsResponse({
    info: i, status: over.status ?? 200,
    contentType: over.contentType ?? (!body.startsWith('<') ? 'application/x-amz-json-1.1' : i.protocol === 'restXml' ? 'application/xml' : 'text/xml'),
    body: Buffer.from(body), patterns: PATTERNS, unmask: over.unmask ?? false,
  });
  return { text: result.body.toString(), counts: result.counts, body: result.body };
};

const SECRET = 'pg://orders:S3cr3t-pass@db.internal:5432/orders';
const ROLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const ROLE_TOKEN = 'IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDexampleSessionToken//////////wEaDDEyMzQ1Njc4OTAxMiIM';
const ACCESS_KEY_ID = 'ASIAIOSFODNN7EXAMPLE';

const ASSUME_ROLE_XML = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${ACCESS_KEY_ID}</AccessKeyId>
      <SecretAccessKey>${ROLE_SECRET}</SecretAccessKey>
      <SessionToken>${ROLE_TOKEN}</SessionToken>
      <Expiration>2026-07-15T23:28:33.359Z</Expiration>
    </Credentials>
    <PackedPolicySize>8</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`;

const CREATE_ACCESS_KEY_XML = `<CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateAccessKeyResult>
    <AccessKey>
      <UserName>Bob</UserName>
      <AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>
      <Status>Active</Status>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
    </AccessKey>
  </CreateAccessKeyResult>
  <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
  </ResponseMetadata>
</CreateAccessKeyResponse>`;

const SERVICE_CREDENTIAL_XML = `<CreateServiceSpecificCredentialResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateServiceSpecificCredentialResult>
    <ServiceSpecificCredential>
      <CreateDate>2026-01-02T03:04:05Z</CreateDate>
      <ServiceName>codecommit.amazonaws.com</ServiceName>
      <ServiceUserName>anika-at-123456789012</ServiceUserName>
      <ServicePassword>xTBAr/czp+D3EXAMPLE47lrJ6/43r2zqGwR3EXAMPLE=</ServicePassword>
      <ServiceSpecificCredentialId>ACCA12345ABCDEXAMPLE</ServiceSpecificCredentialId>
      <UserName>anika</UserName>
      <Status>Active</Status>
    </ServiceSpecificCredential>
  </CreateServiceSpecificCredentialResult>
  <ResponseMetadata><RequestId>EXAMPLE8-90ab-cdef-fedc-ba987EXAMPLE</RequestId></ResponseMetadata>
</CreateServiceSpecificCredentialResponse>`;

const GET_SECRET_VALUE = JSON.stringify({
  ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders/db-a1b2c3', CreatedDate: 1.523477145713E9,
  Name: 'prod/orders/db', SecretString: SECRET, VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1', VersionStages: ['AWSPREVIOUS'],
});

describe('maskAwsResponse by action', () => {
  it.each([
    ['secretsmanager GetSecretValue SecretString', info('secretsmanager', 'GetSecretValue'), GET_SECRET_VALUE, [SECRET], { 'aws-secret-value': 1 }],
    ['secretsmanager GetSecretValue SecretBinary', info('secretsmanager', 'GetSecretValue'),
      '{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls-key-Xy12ab","Name":"tls-key","SecretBinary":"c2VjcmV0IGJ5dGVz","VersionId":"v1","VersionStages":["AWSCURRENT"],"CreatedDate":1.7e9}',
      ['c2VjcmV0IGJ5dGVz'], { 'aws-secret-value': 1 }],
    ['secretsmanager BatchGetSecretValue', info('secretsmanager', 'BatchGetSecretValue'),
      `{"Errors":[],"SecretValues":[{"ARN":"arn:a","Name":"a","SecretString":"first-secret","VersionId":"1","VersionStages":["AWSCURRENT"]},{"ARN":"arn:b","Name":"b","SecretString":"second-secret","VersionId":"2","VersionStages":["AWSCURRENT"]}]}`,
      ['first-secret', 'second-secret'], { 'aws-secret-value': 2 }],
    ['ssm GetParameter SecureString', info('ssm', 'GetParameter', { Name: '/prod/db/url', WithDecryption: true }),
      '{"Parameter":{"ARN":"arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db/url","DataType":"text","LastModifiedDate":1.582657288851E9,"Name":"/prod/db/url","Type":"SecureString","Value":"jdbc-secret-value","Version":3}}',
      ['jdbc-secret-value'], { 'aws-parameter-value': 1 }],
    ['ssm GetParameters, a typeless value with WithDecryption', info('ssm', 'GetParameters', { Names: ['/a', '/b'], WithDecryption: true }),
      '{"InvalidParameters":[],"Parameters":[{"Name":"/a","Value":"typeless-secret","Version":1},{"Name":"/b","Type":"String","Value":"eu-west-1","Version":1}]}',
      ['typeless-secret'], { 'aws-parameter-value': 1 }],
    ['ssm GetParametersByPath SecureString without decryption (the ciphertext too)', info('ssm', 'GetParametersByPath', { Path: '/prod' }),
      '{"Parameters":[{"Name":"/prod/key","Type":"SecureString","Value":"AQICAHh-ciphertext","Version":2}]}', ['AQICAHh-ciphertext'], { 'aws-parameter-value': 1 }],
    ['ssm GetParameterHistory', info('ssm', 'GetParameterHistory', { Name: '/prod/key', WithDecryption: true }),
      '{"Parameters":[{"Name":"/prod/key","Type":"SecureString","KeyId":"alias/aws/ssm","LastModifiedUser":"arn:aws:iam::123456789012:user/x","Value":"old-one","Version":1},{"Name":"/prod/key","Type":"SecureString","Value":"new-one","Version":2}]}',
      ['old-one', 'new-one'], { 'aws-parameter-value': 2 }],
    ['sts AssumeRole (XML)', info('sts', 'AssumeRole'), ASSUME_ROLE_XML, [ROLE_SECRET, ROLE_TOKEN], { 'aws-secret-access-key': 1, 'aws-session-token': 1, 'aws-access-key-id': 1 }],
    ['sts GetSessionToken (JSON, as asked with Accept: application/json)', info('sts', 'GetSessionToken'),
      `{"GetSessionTokenResponse":{"GetSessionTokenResult":{"Credentials":{"AccessKeyId":"${ACCESS_KEY_ID}","Expiration":1.7e9,"SecretAccessKey":"${ROLE_SECRET}","SessionToken":"${ROLE_TOKEN}"}},"ResponseMetadata":{"RequestId":"r"}}}`,
      [ROLE_SECRET, ROLE_TOKEN], { 'aws-secret-access-key': 1, 'aws-session-token': 1, 'aws-access-key-id': 1 }],
    ['iam CreateAccessKey', info('iam', 'CreateAccessKey'), CREATE_ACCESS_KEY_XML, ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'], { 'aws-secret-access-key': 1, 'aws-access-key-id': 1 }],
    ['iam CreateServiceSpecificCredential', info('iam', 'CreateServiceSpecificCredential'), SERVICE_CREDENTIAL_XML,
      ['xTBAr/czp+D3EXAMPLE47lrJ6/43r2zqGwR3EXAMPLE='], { 'aws-service-password': 1, 'aws-access-key-id': 1 }],
    ['lambda GetFunctionConfiguration', info('lambda', 'GetFunctionConfiguration'),
      '{"FunctionName":"orders","FunctionArn":"arn:aws:lambda:eu-west-1:123456789012:function:orders","Runtime":"nodejs20.x","Role":"arn:aws:iam::123456789012:role/orders","Handler":"index.handler","CodeSize":5797206,"Timeout":30,"MemorySize":512,"Environment":{"Variables":{"TABLE":"orders","STRIPE_KEY":"sk_live_example","LOG_LEVEL":"info"}},"Version":"$LATEST"}',
      ['"TABLE":"orders"', 'sk_live_example', '"LOG_LEVEL":"info"'], { 'aws-function-environment': 3 }],
    ['lambda GetFunction', info('lambda', 'GetFunction'),
      '{"Code":{"Location":"https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/x","RepositoryType":"S3"},"Configuration":{"FunctionName":"orders","Environment":{"Variables":{"DB_URL":"postgres://u:p@h/db"}}},"Tags":{"team":"shop"}}',
      ['postgres://u:p@h/db'], { 'aws-function-environment': 1 }],
    ['lambda ListFunctions', info('lambda', 'ListFunctions'),
      '{"Functions":[{"FunctionName":"a","Environment":{"Variables":{"K":"v1"}}},{"FunctionName":"b"},{"FunctionName":"c","Environment":{"Variables":{"K":"v3"}}}],"NextMarker":null}',
      ['v1', 'v3'], { 'aws-function-environment': 2 }],
    ['kms Decrypt', info('kms', 'Decrypt'),
      '{"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","KeyId":"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"cGxhaW50ZXh0IHNlY3JldA=="}',
      ['cGxhaW50ZXh0IHNlY3JldA=='], { 'aws-kms-plaintext': 1 }],
    ['kms GenerateDataKey', info('kms', 'GenerateDataKey'),
      '{"CiphertextBlob":"AQEDAHjRYf5WytIc0C857tFSnBaPn2F8DgfmThbJlGfR8P3WlwAAAH4wfAYJKoZIhvcNAQcGoG8wbQIBADBoBgkqhkiG9w0BBwEwHgYJYIZIAWUDBAEuMBEEDEFogLqPWZconQhwHAIBEIA7d9AC7GeJJM34njQvg4Wf1d5sw0NIo1MrBqZa+YdhV8MrkBQPeac0ReRVNDt9qleAt+SHgIRF8P0H+7U=","KeyId":"arn:aws:kms:eu-west-1:123456789012:key/k","Plaintext":"VdzKNHGzUAzJeRBVY+uUmofUGGiDzyB3+i9fVkh3piw="}',
      ['VdzKNHGzUAzJeRBVY+uUmofUGGiDzyB3+i9fVkh3piw='], { 'aws-kms-plaintext': 1 }],
    ['kms GenerateRandom', info('kms', 'GenerateRandom'), '{"Plaintext":"hcnfE3Ku5lNNAJWKbrz2xQ=="}', ['hcnfE3Ku5lNNAJWKbrz2xQ=='], { 'aws-kms-plaintext': 1 }],
    ['ecr GetAuthorizationToken', info('ecr', 'GetAuthorizationToken'),
      '{"authorizationData":[{"authorizationToken":"QVdTOmV5SndZWGxzYjJGa0lqb2lWa0V6UTNsUlBUMGlmUT09","expiresAt":1.7e9,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}',
      ['QVdTOmV5SndZWGxzYjJGa0lqb2lWa0V6UTNsUlBUMGlmUT09'], { 'aws-registry-token': 1 }],
  ])('%s: the values are masked and counted', (_name, i, body, secrets, counts) => {
    // Act
    const { text, counts: got } = mask(i, body);

    // Assert
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(got).toEqual(counts);
    expect(text).not.toBe(body);
    if (i.protocol !== 'awsQuery' && i.protocol !== 'restXml') expect(() => JSON.parse(text)).not.toThrow();
  });

  it('gives base64 fields the base64 marker, so the SDK can still decode them', () => {
    // Act
    const { text } = mask(info('kms', 'Decrypt'), '{"KeyId":"k","Plaintext":"cGxhaW50ZXh0"}');

    // Assert
    expect(JSON.parse(text).Plaintext).toBe(MASKED_BASE64);
  });

  it('gives the ECR token a marker that still decodes to AWS:<password>', () => {
    // Act
    const { text } = mask(info('ecr', 'GetAuthorizationToken'), '{"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldA==","expiresAt":1.7e9}]}');

    // Assert
    const token = JSON.parse(text).authorizationData[0].authorizationToken;
    expect(token).toBe(MASKED_REGISTRY_TOKEN);
    expect(Buffer.from(token, 'base64').toString()).toBe(`AWS:${MASKED_VALUE}`);
  });

  it('leaves a String parameter alone unless its name announces a credential', () => {
    // Act
    const { text, counts } = mask(info('ssm', 'GetParameters', { WithDecryption: true }),
      '{"Parameters":[{"Name":"/prod/region","Type":"String","Value":"eu-west-1"},{"Name":"/prod/db/password","Type":"String","Value":"hunter2-hunter2"}]}');

    // Assert
    expect(JSON.parse(text).Parameters.map((p: { Value: string }) => p.Value)).toEqual(['eu-west-1', MASKED_VALUE]);
    expect(counts).toEqual({ 'named-credential': 1 });
  });

  it('leaves a typeless parameter alone when decryption was not asked', () => {
    expect(mask(info('ssm', 'GetParameters', {}), '{"Parameters":[{"Name":"/a","Value":"plain"}]}').counts).toEqual({});
  });

  it('keeps every byte outside the masked values (numbers, order, whitespace)', () => {
    // Act
    const { text } = mask(info('secretsmanager', 'GetSecretValue'), GET_SECRET_VALUE.replace('{', '{ ').replace(':1.523477145713E9', ': 1.523477145713E9'));

    // Assert
    expect(text).toBe(GET_SECRET_VALUE.replace('{', '{ ').replace(':1.523477145713E9', ': 1.523477145713E9').replace(JSON.stringify(SECRET), JSON.stringify(MASKED_VALUE)));
  });

  it('keeps the XML as it was but for the masked text', () => {
    // Act
    const { text } = mask(info('iam', 'CreateAccessKey'), CREATE_ACCESS_KEY_XML);

    // Assert
    expect(text).toBe(CREATE_ACCESS_KEY_XML.replace('wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', MASKED_VALUE).replace('AKIAIOSFODNN7EXAMPLE', MASKED_VALUE));
  });

  it('returns the same buffer when nothing is masked', () => {
    // Arrange
    const body = Buffer.from('{"TableNames":["orders","users"],"LastEvaluatedTableName":"users"}');

    // Act
    const result = maskAwsResponse({ info: info('dynamodb', 'ListTables'), status: 200, contentType: 'application/x-amz-json-1.0', body, patterns: PATTERNS, unmask: false });

    // Assert
    expect(result.body).toBe(body);
    expect(result.counts).toEqual({});
  });
});

describe('maskAwsResponse with unmask', () => {
  it('passes the action\'s values and the credentials\' key id, and still masks patterns elsewhere', () => {
    // Arrange
    const xml = ASSUME_ROLE_XML.replace('<SourceIdentity>DevUser123</SourceIdentity>', '<SourceIdentity>AKIAIOSFODNN7EXAMPL2</SourceIdentity>');

    // Act
    const { text, counts } = mask(info('sts', 'AssumeRole'), xml, { unmask: true });

    // Assert
    expect(text).toContain(ROLE_SECRET);
    expect(text).toContain(ROLE_TOKEN);
    expect(text).toContain(ACCESS_KEY_ID);
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPL2');
    expect(counts).toEqual({ 'aws-access-key-id': 1 });
  });

  it('passes a secret value unmasked', () => {
    expect(mask(info('secretsmanager', 'GetSecretValue'), GET_SECRET_VALUE, { unmask: true }).text).toBe(GET_SECRET_VALUE);
  });
});

describe('maskAwsResponse credential patterns', () => {
  it.each([
    ['a JWT in a DynamoDB item', info('dynamodb', 'GetItem'), '{"Item":{"id":{"S":"1"},"note":{"S":"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl here"}}}', 'eyJhbGciOiJIUzI1NiJ9', 'jwt'],
    ['a DynamoDB attribute named password', info('dynamodb', 'GetItem'), '{"Item":{"id":{"S":"1"},"password":{"S":"hunter2!"}}}', 'hunter2!', 'named-credential'],
    ['an ECS-style {name, value} environment', info('ecs', 'DescribeTaskDefinition'), '{"taskDefinition":{"containerDefinitions":[{"environment":[{"name":"DB_PASSWORD","value":"p4ss"}]}]}}', 'p4ss', 'named-credential'],
    ['an access key id in an S3 listing (XML)', info('s3', 'ListObjectsV2'), '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Contents><Key>keys/AKIAIOSFODNN7EXAMPLE.txt</Key><Size>3</Size></Contents></ListBucketResult>', 'AKIAIOSFODNN7EXAMPLE', 'aws-access-key-id'],
    ['a connection string in CDATA', info('s3', 'GetObject'), '<config><db><![CDATA[postgres://app:cdata-pass@db/x]]></db></config>', 'cdata-pass', 'connection-string-password'],
    ['a password in plain text', info('s3', 'GetObject'), 'db_password=swordfish\nother=1\n', 'swordfish', 'named-credential'],
  ])('masks %s', (_name, i, body, secret, count) => {
    // Act
    const { text, counts } = mask(i, body, { contentType: i.protocol === 'restXml' && body.startsWith('db_') ? 'text/plain' : i.protocol === 'restXml' ? 'application/xml' : 'application/x-amz-json-1.0' });

    // Assert
    expect(text).not.toContain(secret);
    expect(counts[count]).toBe(1);
  });

  it.each(['NextToken', 'nextToken', 'ContinuationToken', 'NextContinuationToken', 'ClientRequestToken', 'Marker'])('leaves the pagination cursor %s alone', (key) => {
    // Arrange
    const body = JSON.stringify({ Items: [], [key]: 'AAMA-EFRSURBSGh6c1hQbGVzN0x6cGhPTm9QdWRXZz09' });

    // Act
    const { text } = mask(info('secretsmanager', 'ListSecrets'), body);

    // Assert
    expect(text).toBe(body);
  });

  it('leaves ARNs alone, though `secret:<name>` reads like a key and a value', () => {
    // Arrange
    const body = '{"SecretList":[{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders/db-a1b2c3","Name":"prod/orders/db","LastChangedDate":1.7e9}]}';

    // Act
    const { text } = mask(info('secretsmanager', 'ListSecrets'), body);

    // Assert
    expect(text).toBe(body);
  });

  it('still finds an access key id inside an ARN', () => {
    expect(mask(info('s3', 'ListBuckets'), '{"a":"arn:aws:s3:::bucket/AKIAIOSFODNN7EXAMPLE"}').counts).toEqual({ 'aws-access-key-id': 1 });
  });

  it('masks only patterns in an error answer of an action with values', () => {
    // Arrange
    const body = '{"__type":"ResourceNotFoundException","message":"Secrets Manager can\'t find the specified secret."}';

    // Act
    const { text, counts } = mask(info('secretsmanager', 'GetSecretValue'), body, { status: 400 });

    // Assert
    expect(text).toBe(body);
    expect(counts).toEqual({});
  });

  it('decodes XML entities before matching and escapes what it writes', () => {
    // Act
    const { text } = mask(info('s3', 'GetObject'), '<a><b>postgres://u:p&amp;ss@h/db &lt;x&gt;</b></a>');

    // Assert
    expect(text).toBe(`<a><b>postgres://u:${MASKED_VALUE}@h/db &lt;x&gt;</b></a>`);
  });
});

describe('maskAwsResponse bodies it cannot read', () => {
  it('returns a binary answer as it is', () => {
    // Arrange
    const body = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]);

    // Act
    const result = maskAwsResponse({ info: info('s3', 'GetObject'), status: 200, contentType: 'image/png', body, patterns: PATTERNS, unmask: false });

    // Assert
    expect(result.body).toBe(body);
  });

  it.each([
    ['invalid JSON', 'application/x-amz-json-1.1', '{"SecretString": "abc'],
    ['an octet stream', 'application/octet-stream', '{"SecretString":"abc"}'],
    ['a UTF-16 charset', 'application/json; charset=utf-16', '{"SecretString":"abc"}'],
    ['plain text, where no field can be found', 'text/plain', 'SecretString=abc'],
  ])('fails closed on %s for an action with values to mask', (_name, contentType, body) => {
    expect(() => mask(info('secretsmanager', 'GetSecretValue'), body, { contentType })).toThrow(UpstreamResponseError);
  });

  it.each([
    ['unbalanced tags', '<AssumeRoleResponse><Credentials><SecretAccessKey>x</Credentials>'],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "secret">]><a>&e;</a>'],
    ['an unknown entity', '<a><SessionToken>&e;</SessionToken></a>'],
    ['two roots', '<a/><b/>'],
    ['an end tag that closes another element', '<Credentials><SecretAccessKey>x</SessionToken></Credentials>'],
  ])('fails closed on XML with %s', (_name, body) => {
    expect(() => mask(info('sts', 'AssumeRole'), body)).toThrow(UpstreamResponseError);
  });

  it('reads JSON nested deeper than the stack as text rather than failing', () => {
    // Arrange
    const body = `${'['.repeat(200_000)}"AKIAIOSFODNN7EXAMPLE"${']'.repeat(200_000)}`;

    // Act
    const { text } = mask(info('s3', 'GetObject'), body, { contentType: 'application/json' });

    // Assert
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('masks an unreadable body of an action without values as text', () => {
    expect(mask(info('dynamodb', 'Scan'), '{"note": "AKIAIOSFODNN7EXAMPLE', { contentType: 'application/x-amz-json-1.0' }).text).toBe(`{"note": "${MASKED_VALUE}`);
  });
});

describe('masked answers as the AWS SDK reads them', () => {
  const client = (body: Buffer, contentType: string) => ({
    region: 'eu-west-1', endpoint: 'https://gatehouse.example.com/aws/prod', maxAttempts: 1,
    credentials: { accessKeyId: 'GHAK', secretAccessKey: 's' },
    requestHandler: { handle: async () => ({ response: new HttpResponse({ statusCode: 200, headers: { 'content-type': contentType }, body: new Uint8Array(body) }) }) },
  });

  it('STS AssumeRole: the credentials parse, with the secret and token masked', async () => {
    // Arrange
    const { body } = mask(info('sts', 'AssumeRole'), ASSUME_ROLE_XML);

    // Act
    const out = await new STSClient(client(body, 'text/xml')).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/demo', RoleSessionName: 'John' }));

    // Assert
    expect(out.Credentials).toMatchObject({ SecretAccessKey: MASKED_VALUE, SessionToken: MASKED_VALUE, Expiration: new Date('2026-07-15T23:28:33.359Z') });
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/demo/John');
    expect(out.PackedPolicySize).toBe(8);
  });

  it('Secrets Manager: SecretBinary decodes to the marker', async () => {
    // Arrange
    const { body } = mask(info('secretsmanager', 'GetSecretValue'), '{"ARN":"arn:x","Name":"tls","SecretBinary":"c2VjcmV0","VersionId":"v"}');

    // Act
    const out = await new SecretsManagerClient(client(body, 'application/x-amz-json-1.1')).send(new GetSecretValueCommand({ SecretId: 'tls' }));

    // Assert
    expect(Buffer.from(out.SecretBinary!).toString()).toBe(MASKED_VALUE);
  });

  it('Lambda: the environment keeps its names', async () => {
    // Arrange
    const { body } = mask(info('lambda', 'GetFunctionConfiguration'), '{"FunctionName":"orders","MemorySize":512,"Environment":{"Variables":{"TABLE":"orders","API_KEY":"k-123"}}}');

    // Act
    const out = await new LambdaClient(client(body, 'application/json')).send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' }));

    // Assert
    expect(out.Environment?.Variables).toEqual({ TABLE: MASKED_VALUE, API_KEY: MASKED_VALUE });
    expect(out.MemorySize).toBe(512);
  });
});

describe('awsBodySyntax', () => {
  it.each([
    ['application/x-amz-json-1.0', '{}', 'json'],
    ['application/json; charset=utf-8', '{}', 'json'],
    ['text/xml', '<a/>', 'xml'],
    ['application/xml', '<a/>', 'xml'],
    ['application/x-www-form-urlencoded; charset=utf-8', 'Action=X', 'form'],
    ['text/plain', 'x', 'text'],
    ['', ' {"a":1}', 'json'],
    ['', '<?xml version="1.0"?><a/>', 'xml'],
    ['', 'hello', 'text'],
    ['binary/octet-stream', 'x', undefined],
    ['text/plain; charset=iso-8859-1', 'x', undefined],
  ])('reads %s as %s', (contentType, body, expected) => {
    expect(awsBodySyntax(contentType, Buffer.from(body))).toBe(expected);
  });

  it('reads an unlabelled body with NUL bytes as binary', () => {
    expect(awsBodySyntax('', Buffer.from([0x61, 0x00, 0x62]))).toBeUndefined();
  });
});

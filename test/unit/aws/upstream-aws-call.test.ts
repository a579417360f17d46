import { createHash } from 'node:crypto';
import { NodeSha256 } from '../../support/node-sha256';
// The SDK's own signer, the reference the upstream signature must match.
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/core/protocols';
import { AwsUpstreamCallError, crc32c, crc64nvmeBase64, upstreamAwsCall, UpstreamAwsCallInput } from '../../../lambdas/core/aws/upstream-aws-call';
import { verifyAuthorizationHeader } from '../../../lambdas/core/sigv4';

const NOW = new Date('2026-05-06T07:08:09.000Z');
const ROLE = { accessKeyId: 'ASIAROLEEXAMPLE00001', secretAccessKey: 'roleSecret/Key+Example0000000000000000000', sessionToken: 'IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQ+role/token==' };

type Call = UpstreamAwsCallInput['call'];
const call = (over: Partial<Call> = {}): Call => ({ method: 'POST', path: '/', query: [], headers: {}, body: Buffer.alloc(0), ...over });
const input = (over: Partial<UpstreamAwsCallInput> & { call?: Call } = {}): UpstreamAwsCallInput => ({
  call: call(), service: 'dynamodb', region: 'eu-west-1', endpoint: new URL('https://dynamodb.eu-west-1.amazonaws.com/'),
  credentials: ROLE, now: NOW, ...over,
});

const GET_ITEM = call({
  headers: {
    'content-type': ['application/x-amz-json-1.0'], 'x-amz-target': ['DynamoDB_20120810.GetItem'],
    authorization: ['AWS4-HMAC-SHA256 Credential=GHAKAGENT/20260506/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00'],
    'x-amz-security-token': ['ghs1.agent.token'], 'x-amz-date': ['20260506T070809Z'], host: ['gatehouse.example.com'],
    'user-agent': ['aws-sdk-js/3.1162.0'],
  },
  body: Buffer.from('{"TableName":"orders","Key":{"id":{"S":"42"}}}'),
});

/** Re-signs what we send with @smithy/signature-v4 and returns its Authorization header. */
async function smithyAuthorization(sent: ReturnType<typeof upstreamAwsCall>, service: string, region: string): Promise<string> {
  const url = new URL(sent.url);
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  const headers = Object.fromEntries(Object.entries(sent.headers).filter(([k]) => !['authorization', 'x-amz-date', 'x-amz-security-token'].includes(k)));
  const signer = new SignatureV4({ credentials: ROLE, region, service, sha256: NodeSha256, uriEscapePath: service !== 's3', applyChecksum: service === 's3' });
  const signed = await signer.sign(new HttpRequest({
    method: sent.method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined,
    path: url.pathname, query, headers, body: sent.body,
  }), { signingDate: NOW });
  return signed.headers.authorization;
}

describe('upstreamAwsCall signing', () => {
  it('signs a DynamoDB call anew with the role credentials, verifiable as AWS verifies it', () => {
    // Act
    const sent = upstreamAwsCall(input({ call: GET_ITEM }));

    // Assert
    const url = new URL(sent.url);
    const result = verifyAuthorizationHeader(
      { method: sent.method, path: url.pathname, query: url.search.slice(1), headers: sent.headers, body: sent.body },
      { lookupSecret: (id) => (id === ROLE.accessKeyId ? ROLE.secretAccessKey : undefined), service: 'dynamodb', region: 'eu-west-1', now: NOW },
    );
    expect(result).toMatchObject({ ok: true, accessKeyId: ROLE.accessKeyId, sessionToken: ROLE.sessionToken });
    expect(sent.headers['x-amz-security-token']).toBe(ROLE.sessionToken);
    expect(sent.headers).not.toHaveProperty('x-amz-content-sha256');
  });

  it('matches @smithy/signature-v4 for a JSON call', async () => {
    // Act
    const sent = upstreamAwsCall(input({ call: GET_ITEM }));

    // Assert
    expect(sent.headers.authorization).toBe(await smithyAuthorization(sent, 'dynamodb', 'eu-west-1'));
  });

  it('matches @smithy/signature-v4 for a Lambda path the SDK encoded, double-encoding it in the canonical request', async () => {
    // Arrange
    const lambda = call({ method: 'GET', path: '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A111122223333%3Afunction%3Aorders/configuration', query: [['Qualifier', '$LATEST']] });

    // Act
    const sent = upstreamAwsCall(input({ call: lambda, service: 'lambda', endpoint: new URL('https://lambda.eu-west-1.amazonaws.com/') }));

    // Assert
    expect(new URL(sent.url).pathname).toBe(lambda.path);
    expect(sent.headers.authorization).toBe(await smithyAuthorization(sent, 'lambda', 'eu-west-1'));
  });

  it.each([
    ['a key with spaces, unicode and reserved characters', '/reports/2026%20Q1/%C3%A9t%C3%A9%20%28final%29%21.csv', '/reports/2026%20Q1/%C3%A9t%C3%A9%20%28final%29%21.csv'],
    ['a key with an empty segment and a trailing slash', '/reports/a//b/', '/reports/a//b/'],
    ['a key the client encoded loosely (~ and lower-case hex)', '/reports/a%7eb%2c', '/reports/a~b%2C'],
  ])('signs S3 %s as S3 canonicalizes it (encoded once, not normalized)', async (_name, path, sentPath) => {
    // Arrange
    const put = call({ method: 'PUT', path, headers: { 'content-type': ['text/csv'], 'x-amz-meta-owner': ['team a'] }, body: Buffer.from('a,b\n1,2\n') });

    // Act
    const sent = upstreamAwsCall(input({ call: put, service: 's3', endpoint: new URL('https://s3.eu-west-1.amazonaws.com/') }));

    // Assert
    expect(new URL(sent.url).pathname).toBe(sentPath);
    expect(sent.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(put.body).digest('hex'));
    expect(sent.headers.authorization).toBe(await smithyAuthorization(sent, 's3', 'eu-west-1'));
  });

  it('signs an IAM call the agent scoped to eu-west-1 for us-east-1, where IAM lives', async () => {
    // Arrange
    const list = call({ headers: { 'content-type': ['application/x-www-form-urlencoded; charset=utf-8'] }, body: Buffer.from('Action=ListRoles&Version=2010-05-08') });

    // Act
    const sent = upstreamAwsCall(input({ call: list, service: 'iam', region: 'eu-west-1', endpoint: new URL('https://iam.amazonaws.com/') }));

    // Assert
    expect(sent.headers.authorization).toContain('/20260506/us-east-1/iam/aws4_request');
    expect(sent.headers.authorization).toBe(await smithyAuthorization(sent, 'iam', 'us-east-1'));
  });

  it('sends the query pairs encoded, repeats kept, and signs them', async () => {
    // Arrange
    const list = call({ method: 'GET', path: '/bucket', query: [['list-type', '2'], ['prefix', 'a b/c+d'], ['tag', 'x'], ['tag', 'y']] });

    // Act
    const sent = upstreamAwsCall(input({ call: list, service: 's3', endpoint: new URL('https://s3.eu-west-1.amazonaws.com/') }));

    // Assert
    expect(new URL(sent.url).search).toBe('?list-type=2&prefix=a%20b%2Fc%2Bd&tag=x&tag=y');
    expect(sent.headers.authorization).toBe(await smithyAuthorization(sent, 's3', 'eu-west-1'));
  });

  it('sends Content-Length for a body and for an empty PUT', () => {
    expect(upstreamAwsCall(input({ call: GET_ITEM })).headers['content-length']).toBe(String(GET_ITEM.body.length));
    expect(upstreamAwsCall(input({ call: call({ method: 'PUT', path: '/b/k' }), service: 's3' })).headers['content-length']).toBe('0');
    expect(upstreamAwsCall(input({ call: call({ method: 'GET' }) })).headers).not.toHaveProperty('content-length');
  });
});

describe('upstreamAwsCall host', () => {
  const endpoint = new URL('https://sts.eu-west-1.amazonaws.com/');

  it.each([
    ['a Host header', { headers: { host: ['evil.com'] } }],
    ['X-Forwarded-Host', { headers: { 'x-forwarded-host': ['evil.com'], forwarded: ['host=evil.com'] } }],
    ['a //host path', { path: '//evil.com/x' }],
    ['an @ in the path', { path: '/@evil.com/x' }],
    ['a user-info-looking path', { path: '/user:pw@evil.com' }],
  ])('keeps the endpoint\'s host whatever %s says', (_name, over) => {
    // Act
    const sent = upstreamAwsCall(input({ call: call(over as Partial<Call>), service: 'sts', endpoint }));

    // Assert
    expect(new URL(sent.url).host).toBe('sts.eu-west-1.amazonaws.com');
    expect(sent.headers.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(sent.url.startsWith('https://sts.eu-west-1.amazonaws.com/')).toBe(true);
  });

  it.each([
    ['an absolute-form path', 'http://evil.com/x'],
    ['a path without a leading slash', 'evil.com'],
    ['a backslash', '/\\evil.com'],
    ['a .. segment', '/bucket/../other/key'],
    ['a %2e%2e segment', '/bucket/%2E%2e/other/key'],
    ['a . segment', '/./x'],
    ['a ? in the path', '/x?Action=AssumeRole'],
    ['a # in the path', '/x#y'],
    ['a space', '/a b'],
    ['a bad escape', '/a%zz'],
    ['an escape that is not UTF-8', '/a%ff'],
  ])('refuses %s', (_name, path) => {
    expect(() => upstreamAwsCall(input({ call: call({ path }), service: 's3', endpoint }))).toThrow(AwsUpstreamCallError);
  });

  it('appends the call\'s path to the endpoint\'s own path', () => {
    // Act
    const sent = upstreamAwsCall(input({ call: call({ path: '/orders/42' }), service: 's3', endpoint: new URL('http://127.0.0.1:4566/s3/') }));

    // Assert
    expect(sent.url).toBe('http://127.0.0.1:4566/s3/orders/42');
    expect(sent.headers.host).toBe('127.0.0.1:4566');
  });

  it('refuses a method AWS has no use for', () => {
    expect(() => upstreamAwsCall(input({ call: call({ method: 'TRACE' }) }))).toThrow(AwsUpstreamCallError);
  });
});

describe('upstreamAwsCall headers', () => {
  const withHeader = (name: string, value: string, service = 'dynamodb') =>
    upstreamAwsCall(input({ call: call({ headers: { [name]: [value] } }), service })).headers;

  it.each([
    'content-type', 'content-md5', 'x-amz-target', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since',
    'cache-control', 'content-disposition', 'content-language', 'expires', 'accept', 'x-amz-user-agent', 'user-agent',
  ])('forwards %s', (name) => {
    expect(withHeader(name, 'v1')[name]).toBe('v1');
  });

  it.each([
    'cookie', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'keep-alive', 'transfer-encoding', 'te', 'upgrade',
    'proxy-authorization', 'expect', 'accept-encoding', 'x-amz-decoded-content-length', 'x-amz-trailer', 'x-amzn-trace-id', 'x-api-key',
    'x-amz-acl', 'x-amz-meta-owner',
  ])('drops %s (for DynamoDB)', (name) => {
    expect(withHeader(name, 'v1')).not.toHaveProperty(name);
  });

  it.each([
    ['authorization', 'AWS4-HMAC-SHA256 Credential=GHAKAGENT/20260506/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00'],
    ['x-amz-security-token', 'ghs1.agent.token'],
    ['x-amz-date', '20200101T000000Z'],
    ['x-amz-content-sha256', 'UNSIGNED-PAYLOAD'],
    ['host', 'gatehouse.example.com'],
  ])('replaces the agent\'s %s with its own', (name, value) => {
    expect(withHeader(name, value, 's3')[name]).not.toBe(value);
  });

  it.each([
    'x-amz-acl', 'x-amz-meta-owner', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-tagging',
    'x-amz-copy-source', 'x-amz-copy-source-if-match', 'x-amz-storage-class', 'x-amz-grant-read', 'x-amz-object-lock-mode',
    'x-amz-expected-bucket-owner', 'x-amz-checksum-mode', 'x-amz-checksum-algorithm',
  ])('forwards S3\'s %s to S3', (name) => {
    expect(withHeader(name, 'v1', 's3')[name]).toBe('v1');
  });

  it('forwards Lambda\'s invocation type, so an asynchronous invoke stays asynchronous', () => {
    expect(withHeader('x-amz-invocation-type', 'Event', 'lambda')['x-amz-invocation-type']).toBe('Event');
    expect(withHeader('x-amz-invocation-type', 'Event', 'dynamodb')).not.toHaveProperty('x-amz-invocation-type');
  });

  it('drops a header the client named in Connection', () => {
    // Act
    const headers = upstreamAwsCall(input({ call: call({ headers: { connection: ['keep-alive, Content-Language'], 'content-language': ['en'] } }) })).headers;

    // Assert
    expect(headers).not.toHaveProperty('content-language');
    expect(headers).not.toHaveProperty('connection');
  });

  it.each([
    ['aws-chunked', undefined],
    ['aws-chunked, gzip', 'gzip'],
    ['gzip', 'gzip'],
  ])('takes aws-chunked out of Content-Encoding %s', (value, expected) => {
    expect(withHeader('content-encoding', value, 's3')['content-encoding']).toBe(expected);
  });
});

describe('upstreamAwsCall checksums', () => {
  const body = Buffer.from('123456789');
  const s3Put = (headers: Record<string, string[]>, query: [string, string][] = []) =>
    upstreamAwsCall(input({ call: call({ method: 'PUT', path: '/b/k', headers, body, query }), service: 's3' })).headers;

  it('computes the published check values of CRC-32C and CRC-64/NVME', () => {
    expect(crc32c(body)).toBe(0xe3069283);
    expect(Buffer.from(crc64nvmeBase64(body), 'base64').toString('hex')).toBe('ae8b14860a799888');
  });

  it.each([
    ['x-amz-checksum-crc32', Buffer.from('cbf43926', 'hex').toString('base64'), 'CRC32'],
    ['x-amz-checksum-crc32c', Buffer.from('e3069283', 'hex').toString('base64'), 'CRC32C'],
    ['x-amz-checksum-crc64nvme', Buffer.from('ae8b14860a799888', 'hex').toString('base64'), 'CRC64NVME'],
    ['x-amz-checksum-sha256', Buffer.from('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225', 'hex').toString('base64'), 'SHA256'],
    ['x-amz-checksum-sha1', Buffer.from('f7c3bc1d808e04732adf679965ccc34ca7ae3441', 'hex').toString('base64'), 'SHA1'],
  ])('forwards %s when it is the body\'s, with the algorithm header', (name, value, algorithm) => {
    // Act
    const headers = s3Put({ [name]: [value], 'x-amz-sdk-checksum-algorithm': [algorithm] });

    // Assert
    expect(headers[name]).toBe(value);
    expect(headers['x-amz-sdk-checksum-algorithm']).toBe(algorithm);
  });

  it('refuses a checksum that is not the body\'s, as S3 would', () => {
    expect(() => s3Put({ 'x-amz-checksum-crc32': ['AAAAAA=='] })).toThrow(/BadDigest/);
  });

  it('forwards CompleteMultipartUpload\'s whole-object checksum unverified', () => {
    // Act
    const headers = upstreamAwsCall(input({
      call: call({ method: 'POST', path: '/b/k', query: [['uploadId', 'u1']], headers: { 'x-amz-checksum-crc32': ['AAAAAA=='] }, body }), service: 's3',
    })).headers;

    // Assert
    expect(headers['x-amz-checksum-crc32']).toBe('AAAAAA==');
  });

  it('drops the algorithm header when no checksum of it is sent', () => {
    expect(s3Put({ 'x-amz-sdk-checksum-algorithm': ['CRC32'] })).not.toHaveProperty('x-amz-sdk-checksum-algorithm');
  });

  it('drops checksum headers for services other than S3', () => {
    const headers = upstreamAwsCall(input({ call: call({ headers: { 'x-amz-checksum-crc32': [Buffer.from('cbf43926', 'hex').toString('base64')] }, body }) })).headers;
    expect(headers).not.toHaveProperty('x-amz-checksum-crc32');
  });
});

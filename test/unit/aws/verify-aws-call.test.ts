// The AWS SDK v3 itself signs every request here: its clients (serialisation, S3's path rules, checksum and
// content-sha256 middleware) through a request handler that captures instead of sending, and its signer
// (@smithy/signature-v4 with the SDK's own node Hash) for what a client does not easily produce.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest, buildQueryString } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { Readable } from 'node:stream';
import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import { mintSessionCredential, type SessionCredential } from '../../../lambdas/core/aws/session-credentials';
import { verifyAwsCall, type AwsCallReceived, type VerifyAwsCallOptions } from '../../../lambdas/core/aws/verify-aws-call';

const KEY = { id: 'k1', key: Buffer.alloc(32, 7) };
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const ENDPOINT = `https://${HOST}/prod/aws/prod-aws`;
const IDENTITY: AgentIdentity = {
  issuer: 'github', agent: 'repo:acme/app:ref:refs/heads/main', session: 'repo:acme/app:ref:refs/heads/main#42',
  groups: ['deployers'], claims: { repository: 'acme/app', run_id: '42' }, tokenExpiresAtMs: 1_900_000_000_000,
};
const sha256 = Hash.bind(null, 'sha256');

const mint = (over: { connection?: string; now?: Date; lifetimeSeconds?: number } = {}): SessionCredential => mintSessionCredential({
  key: KEY, identity: IDENTITY, connection: over.connection ?? 'prod-aws', now: over.now ?? new Date(), lifetimeSeconds: over.lifetimeSeconds ?? 3600,
});

const options = (over: Partial<VerifyAwsCallOptions> = {}): VerifyAwsCallOptions => ({
  now: new Date(), maxClockSkewSeconds: 300, keys: (kid) => (kid === KEY.id ? KEY.key : undefined), connection: 'prod-aws',
  allowedServices: ['s3', 'dynamodb', 'sts', 'secretsmanager', 'lambda'], allowedRegions: ['us-east-1', 'eu-west-1'], ...over,
});

const bodyBuffer = (body: unknown): Buffer => {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Readable) return Buffer.from('3\r\nabc\r\n0\r\n\r\n');
  return Buffer.from(String(body), 'utf8');
};

/** What Gatehouse receives for a request the SDK built: the path as sent, the raw query, lower-cased headers. */
const received = (request: HttpRequest, queryAs: 'raw' | 'pairs' = 'raw'): AwsCallReceived => {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) (headers[name.toLowerCase()] ??= []).push(value);
  const pairs = Object.entries(request.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v ?? '']).map((x): [string, string] => [k, x as string]));
  return { method: request.method, signedPath: request.path, query: queryAs === 'raw' ? buildQueryString(request.query ?? {}) : pairs, headers, body: bodyBuffer(request.body) };
};

type Client = { send(command: unknown): Promise<unknown> };
/** Runs one command through a real client and returns the signed request it would have sent. */
async function capture(make: (config: Record<string, unknown>) => Client, command: unknown, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = 'us-east-1'): Promise<HttpRequest> {
  let seen: HttpRequest | undefined;
  const requestHandler = {
    handle: async (request: HttpRequest) => {
      seen = request;
      throw new Error('captured');
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const client = make({ region, endpoint: ENDPOINT, credentials, requestHandler, maxAttempts: 1, forcePathStyle: true });
  await expect(client.send(command)).rejects.toThrow();
  if (!seen) throw new Error('the client sent nothing');
  return seen;
}

const s3 = (c: Record<string, unknown>): Client => new S3Client(c) as unknown as Client;
const dynamodb = (c: Record<string, unknown>): Client => new DynamoDBClient(c) as unknown as Client;
const sts = (c: Record<string, unknown>): Client => new STSClient(c) as unknown as Client;
const secrets = (c: Record<string, unknown>): Client => new SecretsManagerClient(c) as unknown as Client;

const getItem = (): GetItemCommand => new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } });

/** Signs a hand-made request with the SDK's signer, as a client configured for `service` would. */
async function sign(p: {
  credential: SessionCredential; service: string; region?: string; method?: string; path: string;
  query?: Record<string, string | string[]>; headers?: Record<string, string>; body?: string; unsignable?: string[]; signingDate?: Date;
}): Promise<HttpRequest> {
  const signer = new SignatureV4({
    service: p.service, region: p.region ?? 'us-east-1', sha256, uriEscapePath: p.service !== 's3',
    credentials: { accessKeyId: p.credential.accessKeyId, secretAccessKey: p.credential.secretAccessKey, sessionToken: p.credential.sessionToken },
  });
  const request = new HttpRequest({
    method: p.method ?? 'GET', protocol: 'https:', hostname: HOST, path: p.path, query: p.query ?? {},
    headers: { host: HOST, ...p.headers }, body: p.body,
  });
  return (await signer.sign(request, { signingDate: p.signingDate, unsignableHeaders: p.unsignable ? new Set(p.unsignable) : undefined })) as HttpRequest;
}

describe('verifyAwsCall with requests the AWS SDK v3 signed', () => {
  it.each([
    ['dynamodb GetItem', dynamodb, () => getItem(), 'dynamodb'],
    ['sts GetCallerIdentity', sts, () => new GetCallerIdentityCommand({}), 'sts'],
    ['secretsmanager GetSecretValue', secrets, () => new GetSecretValueCommand({ SecretId: 'prod/db password' }), 'secretsmanager'],
    ['s3 PutObject of a key with spaces, unicode, + and %2F', s3, () => new PutObjectCommand({ Bucket: 'acme-data', Key: 'dir/a b+c ü %2F é.txt', Body: Buffer.from('hello') }), 's3'],
    ['s3 GetObject', s3, () => new GetObjectCommand({ Bucket: 'acme-data', Key: 'reports/2026 Q1/ü.csv' }), 's3'],
    ['s3 ListObjectsV2 with an empty and an encoded query value', s3, () => new ListObjectsV2Command({ Bucket: 'acme-data', Prefix: 'a b/ü+', StartAfter: '' }), 's3'],
  ])('accepts %s', async (_name, make, command, service) => {
    const credential = mint();
    const request = await capture(make, command(), credential);

    const result = verifyAwsCall(received(request), options());

    expect(result).toEqual({
      ok: true, identity: IDENTITY, service, region: 'us-east-1', accessKeyId: credential.accessKeyId,
      expiresAt: credential.expiration, authentication: 'header', signedHeaders: expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token']),
    });
  });

  it('accepts the query as decoded pairs as well as raw', async () => {
    const request = await capture(s3, new ListObjectsV2Command({ Bucket: 'acme-data', Prefix: 'a b/ü+&=' }), mint());

    expect(verifyAwsCall(received(request, 'pairs'), options())).toMatchObject({ ok: true });
  });

  it('accepts a region of the connection other than the first', async () => {
    const request = await capture(dynamodb, getItem(), mint(), 'eu-west-1');

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: true, region: 'eu-west-1' });
  });

  it.each([
    ['repeated keys, empty values and keys needing encoding', { b: ['2', '1', ''], a: '', 'x y': 'ü+/=' }],
    ['a value with %2F and spaces', { prefix: 'a%2Fb c' }],
  ])('accepts an S3 query with %s', async (_name, query) => {
    const request = await sign({ credential: mint(), service: 's3', path: '/prod/aws/prod-aws/acme-data/', query, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: true });
  });

  it('accepts an S3 path with an encoded slash, signed as sent (no second encoding)', async () => {
    const request = await sign({ credential: mint(), service: 's3', path: '/prod/aws/prod-aws/acme-data/a%2Fb%20c//d', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: true, service: 's3' });
  });

  it('accepts a non-S3 path encoded again and normalised, as the SDK signs it', async () => {
    const request = await sign({
      credential: mint(), service: 'lambda', method: 'POST', path: '/prod/aws/prod-aws/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Amy%20fn/./x/../invocations',
      headers: { 'content-type': 'application/json' }, body: '{}',
    });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: true, service: 'lambda' });
  });

  it('accepts a presigned S3 GET URL (query-string authentication)', async () => {
    const credential = mint();
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', sha256, uriEscapePath: false, credentials: { ...credential } });
    // As @aws-sdk/s3-request-presigner does: the payload is declared unsigned and hoisted into the query.
    const url = await signer.presign(new HttpRequest({
      method: 'GET', protocol: 'https:', hostname: HOST, path: '/prod/aws/prod-aws/acme-data/a%20b.txt', query: { 'x-id': 'GetObject' },
      headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }), { expiresIn: 600 });

    expect(verifyAwsCall({ ...received(url as HttpRequest), headers: { host: [HOST] } }, options())).toMatchObject({ ok: true, authentication: 'presigned' });
  });

  it('ignores a header that was not signed', async () => {
    const request = await capture(dynamodb, getItem(), mint());
    const call = received(request);

    const result = verifyAwsCall({ ...call, headers: { ...call.headers, 'user-agent': ['curl/8'], 'x-forwarded-for': ['10.0.0.1'] } }, options());

    expect(result).toMatchObject({ ok: true });
  });
});

describe('verifyAwsCall refusals', () => {
  it.each([
    ['a service the connection does not allow', { allowedServices: ['s3'] }, 'AccessDenied', "does not allow the service 'dynamodb'"],
    ['a region the connection does not allow', { allowedRegions: ['eu-west-1'] }, 'AccessDenied', "does not allow the region 'us-east-1'"],
    ['a signature made 6 minutes ago', { now: new Date(Date.now() + 360_000) }, 'RequestTimeTooSkewed', 'Signature expired'],
    ['a signature dated 6 minutes ahead', { now: new Date(Date.now() - 360_000) }, 'RequestTimeTooSkewed', 'Signature not yet current'],
    ['a token of another connection', { connection: 'staging-aws' }, 'InvalidClientTokenId', "issued for the AWS connection 'prod-aws'"],
    ['a token once its credential expired', { now: new Date(Date.now() + 3_601_000) }, 'ExpiredToken', 'run gatehouse-aws-credentials again'],
    ['a token whose key was rotated away', { keys: () => undefined }, 'InvalidToken', 'no longer in use'],
  ])('refuses %s', async (_name, over, code, message) => {
    const request = await capture(dynamodb, getItem(), mint());

    const result = verifyAwsCall(received(request), options(over as Partial<VerifyAwsCallOptions>));

    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.message.toLowerCase()).toContain(message.toLowerCase());
  });

  it('accepts a signature made 4 minutes ago, inside the window', async () => {
    const request = await capture(dynamodb, getItem(), mint());

    expect(verifyAwsCall(received(request), options({ now: new Date(Date.now() + 240_000) }))).toMatchObject({ ok: true });
  });

  it.each([
    ['dynamodb', dynamodb, () => getItem(), 'SignatureDoesNotMatch'],
    ['s3', s3, () => new PutObjectCommand({ Bucket: 'acme-data', Key: 'k', Body: Buffer.from('hello') }), 'XAmzContentSHA256Mismatch'],
  ])('refuses a %s body changed after signing', async (_name, make, command, code) => {
    const call = received(await capture(make, command(), mint()));

    const result = verifyAwsCall({ ...call, body: Buffer.concat([call.body.subarray(0, -1), Buffer.from('!')]) }, options());

    expect(result).toMatchObject({ ok: false, code, kind: 'signature' });
  });

  it('refuses a signed header changed after signing', async () => {
    const call = received(await capture(dynamodb, getItem(), mint()));

    const result = verifyAwsCall({ ...call, headers: { ...call.headers, 'x-amz-target': ['DynamoDB_20120810.DeleteTable'] } }, options());

    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a call signed with another secret', async () => {
    const credential = mint();
    const request = await capture(dynamodb, getItem(), { ...credential, secretAccessKey: mint().secretAccessKey });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch', kind: 'signature' });
  });

  it.each([
    ['payload', (parts: string[]) => [parts[0], flip(parts[1], 5), parts[2]]],
    ['MAC', (parts: string[]) => [parts[0], parts[1], flip(parts[2], 0)]],
    // Only bits base64url does not use change: a decoder would read the same MAC.
    ['last MAC character (unused bits)', (parts: string[]) => [parts[0], parts[1], flipLowBit(parts[2], parts[2].length - 1)]],
  ])('refuses a token with one character of its %s flipped', async (_name, forge) => {
    const credential = mint();
    const forged = forge(credential.sessionToken.split('.')).join('.');
    const request = await capture(dynamodb, getItem(), { ...credential, sessionToken: forged });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: false, code: 'InvalidToken', kind: 'unauthenticated' });
  });

  it('refuses a token issued with another access key id', async () => {
    const credential = mint();
    const request = await capture(dynamodb, getItem(), { ...credential, sessionToken: mint().sessionToken });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: false, code: 'InvalidClientTokenId' });
  });

  it('refuses a call without a session token', async () => {
    const { accessKeyId, secretAccessKey } = mint();
    const request = await capture(dynamodb, getItem(), { accessKeyId, secretAccessKey });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: false, code: 'InvalidClientTokenId', kind: 'unauthenticated' });
  });

  it('refuses an unsigned call', async () => {
    const call = received(await capture(dynamodb, getItem(), mint()));
    const { authorization: _dropped, ...headers } = call.headers;

    expect(verifyAwsCall({ ...call, headers }, options())).toMatchObject({ ok: false, code: 'MissingAuthenticationToken' });
  });

  it('refuses a signature that does not cover host', async () => {
    const request = await sign({ credential: mint(), service: 'sts', method: 'POST', path: '/prod/aws/prod-aws/', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { 'content-type': 'application/x-www-form-urlencoded' }, unsignable: ['host'] });

    const result = verifyAwsCall(received(request), options());

    expect(result).toMatchObject({ ok: false, code: 'IncompleteSignature' });
    expect(result.ok ? '' : result.message).toContain("'Host'");
  });

  it('refuses an aws-chunked body and says which settings avoid it', async () => {
    const request = await capture(s3, new PutObjectCommand({ Bucket: 'acme-data', Key: 'k', Body: Readable.from([Buffer.from('abc')]) }), mint());

    const result = verifyAwsCall(received(request), options());

    expect(result).toMatchObject({ ok: false, code: 'InvalidRequest', kind: 'bad-request' });
    expect(result.ok ? '' : result.message).toContain('AWS_REQUEST_CHECKSUM_CALCULATION=when_required');
    expect(result.ok ? '' : result.message).toContain('AWS_RESPONSE_CHECKSUM_VALIDATION=when_required');
  });

  it('refuses UNSIGNED-PAYLOAD outside S3', async () => {
    const request = await sign({ credential: mint(), service: 'dynamodb', method: 'POST', path: '/prod/aws/prod-aws/', body: '{}', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-target': 'DynamoDB_20120810.ListTables' } });

    expect(verifyAwsCall(received(request), options())).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });

  it('refuses an S3 call with an x-amz-* header that was not signed', async () => {
    const call = received(await capture(s3, new GetObjectCommand({ Bucket: 'acme-data', Key: 'k' }), mint()));

    const result = verifyAwsCall({ ...call, headers: { ...call.headers, 'x-amz-server-side-encryption': ['AES256'] } }, options());

    expect(result).toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses a presigned URL whose time is up', async () => {
    const credential = mint();
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', sha256, uriEscapePath: false, credentials: { ...credential } });
    const url = await signer.presign(new HttpRequest({
      method: 'GET', protocol: 'https:', hostname: HOST, path: '/prod/aws/prod-aws/acme-data/k', headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }), { expiresIn: 60 });

    const result = verifyAwsCall(received(url as HttpRequest), options({ now: new Date(Date.now() + 61_000) }));

    expect(result).toMatchObject({ ok: false, code: 'RequestExpired' });
  });

  it('refuses a presigned URL for another service than S3', async () => {
    const credential = mint();
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', sha256, credentials: { ...credential } });
    const url = await signer.presign(new HttpRequest({
      method: 'GET', protocol: 'https:', hostname: HOST, path: '/prod/aws/prod-aws/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: HOST },
    }), { expiresIn: 60 });

    expect(verifyAwsCall(received(url as HttpRequest), options())).toMatchObject({ ok: false, code: 'InvalidRequest' });
  });

  it('refuses a credential scope dated another day than X-Amz-Date', async () => {
    const call = received(await capture(dynamodb, getItem(), mint()));
    const date = call.headers['x-amz-date'][0];
    const authorization = call.headers.authorization[0].replace(`/${date.slice(0, 8)}/`, '/20200101/');

    expect(verifyAwsCall({ ...call, headers: { ...call.headers, authorization: [authorization] } }, options())).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it.each([
    ['SigV2', 'AWS GHAKAAAAAAAAAAAAAAAA:c2lnbmF0dXJl'],
    ['no Signature', 'AWS4-HMAC-SHA256 Credential=GHAKAAAAAAAAAAAAAAAA/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host'],
    ['a short Credential', 'AWS4-HMAC-SHA256 Credential=GHAKAAAAAAAAAAAAAAAA/20260101/us-east-1, SignedHeaders=host, Signature=00'],
  ])('refuses an Authorization header with %s', async (_name, authorization) => {
    const call = received(await capture(dynamodb, getItem(), mint()));

    expect(verifyAwsCall({ ...call, headers: { ...call.headers, authorization: [authorization] } }, options())).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });
});

function flip(text: string, at: number): string {
  const c = text[at];
  return `${text.slice(0, at)}${c === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function flipLowBit(text: string, at: number): string {
  return `${text.slice(0, at)}${BASE64URL[BASE64URL.indexOf(text[at]) ^ 1]}${text.slice(at + 1)}`;
}

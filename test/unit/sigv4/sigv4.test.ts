import { NodeSha256 } from '../../support/node-sha256';
// The SDK's own signer, used only here as the reference the pure implementation must match.
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest, buildQueryString } from '@smithy/core/protocols';
import {
  deriveSigningKey, presignUrl, signRequestHeaders, verifyAuthorizationHeader, verifyPresignedUrl,
  type SigV4Credentials, type SigV4Headers, type SigV4Query,
} from '../../../lambdas/core/sigv4';

const Sha256 = NodeSha256;

const NOW = new Date('2026-03-04T05:06:07.890Z');
const LONG_TERM: SigV4Credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SESSION: SigV4Credentials = {
  accessKeyId: 'ASIAEXAMPLE123456789',
  secretAccessKey: 'session/secret+key=',
  sessionToken: 'IQoJb3JpZ2luX2VjE+/token==with/odd+chars',
};

interface Case {
  name: string;
  method: string;
  host: string;
  path: string;
  query?: SigV4Query;
  headers?: SigV4Headers;
  body?: string;
  service: string;
  region: string;
  credentials: SigV4Credentials;
}

const smithyRequest = (c: Case): HttpRequest => new HttpRequest({
  method: c.method, protocol: 'https:', hostname: c.host, path: c.path,
  query: c.query as Record<string, string | string[]>,
  headers: { host: c.host, ...(c.headers as Record<string, string>) }, body: c.body,
});
const signer = (c: Case, applyChecksum = true): SignatureV4 =>
  new SignatureV4({ credentials: c.credentials, region: c.region, service: c.service, sha256: Sha256, applyChecksum });
const lower = (h: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

const PRESIGN_CASES: Case[] = [
  {
    name: 'EKS-style STS GetCallerIdentity with a session token and a signed x-k8s-aws-id',
    method: 'GET', host: 'sts.us-west-2.amazonaws.com', path: '/', service: 'sts', region: 'us-west-2', credentials: SESSION,
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { 'x-k8s-aws-id': 'prod-cluster' },
  },
  {
    name: 'query keys and values with reserved, unicode, empty and repeated values',
    method: 'GET', host: 'example.amazonaws.com', path: '/', service: 'service', region: 'eu-central-1', credentials: LONG_TERM,
    query: { 'a b': 'c/d+e=f&g', 'tilde~': "it's (ok)*!", 'é': 'ü 漢', empty: '', list: ['z', 'a', 'm'], Zed: '1' },
  },
  {
    name: 'unsignable headers are left out and x-amz-* headers are hoisted into the query',
    method: 'PUT', host: 'bucket.s3.amazonaws.com', path: '/my%20key/a+b', service: 's3', region: 'us-east-1', credentials: SESSION,
    headers: { 'User-Agent': 'kubectl', 'X-Amzn-Trace-Id': 'Root=1', 'proxy-authorization': 'x', 'Content-Type': '  text/plain;   charset=utf-8 ', 'X-Amz-Meta-Owner': 'team a' },
  },
];

describe('presignUrl', () => {
  it.each(PRESIGN_CASES)('matches @smithy/signature-v4 byte for byte: $name', async (c) => {
    const reference = await signer(c).presign(smithyRequest(c), { signingDate: NOW, expiresIn: 60 });
    const referenceUrl = `https://${c.host}${c.path}?${buildQueryString(reference.query ?? {})}`;

    const url = presignUrl({ ...c, expiresSeconds: 60, now: NOW });

    expect(url).toBe(referenceUrl);
  });

  it('keeps the signature but puts the operation params first when asked for botocore order', () => {
    const c = PRESIGN_CASES[0];
    const sorted = new URL(presignUrl({ ...c, expiresSeconds: 60, now: NOW }));
    const botocore = new URL(presignUrl({ ...c, expiresSeconds: 60, now: NOW, queryOrder: 'operation-then-auth' }));

    expect([...botocore.searchParams.keys()]).toEqual([
      'Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
      'X-Amz-SignedHeaders', 'X-Amz-Security-Token', 'X-Amz-Signature',
    ]);
    expect(botocore.searchParams.get('X-Amz-Signature')).toBe(sorted.searchParams.get('X-Amz-Signature'));
  });
});

const SIGN_CASES: Case[] = [
  {
    name: 'STS AssumeRole form POST with long-term credentials',
    method: 'POST', host: '127.0.0.1:4566', path: '/', service: 'sts', region: 'us-east-1', credentials: LONG_TERM,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'amz-sdk-invocation-id': 'abc' },
    body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fx&RoleSessionName=s',
  },
  {
    name: 'GET with a session token, special query characters, unsignable and folded headers',
    method: 'GET', host: 'dynamodb.eu-west-1.amazonaws.com', path: '/a/./b/../c//d/', service: 'dynamodb', region: 'eu-west-1', credentials: SESSION,
    query: { 'q w': 'x/y', marker: "a'b(c)*", multi: ['2', '1'] },
    headers: { 'User-Agent': 'aws-sdk-js', 'x-amzn-trace-id': 'Root=1', 'X-Custom': '  a    b\t c  ', Date: 'ignored', Authorization: 'ignored' },
  },
  {
    name: 'a declared x-amz-content-sha256 is used as the payload hash',
    method: 'PUT', host: 's3.amazonaws.com', path: '/bucket/key', service: 's3', region: 'us-east-1', credentials: SESSION,
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: 'ignored body',
  },
];

describe('signRequestHeaders', () => {
  it.each(SIGN_CASES)('matches @smithy/signature-v4 byte for byte: $name', async (c) => {
    const reference = await signer(c).sign(smithyRequest(c), { signingDate: NOW });

    const signed = signRequestHeaders({ ...c, now: NOW });

    expect(signed.authorization).toBe(reference.headers.authorization);
    expect(lower(signed.headers)).toEqual(lower(reference.headers));
  });

  it('matches the SDK signer without x-amz-content-sha256 when the checksum is off', async () => {
    const c = SIGN_CASES[0];
    const reference = await signer(c, false).sign(smithyRequest(c), { signingDate: NOW });

    const signed = signRequestHeaders({ ...c, now: NOW, applyChecksum: false });

    expect(signed.authorization).toBe(reference.headers.authorization);
    expect(signed.headers).not.toHaveProperty('x-amz-content-sha256');
  });
});

describe('known answers from AWS', () => {
  it('signs the SigV4 test suite get-vanilla request', () => {
    const signed = signRequestHeaders({
      method: 'GET', host: 'example.amazonaws.com', path: '/', region: 'us-east-1', service: 'service',
      credentials: LONG_TERM, now: new Date('2015-08-30T12:36:00Z'), applyChecksum: false,
    });

    expect(signed.signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('derives the signing key of the AWS documentation example', () => {
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');

    expect(key.toString('hex')).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });
});

const secrets = new Map([[LONG_TERM.accessKeyId, LONG_TERM.secretAccessKey], [SESSION.accessKeyId, SESSION.secretAccessKey]]);
const baseVerify = { lookupSecret: (id: string) => secrets.get(id), service: 'sts', region: 'us-west-2', now: NOW };

/** Splits a presigned URL into what a server would receive, with the headers the signer named. */
function receivedFromUrl(url: string, headers: SigV4Headers) {
  const u = new URL(url);
  return { method: 'GET', path: u.pathname, query: u.search.slice(1), headers: { host: u.host, ...headers } };
}

describe('verifyPresignedUrl', () => {
  const c = PRESIGN_CASES[0];
  const url = presignUrl({ ...c, expiresSeconds: 60, now: NOW });
  const good = receivedFromUrl(url, { 'x-k8s-aws-id': 'prod-cluster' });
  const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);

  it('accepts an untouched URL and reports the key and session token', () => {
    const result = verifyPresignedUrl(good, baseVerify);

    expect(result).toMatchObject({ ok: true, accessKeyId: SESSION.accessKeyId, sessionToken: SESSION.sessionToken, signedHeaders: ['host', 'x-k8s-aws-id'] });
  });

  it.each([
    ['a different signed header value', { ...good, headers: { ...good.headers, 'x-k8s-aws-id': 'other' } }, {}, 'SignatureDoesNotMatch'],
    ['a different Host', { ...good, headers: { ...good.headers, host: '127.0.0.1:9' } }, {}, 'SignatureDoesNotMatch'],
    ['a signed header missing', { ...good, headers: { host: good.headers.host } }, {}, 'SignatureDoesNotMatch'],
    ['a tampered signature', { ...good, query: good.query.replace(/X-Amz-Signature=(.)/, (_m, ch) => `X-Amz-Signature=${ch === '0' ? '1' : '0'}`) }, {}, 'SignatureDoesNotMatch'],
    ['a changed operation parameter', { ...good, query: good.query.replace('GetCallerIdentity', 'AssumeRole') }, {}, 'SignatureDoesNotMatch'],
    ['a duplicated auth parameter', { ...good, query: `${good.query}&X-Amz-Date=20260304T050607Z` }, {}, 'IncompleteSignature'],
    ['an extra Authorization header', { ...good, headers: { ...good.headers, authorization: 'AWS4-HMAC-SHA256 x' } }, {}, 'IncompleteSignature'],
    ['an unknown access key', good, { lookupSecret: () => undefined }, 'InvalidClientTokenId'],
    ['the wrong service', good, { service: 'iam' }, 'SignatureDoesNotMatch'],
    ['the wrong region', good, { region: 'us-east-1' }, 'SignatureDoesNotMatch'],
    ['X-Amz-Expires passed', good, { now: minutes(1.1) }, 'RequestExpired'],
    ['15 minutes passed when STS-style max age applies', good, { now: minutes(15.1), maxAgeSeconds: 900 }, 'RequestExpired'],
    ['a date in the future beyond the skew', good, { now: minutes(-6) }, 'RequestExpired'],
  ])('rejects %s', (_name, request, overrides, code) => {
    expect(verifyPresignedUrl(request, { ...baseVerify, ...overrides })).toMatchObject({ ok: false, code });
  });

  it('honours 15 minutes after X-Amz-Date instead of X-Amz-Expires when maxAgeSeconds says so', () => {
    expect(verifyPresignedUrl(good, { ...baseVerify, now: minutes(14.9), maxAgeSeconds: 900 })).toMatchObject({ ok: true });
  });
});

describe('verifyAuthorizationHeader', () => {
  const c = SIGN_CASES[0];
  const signed = signRequestHeaders({ ...c, now: NOW });
  const good = { method: 'POST', path: '/', query: '', headers: signed.headers, body: c.body };
  const opts = { ...baseVerify, region: 'us-east-1' };

  it('accepts what it signed and what the SDK signer signed', async () => {
    const reference = await signer(c).sign(smithyRequest(c), { signingDate: NOW });

    expect(verifyAuthorizationHeader(good, opts)).toMatchObject({ ok: true, accessKeyId: LONG_TERM.accessKeyId });
    expect(verifyAuthorizationHeader({ ...good, headers: reference.headers }, opts)).toMatchObject({ ok: true });
  });

  it.each([
    ['a changed body', { ...good, body: `${c.body}x` }, {}, 'SignatureDoesNotMatch'],
    ['a changed signed header', { ...good, headers: { ...good.headers, 'amz-sdk-invocation-id': 'zzz' } }, {}, 'SignatureDoesNotMatch'],
    ['an added query string', { ...good, query: 'Action=GetCallerIdentity' }, {}, 'SignatureDoesNotMatch'],
    ['another method', { ...good, method: 'PUT' }, {}, 'SignatureDoesNotMatch'],
    ['a wrong secret', good, { lookupSecret: () => 'not-the-secret' }, 'SignatureDoesNotMatch'],
    ['an unknown access key', good, { lookupSecret: () => undefined }, 'InvalidClientTokenId'],
    ['a clock more than 5 minutes off', good, { now: new Date(NOW.getTime() + 301_000) }, 'SignatureDoesNotMatch'],
    ['a truncated signature', { ...good, headers: { ...good.headers, authorization: signed.authorization.slice(0, -2) } }, {}, 'SignatureDoesNotMatch'],
    ['no X-Amz-Date header', { ...good, headers: { ...good.headers, 'x-amz-date': undefined } }, {}, 'IncompleteSignature'],
    ['a malformed header', { ...good, headers: { ...good.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }, {}, 'IncompleteSignature'],
  ])('rejects %s', (_name, request, overrides, code) => {
    expect(verifyAuthorizationHeader(request, { ...opts, ...overrides })).toMatchObject({ ok: false, code });
  });
});

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4, written against node:crypto only so that core stays free of the SDK.
 * The signing side follows @smithy/signature-v4 (the JS SDK's signer) byte for byte; the verifying
 * side is what a local stand-in for an AWS service needs: it recomputes the signature from exactly
 * what was received (method, raw path, raw query, header values) and never trusts a client-provided
 * canonical form.
 */

/** Credentials that sign a request. */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Query parameters (decoded values); an array repeats the key. */
export type SigV4Query = Readonly<Record<string, string | readonly string[]>>;
/** Header map; names compare case-insensitively, an array is a repeated header. */
export type SigV4Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The only algorithm this module speaks. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** sha256 of the empty string: the payload hash of a GET and of every presigned non-S3 URL. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Headers the JS SDK never signs (proxies rewrite them); `proxy-*` and `sec-*` are skipped too. */
export const UNSIGNABLE_HEADERS: ReadonlySet<string> = new Set([
  'authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards',
  'pragma', 'referer', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id',
]);

/** RFC 3986 escaping as SigV4 wants it: everything but `A-Za-z0-9-_.~` is percent-encoded. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Canonical URI of a (raw, as sent) path for every service but S3: dot segments and empty segments
 * are removed, then the path is encoded once more (so `%20` becomes `%2520`), as the SDK signs it.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEscape(normalized).replace(/%2F/g, '/');
}

/** Decoded query as ordered `[key, value]` pairs, keeping repeats. */
export function queryPairs(query: SigV4Query): Array<[string, string]> {
  return Object.entries(query).flatMap(([key, value]) => (typeof value === 'string' ? [value] : value).map((v): [string, string] => [key, v]));
}

/**
 * Parses a raw query string (no leading `?`) into decoded pairs. `+` stays a plus: signers encode a
 * space as `%20`, so reading `+` as a space would verify something other than what was signed.
 * Returns undefined on a malformed percent-escape.
 */
export function parseRawQuery(raw: string): Array<[string, string]> | undefined {
  try {
    return raw.split('&').filter((part) => part !== '').map((part): [string, string] => {
      const eq = part.indexOf('=');
      return eq < 0 ? [decodeURIComponent(part), ''] : [decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1))];
    });
  } catch {
    return undefined;
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical query string: pairs encoded, sorted by key then value, `X-Amz-Signature` left out. */
export function canonicalQueryString(pairs: ReadonlyArray<readonly [string, string]>): string {
  const encoded = pairs
    .filter(([key]) => key.toLowerCase() !== 'x-amz-signature')
    .map(([key, value]) => [uriEscape(key), uriEscape(value)] as const);
  encoded.sort(([ka, va], [kb, vb]) => byCodePoint(ka, kb) || byCodePoint(va, vb));
  return encoded.map(([key, value]) => `${key}=${value}`).join('&');
}

/** Trims and folds a header value the way SigV4 canonicalizes it. */
function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** Header values by lower-case name (repeated headers, and names differing in case, merged). */
export function lowerCaseHeaders(headers: SigV4Headers): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out.set(name.toLowerCase(), [...(out.get(name.toLowerCase()) ?? []), ...(typeof value === 'string' ? [value] : value)]);
  }
  return out;
}

/**
 * Canonical headers block and signed-header list for the given lower-case names (all present ones
 * when `names` is omitted, less the unsignable ones). Repeated values are joined with commas.
 */
export function canonicalHeaders(headers: SigV4Headers, names?: readonly string[], extraUnsignable?: ReadonlySet<string>): { canonical: string; signedHeaders: string } {
  const byName = lowerCaseHeaders(headers);
  const signable = (n: string): boolean => !(UNSIGNABLE_HEADERS.has(n) || extraUnsignable?.has(n) || n.startsWith('proxy-') || n.startsWith('sec-'));
  const chosen = (names ?? [...byName.keys()].filter(signable)).slice().sort();
  const canonical = chosen.map((n) => `${n}:${(byName.get(n) ?? []).map(canonicalHeaderValue).join(',')}\n`).join('');
  return { canonical, signedHeaders: chosen.join(';') };
}

/** `20240102T030405Z` and `20240102` for a date. */
export function amzDate(now: Date): { longDate: string; shortDate: string } {
  const longDate = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return { longDate, shortDate: longDate.slice(0, 8) };
}

/** `<date>/<region>/<service>/aws4_request`. */
export function credentialScope(shortDate: string, region: string, service: string): string {
  return `${shortDate}/${region}/${service}/aws4_request`;
}

/** Hex sha256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical request text (step 1 of SigV4). */
export function canonicalRequest(p: {
  method: string; path: string; query: ReadonlyArray<readonly [string, string]>;
  canonicalHeaders: string; signedHeaders: string; payloadHash: string;
}): string {
  return [p.method.toUpperCase(), canonicalUri(p.path), canonicalQueryString(p.query), p.canonicalHeaders, p.signedHeaders, p.payloadHash].join('\n');
}

/** The string to sign (step 2 of SigV4). */
export function stringToSign(longDate: string, scope: string, canonicalRequestText: string): string {
  return `${SIGV4_ALGORITHM}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequestText)}`;
}

/** kSigning = HMAC chain over date, region, service and `aws4_request` (step 3 of SigV4). */
export function deriveSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [shortDate, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part, 'utf8').digest();
  return key;
}

/** Hex signature of a canonical request (steps 2 to 4 of SigV4). */
export function signCanonicalRequest(secretAccessKey: string, longDate: string, region: string, service: string, canonicalRequestText: string): string {
  const shortDate = longDate.slice(0, 8);
  const toSign = stringToSign(longDate, credentialScope(shortDate, region, service), canonicalRequestText);
  return createHmac('sha256', deriveSigningKey(secretAccessKey, shortDate, region, service)).update(toSign, 'utf8').digest('hex');
}

/** A request to sign. `path` is the raw path as it appears in the URL; `host` is always signed. */
export interface SigV4RequestInput {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query?: SigV4Query;
  /** Headers to sign besides `host` (the receiver must send them). */
  readonly headers?: SigV4Headers;
  readonly region: string;
  readonly service: string;
  readonly credentials: SigV4Credentials;
  readonly now: Date;
}

/** What `presignUrl` needs; `x-amz-*` headers are moved to the query, as the SDK does. */
export interface PresignInput extends SigV4RequestInput {
  readonly expiresSeconds: number;
  /** Defaults to the empty-body hash (every presigned non-S3 URL). */
  readonly payloadHash?: string;
  readonly protocol?: 'https' | 'http';
  /**
   * `sorted` (default): every key sorted, as the JS SDK and aws-sdk-go-v2 serialize a URL.
   * `operation-then-auth`: caller's params in their order, then the auth params in botocore's order,
   * then `X-Amz-Signature` last, as `aws eks get-token` prints it. The signature is the same.
   */
  readonly queryOrder?: 'sorted' | 'operation-then-auth';
}

/** Builds a presigned URL (query-string authentication). */
export function presignUrl(input: PresignInput): string {
  const { longDate, shortDate } = amzDate(input.now);
  const scope = credentialScope(shortDate, input.region, input.service);
  const headers: Record<string, string | readonly string[]> = { host: input.host };
  const operation: Array<[string, string]> = queryPairs(input.query ?? {});
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined || name.toLowerCase() === 'host') continue;
    // The SDK hoists x-amz-* headers into the query: a URL cannot make its holder send them.
    if (name.toLowerCase().startsWith('x-amz-')) operation.push(...queryPairs({ [name]: value }));
    else headers[name] = value;
  }
  const signed = canonicalHeaders(headers);
  const auth: Array<[string, string]> = [
    ['X-Amz-Algorithm', SIGV4_ALGORITHM],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', longDate],
    ['X-Amz-Expires', String(input.expiresSeconds)],
    ['X-Amz-SignedHeaders', signed.signedHeaders],
  ];
  if (input.credentials.sessionToken) auth.push(['X-Amz-Security-Token', input.credentials.sessionToken]);
  const authKeys = new Set(auth.map(([k]) => k));
  const all = [...operation.filter(([k]) => !authKeys.has(k)), ...auth];
  const request = canonicalRequest({
    method: input.method, path: input.path, query: all, canonicalHeaders: signed.canonical,
    signedHeaders: signed.signedHeaders, payloadHash: input.payloadHash ?? EMPTY_SHA256,
  });
  const signature = signCanonicalRequest(input.credentials.secretAccessKey, longDate, input.region, input.service, request);
  const withSignature: Array<[string, string]> = [...all, ['X-Amz-Signature', signature]];
  if ((input.queryOrder ?? 'sorted') === 'sorted') withSignature.sort(([a], [b]) => byCodePoint(a, b));
  const queryText = withSignature.map(([k, v]) => `${uriEscape(k)}=${uriEscape(v)}`).join('&');
  return `${input.protocol ?? 'https'}://${input.host}${input.path}?${queryText}`;
}

/** What `signRequestHeaders` needs. */
export interface SignRequestInput extends SigV4RequestInput {
  readonly body?: string | Uint8Array;
  /** Add `x-amz-content-sha256` (the SDK does unless told otherwise). Default true. */
  readonly applyChecksum?: boolean;
  /** Lower-case header names not to sign, besides the always-unsignable ones. */
  readonly unsignableHeaders?: ReadonlySet<string>;
}

/** A header-signed request: the headers to send (input ones plus generated) and the signature parts. */
export interface SignedRequestHeaders {
  readonly headers: Record<string, string | readonly string[]>;
  readonly authorization: string;
  readonly signature: string;
  readonly signedHeaders: string;
}

/** Signs a request with an `Authorization` header, as the SDK's signer does. */
export function signRequestHeaders(input: SignRequestInput): SignedRequestHeaders {
  const { longDate, shortDate } = amzDate(input.now);
  const scope = credentialScope(shortDate, input.region, input.service);
  const headers: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    // Generated headers are replaced, never trusted from the input (as the SDK's prepareRequest does).
    if (value !== undefined && !['authorization', 'x-amz-date', 'date'].includes(name.toLowerCase())) headers[name] = value;
  }
  const byName = lowerCaseHeaders(headers);
  if (!byName.has('host')) headers.host = input.host;
  headers['x-amz-date'] = longDate;
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const declared = byName.get('x-amz-content-sha256');
  const payloadHash = declared ? declared[0] : input.body === undefined ? EMPTY_SHA256 : sha256Hex(input.body);
  if (!declared && (input.applyChecksum ?? true)) headers['x-amz-content-sha256'] = payloadHash;
  const signed = canonicalHeaders(headers, undefined, input.unsignableHeaders);
  const request = canonicalRequest({
    method: input.method, path: input.path, query: queryPairs(input.query ?? {}),
    canonicalHeaders: signed.canonical, signedHeaders: signed.signedHeaders, payloadHash,
  });
  const signature = signCanonicalRequest(input.credentials.secretAccessKey, longDate, input.region, input.service, request);
  const authorization = `${SIGV4_ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signature}`;
  headers.authorization = authorization;
  return { headers, authorization, signature, signedHeaders: signed.signedHeaders };
}

/** Parses `20240102T030405Z` strictly (no out-of-range fields); undefined otherwise. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return amzDate(date).longDate === value ? date : undefined;
}

/** A request as a server received it: raw path and raw query exactly as on the wire. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  /** Raw query string without the leading `?`. */
  readonly query: string;
  readonly headers: SigV4Headers;
  readonly body?: string | Uint8Array;
}

/** How to verify. `lookupSecret` returns the secret key of an access key id, or undefined if unknown. */
export interface SigV4VerifyOptions {
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  readonly service: string;
  /** When set, the credential scope must name this region. */
  readonly region?: string;
  readonly now: Date;
  /** Allowed clock skew for X-Amz-Date (header auth: both ways; presigned: into the future). Default 300. */
  readonly maxSkewSeconds?: number;
  /** Presigned only: validity counted from X-Amz-Date regardless of X-Amz-Expires (STS: 900). */
  readonly maxAgeSeconds?: number;
}

/** Why verification failed, named after the AWS error codes a service answers with. */
export type SigV4VerifyFailureCode = 'IncompleteSignature' | 'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'RequestExpired';

/** Verification outcome. On success, `sessionToken` is whatever the request carried: the caller checks it. */
export type SigV4VerifyResult =
  | { readonly ok: true; readonly accessKeyId: string; readonly sessionToken?: string; readonly signedHeaders: readonly string[]; readonly signedAt: Date; readonly region: string }
  | { readonly ok: false; readonly code: SigV4VerifyFailureCode; readonly message: string };

type Failure = Extract<SigV4VerifyResult, { ok: false }>;
const fail = (code: SigV4VerifyFailureCode, message: string): Failure => ({ ok: false, code, message });
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

/** Verifies a request signed with an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export function verifyAuthorizationHeader(req: ReceivedRequest, opts: SigV4VerifyOptions): SigV4VerifyResult {
  const headers = lowerCaseHeaders(req.headers);
  const auth = headers.get('authorization');
  // The one layout every SDK sends; anything else is refused rather than guessed at.
  const m = auth?.length === 1 ? /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([^,\s]+)$/.exec(auth[0]) : null;
  const dates = headers.get('x-amz-date');
  if (!m || dates?.length !== 1) return fail('IncompleteSignature', 'Requires one `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..` header and one X-Amz-Date header.');
  const [, credential, signedHeaders, signature] = m;
  const signedAt = parseAmzDate(dates[0]);
  if (!signedAt) return fail('IncompleteSignature', 'X-Amz-Date must be in the ISO8601 basic format.');
  const skewMs = (opts.maxSkewSeconds ?? 300) * 1000;
  if (Math.abs(opts.now.getTime() - signedAt.getTime()) > skewMs) {
    return fail('SignatureDoesNotMatch', `Signature expired: ${dates[0]} is outside the allowed clock skew of ${opts.maxSkewSeconds ?? 300} seconds.`);
  }
  const actual = sha256Hex(req.body ?? '');
  const declared = headers.get('x-amz-content-sha256');
  if (declared && (declared.length !== 1 || declared[0] !== actual)) return fail('SignatureDoesNotMatch', 'x-amz-content-sha256 does not match the body.');
  const tokens = headers.get('x-amz-security-token');
  if (tokens && (tokens.length !== 1 || !signedHeaders.split(';').includes('x-amz-security-token'))) {
    return fail('SignatureDoesNotMatch', 'x-amz-security-token must be sent once and signed.');
  }
  const pairs = parseRawQuery(req.query);
  if (!pairs) return fail('IncompleteSignature', 'Malformed query string.');
  return verifySignature(req, opts, { credential, signedHeaders, signature, longDate: dates[0], signedAt, pairs, payloadHash: actual, sessionToken: tokens?.[0] });
}

/** Verifies a presigned URL (query-string authentication). */
export function verifyPresignedUrl(req: ReceivedRequest, opts: SigV4VerifyOptions): SigV4VerifyResult {
  const pairs = parseRawQuery(req.query);
  if (!pairs) return fail('IncompleteSignature', 'Malformed query string.');
  const one = (key: string): string | undefined => {
    const values = pairs.filter(([k]) => k === key);
    return values.length === 1 ? values[0][1] : undefined;
  };
  if (lowerCaseHeaders(req.headers).has('authorization')) return fail('IncompleteSignature', 'Only one auth mechanism allowed: query parameters or the Authorization header.');
  const [algorithm, credential, longDate, expires, signedHeaders, signature] =
    ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].map(one);
  if (algorithm !== SIGV4_ALGORITHM || !credential || !longDate || !expires || !signedHeaders || !signature) {
    return fail('IncompleteSignature', 'Presigned URL requires each of X-Amz-Algorithm=AWS4-HMAC-SHA256, -Credential, -Date, -Expires, -SignedHeaders, -Signature exactly once.');
  }
  const signedAt = parseAmzDate(longDate);
  const expiresSeconds = /^\d{1,6}$/.test(expires) ? Number(expires) : NaN;
  if (!signedAt || !(expiresSeconds >= 1 && expiresSeconds <= 604800)) return fail('IncompleteSignature', 'X-Amz-Date or X-Amz-Expires is malformed.');
  if (signedAt.getTime() - opts.now.getTime() > (opts.maxSkewSeconds ?? 300) * 1000) return fail('RequestExpired', 'X-Amz-Date is in the future.');
  if (opts.now.getTime() > signedAt.getTime() + (opts.maxAgeSeconds ?? expiresSeconds) * 1000) return fail('RequestExpired', 'Request has expired.');
  const tokens = pairs.filter(([k]) => k === 'X-Amz-Security-Token');
  if (tokens.length > 1) return fail('IncompleteSignature', 'X-Amz-Security-Token must appear at most once.');
  return verifySignature(req, opts, { credential, signedHeaders, signature, longDate, signedAt, pairs, payloadHash: sha256Hex(req.body ?? ''), sessionToken: tokens[0]?.[1] });
}

/** The part both mechanisms share: scope, signed-header list, secret lookup, constant-time compare. */
function verifySignature(req: ReceivedRequest, opts: SigV4VerifyOptions, p: {
  credential: string; signedHeaders: string; signature: string; longDate: string; signedAt: Date;
  pairs: Array<[string, string]>; payloadHash: string; sessionToken?: string;
}): SigV4VerifyResult {
  const [accessKeyId, shortDate, region, service, terminator, ...rest] = p.credential.split('/');
  if (rest.length > 0 || !accessKeyId || terminator !== 'aws4_request' || shortDate !== p.longDate.slice(0, 8)) {
    return fail('IncompleteSignature', 'Credential must be <key>/<date of X-Amz-Date>/<region>/<service>/aws4_request.');
  }
  if (service !== opts.service || (opts.region !== undefined && region !== opts.region)) {
    return fail('SignatureDoesNotMatch', `Credential should be scoped to a valid region and service '${opts.service}'.`);
  }
  const names = p.signedHeaders.split(';');
  const present = lowerCaseHeaders(req.headers);
  const sortedUnique = names.every((n, i) => /^[a-z0-9-]+$/.test(n) && (i === 0 || names[i - 1] < n));
  if (!sortedUnique || !names.includes('host') || names.some((n) => !present.has(n))) {
    return fail('SignatureDoesNotMatch', 'SignedHeaders must be sorted lower-case names, include host, and name only headers that were sent.');
  }
  const secret = opts.lookupSecret(accessKeyId);
  if (secret === undefined) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const block = canonicalHeaders(req.headers, names);
  const text = canonicalRequest({ method: req.method, path: req.path, query: p.pairs, canonicalHeaders: block.canonical, signedHeaders: block.signedHeaders, payloadHash: p.payloadHash });
  const expected = Buffer.from(signCanonicalRequest(secret, p.longDate, region, service, text), 'hex');
  // Only equal-length buffers reach timingSafeEqual; a malformed signature fails before any compare.
  const provided = /^[0-9a-f]{64}$/.test(p.signature) ? Buffer.from(p.signature, 'hex') : Buffer.alloc(0);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return fail('SignatureDoesNotMatch', MISMATCH);
  return { ok: true, accessKeyId, sessionToken: p.sessionToken, signedHeaders: names, signedAt: p.signedAt, region };
}

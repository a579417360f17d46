import { timingSafeEqual } from 'node:crypto';
import type { AgentIdentity } from '../agent-identity';
import {
  SIGV4_ALGORITHM, canonicalHeaders, canonicalQueryString, canonicalUri, lowerCaseHeaders, parseAmzDate,
  parseRawQuery, sha256Hex, signCanonicalRequest,
} from '../sigv4';
import type { AwsRefusalKind } from './aws-error-response';
import { openSessionToken } from './session-credentials';

/**
 * Verifies an agent's AWS call the way the service itself would (docs/AWS.md, "Each call"): the Gatehouse session
 * token, then the SigV4 signature recomputed over exactly what was received with the secret derived from that
 * token. Pure: the caller passes the clock, the credential keys and the connection's limits.
 *
 * Refusals carry two names: `code`, the SigV4 vocabulary that says precisely what failed (for records, logs and
 * tests: `RequestTimeTooSkewed`, `ExpiredToken`, `XAmzContentSHA256Mismatch`, ...), and `kind`, the refusal kind of
 * `awsErrorResponse`'s table, so the one error mapper picks the code and status of the caller's protocol:
 * `awsErrorFor(refusal.kind, protocol, refusal.message)`. The message is written for the person reading the SDK's
 * or CLI's output and never contains the token or the signature.
 */

/** What was received, before anything was decoded or normalised. */
export interface AwsCallReceived {
  /** HTTP method as received. */
  readonly method: string;
  /**
   * The path exactly as the client signed it: still percent-encoded, with the API Gateway stage prefix
   * (`/prod/aws/<connection>/bucket/key`): API Gateway's `requestContext.path`, not the decoded `path`.
   */
  readonly signedPath: string;
  /**
   * The query: the raw string as received (no leading `?`; `+` stays a plus, as the signers never send one for a
   * space), or decoded `[key, value]` pairs in the order received with repeats kept (what API Gateway hands over).
   * Either way it is re-encoded for the canonical request, so both give the same answer for what SDKs send.
   */
  readonly query: string | readonly (readonly [string, string])[];
  /** Lower-cased header names, every value (repeated headers are joined with commas, as SigV4 does). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/** How to verify. */
export interface VerifyAwsCallOptions {
  readonly now: Date;
  /** `awsCredentials.maxClockSkewSeconds`: largest difference between X-Amz-Date and `now`, both ways. */
  readonly maxClockSkewSeconds: number;
  /** The credential keys by id (current and, during a rotation, previous ones). */
  readonly keys: (kid: string) => Buffer | undefined;
  /** The connection of the route (`/aws/<connection>`): the token must have been issued for it. */
  readonly connection: string;
  /** The connection's `services` (signing names). */
  readonly allowedServices: readonly string[];
  /** The connection's `regions`. */
  readonly allowedRegions: readonly string[];
}

/** What failed, in the words of SigV4 and S3. */
export type AwsVerifyFailureCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'InvalidToken'
  | 'ExpiredToken'
  | 'SignatureDoesNotMatch'
  | 'RequestTimeTooSkewed'
  | 'RequestExpired'
  | 'XAmzContentSHA256Mismatch'
  | 'AccessDenied'
  | 'InvalidRequest';

/** A call that verified. */
export interface VerifiedAwsCall {
  readonly ok: true;
  /** The agent the session credential was issued to. */
  readonly identity: AgentIdentity;
  /** Signing name from the credential scope (`s3`, `dynamodb`, ...): one of the connection's services. */
  readonly service: string;
  /** Region from the credential scope: one of the connection's regions. */
  readonly region: string;
  readonly accessKeyId: string;
  /** When the session credential expires. */
  readonly expiresAt: Date;
  /** `header`: Authorization header; `presigned`: query-string authentication (S3 GET and HEAD only). */
  readonly authentication: 'header' | 'presigned';
  /** The lower-case names the signature covers: only these can be trusted to be the client's. */
  readonly signedHeaders: readonly string[];
}

/** A call that did not verify. */
export interface AwsCallRefusal {
  readonly ok: false;
  readonly code: AwsVerifyFailureCode;
  /** For `awsErrorFor(kind, protocol, message)`. */
  readonly kind: AwsRefusalKind;
  readonly message: string;
}

/** The outcome of `verifyAwsCall`. */
export type VerifyAwsCallResult = VerifiedAwsCall | AwsCallRefusal;

/** The longest validity of a presigned URL, as SigV4 allows (7 days). */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;
/** Payload hash of S3 calls whose body is not signed. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const refuse = (code: AwsVerifyFailureCode, kind: AwsRefusalKind, message: string): AwsCallRefusal => ({ ok: false, code, kind, message });
const RENEW = 'Run gatehouse-aws-credentials again (the SDK and CLI do when they start).';
const CHUNKED = 'Gatehouse cannot verify aws-chunked (streaming) bodies. Set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and '
  + 'AWS_RESPONSE_CHECKSUM_VALIDATION=when_required (or request_checksum_calculation / response_checksum_validation = when_required '
  + 'in the AWS profile) so the SDK sends a plain body, and give uploads a known length.';
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method: '
  + 'sign with the credential from gatehouse-aws-credentials, for the endpoint_url of the connection, and let nothing rewrite the request after signing.';
// Infrastructure in front of Gatehouse adds these; S3's "every x-amz-* header signed" rule cannot apply to them.
const ADDED_IN_TRANSIT = new Set(['x-amz-cf-id', 'x-amz-apigw-id']);

/** The authentication parameters, from the Authorization header or the presigned query. */
interface AuthParts {
  readonly via: 'header' | 'presigned';
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly longDate: string;
  readonly signedAt: Date;
  readonly token: string | undefined;
  /** Presigned only. */
  readonly expiresSeconds?: number;
}

/**
 * Verifies one call, in this order: authentication present and well-formed; session token present and
 * opening (MAC, expiry); its access key id and connection; scope date and clock window; service and region
 * allowed; payload hash rules (aws-chunked refused); signed headers; the signature (constant time); for S3, the body against
 * `x-amz-content-sha256`.
 */
export function verifyAwsCall(received: AwsCallReceived, options: VerifyAwsCallOptions): VerifyAwsCallResult {
  const headers = lowerCaseHeaders(received.headers);
  const pairs = typeof received.query === 'string' ? parseRawQuery(received.query) : received.query.map(([k, v]): [string, string] => [k, v]);
  if (!pairs) return refuse('IncompleteSignature', 'signature', 'The query string has a malformed percent-escape.');
  const parsed = readAuth(headers, pairs);
  if (!('via' in parsed)) return parsed;
  const auth = parsed;

  const scope = auth.credential.split('/');
  const [accessKeyId, shortDate, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !/^\d{8}$/.test(shortDate) || !region || !service || terminator !== 'aws4_request') {
    return refuse('IncompleteSignature', 'signature', 'Credential should be of the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request.');
  }

  if (auth.token === undefined) {
    return refuse('InvalidClientTokenId', 'unauthenticated', `The request has no session token (X-Amz-Security-Token). Gatehouse accepts only the credentials gatehouse-aws-credentials prints, never an AWS access key: set credential_process in the AWS profile. ${RENEW}`);
  }
  const opened = openSessionToken(auth.token, { keys: options.keys, now: options.now });
  if (!opened.ok) {
    return opened.code === 'ExpiredToken' ? refuse('ExpiredToken', 'expired-token', opened.message) : refuse('InvalidToken', 'unauthenticated', opened.message);
  }
  if (opened.payload.akid !== accessKeyId) {
    return refuse('InvalidClientTokenId', 'unauthenticated', `The access key id in the Credential is not the one issued with the session token: use the AccessKeyId and SessionToken of the same gatehouse-aws-credentials answer. ${RENEW}`);
  }
  if (opened.payload.conn !== options.connection) {
    return refuse('InvalidClientTokenId', 'unauthenticated', `This credential was issued for the AWS connection '${opened.payload.conn}', and the call went to '${options.connection}'. Use a profile whose endpoint_url and gatehouse-aws-credentials --connection name the same connection.`);
  }

  if (shortDate !== auth.longDate.slice(0, 8)) {
    return refuse('SignatureDoesNotMatch', 'signature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${auth.longDate.slice(0, 8)}', from '${auth.longDate}'.`);
  }
  const clock = checkClock(auth, options);
  if (clock) return clock;

  if (!options.allowedServices.includes(service)) {
    return refuse('AccessDenied', 'policy-denied', `The AWS connection '${options.connection}' does not allow the service '${service}' (it allows ${list(options.allowedServices)}); the call was signed for it and not forwarded.`);
  }
  if (!options.allowedRegions.includes(region)) {
    return refuse('AccessDenied', 'policy-denied', `The AWS connection '${options.connection}' does not allow the region '${region}' (it allows ${list(options.allowedRegions)}); set AWS_REGION (or region in the profile) to one of them.`);
  }
  const method = received.method.toUpperCase();
  if (auth.via === 'presigned' && (service !== 's3' || (method !== 'GET' && method !== 'HEAD'))) {
    return refuse('InvalidRequest', 'bad-request', 'Gatehouse accepts presigned URLs only for S3 GET and HEAD; let the SDK sign other calls with an Authorization header.');
  }

  // Before the header checks: a streaming upload gets the one message that says how to avoid it.
  const payload = payloadHash(auth, headers, pairs, service, received.body);
  if ('code' in payload) return payload;

  const names = auth.signedHeaders.split(';');
  if (!names.every((n) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n))) {
    return refuse('IncompleteSignature', 'signature', 'SignedHeaders must be a semicolon-separated list of lower-case header names.');
  }
  if (!names.includes('host')) {
    return refuse('IncompleteSignature', 'signature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const absent = names.filter((n) => !headers.has(n));
  if (absent.length > 0) return refuse('SignatureDoesNotMatch', 'signature', `SignedHeaders names headers that did not arrive: ${absent.join(', ')}. ${MISMATCH}`);
  if (service === 's3') {
    // S3's rule: an x-amz-* header (encryption, ACL, copy source...) that changes the call must be signed.
    const unsigned = [...headers.keys()].filter((n) => n.startsWith('x-amz-') && !ADDED_IN_TRANSIT.has(n) && !names.includes(n));
    if (unsigned.length > 0) return refuse('AccessDenied', 'policy-denied', `There were headers present in the request which were not signed: ${unsigned.join(', ')}.`);
  }

  const canonical = [
    method,
    // S3 signs the path as sent; every other service signs it normalised and encoded once more (the SDKs' uriEscapePath).
    service === 's3' ? received.signedPath || '/' : canonicalUri(received.signedPath || '/'),
    canonicalQueryString(pairs),
    canonicalHeaders(received.headers, names).canonical,
    [...names].sort().join(';'),
    payload.canonical,
  ].join('\n');
  const expected = Buffer.from(signCanonicalRequest(opened.secretAccessKey, auth.longDate, region, service, canonical), 'ascii');
  const provided = Buffer.from(auth.signature, 'ascii');
  // Equal lengths only reach timingSafeEqual; the expected one is always 64 hex characters.
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return refuse('SignatureDoesNotMatch', 'signature', MISMATCH);

  if (payload.declared !== undefined && payload.declared !== UNSIGNED_PAYLOAD && payload.declared !== payload.actual) {
    return refuse('XAmzContentSHA256Mismatch', 'signature', "The provided 'x-amz-content-sha256' header does not match what was computed: the body changed after it was signed.");
  }
  return {
    ok: true, identity: opened.identity, service, region, accessKeyId, expiresAt: opened.expiresAt, authentication: auth.via,
    signedHeaders: [...names].sort(),
  };
}

/** Reads the one authentication mechanism the call used. */
function readAuth(headers: Map<string, string[]>, pairs: ReadonlyArray<readonly [string, string]>): AuthParts | AwsCallRefusal {
  const authorization = headers.get('authorization');
  const presigned = pairs.some(([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Credential' || k === 'X-Amz-Signature');
  if (!authorization && !presigned) {
    return refuse('MissingAuthenticationToken', 'unauthenticated', 'Request is missing Authentication Token: the call was not signed. Give the SDK or CLI the profile whose credential_process is gatehouse-aws-credentials.');
  }
  if (authorization && presigned) return refuse('IncompleteSignature', 'signature', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.');
  return authorization ? readAuthorizationHeader(authorization, headers) : readPresignedQuery(pairs);
}

function readAuthorizationHeader(values: string[], headers: Map<string, string[]>): AuthParts | AwsCallRefusal {
  const value = values.length === 1 ? values[0].trim() : '';
  if (!value.startsWith(`${SIGV4_ALGORITHM} `)) {
    return refuse('IncompleteSignature', 'signature', `Gatehouse accepts AWS Signature Version 4 (${SIGV4_ALGORITHM}) in one Authorization header; SigV2 and SigV4a (multi-region access points) are not supported.`);
  }
  const fields = new Map<string, string[]>();
  for (const part of value.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    fields.set(name, [...(fields.get(name) ?? []), part.slice(eq + 1).trim()]);
  }
  const one = (name: string): string | undefined => (fields.get(name)?.length === 1 ? fields.get(name)![0] : undefined);
  const [credential, signedHeaders, signature] = ['Credential', 'SignedHeaders', 'Signature'].map(one);
  if (!credential || !signedHeaders || !signature) {
    return refuse('IncompleteSignature', 'signature', "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters, each once.");
  }
  const dates = headers.get('x-amz-date');
  if (dates?.length !== 1) return refuse('IncompleteSignature', 'signature', "Authorization header requires one 'X-Amz-Date' header.");
  const signedAt = parseAmzDate(dates[0].trim());
  if (!signedAt) return refuse('IncompleteSignature', 'signature', "X-Amz-Date must be in the ISO8601 basic format 'YYYYMMDD'T'HHMMSS'Z'.");
  const tokens = headers.get('x-amz-security-token');
  if (tokens && tokens.length !== 1) return refuse('IncompleteSignature', 'signature', 'X-Amz-Security-Token must be sent once.');
  return { via: 'header', credential, signedHeaders, signature, longDate: dates[0].trim(), signedAt, token: tokens?.[0].trim() };
}

function readPresignedQuery(pairs: ReadonlyArray<readonly [string, string]>): AuthParts | AwsCallRefusal {
  const all = (key: string): string[] => pairs.filter(([k]) => k === key).map(([, v]) => v);
  const one = (key: string): string | undefined => (all(key).length === 1 ? all(key)[0] : undefined);
  const [algorithm, credential, longDate, expires, signedHeaders, signature] =
    ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].map(one);
  if (algorithm !== SIGV4_ALGORITHM || !credential || !longDate || !expires || !signedHeaders || !signature) {
    return refuse('IncompleteSignature', 'signature', `Query-string authentication requires X-Amz-Algorithm=${SIGV4_ALGORITHM}, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature, each once.`);
  }
  const signedAt = parseAmzDate(longDate);
  if (!signedAt) return refuse('IncompleteSignature', 'signature', "X-Amz-Date must be in the ISO8601 basic format 'YYYYMMDD'T'HHMMSS'Z'.");
  const expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
    return refuse('IncompleteSignature', 'signature', `X-Amz-Expires must be from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS} seconds (7 days).`);
  }
  const tokens = all('X-Amz-Security-Token');
  if (tokens.length > 1) return refuse('IncompleteSignature', 'signature', 'X-Amz-Security-Token must appear once.');
  return { via: 'presigned', credential, signedHeaders, signature, longDate, signedAt, token: tokens[0], expiresSeconds };
}

/** The clock window: both ways for a signed header; for a URL, not before its date and not after it expires. */
function checkClock(auth: AuthParts, options: VerifyAwsCallOptions): AwsCallRefusal | undefined {
  const skewMs = options.maxClockSkewSeconds * 1000;
  const now = options.now.getTime();
  const signed = auth.signedAt.getTime();
  const stamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const minutes = `${Math.round(options.maxClockSkewSeconds / 6) / 10} min.`;
  const fixClock = "Check this machine's clock (NTP); the SDKs correct a small skew by themselves from the Date of this answer.";
  if (signed - now > skewMs) {
    return refuse('RequestTimeTooSkewed', 'clock-skew', `Signature not yet current: ${auth.longDate} is still later than ${stamp(now + skewMs)} (${stamp(now)} + ${minutes}). ${fixClock}`);
  }
  if (auth.via === 'header' && now - signed > skewMs) {
    return refuse('RequestTimeTooSkewed', 'clock-skew', `Signature expired: ${auth.longDate} is now earlier than ${stamp(now - skewMs)} (${stamp(now)} - ${minutes}). ${fixClock}`);
  }
  // S3 answers an expired presigned URL with AccessDenied, which is the policy-denied row of the error table.
  if (auth.via === 'presigned' && now > signed + (auth.expiresSeconds ?? 0) * 1000) {
    return refuse('RequestExpired', 'policy-denied', `Request has expired: the presigned URL was valid for ${auth.expiresSeconds} seconds from ${auth.longDate}. Presign it again.`);
  }
  return undefined;
}

/**
 * The payload hash of the canonical request and the body check to do once the signature holds. S3 signs the
 * declared `x-amz-content-sha256` (required there, `UNSIGNED-PAYLOAD` allowed, and presigned URLs are always
 * unsigned); every other service hashes the body itself, as it does.
 */
function payloadHash(auth: AuthParts, headers: Map<string, string[]>, pairs: ReadonlyArray<readonly [string, string]>, service: string, body: Buffer):
  { canonical: string; declared: string | undefined; actual: string } | AwsCallRefusal {
  const values = auth.via === 'header' ? headers.get('x-amz-content-sha256') : pairs.filter(([k]) => k.toLowerCase() === 'x-amz-content-sha256').map(([, v]) => v);
  if (values && values.length > 1) return refuse('IncompleteSignature', 'signature', 'x-amz-content-sha256 must be sent once.');
  const declared = values?.[0]?.trim();
  const encodings = (headers.get('content-encoding') ?? []).join(',').toLowerCase().split(',').map((e) => e.trim());
  if (declared?.startsWith('STREAMING-') || encodings.includes('aws-chunked')) return refuse('InvalidRequest', 'bad-request', CHUNKED);
  if (declared === UNSIGNED_PAYLOAD && service !== 's3') {
    return refuse('IncompleteSignature', 'signature', `UNSIGNED-PAYLOAD is accepted only for S3, as AWS does; '${service}' calls sign the body's SHA-256.`);
  }
  if (declared !== undefined && declared !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(declared)) {
    return refuse('InvalidRequest', 'bad-request', 'x-amz-content-sha256 must be the lower-case hex SHA-256 of the body, or UNSIGNED-PAYLOAD for S3.');
  }
  const actual = sha256Hex(body);
  if (service !== 's3') return { canonical: actual, declared, actual };
  if (auth.via === 'presigned') return { canonical: declared ?? UNSIGNED_PAYLOAD, declared, actual };
  if (declared === undefined) return refuse('InvalidRequest', 'bad-request', 'Missing required header for this request: x-amz-content-sha256.');
  return { canonical: declared, declared, actual };
}

const list = (values: readonly string[]): string => (values.length === 0 ? 'none' : values.join(', '));

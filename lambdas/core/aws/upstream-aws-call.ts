import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BadRequestError } from '../errors';
import {
  amzDate, canonicalHeaders, canonicalQueryString, credentialScope, sha256Hex, SIGV4_ALGORITHM, signCanonicalRequest,
  signRequestHeaders, uriEscape,
} from '../sigv4';
import type { AwsCallInput } from './aws-request-info';
import { awsSigningRegionFor } from './aws-endpoints';

/**
 * The call Gatehouse sends upstream for an agent's AWS call: to the endpoint configuration chose (never a host
 * the agent named), with only the headers that carry the call's meaning, signed anew with the assumed role's
 * credentials. The agent's own signature, token and forwarding headers never leave Gatehouse.
 */

/** A call Gatehouse cannot send as asked (a path that could leave the endpoint's host, a checksum that is wrong). */
export class AwsUpstreamCallError extends BadRequestError {}

/** What `upstreamAwsCall` needs. */
export interface UpstreamAwsCallInput {
  /** The call as received (path after `/aws/<connection>`, as sent). */
  readonly call: Pick<AwsCallInput, 'method' | 'path' | 'query' | 'headers' | 'body'>;
  /** Signing name from the verified credential scope. */
  readonly service: string;
  /** Region from the verified credential scope; global services are signed for their partition's region. */
  readonly region: string;
  /** From `awsEndpointFor`: its origin is the only host the call can go to; its path is prefixed. */
  readonly endpoint: URL;
  /** The assumed role's credentials. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly now: Date;
}

/** A call ready for an HTTPS client (the shape of `AwsUpstreamRequest`). */
export interface UpstreamAwsCall {
  readonly url: string;
  readonly method: string;
  /** Lower-case names; includes `host`, `authorization`, `x-amz-date` and, with a session, `x-amz-security-token`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS']);

/** Headers that say what the call is, for every service. */
const FORWARDED = new Set([
  'content-type', 'content-md5', 'content-encoding', 'x-amz-target', 'range', 'if-match', 'if-none-match',
  'if-modified-since', 'if-unmodified-since', 'cache-control', 'content-disposition', 'content-language', 'expires',
  'accept', 'x-amz-user-agent', 'user-agent',
]);

/** S3's request headers (object metadata, ACLs, encryption, copy sources, locks, preconditions of its own). */
const S3_FORWARDED = new Set([
  'x-amz-acl', 'x-amz-tagging', 'x-amz-tagging-directive', 'x-amz-metadata-directive', 'x-amz-storage-class',
  'x-amz-website-redirect-location', 'x-amz-request-payer', 'x-amz-expected-bucket-owner', 'x-amz-source-expected-bucket-owner',
  'x-amz-mfa', 'x-amz-bypass-governance-retention', 'x-amz-bucket-object-lock-enabled', 'x-amz-object-ownership',
  'x-amz-checksum-mode', 'x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-object-attributes',
  'x-amz-optional-object-attributes', 'x-amz-max-parts', 'x-amz-part-number-marker', 'x-amz-confirm-remove-self-bucket-access',
  'x-amz-write-offset-bytes', 'x-amz-copy-source', 'x-amz-skip-destination-validation', 'x-amz-if-match', 'x-amz-if-none-match',
]);
const S3_PREFIXES = ['x-amz-meta-', 'x-amz-server-side-encryption', 'x-amz-copy-source-', 'x-amz-grant-', 'x-amz-object-lock-'];

/** Per-service headers that change what a call does (Lambda's invocation type must not silently become synchronous). */
const SERVICE_FORWARDED: Readonly<Record<string, ReadonlySet<string>>> = {
  lambda: new Set(['x-amz-invocation-type', 'x-amz-log-type', 'x-amz-client-context']),
};

/** The checksum values S3 verifies against the body, and how to compute each (base64 of the big-endian digest). */
const CHECKSUMS: Readonly<Record<string, (body: Buffer) => string>> = {
  'x-amz-checksum-sha256': (b) => createHash('sha256').update(b).digest('base64'),
  'x-amz-checksum-sha1': (b) => createHash('sha1').update(b).digest('base64'),
  'x-amz-checksum-crc32': (b) => uint32Base64(crc32(b)),
  'x-amz-checksum-crc32c': (b) => uint32Base64(crc32c(b)),
  'x-amz-checksum-crc64nvme': (b) => crc64nvmeBase64(b),
};

// RFC 3986 pchar and `/`, with `%` only as the start of an escape: what the SDKs and CLI put in a path.
const PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

/**
 * Builds the upstream call. The URL is the endpoint's origin, the endpoint's path, then the call's path: a
 * `host` or `x-forwarded-host` header, an absolute-form or `//host` path, an `@` or `\` cannot change the host
 * (the result is checked against the endpoint after parsing). Paths with dot segments (also `%2e`) are refused:
 * a URL parser would resolve them to another resource than the one policy saw.
 *
 * Only an allowlist of headers is forwarded; authorization, security token, date, payload hash, host, cookies,
 * hop-by-hop and forwarding headers are dropped, and `aws-chunked` is taken out of Content-Encoding. S3 checksum
 * headers (`x-amz-checksum-<algorithm>`) are forwarded when they are the body's checksum (or, on
 * CompleteMultipartUpload, the whole object's); a wrong one is refused as S3 would refuse it.
 *
 * Signed with SigV4 for `awsSigningRegionFor(service, region)`: S3 with `x-amz-content-sha256` and its canonical
 * URI encoded once and not normalized (the path sent is re-encoded the way S3 canonicalizes it); every other
 * service with the path as the SDK sent it, encoded once more in the canonical request, as the SDK signs.
 */
export function upstreamAwsCall(input: UpstreamAwsCallInput): UpstreamAwsCall {
  const { call, service, endpoint } = input;
  const method = call.method.toUpperCase();
  if (!METHODS.has(method)) throw new AwsUpstreamCallError(`Gatehouse does not forward ${printable(method)} calls to AWS.`);
  const s3 = service === 's3';
  const path = joinPath(endpoint.pathname, checkedPath(call.path), s3);
  const search = call.query.map(([k, v]) => `${uriEscape(k)}=${uriEscape(v)}`).join('&');
  const url = new URL(`${endpoint.protocol}//${endpoint.host}${path}${search ? `?${search}` : ''}`);
  if (url.host !== endpoint.host || url.pathname !== path) {
    throw new AwsUpstreamCallError('The call\'s path cannot be sent to the AWS endpoint as it is; check the path the SDK sent.');
  }
  const headers = forwardedHeaders(call, service, method);
  if (call.body.length > 0 || method === 'PUT' || method === 'POST' || method === 'PATCH') headers['content-length'] = String(call.body.length);
  const signingRegion = awsSigningRegionFor(service, input.region);
  const queryRecord: Record<string, string[]> = {};
  for (const [k, v] of call.query) (queryRecord[k] ??= []).push(v);
  const signed = s3
    ? signS3(method, url.host, path, call.query, headers, signingRegion, input)
    : signRequestHeaders({
      method, host: url.host, path, query: queryRecord, headers, region: signingRegion, service,
      credentials: input.credentials, now: input.now, body: call.body, applyChecksum: false,
    }).headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed)) out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(',');
  return { url: url.href, method, headers: out, body: call.body };
}

function checkedPath(path: string): string {
  if (!path.startsWith('/') || !PATH.test(path)) {
    throw new AwsUpstreamCallError('The call\'s path must start with / and be percent-encoded as the AWS SDK encodes it.');
  }
  for (const segment of path.split('/')) {
    const decoded = safeDecode(segment);
    if (decoded === undefined) throw new AwsUpstreamCallError('The call\'s path has a percent-escape that is not UTF-8.');
    if (decoded === '.' || decoded === '..') {
      throw new AwsUpstreamCallError('Gatehouse does not forward paths with . or .. segments: they would name another resource than the one policy checked.');
    }
  }
  return path;
}

/** The endpoint's own path (`/` or a prefix) followed by the call's; S3's is re-encoded as S3 canonicalizes it. */
function joinPath(base: string, path: string, s3: boolean): string {
  const joined = `${base.replace(/\/+$/, '')}${path}`;
  return s3 ? joined.split('/').map((segment) => uriEscape(safeDecode(segment) ?? segment)).join('/') : joined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function forwardedHeaders(call: UpstreamAwsCallInput['call'], service: string, method: string): Record<string, string> {
  // A header the client named in Connection is hop-by-hop (RFC 9110 7.6.1), whatever it is called.
  const hopByHop = new Set((call.headers.connection ?? []).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()));
  const out: Record<string, string> = {};
  const s3 = service === 's3';
  for (const [rawName, values] of Object.entries(call.headers)) {
    const name = rawName.toLowerCase();
    if (hopByHop.has(name) || values.length === 0) continue;
    const value = values.join(',');
    if (name === 'content-encoding') {
      const codings = value.split(',').map((c) => c.trim()).filter((c) => c !== '' && c.toLowerCase() !== 'aws-chunked');
      if (codings.length > 0) out[name] = codings.join(',');
    } else if (FORWARDED.has(name) || (Object.prototype.hasOwnProperty.call(SERVICE_FORWARDED, service) && SERVICE_FORWARDED[service].has(name))) out[name] = value;
    else if (s3 && Object.prototype.hasOwnProperty.call(CHECKSUMS, name)) {
      if (checksumMatches(name, value, call, method)) out[name] = value;
    } else if (s3 && (S3_FORWARDED.has(name) || S3_PREFIXES.some((p) => name.startsWith(p)))) out[name] = value;
  }
  // The SDK names the algorithm of the checksum it sent; without that checksum S3 refuses the call.
  const algorithm = call.headers['x-amz-sdk-checksum-algorithm']?.[0];
  if (s3 && algorithm && out[`x-amz-checksum-${algorithm.toLowerCase()}`] !== undefined) out['x-amz-sdk-checksum-algorithm'] = algorithm;
  return out;
}

function checksumMatches(name: string, value: string, call: UpstreamAwsCallInput['call'], method: string): boolean {
  // CompleteMultipartUpload's checksum is the whole object's, which only S3 can compute from the parts.
  if (method === 'POST' && call.query.some(([k]) => k === 'uploadId')) return true;
  if (CHECKSUMS[name](call.body) === value.trim()) return true;
  throw new AwsUpstreamCallError(`The ${name} header does not match the body Gatehouse received (S3 would answer BadDigest); check the SDK's checksum settings.`);
}

/**
 * S3's SigV4: `x-amz-content-sha256` always, and the canonical URI is the path as sent, encoded once and not
 * normalized (so keys with `//` or a trailing `/` sign as S3 computes them). `signRequestHeaders` always
 * normalizes and double-encodes, so the canonical request is put together here from the same primitives.
 */
function signS3(
  method: string, host: string, path: string, query: UpstreamAwsCallInput['call']['query'], forwarded: Record<string, string>,
  region: string, input: UpstreamAwsCallInput,
): Record<string, string> {
  const { longDate, shortDate } = amzDate(input.now);
  const payloadHash = sha256Hex(input.call.body);
  const headers: Record<string, string> = { ...forwarded, host, 'x-amz-date': longDate, 'x-amz-content-sha256': payloadHash };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const block = canonicalHeaders(headers);
  const text = [method, path, canonicalQueryString(query), block.canonical, block.signedHeaders, payloadHash].join('\n');
  const signature = signCanonicalRequest(input.credentials.secretAccessKey, longDate, region, 's3', text);
  const scope = credentialScope(shortDate, region, 's3');
  headers.authorization = `${SIGV4_ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${block.signedHeaders}, Signature=${signature}`;
  return headers;
}

function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
}

function uint32Base64(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as S3's `CRC32C` checksum. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC32C_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), as two 32-bit halves: BigInt per byte is slow on megabytes.
const CRC64_TABLE = (() => {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  const polyLo = 0xac4bc9b5;
  const polyHi = 0x9a6c9329;
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h >>>= 1;
      if (carry) {
        l = (l ^ polyLo) >>> 0;
        h = (h ^ polyHi) >>> 0;
      }
    }
    lo[i] = l;
    hi[i] = h;
  }
  return { lo, hi };
})();

/** CRC-64/NVME of `data`, base64 of its 8 big-endian bytes, as S3's `CRC64NVME` checksum. */
export function crc64nvmeBase64(data: Uint8Array): string {
  let l = 0xffffffff;
  let h = 0xffffffff;
  for (const byte of data) {
    const i = (l ^ byte) & 0xff;
    l = (((l >>> 8) | (h << 24)) ^ CRC64_TABLE.lo[i]) >>> 0;
    h = ((h >>> 8) ^ CRC64_TABLE.hi[i]) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((h ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((l ^ 0xffffffff) >>> 0, 4);
  return out.toString('base64');
}

import { Buffer } from 'node:buffer';
import { BadRequestError, InternalError } from './errors';
import { upstreamAcceptFor } from './upstream-accept';

/** Request headers as the proxy holds them: lower-cased names, every value. */
export type IncomingHeaders = Readonly<Record<string, readonly string[]>>;

/** Who the cluster should see, when the connection impersonates per agent. */
export interface Impersonation {
  /** `Impersonate-User`. */
  readonly user: string;
  /** `Impersonate-Uid`, when set. */
  readonly uid?: string;
  /** One `Impersonate-Group` header per group. */
  readonly groups: readonly string[];
  /** `Impersonate-Extra-<key>`, one header per value; keys are escaped as client-go does. */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** What Gatehouse itself adds to the forwarded request. */
export interface UpstreamHeaderOptions {
  /** The EKS token, sent as `Authorization: Bearer`. */
  readonly bearerToken: string;
  readonly impersonate?: Impersonation;
  /**
   * Replace the client's `Accept` with a fixed JSON one chosen by what it asked for (`upstreamAcceptFor`),
   * so the cluster answers JSON, which Gatehouse can inspect and mask.
   */
  readonly forceJsonAccept: boolean;
  /** Length of the body actually forwarded; omitted for no body. */
  readonly contentLength?: number;
  /**
   * Sent as `Audit-ID`, which the API server adopts as its audit event id: the cluster audit log then
   * joins Gatehouse's record on this value. A client's own `Audit-ID` is never forwarded, so an agent
   * cannot pick ids that collide with, or impersonate, other entries in the cluster's audit log.
   */
  readonly auditId?: string;
}

/**
 * Client headers that reach the cluster. An allowlist, because anything else is either Gatehouse's job
 * (authorization, impersonation, content-length), misleading to the server (x-forwarded-*, x-amz-*
 * from API Gateway, host), hop-by-hop, or would stop Gatehouse from reading bodies (accept-encoding).
 * kubectl-command / kubectl-session are kept: the API server writes them to its audit log.
 */
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'user-agent', 'kubectl-command', 'kubectl-session'];
/** List-valued (RFC 9110 §5.3): repeated headers may be joined with commas without changing meaning. */
const LIST_HEADERS = new Set(['accept']);

/**
 * Upstream headers passed back to kubectl. Never set-cookie, hop-by-hop headers, content-length or
 * content-encoding (the body may be masked, and the length is recomputed), nor location or
 * www-authenticate, which would point kubectl at the cluster instead of at Gatehouse.
 */
const RETURNED_RESPONSE_HEADERS = [
  'content-type', 'audit-id', 'warning', 'cache-control', 'etag', 'last-modified', 'expires', 'retry-after',
  'x-content-type-options', 'x-kubernetes-pf-flowschema-uid', 'x-kubernetes-pf-prioritylevel-uid',
];

// What Node's http module accepts in a header value (it throws on anything else).
const VALID_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
// RFC 9110 token characters, as client-go's legalHeaderKeyBytes; "%" is escaped too so it decodes back.
const HEADER_TOKEN_BYTE = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

function lowerCased(headers: Readonly<Record<string, string | readonly string[] | undefined>>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const values = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
    const key = name.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), ...values]);
  }
  return map;
}

/** Names listed in `Connection` are hop-by-hop for this message (RFC 9110 §7.6.1) and must be dropped. */
function connectionListed(headers: Map<string, readonly string[]>): Set<string> {
  const listed = (headers.get('connection') ?? []).flatMap((value) => value.split(','));
  return new Set(listed.map((name) => name.trim().toLowerCase()).filter((name) => name !== ''));
}

function clientValue(name: string, value: string): string {
  if (!VALID_VALUE.test(value)) {
    throw new BadRequestError(`The ${name} header contains characters HTTP does not allow (control characters or non-Latin-1); resend it without them.`);
  }
  return value;
}

function ownValue(what: string, value: string): string {
  if (value === '' || !VALID_VALUE.test(value)) {
    throw new InternalError(`Gatehouse could not build the request for the cluster: ${what} is empty or contains characters HTTP does not allow. The request was not forwarded; report this to the Gatehouse administrator.`);
  }
  return value;
}

/** `headerKeyEscape` from client-go: percent-encode UTF-8 bytes that are not header token characters, and `%`. */
function escapeExtraKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += HEADER_TOKEN_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Builds the headers for the request to the cluster from an allowlist of the client's headers plus
 * Gatehouse's own: `authorization` (the EKS token), `impersonate-*` when impersonating,
 * `accept-encoding: identity` (Gatehouse must read bodies, and Node's fetch would otherwise ask for
 * gzip), `content-length` and `audit-id`. Names are lower-case.
 *
 * @throws BadRequestError when the client repeats a single-valued header (e.g. two Content-Types: which
 *   one a body rule and the cluster each honour would be ambiguous) or sends an invalid value.
 */
export function buildUpstreamHeaders(incoming: IncomingHeaders, options: UpstreamHeaderOptions): Record<string, string | string[]> {
  const headers = lowerCased(incoming);
  const hopByHop = connectionListed(headers);
  const out: Record<string, string | string[]> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const values = headers.get(name) ?? [];
    if (values.length === 0 || hopByHop.has(name)) continue;
    if (values.length > 1 && !LIST_HEADERS.has(name)) {
      throw new BadRequestError(`The request carries ${values.length} ${name} headers; send exactly one.`);
    }
    out[name] = values.map((value) => clientValue(name, value)).join(', ');
  }
  // The server reads only the first Accept header (`Header.Get`), so that is the one to interpret.
  if (options.forceJsonAccept) out['accept'] = upstreamAcceptFor(headers.get('accept')?.[0]);
  out['accept-encoding'] = 'identity';
  if (options.contentLength !== undefined) {
    if (!Number.isSafeInteger(options.contentLength) || options.contentLength < 0) {
      throw new InternalError();
    }
    out['content-length'] = String(options.contentLength);
  }
  if (options.auditId !== undefined) out['audit-id'] = ownValue('the audit id', options.auditId);
  if (!/^[\u0021-\u007e]+$/.test(options.bearerToken)) throw new InternalError();
  out['authorization'] = `Bearer ${options.bearerToken}`;

  const impersonate = options.impersonate;
  if (impersonate) {
    out['impersonate-user'] = ownValue('the impersonated user', impersonate.user);
    if (impersonate.uid !== undefined) out['impersonate-uid'] = ownValue('the impersonated uid', impersonate.uid);
    if (impersonate.groups.length > 0) {
      out['impersonate-group'] = impersonate.groups.map((group) => ownValue('an impersonated group', group));
    }
    for (const [key, values] of Object.entries(impersonate.extra ?? {})) {
      if (values.length === 0) continue;
      // The API server lower-cases the escaped key before unescaping it, so lower-casing here is lossless.
      if (key === '') throw new InternalError();
      const name = `impersonate-extra-${escapeExtraKey(key)}`.toLowerCase();
      out[name] = values.map((value) => ownValue(`the impersonation extra "${key}"`, value));
    }
  }
  return out;
}

/**
 * Names (lower-cased) of the impersonation headers a client sent, `impersonate_*` look-alikes
 * included, so the proxy can refuse with 403 and say which: an agent must never choose whom the
 * cluster sees. Empty when there are none.
 */
export function findClientImpersonation(incoming: IncomingHeaders): string[] {
  const names = Object.keys(incoming).map((name) => name.toLowerCase());
  return [...new Set(names.filter((name) => /^impersonate[-_]/.test(name)))];
}

/**
 * The upstream response headers kubectl gets back: an allowlist (content-type, audit-id, warning,
 * cache-control, validators, retry-after, API priority-and-fairness ids), lower-cased, one string
 * each (repeated `warning` headers joined with ", " as HTTP allows for list headers). Values with
 * characters HTTP does not allow are dropped rather than risk header injection.
 */
export function responseHeadersForClient(
  upstream: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const headers = lowerCased(upstream);
  const hopByHop = connectionListed(headers);
  const out: Record<string, string> = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const values = (headers.get(name) ?? []).filter((value) => VALID_VALUE.test(value));
    if (values.length === 0 || hopByHop.has(name)) continue;
    out[name] = name === 'warning' ? values.join(', ') : values[0]!;
  }
  return out;
}

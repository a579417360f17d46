import { BadRequestError } from './errors';

/** Longest path, as received (still percent-encoded), that Gatehouse forwards. */
export const MAX_CLUSTER_PATH_LENGTH = 4096;

/** A request target that passed the path-safety rules, in the forms the proxy needs. */
export interface ClusterPath {
  /**
   * The decoded path, exactly what the API server will see as `req.URL.Path`. Classify and authorize
   * on this one: matching on the encoded form would let `pr%6Fd` slip past a rule about `prod`.
   */
  readonly path: string;
  /** `path` re-encoded canonically: what goes on the wire, so the server decodes back to `path`. */
  readonly encodedPath: string;
  /** The query as the API server's Go `url.ParseQuery` reads it. Treat as read-only. */
  readonly query: URLSearchParams;
  /** `encodedPath` plus `?` and the re-serialized query when there is one: the request target to send. */
  readonly target: string;
}

const HINT = 'Send the path as kubectl does, e.g. /api/v1/namespaces/default/pods.';

function refuse(what: string): never {
  throw new BadRequestError(`Gatehouse refused the request path: ${what}. ${HINT}`);
}

function refuseQuery(what: string): never {
  throw new BadRequestError(`Gatehouse refused the query string: ${what}. Encode parameters as kubectl does (name=value joined by "&").`);
}

// RFC 3986 pchar minus "%" (handled separately) plus "/": everything a well-formed client leaves raw.
const RAW_PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
// Percent-encoded bytes that are never legitimate in a path kubectl builds, with the reason.
const FORBIDDEN_ENCODED: ReadonlyArray<readonly [RegExp, string]> = [
  [/%2e/i, 'it contains a percent-encoded dot (%2e); write dots plainly, and "." or ".." segments are not allowed'],
  [/%2f/i, 'it contains a percent-encoded slash (%2f)'],
  [/%5c/i, 'it contains a percent-encoded backslash (%5c)'],
  [/%25/i, 'it contains a percent-encoded "%" (%25), the double encoding used to hide "." and "/" (e.g. %252e)'],
  [/%(?:[01][0-9a-f]|7f)|%c2%[89][0-9a-f]/i, 'it contains a percent-encoded control character'],
  // Defence in depth: if a decoded path were ever put on the wire as is, these would end the path there.
  [/%(?:3f|23)/i, 'it contains a percent-encoded "?" or "#"'],
];

/**
 * Decodes `%XX` runs as UTF-8 the way Go does, but strictly: invalid UTF-8 is refused instead of being
 * passed on as raw bytes, since JavaScript strings cannot carry it and a lossy decode would make
 * Gatehouse see a different string from the API server. A BOM is kept, not silently stripped.
 */
function decodeStrict(text: string, fail: (what: string) => never): string {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  return text.replace(PERCENT_RUN, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16));
    try {
      return decoder.decode(bytes);
    } catch {
      return fail('its percent-encoded bytes are not valid UTF-8');
    }
  });
}

function encodeSegment(segment: string): string {
  // encodeURIComponent also escapes sub-delims and ":" "@", which RFC 3986 allows raw in a segment;
  // keep them raw so `system:basic-user` and `svc:https:443` travel as kubectl sends them.
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

function checkPath(rawPath: string): void {
  if (rawPath.length > MAX_CLUSTER_PATH_LENGTH) {
    refuse(`it is ${rawPath.length} characters long, over the limit of ${MAX_CLUSTER_PATH_LENGTH}`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rawPath)) {
    refuse('absolute URLs (scheme://host/...) are not accepted; send only the path after the connection');
  }
  if (!rawPath.startsWith('/')) refuse('it must start with "/"');
  // "//host" is a scheme-relative URL to any URL parser downstream: never let it be read as a host.
  if (rawPath.startsWith('//')) refuse('it starts with "//", which names another host');
  for (const char of rawPath) {
    if (CONTROL.test(char)) refuse('it contains a control character');
    if (char === '\\') refuse('it contains a backslash');
    if (char !== '%' && !RAW_PATH_CHAR.test(char)) {
      refuse(`it contains ${JSON.stringify(char)}, which must be percent-encoded`);
    }
  }
  if (BAD_PERCENT.test(rawPath)) refuse('it contains a "%" that is not followed by two hex digits');
  for (const [pattern, reason] of FORBIDDEN_ENCODED) if (pattern.test(rawPath)) refuse(reason);
}

/**
 * Parses a raw query string the way Go's `url.ParseQuery` (used by the API server) does, refusing the
 * inputs where Go would silently drop a parameter that JavaScript keeps (`;` separators, malformed
 * `%`): a parameter Gatehouse sees but the server ignores (or the reverse) is a classification gap.
 */
function parseQuery(rawQuery: string): URLSearchParams {
  const text = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const query = new URLSearchParams();
  if (text === '') return query;
  if (CONTROL.test(text)) refuseQuery('it contains a control character');
  if (text.includes('#')) refuseQuery('it contains "#"');
  if (text.includes(';')) refuseQuery('it contains ";", which the API server does not accept as a separator');
  if (BAD_PERCENT.test(text)) refuseQuery('it contains a "%" that is not followed by two hex digits');
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    refuseQuery('it is not valid Unicode');
  }
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const decode = (part: string): string => decodeStrict(part.replace(/\+/g, ' '), refuseQuery);
    query.append(decode(key), decode(value));
  }
  return query;
}

/**
 * Validates the path a client asked for (the part after `/k8s/<connection>`, still percent-encoded as
 * it arrived) and its query, and returns the decoded path to classify plus the canonical target to
 * forward. Throws `BadRequestError` saying what is wrong.
 *
 * Refused: no leading `/`; absolute or scheme-relative URLs; `.`/`..` segments; empty segments
 * (`//`) except one trailing slash (meaningful to `.../proxy/` paths; the API server's own path
 * splitting ignores it for everything else); percent-encoded dots, slashes, backslashes, `%` (double
 * encoding) or control characters; raw backslashes, control characters, characters that must be
 * encoded; invalid UTF-8; paths over {@link MAX_CLUSTER_PATH_LENGTH}. Colons are allowed: RBAC names
 * such as `system:basic-user` and proxy targets such as `pods/web:8080/proxy` contain them.
 *
 * @param rawPath encoded path; `''` means `/`.
 * @param rawQuery encoded query string without `?` (a leading `?` is tolerated); `''` for none.
 */
export function parseClusterPath(rawPath: string, rawQuery = ''): ClusterPath {
  const pathText = rawPath === '' ? '/' : rawPath;
  checkPath(pathText);
  const rawSegments = pathText.slice(1).split('/');
  const segments = rawSegments.map((raw, index) => {
    if (raw === '' && index !== rawSegments.length - 1) refuse('it contains an empty segment ("//")');
    const decoded = decodeStrict(raw, refuse);
    if (decoded === '.' || decoded === '..') refuse('it contains a "." or ".." segment');
    return decoded;
  });
  const path = `/${segments.join('/')}`;
  const encodedPath = `/${segments.map(encodeSegment).join('/')}`;
  const query = parseQuery(rawQuery);
  const serialized = query.toString();
  return { path, encodedPath, query, target: serialized ? `${encodedPath}?${serialized}` : encodedPath };
}

import { createHash } from 'node:crypto';
import { splitQuery, type QueryScope } from './query-parameters';

/** What identifies "the exact request" an approval is about. */
export interface FingerprintInput {
  /** Issuer name and agent: the same command from another agent is another request. */
  readonly issuer: string;
  readonly agent: string;
  readonly connection: string;
  /** HTTP method as received. */
  readonly method: string;
  /** The decoded, checked cluster path (`ClusterPath.path`), not the raw one. */
  readonly path: string;
  /** What the request is (from its classification): decides which query parameters count. */
  readonly scope: QueryScope;
  /** The query parameters. Their names' order does not matter; repeats and the order of one name's values do. */
  readonly query: URLSearchParams | string;
  /** The request's Content-Type header ('' when absent); only its media type counts. */
  readonly contentType: string;
  /** The request body, byte for byte. */
  readonly body: Uint8Array;
}

/**
 * Bumped whenever what goes into a fingerprint changes, so old approvals can never match new requests.
 * v2: the body's media type is in; query parameters that do not change what runs are out; one name's values
 * keep their order.
 */
export const FINGERPRINT_VERSION = 'gatehouse-approval-fingerprint-v2';

/**
 * SHA-256 (hex) over agent, connection, method, path, the body's media type, the query parameters that change
 * what runs, and the body. Everything that decides what the cluster does is taken exactly, so an approval of
 * `delete deployment api -n prod` does not also approve a delete of another deployment, in another namespace,
 * with other options or another body; the same patch bytes sent as a merge, strategic-merge or apply patch
 * are different requests, because the cluster reads them differently.
 *
 * Left out is what does not change what runs, so that re-running the approved command in a new shell or CI
 * attempt matches: session, user agent and kubectl's command header, Content-Type parameters such as charset,
 * the media type of an empty body, and the query parameters `query-parameters.ts` lists as inert (`timeout`
 * from `--request-timeout`, `pretty`, ...).
 */
export function requestFingerprint(input: FingerprintInput): string {
  const { kept } = splitQuery(input.query, input.scope);
  const mediaType = input.body.length === 0 ? '' : mediaTypeOf(input.contentType);
  const bodySha256 = createHash('sha256').update(input.body).digest('hex');
  const canonical = JSON.stringify([
    FINGERPRINT_VERSION, input.issuer, input.agent, input.connection, input.method.toUpperCase(), input.path, mediaType, kept, bodySha256,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** `Application/JSON; charset=utf-8` -> `application/json`: media types are case-insensitive, parameters do not change the meaning. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

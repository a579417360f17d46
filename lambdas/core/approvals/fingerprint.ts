import { createHash } from 'node:crypto';

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
  /** The query parameters. Their order does not matter; repeats do. */
  readonly query: URLSearchParams | string;
  /** The request body, byte for byte. */
  readonly body: Uint8Array;
}

/** Bumped if what goes into a fingerprint ever changes, so old approvals can never match new requests. */
const FINGERPRINT_VERSION = 'gatehouse-approval-fingerprint-v1';

/**
 * SHA-256 (hex) over agent, connection, method, canonical path and query, and body. The query is put in a
 * canonical order (sorted by key, then value) because clients may order parameters differently for the same
 * request; everything else is taken exactly, so an approval of `delete deployment api -n prod` does not also
 * approve a delete of another deployment, in another namespace, with other options or another body.
 * Session, user agent and kubectl's command header are left out: re-running the same command in a new
 * shell or CI attempt is the same request.
 */
export function requestFingerprint(input: FingerprintInput): string {
  const params = typeof input.query === 'string' ? new URLSearchParams(input.query) : input.query;
  const query = [...params].sort(([ak, av], [bk, bv]) => compare(ak, bk) || compare(av, bv));
  const bodySha256 = createHash('sha256').update(input.body).digest('hex');
  const canonical = JSON.stringify([FINGERPRINT_VERSION, input.issuer, input.agent, input.connection, input.method.toUpperCase(), input.path, query, bodySha256]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

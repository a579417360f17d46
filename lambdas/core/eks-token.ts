import { presignUrl, type SigV4Credentials } from './sigv4';

/**
 * EKS bearer tokens, minted the way `aws eks get-token` (awscli customizations/eks/get_token.py)
 * and aws-iam-authenticator (pkg/token/token.go) do: a presigned STS GetCallerIdentity GET URL with
 * the cluster name signed in the `x-k8s-aws-id` header, base64url-encoded without padding behind
 * `k8s-aws-v1.`. The cluster (or a stand-in for it) replays the URL against STS to learn who signed it.
 */

/** Prefix of every v1 EKS token. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** Header that binds a token to one cluster; it must be among the signed headers. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** Tokens longer than this are refused by aws-iam-authenticator (`maxTokenLenBytes = 1024 * 4`). */
export const MAX_EKS_TOKEN_LENGTH = 4096;
/**
 * Value of X-Amz-Expires in minted tokens. STS ignores it and honours the URL for 15 minutes after
 * X-Amz-Date; 60 is kept because authenticators 0.3.0 and older reject anything above 60.
 */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** How long STS honours a presigned GetCallerIdentity URL after its X-Amz-Date. */
export const STS_PRESIGNED_VALIDITY_SECONDS = 15 * 60;
/** Clients treat a token as good for 14 minutes: one minute of cushion before STS stops honouring it. */
export const TOKEN_LIFETIME_SECONDS = 14 * 60;

/** STS API version named in every Query-protocol request. */
export const STS_API_VERSION = '2011-06-15';

/**
 * DNS suffix of a region's partition, by region prefix (aws-iam-authenticator pkg/endpoints/partitions.go).
 * Longer prefixes first: `us-isob-` must win over `us-iso-`.
 */
const PARTITION_DOMAINS: ReadonlyArray<readonly [string, string]> = [
  ['cn-', 'amazonaws.com.cn'],
  ['us-isob-', 'sc2s.sgov.gov'],
  ['us-isof-', 'csp.hci.ic.gov'],
  ['us-iso-', 'c2s.ic.gov'],
  ['eu-isoe-', 'cloud.adc-e.uk'],
];

/** True for a syntactically valid region id (same rule the authenticator ports from aws-sdk-go v1). */
export function isValidRegion(region: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(region);
}

/**
 * The regional STS host for a region: `sts.<region>.amazonaws.com`, `.amazonaws.com.cn` in China,
 * the ISO partitions' own suffixes. Always regional (never the global `sts.amazonaws.com`), as
 * aws-sdk-go-v2 and current awscli resolve it: a token is then bound to the cluster's region.
 */
export function stsHostForRegion(region: string): string {
  if (!isValidRegion(region)) throw new Error(`invalid region identifier: ${region}`);
  const domain = PARTITION_DOMAINS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com';
  return `sts.${region}.${domain}`;
}

/** What `mintEksToken` needs. The credentials are the assumed role's temporary ones. */
export interface MintEksTokenInput {
  readonly credentials: SigV4Credentials;
  readonly clusterName: string;
  readonly region: string;
  readonly now: Date;
}

/** A minted token and when clients should stop using it. */
export interface EksToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * Mints an EKS bearer token. The URL has exactly the parameters `aws eks get-token` produces, in
 * botocore's order: `Action`, `Version`, `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
 * `X-Amz-Expires=60`, `X-Amz-SignedHeaders=host;x-k8s-aws-id`, `X-Amz-Security-Token` (with session
 * credentials), then `X-Amz-Signature`. `expiresAt` is X-Amz-Date + 14 minutes.
 */
export function mintEksToken(input: MintEksTokenInput): EksToken {
  if (input.clusterName === '') throw new Error('clusterName is required');
  // X-Amz-Date has whole seconds; expiresAt is counted from it, not from the sub-second clock.
  const signedAt = new Date(Math.floor(input.now.getTime() / 1000) * 1000);
  const url = presignUrl({
    method: 'GET',
    host: stsHostForRegion(input.region),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: STS_API_VERSION },
    headers: { [CLUSTER_ID_HEADER]: input.clusterName },
    region: input.region,
    service: 'sts',
    credentials: input.credentials,
    expiresSeconds: PRESIGN_EXPIRES_SECONDS,
    now: signedAt,
    queryOrder: 'operation-then-auth',
  });
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(signedAt.getTime() + TOKEN_LIFETIME_SECONDS * 1000),
  };
}

/**
 * Decodes the URL inside a token, strictly: the RawURLEncoding alphabet only, no padding, no
 * whitespace, and the bytes must re-encode to the same text. Undefined if any of that fails.
 */
export function decodeEksTokenUrl(token: string): string | undefined {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  // Node (and Go's non-strict decoder) ignore non-zero trailing bits; insisting on a round trip
  // keeps one token from having two spellings.
  if (bytes.toString('base64url') !== body) return undefined;
  return bytes.toString('utf8');
}

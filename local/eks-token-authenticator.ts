import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseAmzDate } from '../lambdas/core/sigv4';
import {
  CLUSTER_ID_HEADER, EKS_TOKEN_PREFIX, MAX_EKS_TOKEN_LENGTH, STS_PRESIGNED_VALIDITY_SECONDS,
  decodeEksTokenUrl, stsHostForRegion,
} from '../lambdas/core/eks-token';

/**
 * What the EKS control plane (aws-iam-authenticator's server) does with a bearer token, for the
 * local Kubernetes API simulator. The format checks run in the order of pkg/token/token.go's
 * `Verify`; then the presigned URL is replayed against STS (the stand-in), and the assumed role is
 * mapped to a Kubernetes user the way EKS access entries do.
 */

/** The user handed to the API simulator (same shape as its `KubeUser`). */
export interface EksKubeUser {
  username: string;
  uid?: string;
  groups: readonly string[];
  extra?: Record<string, readonly string[]>;
}

/** An access entry / aws-auth mapping: `{{SessionName}}`, `{{SessionNameRaw}}`, `{{AccountID}}`, `{{AccessKeyID}}` are expanded. */
export interface EksRoleMapping {
  username: string;
  groups: readonly string[];
}

/** Options of the authenticator. */
export interface EksTokenAuthenticatorOptions {
  /** Where STS really is (the stand-in's URL); the token's host is sent as the Host header. */
  stsEndpoint: string;
  region: string;
  clusterName: string;
  /** Role (IAM ARN, path dropped) to mapping; undefined = no access entry. Default: the EKS default username, no groups. */
  mapRole?: (roleArn: string, sessionName: string) => EksRoleMapping | undefined;
  now?: () => Date;
  /** Told why a token was refused (never the token itself). */
  onReject?: (reason: string) => void;
  /** STS call timeout. Default 10 s, as aws-iam-authenticator's client. */
  timeoutMs?: number;
}

/** The AWS identity behind a token, as aws-iam-authenticator's `Identity`. */
export interface EksIdentity {
  arn: string;
  canonicalArn: string;
  accountId: string;
  principalId: string;
  sessionName: string;
  accessKeyId: string;
}

/** Outcome of `verifyEksToken`. */
export type EksTokenVerification =
  | { ok: true; user: EksKubeUser; identity: EksIdentity }
  | { ok: false; reason: string };

const ALLOWED_PARAMS = new Set(['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-security-token', 'x-amz-signature', 'x-amz-signedheaders']);
const reject = (reason: string): EksTokenVerification => ({ ok: false, reason });

/** Go's url.ParseQuery: `;` is an error, `+` is a space, bad escapes are errors. */
function parseGoQuery(raw: string): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  for (const part of raw.split('&')) {
    if (part.includes(';')) return undefined;
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    try {
      if (/%(?![0-9A-Fa-f]{2})/.test(k + v)) return undefined;
      const key = decodeURIComponent(k.replace(/\+/g, ' '));
      out.set(key, [...(out.get(key) ?? []), decodeURIComponent(v.replace(/\+/g, ' '))]);
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Checks a token's shape, replays it against STS and maps the identity. Never throws. */
export async function verifyEksToken(token: string, o: EksTokenAuthenticatorOptions): Promise<EksTokenVerification> {
  if (token.length > MAX_EKS_TOKEN_LENGTH) return reject('token is too large');
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return reject(`token is missing expected "${EKS_TOKEN_PREFIX}" prefix`);
  const url = decodeEksTokenUrl(token);
  if (url === undefined) return reject('token is not valid unpadded base64url');
  // A narrow parse instead of WHATWG URL, which would lower-case, normalize and accept userinfo.
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#@]*)([^?#]*)(?:\?([^#]*))?$/.exec(url);
  if (!m || /[^\x21-\x7e]/.test(url)) return reject('pre-signed URL is malformed');
  const [, scheme, host, path, rawQuery = ''] = m;
  if (scheme !== 'https') return reject(`unexpected scheme "${scheme}" in pre-signed URL`);
  let expectedHost: string;
  try {
    expectedHost = stsHostForRegion(o.region);
  } catch {
    return reject(`invalid region "${o.region}"`);
  }
  if (host !== expectedHost) return reject(`unexpected hostname "${host}" in pre-signed URL`);
  if (path !== '/') return reject('unexpected path in pre-signed URL');
  const query = parseGoQuery(rawQuery);
  if (!query) return reject('malformed query parameter');
  const lower = new Map<string, string>();
  for (const [key, values] of query) {
    // Case-insensitive duplicates (Action + action) are the bypass hackerone #1580493 reported.
    if (lower.has(key.toLowerCase())) return reject(`duplicate query parameter "${key}"`);
    if (!ALLOWED_PARAMS.has(key.toLowerCase())) return reject(`non-whitelisted query parameter "${key}"`);
    if (values.length !== 1) return reject('query parameter with multiple values not supported');
    lower.set(key.toLowerCase(), values[0]);
  }
  if (lower.get('action') !== 'GetCallerIdentity') return reject('unexpected action parameter in pre-signed URL');
  if (!(lower.get('x-amz-signedheaders') ?? '').split(';').some((h) => h.toLowerCase() === CLUSTER_ID_HEADER)) {
    return reject(`client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`);
  }
  const expiresText = lower.get('x-amz-expires') ?? '';
  const expires = /^[+-]?\d{1,18}$/.test(expiresText) ? Number(expiresText) : NaN;
  // STS ignores X-Amz-Expires (15 minutes from X-Amz-Date regardless); only 0..900 is let through.
  if (!(expires >= 0 && expires <= 900)) return reject(`invalid X-Amz-Expires parameter in pre-signed URL: ${expiresText}`);
  const dateText = lower.get('x-amz-date');
  if (!dateText) return reject('X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = parseAmzDate(dateText);
  if (!signedAt) return reject(`error parsing X-Amz-Date parameter ${dateText}`);
  const now = (o.now ?? (() => new Date()))();
  if (now.getTime() > signedAt.getTime() + STS_PRESIGNED_VALIDITY_SECONDS * 1000) return reject('X-Amz-Date parameter is expired (15 minute expiration)');
  const accessKeyId = (lower.get('x-amz-credential') ?? '').split('/')[0];

  const answer = await getCallerIdentity(o, host, rawQuery);
  if ('error' in answer) return reject(answer.error);
  return mapIdentity(answer, accessKeyId, o);
}

/** The token-to-user function the API simulator takes; `onReject` hears why a token was refused. */
export function createEksTokenAuthenticator(o: EksTokenAuthenticatorOptions): (token: string) => Promise<EksKubeUser | undefined> {
  return async (token) => {
    let outcome: EksTokenVerification;
    try {
      outcome = await verifyEksToken(token, o);
    } catch (e) {
      outcome = reject(`unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (outcome.ok) return outcome.user;
    o.onReject?.(outcome.reason);
    return undefined;
  };
}

interface CallerIdentity { Arn: string; Account: string; UserId: string }

/** GETs the presigned URL from the real STS endpoint, sending the token's host and the cluster id. */
function getCallerIdentity(o: EksTokenAuthenticatorOptions, host: string, rawQuery: string): Promise<CallerIdentity | { error: string }> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(o.stsEndpoint);
    } catch {
      resolve({ error: 'stsEndpoint is not a URL' });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({
      hostname: target.hostname, port: target.port || undefined, method: 'GET', path: `/?${rawQuery}`,
      headers: { host, [CLUSTER_ID_HEADER]: o.clusterName, accept: 'application/json' },
      timeout: o.timeoutMs ?? 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) res.destroy(new Error('response too large'));
        else chunks.push(c);
      });
      res.on('error', () => resolve({ error: 'sts getCallerIdentity failed: error reading HTTP result' }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.statusCode !== 200) {
          const code = (body as { Error?: { Code?: unknown } } | undefined)?.Error?.Code;
          resolve({ error: `sts getCallerIdentity failed: error from AWS (expected 200, got ${res.statusCode}) ${typeof code === 'string' ? code : ''}`.trim() });
          return;
        }
        const r = (body as { GetCallerIdentityResponse?: { GetCallerIdentityResult?: Partial<CallerIdentity> } } | undefined)?.GetCallerIdentityResponse?.GetCallerIdentityResult;
        if (typeof r?.Arn !== 'string' || typeof r.Account !== 'string' || typeof r.UserId !== 'string') {
          resolve({ error: 'sts getCallerIdentity failed: unexpected response body' });
          return;
        }
        resolve({ Arn: r.Arn, Account: r.Account, UserId: r.UserId });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: `sts getCallerIdentity failed: error during GET: ${e.message}` }));
    req.end();
  });
}

/** Assumed-role ARN -> canonical role ARN, identity, and the Kubernetes user an access entry gives. */
function mapIdentity(r: CallerIdentity, accessKeyId: string, o: EksTokenAuthenticatorOptions): EksTokenVerification {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(r.Arn);
  if (!m) return reject(`only assumed-role principals are mapped, got ${r.Arn}`);
  const [, partition, account, roleName, sessionName] = m;
  const userId = r.UserId.split(':');
  if (account !== r.Account || userId.length !== 2 || userId[1] !== sessionName) return reject(`malformed UserID or Account for ${r.Arn}`);
  const identity: EksIdentity = {
    arn: r.Arn, canonicalArn: `arn:${partition}:iam::${account}:role/${roleName}`, accountId: account,
    principalId: userId[0], sessionName, accessKeyId,
  };
  const mapping = o.mapRole
    ? o.mapRole(identity.canonicalArn, sessionName)
    : { username: `arn:${partition}:sts::{{AccountID}}:assumed-role/${roleName}/{{SessionName}}`, groups: [] };
  if (!mapping) return reject(`no access entry maps ${identity.canonicalArn}`);
  // Template expansion as aws-iam-authenticator's renderTemplate: {{SessionName}} has '@' turned into '-'.
  const render = (t: string): string => t
    .replace(/\{\{AccountID\}\}/g, account)
    .replace(/\{\{SessionName\}\}/g, sessionName.replace(/@/g, '-'))
    .replace(/\{\{SessionNameRaw\}\}/g, sessionName)
    .replace(/\{\{AccessKeyID\}\}/g, accessKeyId);
  const user: EksKubeUser = {
    username: render(mapping.username),
    uid: `aws-iam-authenticator:${account}:${identity.principalId}`,
    groups: mapping.groups.map(render),
    extra: {
      accessKeyId: [accessKeyId], arn: [r.Arn], canonicalArn: [identity.canonicalArn],
      principalId: [identity.principalId], sessionName: [sessionName],
    },
  };
  return { ok: true, user, identity };
}

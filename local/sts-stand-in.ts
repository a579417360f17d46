import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRawQuery, verifyAuthorizationHeader, verifyPresignedUrl, type ReceivedRequest, type SigV4VerifyResult } from '../lambdas/core/sigv4';
import { CLUSTER_ID_HEADER, STS_API_VERSION, STS_PRESIGNED_VALIDITY_SECONDS } from '../lambdas/core/eks-token';
import { readLimitedBody } from './read-limited-body';

/**
 * LOCAL STAND-IN for AWS STS (there is no STS to be had offline). It speaks STS's real Query
 * protocol well enough for the real `@aws-sdk/client-sts` and for EKS-style presigned
 * GetCallerIdentity URLs: every request is SigV4-verified strictly against what was received
 * (including the Host header, which callers set to the real STS host the URL names), and answers
 * and errors have the real XML (or, on `Accept: application/json`, JSON) shapes.
 */

/** Options of the stand-in. */
export interface StsStandInOptions {
  host?: string;
  port?: number;
  /** Default '111122223333'. */
  accountId?: string;
  /** Region the credential scope must name. Default us-east-1. */
  region?: string;
  /** The only long-term caller credentials it accepts (what the Lambda's execution role would have). */
  callerCredentials: { accessKeyId: string; secretAccessKey: string };
  /** Role ARNs that may be assumed (like trust policies). Others -> AccessDenied. */
  assumableRoleArns: readonly string[];
  /**
   * Trust policies that lack one action for the caller, by role ARN, as real STS enforces them: `sts:AssumeRole`
   * refuses the role outright; `sts:TagSession` refuses a call with session tags, `sts:SetSourceIdentity` one with
   * a source identity, each with STS's AccessDenied message naming the action. @default none
   */
  trustLacks?: Readonly<Record<string, StsTrustedAction>>;
  /** Clock, for tests of expiry. Default: the real one. */
  now?: () => Date;
  /**
   * Told of every session issued, so local mode's other AWS stand-ins (the S3 server, Secrets Manager) accept
   * its credentials as AWS's services accept STS's. @default none
   */
  onSession?: (credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string }) => void;
}

/** An action a role's trust policy grants its principal. */
export type StsTrustedAction = 'sts:AssumeRole' | 'sts:TagSession' | 'sts:SetSourceIdentity';

/** A session the stand-in issued (secrets left out). */
export interface IssuedSession {
  accessKeyId: string;
  roleArn: string;
  roleSessionName: string;
  sourceIdentity?: string;
  tags: Record<string, string>;
  expiration: Date;
}

/** A running stand-in. */
export interface StsStandIn {
  url: string;
  port: number;
  sessions: IssuedSession[];
  assumeRoleCalls: number;
  getCallerIdentityCalls: number;
  close(): Promise<void>;
}

interface SessionSecrets { session: IssuedSession; secretAccessKey: string; sessionToken: string; roleId: string }
interface StsError { status: number; code: string; message: string }

const NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const MAX_BODY = 64 * 1024;
const xml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const err = (status: number, code: string, message: string): StsError => ({ status, code, message });
const invalid = (value: string, field: string, constraint: string): StsError =>
  err(400, 'ValidationError', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`);

/** An id like AWS's: a 4-letter type prefix then upper-case base32 characters. */
function awsId(prefix: string, seed?: string, length = 16): string {
  const bytes = seed === undefined ? randomBytes(length) : createHash('sha256').update(seed).digest();
  return prefix + [...bytes.subarray(0, length)].map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');
}

/** Starts the stand-in on 127.0.0.1 (random port unless given). */
export async function startStsStandIn(o: StsStandInOptions): Promise<StsStandIn> {
  const accountId = o.accountId ?? '111122223333';
  const region = o.region ?? 'us-east-1';
  const now = o.now ?? (() => new Date());
  const callerArn = `arn:aws:iam::${accountId}:user/sts-stand-in-caller`;
  const byKey = new Map<string, SessionSecrets>();
  const state = { sessions: [] as IssuedSession[], assumeRoleCalls: 0, getCallerIdentityCalls: 0 };

  /** Who signed: the caller (no token allowed) or a live session (its own token required). */
  function principal(verified: Extract<SigV4VerifyResult, { ok: true }>): { caller: true } | { caller: false; s: SessionSecrets } | StsError {
    if (verified.accessKeyId === o.callerCredentials.accessKeyId) {
      return verified.sessionToken === undefined ? { caller: true } : err(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    const s = byKey.get(verified.accessKeyId);
    const sent = Buffer.from(verified.sessionToken ?? '');
    const issued = Buffer.from(s?.sessionToken ?? '');
    if (!s || sent.length !== issued.length || !timingSafeEqual(sent, issued)) return err(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (s.session.expiration.getTime() <= now().getTime()) return err(400, 'ExpiredToken', 'The security token included in the request is expired');
    return { caller: false, s };
  }

  function authenticate(req: ReceivedRequest, presigned: boolean): { caller: true } | { caller: false; s: SessionSecrets } | StsError {
    const lookupSecret = (id: string): string | undefined =>
      id === o.callerCredentials.accessKeyId ? o.callerCredentials.secretAccessKey : byKey.get(id)?.secretAccessKey;
    const options = { lookupSecret, service: 'sts', region, now: now() };
    // STS honours a presigned URL for 15 minutes after X-Amz-Date whatever X-Amz-Expires says.
    const verified = presigned
      ? verifyPresignedUrl(req, { ...options, maxAgeSeconds: STS_PRESIGNED_VALIDITY_SECONDS })
      : verifyAuthorizationHeader(req, options);
    if (!verified.ok) return err(verified.code === 'IncompleteSignature' || verified.code === 'RequestExpired' ? 400 : 403, verified.code, verified.message);
    if (CLUSTER_ID_HEADER in req.headers && !verified.signedHeaders.includes(CLUSTER_ID_HEADER)) {
      return err(403, 'SignatureDoesNotMatch', `The ${CLUSTER_ID_HEADER} header was sent but not signed.`);
    }
    return principal(verified);
  }

  function assumeRole(p: Map<string, string>): string | StsError {
    const roleArn = p.get('RoleArn');
    const sessionName = p.get('RoleSessionName');
    if (roleArn === undefined) return invalid('null', 'roleArn', 'Member must not be null');
    if (sessionName === undefined) return invalid('null', 'roleSessionName', 'Member must not be null');
    const arn = ROLE_ARN.exec(roleArn);
    if (!arn || roleArn.length > 2048) return invalid(roleArn, 'roleArn', 'Member must be a valid IAM role ARN');
    if (!NAME_PATTERN.test(sessionName)) return invalid(sessionName, 'roleSessionName', 'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*');
    const duration = p.get('DurationSeconds') ?? '3600';
    if (!/^\d{1,6}$/.test(duration) || +duration < 900 || +duration > 43200) return invalid(duration, 'durationSeconds', 'Member must have value between 900 and 43200');
    const sourceIdentity = p.get('SourceIdentity');
    if (sourceIdentity !== undefined && !NAME_PATTERN.test(sourceIdentity)) return invalid(sourceIdentity, 'sourceIdentity', 'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*');
    if (sourceIdentity?.toLowerCase().startsWith('aws:')) return err(400, 'ValidationError', 'SourceIdentity cannot begin with the prefix aws:');
    const externalId = p.get('ExternalId');
    if (externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) return invalid(externalId, 'externalId', 'Member must have length between 2 and 1224');
    const policy = p.get('Policy');
    if (policy !== undefined && policy.length > 2048) return invalid('<policy>', 'policy', 'Member must have length less than or equal to 2048');
    if (policy !== undefined && !isJsonObject(policy)) return err(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
    const tags: Record<string, string> = {};
    for (let n = 1; p.has(`Tags.member.${n}.Key`); n++) {
      const key = p.get(`Tags.member.${n}.Key`) ?? '';
      const value = p.get(`Tags.member.${n}.Value`) ?? '';
      if (!TAG_KEY.test(key) || !TAG_VALUE.test(value)) return invalid(key, `tags.${n}.member`, 'Tag keys must be 1-128 and values 0-256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]');
      if (Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase())) return err(400, 'ValidationError', `Duplicate tag keys found: ${key}`);
      tags[key] = value;
    }
    if (Object.keys(tags).length > 50) return invalid('<tags>', 'tags', 'Member must have length less than or equal to 50');
    const lacks = o.trustLacks?.[roleArn];
    if (!o.assumableRoleArns.includes(roleArn) || lacks === 'sts:AssumeRole') {
      return err(403, 'AccessDenied', `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    if ((lacks === 'sts:TagSession' && Object.keys(tags).length > 0) || (lacks === 'sts:SetSourceIdentity' && sourceIdentity !== undefined)) {
      return err(403, 'AccessDenied', `User: ${callerArn} is not authorized to perform: ${lacks} on resource: ${roleArn}`);
    }
    const roleId = awsId('AROA', roleArn, 17);
    const session: IssuedSession = {
      accessKeyId: awsId('ASIA'), roleArn, roleSessionName: sessionName, sourceIdentity, tags,
      expiration: new Date(Math.floor(now().getTime() / 1000) * 1000 + Number(duration) * 1000),
    };
    const secrets: SessionSecrets = { session, roleId, secretAccessKey: randomBytes(30).toString('base64'), sessionToken: randomBytes(600).toString('base64') };
    byKey.set(session.accessKeyId, secrets);
    o.onSession?.({ accessKeyId: session.accessKeyId, secretAccessKey: secrets.secretAccessKey, sessionToken: secrets.sessionToken });
    state.sessions.push(session);
    const packed = policy !== undefined || Object.keys(tags).length > 0 ? `<PackedPolicySize>${Math.min(100, Math.ceil(((policy?.length ?? 0) + JSON.stringify(tags).length) / 20))}</PackedPolicySize>` : '';
    return `<AssumeRoleResult>${sourceIdentity !== undefined ? `<SourceIdentity>${xml(sourceIdentity)}</SourceIdentity>` : ''}`
      + `<AssumedRoleUser><AssumedRoleId>${roleId}:${xml(sessionName)}</AssumedRoleId><Arn>${xml(assumedRoleArn(secrets))}</Arn></AssumedRoleUser>`
      + `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(secrets.secretAccessKey)}</SecretAccessKey>`
      + `<SessionToken>${xml(secrets.sessionToken)}</SessionToken><Expiration>${iso(session.expiration)}</Expiration></Credentials>${packed}</AssumeRoleResult>`;
  }

  function assumedRoleArn(s: SessionSecrets): string {
    const [, partition, , roleName] = ROLE_ARN.exec(s.session.roleArn) ?? [];
    return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${s.session.roleSessionName}`;
  }

  function callerIdentity(who: { caller: true } | { caller: false; s: SessionSecrets }): Record<string, string> {
    return who.caller
      ? { Arn: callerArn, UserId: awsId('AIDA', callerArn, 17), Account: accountId }
      : { Arn: assumedRoleArn(who.s), UserId: `${who.s.roleId}:${who.s.session.roleSessionName}`, Account: accountId };
  }

  async function handle(req: IncomingMessage): Promise<{ action: string; result: string | Record<string, string> } | StsError> {
    const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const body = await readLimitedBody(req, MAX_BODY);
    if (body === undefined) return err(400, 'ValidationError', 'Request body too large.');
    const headers: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) (headers[req.rawHeaders[i].toLowerCase()] ??= []).push(req.rawHeaders[i + 1]);
    const received: ReceivedRequest = { method: req.method ?? 'GET', path, query, headers, body };
    const presigned = /(^|&)X-Amz-Algorithm=/.test(query);
    let params: Array<[string, string]> | undefined;
    if (req.method === 'GET') params = parseRawQuery(query);
    else if (req.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(headers['content-type']?.[0] ?? '')) params = [...new URLSearchParams(body.toString('utf8'))];
    if (path !== '/' || !params) return err(400, 'InvalidAction', 'Requests go to / as a form POST or a GET with query parameters.');
    const p = new Map<string, string>();
    for (const [k, v] of params) if (!p.has(k)) p.set(k, v);
    const action = p.get('Action') ?? '';
    if (action === 'AssumeRole') state.assumeRoleCalls++;
    if (action === 'GetCallerIdentity') state.getCallerIdentityCalls++;
    if (!headers.authorization && !presigned) return err(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const who = authenticate(received, presigned);
    if ('status' in who) return who;
    if (p.get('Version') !== STS_API_VERSION || (action !== 'AssumeRole' && action !== 'GetCallerIdentity')) {
      return err(400, 'InvalidAction', `Could not find operation ${action} for version ${p.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    }
    if (action === 'GetCallerIdentity') return { action, result: callerIdentity(who) };
    // Only the caller's long-term credentials may assume roles here (no role chaining).
    if (!who.caller) return err(403, 'AccessDenied', `User: ${assumedRoleArn(who.s)} is not authorized to perform: sts:AssumeRole`);
    const result = assumeRole(p);
    return typeof result === 'string' ? { action, result } : result;
  }

  const server = createServer((req, res) => {
    handle(req).then(
      (outcome) => respond(req, res, outcome),
      () => respond(req, res, err(500, 'InternalFailure', 'The stand-in failed to process the request.')),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    get sessions() { return state.sessions; },
    get assumeRoleCalls() { return state.assumeRoleCalls; },
    get getCallerIdentityCalls() { return state.getCallerIdentityCalls; },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

function respond(req: IncomingMessage, res: ServerResponse, outcome: { action: string; result: string | Record<string, string> } | StsError): void {
  const requestId = randomUUID();
  const isAssumeRole = 'result' in outcome && typeof outcome.result === 'string';
  // Like STS, answer JSON when asked (aws-iam-authenticator sends `Accept: application/json`);
  // AssumeRole always answers XML, which is all the SDK ever asks for.
  const json = /application\/json/i.test(req.headers.accept ?? '') && !isAssumeRole;
  const ns = 'https://sts.amazonaws.com/doc/2011-06-15/';
  let status = 200;
  let text: string;
  if ('status' in outcome) {
    status = outcome.status;
    const type = status >= 500 ? 'Receiver' : 'Sender';
    text = json
      ? JSON.stringify({ Error: { Code: outcome.code, Message: outcome.message, Type: type }, RequestId: requestId })
      : `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${outcome.code}</Code><Message>${xml(outcome.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else if (typeof outcome.result === 'string') {
    text = `<${outcome.action}Response xmlns="${ns}">${outcome.result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${outcome.action}Response>`;
  } else {
    const r = outcome.result;
    text = json
      ? JSON.stringify({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: r.Account, Arn: r.Arn, UserId: r.UserId }, ResponseMetadata: { RequestId: requestId } } })
      : `<GetCallerIdentityResponse xmlns="${ns}"><GetCallerIdentityResult><Arn>${xml(r.Arn)}</Arn><UserId>${xml(r.UserId)}</UserId><Account>${r.Account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
  }
  res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

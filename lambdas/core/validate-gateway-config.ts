import { Buffer } from 'node:buffer';
import { compact, field, isDefined, names, Section, show } from './config-section';
import { ConfigError } from './errors';
import type {
  ConnectionConfig,
  GatewayConfig,
  MaskingPatternConfig,
  GrantSpec,
  ImpersonationConfig,
  IssuerConfig,
  LimitsConfig,
} from './gateway-config';
import { configGrantId } from './grant';
import { readApprovalsConfig } from './approvals/validate-approvals-config';
import { readSessionFrontConfig } from './validate-session-front-config';
import { checkCreateRole, readAccessEntry, type DeploymentTarget } from './validate-connection-access';
import { readAwsConnection, readAwsCredentials } from './validate-aws-connections';

/** Options of {@link validateGatewayConfig}. */
export interface ValidateGatewayConfigOptions {
  /**
   * Accept `http(s)://127.0.0.1` and `http(s)://localhost` issuers and JWKS URIs (local mode's demo issuer).
   * Never set for a deployed stack: a local issuer there means anyone on the Lambda's host could mint tokens.
   * @default false
   */
  readonly allowLocalIssuers?: boolean;
  /**
   * The account and region the stack deploys to, when known (the CDK app passes the CLI's): `createRole` and
   * `accessEntry` are checked against them. @default unknown: those checks are skipped
   */
  readonly deployment?: DeploymentTarget;
}

/** The Lambda buffers requests (6 MB invoke payload), so a larger body can never get through. */
export const MAX_REQUEST_BODY_LIMIT = 6 * 1024 * 1024;
/** API Gateway's REST integration timeout; the upstream timeout must leave the Lambda time to answer before it. */
export const API_GATEWAY_TIMEOUT_MS = 29_000;
/**
 * The Lambda assumes connection roles with its own role credentials: that is role chaining, which STS
 * caps at one hour whatever the role's MaxSessionDuration says.
 */
export const MAX_CHAINED_SESSION_SECONDS = 3_600;

// Records over every key of each type: adding a field to gateway-config.ts without teaching the validator
// about it fails to compile here, instead of being rejected as an "unknown key" at synth.
const TOP_KEYS: Record<keyof GatewayConfig, true> = { issuers: true, connections: true, grants: true, limits: true, retentionDays: true, policyFiles: true, approvals: true, sessionFront: true, awsConnections: true, awsCredentials: true };
const ISSUER_KEYS: Record<keyof IssuerConfig, true> = {
  name: true, issuer: true, audience: true, jwksUri: true, agentClaim: true, sessionClaim: true, groupsClaim: true,
};
const CONNECTION_KEYS: Record<keyof ConnectionConfig, true> = {
  name: true, clusterName: true, region: true, endpoint: true, certificateAuthorityData: true, roleArn: true,
  impersonation: true, sessionDurationSeconds: true, description: true, maskingPatterns: true, createRole: true, accessEntry: true,
};
const IMPERSONATION_KEYS: Record<keyof ImpersonationConfig, true> = { enabled: true, userPrefix: true };
const GRANT_KEYS: Record<keyof GrantSpec, true> = {
  connection: true, agent: true, group: true, issuer: true, namespaces: true, expiresAt: true, impersonateGroups: true,
};
const LIMITS_KEYS: Record<keyof LimitsConfig, true> = { maxRequestBodyBytes: true, upstreamTimeoutMs: true, maxResponseBytes: true, maxStreamSeconds: true, streamIdleSeconds: true, maxStreamsPerAgent: true };

const ISSUER_NAME = /^[a-z0-9-]{1,32}$/;
const CONNECTION_NAME = /^[a-z0-9-]{1,63}$/;
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws(-cn|-us-gov|-iso(-[a-z])?|-eusc)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** A namespace (DNS-1123 label) in which `*` may stand for any run of characters. */
const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Validates raw configuration (parsed YAML/JSON) and returns it typed. Every problem is collected, not just
 * the first, and each names where it is and what to write instead, e.g.
 * `connections[1] "prod": roleArn "foo" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`.
 * The result is a fresh copy holding only known keys; endpoints are normalized to their origin.
 *
 * @param raw the parsed file contents
 * @param source what to call the input in the error (usually the file path)
 * @param options `allowLocalIssuers` for local mode
 * @throws ConfigError listing every problem
 */
export function validateGatewayConfig(raw: unknown, source: string, options: ValidateGatewayConfigOptions = {}): GatewayConfig {
  const problems: string[] = [];
  const top = new Section(problems, '', raw, 'the configuration');
  if (!top.ok) throw new ConfigError(source, problems);
  top.checkKeys(TOP_KEYS);

  const rawIssuers = top.list('issuers', true);
  // A Gatehouse for AWS accounts only needs no cluster: then connections may be empty (or left out).
  const awsOnly = Array.isArray(top.value('awsConnections')) && (top.value('awsConnections') as unknown[]).length > 0;
  const rawConnections = top.list('connections', !awsOnly);
  const issuers = rawIssuers.map((item, i) => readIssuer(top.child(`issuers[${i}]`, item), options));
  const connections = rawConnections.map((item, i) => readConnection(top.child(`connections[${i}]`, item), options.deployment));
  // Names and duplicates come from the raw entries so that one bad field in a connection does not also
  // make every grant naming it report "not defined".
  const known: Known = {
    issuerNames: rawIssuers.map((x) => field(x, 'name')),
    connectionNames: rawConnections.map((x) => field(x, 'name')),
    awsConnectionNames: [],
    issuers: issuers.filter(isDefined),
    connections: connections.filter(isDefined),
  };
  reportDuplicates(problems, 'issuers', known.issuerNames);
  reportDuplicates(problems, 'issuers', rawIssuers.map((x) => field(x, 'issuer')), 'issuer URL');
  reportDuplicates(problems, 'connections', known.connectionNames);
  // AWS connections share the URL namespace and the grants with clusters; a grant names either kind.
  const rawAwsConnections = top.list('awsConnections', false);
  const awsConnections = rawAwsConnections.map((item, i) => readAwsConnection(top.child(`awsConnections[${i}]`, item), {
    allowLocalEndpoints: options.allowLocalIssuers === true, readMaskingPattern,
  }));
  const awsNames = rawAwsConnections.map((x) => field(x, 'name'));
  reportDuplicates(problems, 'awsConnections', awsNames);
  awsNames.forEach((n, i) => {
    if (n !== undefined && known.connectionNames.includes(n)) problems.push(`awsConnections[${i}]: name ${show(n)} is already a cluster connection; names are shared by /k8s/ and /aws/ routes and grants, so pick another`);
  });
  known.awsConnectionNames.push(...awsNames);
  const awsCredentials = top.has('awsCredentials') ? readAwsCredentials(top.child('awsCredentials', top.value('awsCredentials'))) : undefined;

  const grants = top.list('grants', false).map((item, i) => readGrant(top.child(`grants[${i}]`, item), known));
  const seen = new Map<string, number>();
  grants.forEach((grant, i) => {
    if (!grant) return;
    const id = configGrantId(grant);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else problems.push(`grants[${i}]: same connection, principal, issuer and namespaces as grants[${first}]; merge the two`);
  });

  const limits = top.has('limits') ? readLimits(top.child('limits', top.value('limits'))) : undefined;
  const retentionDays = top.integer('retentionDays', 1, Number.MAX_SAFE_INTEGER);
  const policyFiles = top.strings('policyFiles', false);
  const approvals = top.has('approvals')
    ? readApprovalsConfig(top.child('approvals', top.value('approvals')), {
      connectionNames: known.connectionNames, allowLocalUrls: options.allowLocalIssuers, upstreamTimeoutMs: limits?.upstreamTimeoutMs,
    })
    : undefined;
  const sessionFront = top.has('sessionFront') ? readSessionFrontConfig(top.child('sessionFront', top.value('sessionFront')), options.deployment) : undefined;

  if (problems.length > 0) throw new ConfigError(source, problems);
  return compact({
    issuers: known.issuers,
    connections: known.connections,
    grants: top.has('grants') ? grants.filter(isDefined) : undefined,
    limits,
    retentionDays,
    policyFiles,
    approvals,
    sessionFront,
    awsConnections: top.has('awsConnections') ? awsConnections.filter(isDefined) : undefined,
    awsCredentials,
  }) as GatewayConfig;
}

function readIssuer(s: Section, options: ValidateGatewayConfigOptions): IssuerConfig | undefined {
  if (!s.ok) return undefined;
  const name = s.string('name', true, ISSUER_NAME, 'lowercase letters, digits and "-", at most 32');
  s.rename(name);
  s.checkKeys(ISSUER_KEYS);
  const issuer = s.string('issuer', true);
  if (issuer !== undefined) checkIssuerUrl(s, 'issuer', issuer, options);
  const audience = s.strings('audience', true);
  const jwksUri = s.string('jwksUri', false);
  if (jwksUri !== undefined) checkIssuerUrl(s, 'jwksUri', jwksUri, options);
  const agentClaim = s.string('agentClaim', false);
  const sessionClaim = s.string('sessionClaim', false);
  const groupsClaim = s.string('groupsClaim', false);
  if (!s.clean) return undefined;
  return compact({ name, issuer, audience, jwksUri, agentClaim, sessionClaim, groupsClaim }) as IssuerConfig;
}

function readConnection(s: Section, deployment: DeploymentTarget | undefined): ConnectionConfig | undefined {
  if (!s.ok) return undefined;
  const name = s.string('name', true, CONNECTION_NAME, 'lowercase letters, digits and "-", at most 63');
  s.rename(name);
  s.checkKeys(CONNECTION_KEYS);
  const clusterName = s.string('clusterName', true, CLUSTER_NAME, 'an EKS cluster name: letters, digits, "-" and "_", at most 100');
  const region = s.string('region', true, REGION, 'an AWS region such as eu-west-1');
  let endpoint = s.string('endpoint', true);
  if (endpoint !== undefined) endpoint = checkEndpoint(s, endpoint, region);
  const certificateAuthorityData = s.string('certificateAuthorityData', true);
  if (certificateAuthorityData !== undefined) checkCertificateAuthority(s, certificateAuthorityData);
  const roleArn = s.string('roleArn', true, ROLE_ARN, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  const impersonation = s.has('impersonation') ? readImpersonation(s.child('impersonation', s.value('impersonation'))) : undefined;
  const sessionDurationSeconds = s.integer('sessionDurationSeconds', 900, MAX_CHAINED_SESSION_SECONDS,
    'the proxy Lambda assumes the role with role credentials of its own (role chaining), which STS caps at one hour');
  const description = s.string('description', false);
  const maskingPatterns = s.list('maskingPatterns', false).map((item, i) => readMaskingPattern(s.child(`maskingPatterns[${i}]`, item)));
  const createRole = s.boolean('createRole', false);
  const access = { name, roleArn, region, impersonation, deployment };
  checkCreateRole(s, createRole, access);
  const accessEntry = s.has('accessEntry') ? readAccessEntry(s.child('accessEntry', s.value('accessEntry')), access) : undefined;
  if (!s.clean) return undefined;
  return compact({
    name, clusterName, region, endpoint, certificateAuthorityData, roleArn, impersonation, sessionDurationSeconds, description,
    maskingPatterns: s.has('maskingPatterns') ? maskingPatterns.filter(isDefined) : undefined,
    createRole: createRole || undefined, accessEntry,
  }) as ConnectionConfig;
}

function readMaskingPattern(s: Section): MaskingPatternConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys({ id: true, regex: true });
  const id = s.string('id', true, /^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", at most 63');
  const regex = s.string('regex', true);
  if (regex !== undefined) {
    try {
      new RegExp(regex, 'g');
    } catch (error) {
      s.problem(`regex ${show(regex)} is not a valid JavaScript regular expression (${(error as Error).message})`);
    }
  }
  if (!s.clean) return undefined;
  return { id: id!, regex: regex! };
}

function readImpersonation(s: Section): ImpersonationConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(IMPERSONATION_KEYS);
  const enabled = s.boolean('enabled', true);
  const userPrefix = s.string('userPrefix', false, undefined, undefined, true);
  if (userPrefix !== undefined && (userPrefix === '' || userPrefix.startsWith('system:'))) {
    s.problem(`userPrefix ${show(userPrefix)} must be non-empty and must not start with "system:" (Kubernetes reserves it); agents could otherwise pass as cluster users`);
  }
  if (!s.clean) return undefined;
  return compact({ enabled, userPrefix }) as ImpersonationConfig;
}

/** What grants are checked against. */
interface Known {
  readonly issuerNames: readonly (string | undefined)[];
  readonly connectionNames: readonly (string | undefined)[];
  /** Names of `awsConnections`: grants may name them too (without namespaces or impersonation). */
  readonly awsConnectionNames: (string | undefined)[];
  /** The entries that validated; checks that need more than a name skip the others. */
  readonly issuers: readonly IssuerConfig[];
  readonly connections: readonly ConnectionConfig[];
}

function readGrant(s: Section, known: Known): GrantSpec | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(GRANT_KEYS);
  const connection = s.string('connection', true);
  const target = known.connections.find((c) => c.name === connection);
  const aws = connection !== undefined && known.awsConnectionNames.includes(connection);
  if (connection !== undefined && !aws && !known.connectionNames.includes(connection)) {
    s.problem(`connection ${show(connection)} is not defined; defined connections: ${names([...known.connectionNames, ...known.awsConnectionNames])}`);
  }
  if (aws && (s.has('namespaces') || s.has('impersonateGroups'))) {
    s.problem(`connection ${show(connection)} is an AWS connection: namespaces and impersonateGroups are for clusters (policy rules narrow what an agent may call)`);
  }
  const agent = s.string('agent', false);
  const group = s.string('group', false);
  if (s.has('agent') === s.has('group')) {
    s.problem(s.has('agent')
      ? 'has both agent and group; a grant names one principal (write two grants)'
      : 'needs exactly one of agent or group');
  }
  const issuer = s.string('issuer', false);
  const issuerConfig = known.issuers.find((x) => x.name === issuer);
  if (issuer !== undefined && !known.issuerNames.includes(issuer)) {
    s.problem(`issuer ${show(issuer)} is not defined; defined issuers: ${names(known.issuerNames)}`);
  }
  // Agent and group values are only unique within an issuer (a repository name at GitHub and at GitLab):
  // with several issuers, a grant without one would let any of them claim the principal.
  if (!s.has('issuer') && known.issuerNames.length > 1) {
    s.problem(`issuer is required because ${known.issuerNames.length} issuers are configured (${names(known.issuerNames)}); `
      + `a grant without one would match the same ${s.has('group') ? 'group' : 'agent'} from any of them. Add e.g. issuer: ${show(known.issuerNames.find(isDefined) ?? '<name>')}`);
  }
  const allIssuersValid = known.issuers.length === known.issuerNames.length;
  if (group !== undefined && (issuerConfig || (issuer === undefined && allIssuersValid))) {
    const candidates = issuerConfig ? [issuerConfig] : known.issuers;
    if (candidates.length > 0 && candidates.every((x) => x.groupsClaim === undefined)) {
      s.problem(`group ${show(group)} can never match: ${issuerConfig ? `issuer "${issuerConfig.name}" has` : 'no issuer has'} a groupsClaim`);
    }
  }
  const namespaces = s.strings('namespaces', false);
  if (namespaces?.length === 0) s.problem('namespaces is empty; omit the key to grant every namespace, or list at least one');
  namespaces?.forEach((ns) => {
    if (!NAMESPACE_PATTERN.test(ns)) s.problem(`namespaces entry ${show(ns)} is not a namespace name (a DNS label, "*" allowed)`);
  });
  const expiresAt = s.string('expiresAt', false);
  if (expiresAt !== undefined && !isRfc3339(expiresAt)) {
    s.problem(`expiresAt ${show(expiresAt)} is not an RFC 3339 time, e.g. 2026-03-31T18:00:00Z`);
  }
  const impersonateGroups = s.strings('impersonateGroups', false);
  if (impersonateGroups?.length && target && !target.impersonation?.enabled) {
    s.problem(`impersonateGroups has no effect: connection "${target.name}" does not impersonate (set impersonation.enabled: true there)`);
  }
  if (!s.clean) return undefined;
  return compact({ connection, agent, group, issuer, namespaces, expiresAt, impersonateGroups }) as GrantSpec;
}

function readLimits(s: Section): LimitsConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(LIMITS_KEYS);
  const maxRequestBodyBytes = s.integer('maxRequestBodyBytes', 1, MAX_REQUEST_BODY_LIMIT,
    'the proxy Lambda buffers the whole request and its invoke payload is capped at 6 MB');
  const upstreamTimeoutMs = s.integer('upstreamTimeoutMs', 1_000, API_GATEWAY_TIMEOUT_MS - 1,
    'API Gateway gives up after 29 s, so the Lambda must have answered by then');
  const maxResponseBytes = s.integer('maxResponseBytes', 1024 * 1024, 512 * 1024 * 1024,
    'the proxy Lambda holds and masks the whole answer in memory');
  const maxStreamSeconds = s.integer('maxStreamSeconds', 30, 840,
    'API Gateway ends a streamed response after 15 minutes; Gatehouse must end it first, cleanly');
  const streamIdleSeconds = s.integer('streamIdleSeconds', 5, 280,
    'API Gateway drops a streamed response that is idle for 5 minutes');
  const maxStreamsPerAgent = s.integer('maxStreamsPerAgent', 1, 10_000,
    'each open stream holds a Lambda for up to maxStreamSeconds; count the watches your agents\' informers open');
  if (!s.clean) return undefined;
  return compact({ maxRequestBodyBytes, upstreamTimeoutMs, maxResponseBytes, maxStreamSeconds, streamIdleSeconds, maxStreamsPerAgent }) as LimitsConfig;
}

function checkIssuerUrl(s: Section, key: string, value: string, options: ValidateGatewayConfigOptions): void {
  const url = parseUrl(value);
  if (!url) return s.problem(`${key} ${show(value)} is not a URL`);
  if (LOCAL_HOSTS.has(url.hostname)) {
    if (!options.allowLocalIssuers) return s.problem(`${key} ${show(value)} is a local address, accepted only in local mode`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') s.problem(`${key} ${show(value)} must use http or https`);
  } else if (url.protocol !== 'https:') {
    s.problem(`${key} ${show(value)} must use https`);
  }
  if (url.search || url.hash || url.username || url.password) s.problem(`${key} ${show(value)} must not carry a query, fragment or credentials`);
}

/** Returns the origin (the proxy appends the Kubernetes path itself, so a trailing `/` would double it). */
function checkEndpoint(s: Section, value: string, region: string | undefined): string {
  const url = parseUrl(value);
  const bare = url && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !value.includes('?');
  if (!url || url.protocol !== 'https:' || !bare) {
    s.problem(`endpoint ${show(value)} must be https://<host>[:port] with no path, query or fragment (the cluster's API server URL)`);
    return value;
  }
  const eks = /\.([a-z0-9-]+)\.eks\.amazonaws\.com(\.cn)?$/.exec(url.hostname);
  if (eks && region && REGION.test(region) && eks[1] !== region) {
    s.problem(`endpoint ${show(value)} is in region ${eks[1]} but region is ${region}; tokens are signed for the connection's region`);
  }
  return url.origin;
}

function checkCertificateAuthority(s: Section, value: string): void {
  if (value.trimStart().startsWith('-----BEGIN')) {
    return s.problem('certificateAuthorityData is a raw PEM; give it base64-encoded, as in a kubeconfig\'s certificate-authority-data');
  }
  const pem = BASE64.test(value) ? Buffer.from(value, 'base64').toString('latin1') : '';
  const block = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/.exec(pem);
  if (!block) {
    s.problem('certificateAuthorityData is not base64 of a PEM certificate; copy certificate-authority-data from the cluster\'s kubeconfig '
      + '(or `aws eks describe-cluster --query cluster.certificateAuthority.data`)');
  }
}

function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59
    && offsetOk && !Number.isNaN(Date.parse(value));
}

function reportDuplicates(out: string[], list: string, values: readonly (string | undefined)[], what = 'name'): void {
  values.forEach((v, i) => {
    const first = values.indexOf(v);
    if (v !== undefined && first < i) out.push(`${list}[${i}]: ${what} ${show(v)} is already used by ${list}[${first}]; ${what}s must be unique`);
  });
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

import type { AgentIdentity } from '../core/agent-identity';
import type { ApprovalGate } from '../core/approval';
import { approvalsNotConfiguredError, deniedApprovalError, pendingApprovalError, recordApprovalOf, type RefusalSettings } from '../core/approvals/approval-refusals';
import { approvalSubjectFor, type DescribedApprovalSubject } from '../core/approvals/approval-subject';
import type { RequestInfo } from '../core/request-info';
import type { ConnectionConfig } from '../core/gateway-config';
import type { ProxyRequest } from '../core/api-gateway-event';
import type { IndexHeads } from '../core/index-heads';
import type { GrantStore, RecordStore, ReplayBatchSink, ReplayStore, RoleAssumer, StreamLeases, TokenVerifier, UpstreamClient, UpstreamRequest } from '../core/ports';
import type { RecordIntent } from '../core/session-record';
import type { Grant } from '../core/grant';
import type { ClusterFacts, GuardVerdict, RequestGuard } from './request-guard';
import { classifyRequest, describeRequest } from '../core/classify-request';
import { mintEksToken } from '../core/eks-token';
import { ForbiddenError, GatehouseError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError, UnauthenticatedError } from '../core/errors';
import { identifyAgent } from '../core/identify-agent';
import { impersonatedUserFor } from '../core/impersonated-user';
import { matchGrant } from '../core/match-grant';
import { roleSessionFor } from '../core/role-session';
import { parseClusterPath } from '../core/safe-cluster-path';
import { parseGoDuration } from '../core/go-duration';
import { buildUpstreamHeaders, findClientImpersonation } from '../core/upstream-headers';
import { noGrantMessage, refuseUntransportable, type Transport } from './refusals';
import { RequestTrail } from './request-trail';
import { policyDecisionError } from '../core/policy/policy-decision-error';
import type { ClusterFactsReader } from './cluster-facts';
import type { StreamLimits } from './stream-limits';
import type { AwsProxyDependencies } from './aws/aws-proxy-dependencies';

/** Everything the proxy needs, injected once per Lambda container (or per test). */
export interface ProxyDependencies {
  readonly connections: ReadonlyMap<string, ConnectionConfig>;
  /** Names of the configured issuers: with several, a grant must name the issuer it is for. */
  readonly issuerNames: readonly string[];
  readonly limits: { readonly maxRequestBodyBytes: number; readonly upstreamTimeoutMs: number };
  /** Limits of streamed answers (watch, follow, answers past 6 MB). @default STREAM_LIMIT_DEFAULTS */
  readonly streamLimits?: StreamLimits;
  /** Counts each agent's open streams for `streamLimits.maxStreamsPerAgent`; absent, streams are not counted. */
  readonly streamLeases?: StreamLeases;
  readonly retentionDays: number;
  readonly verifier: TokenVerifier;
  readonly grants: GrantStore;
  readonly records: RecordStore;
  readonly replay: ReplayStore;
  /**
   * The replay delivery stream: blobs that fit one of its records go there instead of an S3 object each (the
   * replay store stays for larger blobs, stream parts, and when the stream refuses). Absent, every blob is an object.
   */
  readonly replayBatches?: ReplayBatchSink;
  /** Which records carry the by-agent and by-connection index keys (one per container); absent, every record does. */
  readonly indexHeads?: IndexHeads;
  readonly roles: RoleAssumer;
  readonly upstream: UpstreamClient;
  readonly guard: RequestGuard;
  /** Reads of the live object and the namespace that policy needs before it decides. */
  readonly clusterFacts: Pick<ClusterFactsReader, 'read'>;
  /** AWS connections (`/aws/<connection>`); absent when the configuration has none. */
  readonly aws?: AwsProxyDependencies;
  /** Human approval for requests policy sends to a person; undefined when approvals are not configured. */
  readonly approvals?: { readonly gate: ApprovalGate; readonly settings: RefusalSettings & HoldSettings };
  readonly now: () => Date;
  /** Structured log lines; never given a token, secret or body. `debug` is for what the records already hold. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Adds fields to every later log line of this request (agent, decision). */
  readonly annotate: (fields: Record<string, unknown>) => void;
  /** Counts and timings for metrics. */
  readonly metric: (name: string, value: number, unit: 'Count' | 'Milliseconds' | 'Bytes') => void;
}

/** How long a request waits for its approval. */
export interface HoldSettings {
  /** Seconds a streamed request is held open for the decision; 0 (or absent) answers pending at once. */
  readonly holdSeconds?: number;
}

/** A request that passed every check and is ready to go to the cluster, by any transport. */
export interface PreparedForward {
  readonly connection: ConnectionConfig;
  readonly request: RequestInfo;
  readonly query: URLSearchParams;
  readonly decision: GuardVerdict;
  /** Exactly what to send: the canonical path, Gatehouse's headers (EKS token, impersonation), the body. */
  readonly upstream: UpstreamRequest;
  /** What was read from the cluster for policy (the session front decides each forwarded port with it too). */
  readonly facts: ClusterFacts;
}

/**
 * Starts one request: identity first (nothing is recorded for an anonymous caller), then the trail that
 * records whatever happens next.
 */
export async function beginRequest(req: ProxyRequest, deps: ProxyDependencies): Promise<{ readonly identity: AgentIdentity; readonly trail: RequestTrail }> {
  const startedAt = deps.now();
  const identity = await authenticate(req, deps, startedAt);
  deps.annotate({ agent: identity.agent, issuer: identity.issuer, session: identity.session });
  return { identity, trail: new RequestTrail(deps, initialIntent(req, identity, startedAt, deps.retentionDays), req.body, req.headers) };
}

/**
 * What every transport shares: connection, path safety, classification, grant, policy (with the cluster reads
 * it needs), approval, a durable intent record, the scoped role and EKS token, and the upstream headers. Any
 * step that cannot be established throws before anything is sent to the cluster (fail closed). `admit` is the
 * transport's own last check (a cap on open streams), run after policy and approval and before the intent
 * record, so what it refuses is recorded as refused.
 */
export async function prepareForward(
  req: ProxyRequest, identity: AgentIdentity, trail: RequestTrail, deps: ProxyDependencies, transport: Transport,
  admit?: (request: RequestInfo) => Promise<void>,
): Promise<PreparedForward> {
  const connection = deps.connections.get(req.connection);
  if (!connection) {
    throw new NotFoundError(`Connection "${req.connection}" does not exist on this Gatehouse; check the server URL in your kubeconfig (…/k8s/<connection>).`);
  }
  const impersonation = findClientImpersonation(req.headers);
  if (impersonation.length) {
    throw new ForbiddenError(`Gatehouse does not accept client impersonation headers (${impersonation.join(', ')}); remove --as/--as-group and ask for a grant instead.`);
  }
  const { path, query, target } = parseClusterPath(req.clusterPath, req.rawQuery);
  const request = classifyRequest(req.method, path, query);
  trail.update({ path, query: query.toString(), request, summary: describeRequest(request) });
  refuseUntransportable(req, request, transport);
  if (req.body.length > deps.limits.maxRequestBodyBytes) {
    throw new PayloadTooLargeError(`The request body is ${req.body.length} bytes, over Gatehouse's limit of ${deps.limits.maxRequestBodyBytes}; split the manifest into smaller applies.`);
  }

  const grants = await readGrants(connection.name, deps);
  const match = matchGrant(grants, identity, request.namespace, deps.now(), { issuers: deps.issuerNames });
  if ('miss' in match) throw new ForbiddenError(noGrantMessage(identity, connection.name, request, match));
  trail.update({ grantId: match.grant.grantId });

  const contentType = header(req, 'content-type') ?? '';
  const inspection = deps.guard.inspect({ identity, connection: connection.name, request, contentType, body: req.body, query: query.toString() });
  const session = roleSessionFor(identity, connection);
  trail.update({ roleSessionName: session.roleSessionName });
  const impersonate = connection.impersonation?.enabled
    ? { user: impersonatedUserFor(identity, connection.impersonation), groups: match.grant.impersonateGroups ?? [] }
    : undefined;
  // Policy that must see the live object (a patch) or the namespace's labels reads them first, with the
  // same scoped role; nothing is written before the decision and the intent record.
  let token: string | undefined;
  const mint = async () => {
    const credentials = await deps.roles.credentialsFor(session);
    return mintEksToken({ credentials, clusterName: connection.clusterName, region: connection.region, now: deps.now() }).token;
  };
  let facts: ClusterFacts = {};
  if (inspection.needs.liveObject || inspection.needs.namespace) {
    token = await mint();
    facts = await deps.clusterFacts.read(inspection.needs, {
      connection, request, objectPath: livePathOf(target, request.subresource), bearerToken: token, impersonate, requestId: req.requestId, timeoutMs: deps.limits.upstreamTimeoutMs,
    });
    trail.update({ policyReads: [...(inspection.needs.liveObject ? ['object'] : []), ...(inspection.needs.namespace ? ['namespace'] : [])] });
  }
  const decision = inspection.decide(facts);
  trail.decide(decision);
  const refusal = policyDecisionError(decision);
  if (refusal) throw refusal;
  if (decision.effect === 'approve') {
    const subject = approvalSubjectFor({
      requestId: req.requestId, recordKey: trail.recordKey, identity, connection: connection.name, method: req.method, request, query, body: req.body, ruleId: decision.ruleId,
      ruleMessage: decision.message, contentType: header(req, 'content-type') ?? '', maskingPatterns: connection.maskingPatterns,
    });
    const held = await passApproval(subject, trail, deps, deps.approvals ? holdFor(transport, deps.approvals.settings, query) : 0);
    if (held) {
      // The grant may have been revoked (or run out) while a person decided: look again before anything runs.
      const again = matchGrant(await readGrants(connection.name, deps), identity, request.namespace, deps.now(), { issuers: deps.issuerNames });
      if ('miss' in again) throw new ForbiddenError(noGrantMessage(identity, connection.name, request, again));
    }
  }

  await admit?.(request);
  await trail.writeIntent();

  token ??= await mint();
  const body = decision.forwardBody ?? req.body;
  const headers = buildUpstreamHeaders(req.headers, {
    bearerToken: token,
    impersonate,
    forceJsonAccept: true,
    contentLength: body.length,
    // The cluster's audit log then carries Gatehouse's request id, so the two can be joined.
    auditId: req.requestId,
  });
  return { connection, request, query, decision, facts, upstream: { method: req.method, pathAndQuery: target, headers, body } };
}

/**
 * A request policy sends to a person goes on only with an approval that covers it: a one-time approval of
 * this exact request (used up here) or a just-in-time window. Otherwise an approval is opened (or the pending
 * one found) and, on a streamed transport, the request is held open until a person decides or the hold ends
 * (`approvals.holdSeconds`, never past the client's own `timeout`); still pending, the agent gets a 403 that
 * says what to do. The approval is noted on the request's record. Answers whether the request was held.
 * Shared by every protocol: the caller builds the subject and says how long its transport can hold.
 */
export async function passApproval(subject: DescribedApprovalSubject, trail: RequestTrail, deps: ProxyDependencies, holdMs: number): Promise<boolean> {
  if (!deps.approvals) throw approvalsNotConfiguredError(subject);
  let state = await deps.approvals.gate.check(subject);
  if (state.state === 'none') state = await deps.approvals.gate.open(subject);
  let heldMs = 0;
  if (state.state === 'pending' && holdMs > 0) {
    deps.log('info', 'request held for approval', { approvalId: state.approvalId, holdMs });
    const heldFrom = deps.now().getTime();
    state = await deps.approvals.gate.waitForDecision(subject, state.approvalId, new Date(heldFrom + holdMs));
    heldMs = Math.max(1, deps.now().getTime() - heldFrom);
  }
  trail.update({ approval: recordApprovalOf(state) });
  switch (state.state) {
    case 'approved':
      deps.annotate({ approvalId: state.approvalId });
      return heldMs > 0;
    case 'denied':
      throw deniedApprovalError(subject, state);
    case 'pending':
      throw pendingApprovalError(subject, state.approvalId, deps.approvals.settings, heldMs / 1000);
    default:
      throw new ServiceUnavailableError('Gatehouse could not open an approval for this request; retry shortly.', 2);
  }
}

/**
 * How long to hold a pending request: only a streamed response can stay open for minutes (a buffered one has
 * API Gateway's 29 s), and never so long that the client's own deadline (kubectl `--request-timeout`, sent as
 * `timeout`, read as the API server reads it) passes first: a quarter of it, at most 5 s, is left to answer.
 */
function holdFor(transport: Transport, settings: HoldSettings, query: URLSearchParams): number {
  if (transport !== 'streamed' && transport !== 'session') return 0;
  const configured = (settings.holdSeconds ?? 0) * 1000;
  const clientTimeout = parseGoDuration(query.get('timeout') ?? '');
  if (clientTimeout === undefined || clientTimeout <= 0) return configured;
  return Math.max(0, Math.min(configured, clientTimeout - Math.min(5000, clientTimeout / 4)));
}

async function authenticate(req: ProxyRequest, deps: ProxyDependencies, now: Date): Promise<AgentIdentity> {
  const authorization = header(req, 'authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) {
    deps.metric('unauthenticated', 1, 'Count');
    throw new UnauthenticatedError('No bearer token: send your OIDC token as "Authorization: Bearer <jwt>" (kubeconfig user.token or an exec credential plugin).');
  }
  try {
    const { claims, issuer } = await deps.verifier.verify(match[1]!);
    return identifyAgent(claims, issuer, now);
  } catch (error) {
    deps.metric('unauthenticated', 1, 'Count');
    deps.log('warn', 'token rejected', { reason: error instanceof GatehouseError ? error.message : errorName(error) });
    throw error;
  }
}

function initialIntent(req: ProxyRequest, identity: AgentIdentity, startedAt: Date, retentionDays: number): RecordIntent {
  return {
    requestId: req.requestId,
    startedAt,
    identity,
    connection: req.connection,
    method: req.method,
    path: req.clusterPath || '/',
    query: req.rawQuery,
    summary: `${req.method} ${req.clusterPath || '/'}`,
    decision: 'reject',
    sourceIp: req.sourceIp,
    userAgent: header(req, 'user-agent'),
    kubectlCommand: header(req, 'kubectl-command'),
    bytesIn: req.body.length,
    retentionDays,
  };
}

/**
 * Where the live object of a write is read: the object itself for `status` and `ephemeralcontainers` (whose
 * bodies are the whole object; the object is what the agent can already get), else the request's own path.
 */
function livePathOf(target: string, subresource: string): string {
  const path = target.split('?')[0]!;
  return (subresource === 'status' || subresource === 'ephemeralcontainers') && path.endsWith(`/${subresource}`)
    ? path.slice(0, -subresource.length - 1)
    : path;
}

/** The connection's grants; a store that cannot answer refuses the request (fail closed) with a 503 to retry. */
export function readGrants(connection: string, deps: ProxyDependencies): Promise<readonly Grant[]> {
  return deps.grants.grantsFor(connection).catch((error: unknown) => {
    deps.log('error', 'grant lookup failed', { error: errorName(error) });
    throw new ServiceUnavailableError('Gatehouse could not read grants, so it cannot tell whether you may reach this connection; retry shortly.', 2);
  });
}

function header(req: ProxyRequest, name: string): string | undefined {
  return req.headers[name]?.[0];
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

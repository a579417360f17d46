import { Readable } from 'node:stream';
import type { AgentIdentity } from '../../core/agent-identity';
import { awsApprovalSubjectFor } from '../../core/approvals/aws-approval-subject';
import type { AwsProxyRequest } from '../../core/aws/aws-proxy-request';
import type { AwsProtocol, AwsRequestInfo } from '../../core/aws/aws-request-info';
import { classifyAwsRequest } from '../../core/aws/classify-aws-request';
import { awsEndpointFor } from '../../core/aws/aws-endpoints';
import { upstreamAwsCall } from '../../core/aws/upstream-aws-call';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError, UpstreamResponseError } from '../../core/errors';
import type { AwsConnectionConfig } from '../../core/gateway-config';
import { matchGrant } from '../../core/match-grant';
import { policyDecisionError } from '../../core/policy/policy-decision-error';
import { roleSessionFor } from '../../core/role-session';
import type { RecordIntent } from '../../core/session-record';
import type { ProxyResponse } from '../../core/api-gateway-event';
import type { UpstreamStream } from '../../core/ports';
import { passApproval, readGrants, type ProxyDependencies } from '../prepare-forward';
import { RequestTrail } from '../request-trail';
import type { StreamedResponse } from '../stream-request';
import { STREAM_LIMIT_DEFAULTS } from '../stream-limits';
import type { AwsProxyDependencies } from './aws-proxy-dependencies';
import { authenticateAwsCall } from './authenticate-aws-call';
import { awsResponseHeaders, isObjectData, readWhole } from './aws-response';
import { awsRefusal, awsTrailProtocol, protocolOfRequest } from './aws-refusal';

/** Default longest hold of an AWS call for its approval: under the AWS CLI's 60 s read timeout. */
export const AWS_HOLD_SECONDS = 45;

/**
 * One AWS call, end to end, on the same core as a kubectl request: the SigV4 signature made with the agent's
 * Gatehouse session credential (which names the agent), the connection's service and region, the grant, the
 * classification, policy, approval, a durable intent record, the connection's role assumed for this call, the call
 * re-signed for the service's real endpoint, the answer masked, the record completed. Every refusal is answered in
 * the protocol's own error shape, so the SDK and the CLI print it; nothing here throws to the Kubernetes Status
 * middleware.
 */
export async function awsCall(req: AwsProxyRequest, deps: ProxyDependencies): Promise<StreamedResponse> {
  const aws = deps.aws;
  const guessed = protocolOfRequest(req);
  const connection = aws?.connections.get(req.connection);
  if (!aws || !connection) {
    return awsRefusal(new NotFoundError(`AWS connection "${req.connection}" does not exist on this Gatehouse; check AWS_ENDPOINT_URL (…/aws/<connection>).`), guessed, req.requestId, req.method).response;
  }
  const startedAt = deps.now();
  const auth = await authenticateAwsCall(req, connection, aws, deps);
  if ('refusal' in auth) return awsRefusal(auth.refusal, guessed, req.requestId, req.method).response;
  const { identity, service, region } = auth;
  deps.annotate({ agent: identity.agent, issuer: identity.issuer, session: identity.session });

  let info: AwsRequestInfo | undefined;
  const protocol = (): AwsProtocol => info?.protocol ?? guessed;
  const trail = new RequestTrail(deps, initialIntent(req, identity, startedAt, deps.retentionDays), req.body, req.headers,
    awsTrailProtocol(() => info, protocol, { connection: connection.name, method: req.method, guard: deps.guard }));
  try {
    const classified = classifyAwsRequest({
      method: req.method, path: req.callPath, query: req.query, headers: req.headers, body: req.body, service, region, accountId: connection.accountId,
    });
    info = classified;
    trail.update({ summary: classified.summary, aws: { service: classified.service, region: classified.region, action: classified.action, resources: classified.resources } });
    if (req.body.length > deps.limits.maxRequestBodyBytes) {
      throw new PayloadTooLargeError(`The request body is ${req.body.length} bytes, over Gatehouse's limit of ${deps.limits.maxRequestBodyBytes}; upload large S3 objects in parts (multipart upload) below it.`);
    }
    await requireGrant(identity, connection.name, deps, trail);
    const unmask = await decide(req, identity, connection, classified, trail, deps, aws);
    await trail.writeIntent();

    const session = roleSessionFor(identity, connection);
    trail.update({ roleSessionName: session.roleSessionName });
    const credentials = await deps.roles.credentialsFor(session);
    const outgoing = upstreamAwsCall({
      call: { method: req.method, path: req.callPath, query: req.query, headers: req.headers, body: req.body },
      service, region, endpoint: awsEndpointFor(connection, service, region), credentials, now: deps.now(),
    });
    const upstream = await aws.upstream.open(outgoing, { timeoutMs: deps.limits.upstreamTimeoutMs, idleTimeoutMs: deps.limits.upstreamTimeoutMs });
    trail.upstreamAnswered(upstream.status, upstream.latencyMs);
    return await answer(upstream, req.method, classified, connection, trail, deps, unmask);
  } catch (error) {
    const refusal = awsRefusal(error, protocol(), req.requestId, req.method, info?.service);
    await trail.refused(error);
    return refusal.response;
  }
}

/** The grant, read again on every call: a credential is good for an hour, a revoked grant stops it within seconds. */
async function requireGrant(identity: AgentIdentity, connection: string, deps: ProxyDependencies, trail: RequestTrail): Promise<void> {
  const match = matchGrant(await readGrants(connection, deps), identity, '', deps.now(), { issuers: deps.issuerNames });
  if ('miss' in match) {
    throw new ForbiddenError(`No grant lets ${identity.agent} (${identity.issuer}) call AWS through "${connection}" now; ask an operator for one (gatehouse grants add).`);
  }
  trail.update({ grantId: match.grant.grantId });
}

/** Policy, then a person if policy says so; throws the refusal. Answers whether a rule lets the answer through unmasked. */
async function decide(
  req: AwsProxyRequest, identity: AgentIdentity, connection: AwsConnectionConfig, info: AwsRequestInfo, trail: RequestTrail,
  deps: ProxyDependencies, aws: AwsProxyDependencies,
): Promise<boolean> {
  if (!deps.guard.decideAws) throw new ServiceUnavailableError('This Gatehouse has no policy for AWS calls loaded, so it cannot decide; ask the operator to redeploy.', 30);
  const decision = deps.guard.decideAws({ identity, connection: connection.name, info, method: req.method, path: req.callPath });
  trail.decide(decision);
  const refusal = policyDecisionError(decision);
  if (refusal) throw refusal;
  if (decision.effect !== 'approve') return decision.unmaskSecrets;
  const contentType = req.headers['content-type']?.[0] ?? '';
  const masked = deps.guard.maskAws?.({ connection: connection.name, info, status: 0, contentType, body: req.body, unmask: false }).body ?? Buffer.alloc(0);
  const subject = awsApprovalSubjectFor({
    requestId: req.requestId, recordKey: trail.recordKey, identity, connection: connection.name, method: req.method, path: req.callPath, query: req.query, contentType, info,
    body: req.body, maskedBody: masked, ruleId: decision.ruleId, ruleMessage: decision.message, maskingPatterns: connection.maskingPatterns,
  });
  // Held as long as the deployment holds kubectl requests (0: answer "pending" at once), never past what the AWS CLI waits.
  const holdSeconds = Math.min(deps.approvals?.settings.holdSeconds ?? AWS_HOLD_SECONDS, aws.holdSeconds ?? AWS_HOLD_SECONDS);
  const held = await passApproval(subject, trail, deps, holdSeconds * 1000);
  if (held) await requireGrant(identity, connection.name, deps, trail);
  return decision.unmaskSecrets;
}

/**
 * The service's answer: S3 object data is passed on as it comes (masking cannot read arbitrary bytes, and a replay
 * blob is no place for them: the record keeps status, headers and size); everything else (JSON, XML, error bodies)
 * is read whole, masked, and its masked form recorded.
 */
async function answer(
  upstream: UpstreamStream, method: string, info: AwsRequestInfo, connection: AwsConnectionConfig, trail: RequestTrail, deps: ProxyDependencies, unmask: boolean,
): Promise<StreamedResponse> {
  const headers = awsResponseHeaders(upstream.headers);
  if (isObjectData(info, upstream.status)) {
    let bytes = 0;
    const counted = Readable.from((async function* () {
      for await (const chunk of upstream.body) {
        bytes += chunk.length;
        yield chunk;
      }
    })());
    return {
      status: upstream.status, headers, body: counted,
      afterResponse: () => trail.passedThrough(upstream.status, headers, bytes, 'S3 object data is passed through, not kept').catch(() => undefined),
    };
  }
  const body = await readWhole(upstream, (deps.streamLimits ?? STREAM_LIMIT_DEFAULTS).maxResponseBytes).catch((error: unknown) => {
    upstream.abort();
    throw error instanceof UpstreamResponseError ? error : new ServiceUnavailableError(`${info.service} stopped answering mid-way; retry.`, 1);
  });
  const masked = deps.guard.maskAws!({ connection: connection.name, info, status: upstream.status, contentType: headers['content-type'] ?? '', body, unmask });
  // A HEAD answer's length is the object's (HeadObject's ContentLength), not that of the empty body.
  const length: Record<string, string> = method === 'HEAD' ? {} : { 'content-length': String(masked.body.length) };
  const response: ProxyResponse = { status: upstream.status, headers: { ...(masked.body === body ? headers : withoutBodyChecksums(headers)), ...length }, body: masked.body };
  // An unmasked answer is masked again for the replay blob (the trail does it): secrets never reach storage.
  return { ...response, afterResponse: () => trail.completed(response, masked.counts, unmask).catch(() => undefined) };
}

/**
 * A masked body no longer has the service's checksums: botocore checks DynamoDB's `x-amz-crc32` and the SDKs an
 * S3 `x-amz-checksum-*`, and a stale one would fail the call. The masked body is what Gatehouse vouches for.
 */
function withoutBodyChecksums(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'x-amz-crc32' && !name.startsWith('x-amz-checksum-') && name !== 'content-md5'));
}

function initialIntent(req: AwsProxyRequest, identity: AgentIdentity, startedAt: Date, retentionDays: number): RecordIntent {
  const query = new URLSearchParams(req.query.map(([k, v]): [string, string] => [k, v])).toString();
  return {
    requestId: req.requestId,
    startedAt,
    identity,
    connection: req.connection,
    method: req.method,
    path: req.callPath,
    query,
    summary: `${req.method} ${req.callPath}`,
    decision: 'reject',
    sourceIp: req.sourceIp,
    userAgent: req.headers['user-agent']?.[0],
    bytesIn: req.body.length,
    retentionDays,
  };
}

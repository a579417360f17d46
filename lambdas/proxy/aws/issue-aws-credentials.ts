import type { AwsProxyRequest } from '../../core/aws/aws-proxy-request';
import { mintSessionCredential } from '../../core/aws/session-credentials';
import { BadRequestError, ForbiddenError, GatehouseError, NotFoundError, ServiceUnavailableError, UnauthenticatedError } from '../../core/errors';
import { identifyAgent } from '../../core/identify-agent';
import { toKubeStatus } from '../../core/kube-status';
import { matchGrant } from '../../core/match-grant';
import type { ProxyResponse } from '../../core/api-gateway-event';
import type { ProxyDependencies } from '../prepare-forward';
import { RequestTrail } from '../request-trail';

/** What `gatehouse-aws-credentials` prints for the SDK: the `credential_process` output format. */
export interface CredentialProcessOutput {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  /** ISO 8601; the SDKs and the CLI run the process again shortly before it. */
  readonly Expiration: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/**
 * `POST /aws-credentials/<connection>`: the agent's OIDC token in, a Gatehouse session credential for one AWS
 * connection out, as STS's AssumeRoleWithWebIdentity hands out a session for a web identity token. The agent must
 * hold a grant on the connection now; every call made with the credential is checked again (grant, policy), so
 * revoking the grant stops the credential within the grant cache's seconds, not at its expiry.
 *
 * Answers are for `gatehouse-aws-credentials`, not the AWS SDK: errors are Kubernetes Status objects like every
 * other Gatehouse refusal, and the process prints their message. Issuing is recorded (who, which connection,
 * when) but the credential itself never is: the replay blob notes it was left out.
 */
export async function issueAwsCredentials(req: AwsProxyRequest, deps: ProxyDependencies): Promise<ProxyResponse & { readonly afterResponse?: () => Promise<void> }> {
  const aws = deps.aws;
  const connection = aws?.connections.get(req.connection);
  if (!aws || !connection) {
    return statusResponse(new NotFoundError(`AWS connection "${req.connection}" does not exist on this Gatehouse; check --connection (ask the operator for the AWS connection names).`), req.requestId);
  }
  if (req.method !== 'POST') return statusResponse(new BadRequestError('Ask for AWS credentials with POST (gatehouse-aws-credentials does).'), req.requestId);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers['authorization']?.[0] ?? '');
  if (!bearer) {
    deps.metric('unauthenticated', 1, 'Count');
    return statusResponse(new UnauthenticatedError('No bearer token: gatehouse-aws-credentials sends your OIDC token as "Authorization: Bearer <jwt>"; check --token-file.'), req.requestId);
  }
  const startedAt = deps.now();
  let identity;
  try {
    const { claims, issuer } = await deps.verifier.verify(bearer[1]!);
    identity = identifyAgent(claims, issuer, startedAt);
  } catch (error) {
    deps.metric('unauthenticated', 1, 'Count');
    deps.log('warn', 'token rejected', { reason: error instanceof GatehouseError ? error.message : 'Error' });
    return statusResponse(error, req.requestId);
  }
  deps.annotate({ agent: identity.agent, issuer: identity.issuer, session: identity.session });
  const trail = new RequestTrail(deps, {
    requestId: req.requestId, startedAt, identity, connection: connection.name, method: req.method, path: '/aws-credentials', query: '',
    summary: `issue an AWS session credential for ${connection.name}`, decision: 'reject', sourceIp: req.sourceIp,
    userAgent: req.headers['user-agent']?.[0], bytesIn: req.body.length, retentionDays: deps.retentionDays,
  });
  try {
    const grants = await deps.grants.grantsFor(connection.name).catch(() => {
      throw new ServiceUnavailableError('Gatehouse could not read grants, so it cannot tell whether you may reach this connection; retry shortly.', 2);
    });
    const match = matchGrant(grants, identity, '', deps.now(), { issuers: deps.issuerNames });
    if ('miss' in match) {
      throw new ForbiddenError(`No grant lets ${identity.agent} (${identity.issuer}) use AWS connection "${connection.name}" now; ask an operator for one (gatehouse grants add).`);
    }
    trail.update({ grantId: match.grant.grantId, decision: 'allow' });
    const keys = await aws.credentialKeys().catch(() => {
      throw new ServiceUnavailableError('Gatehouse could not read its credential key, so it cannot issue AWS credentials; retry shortly.', 5);
    });
    await trail.writeIntent();
    const credential = mintSessionCredential({ key: keys.current, identity, connection: connection.name, now: deps.now(), lifetimeSeconds: aws.credentialLifetimeSeconds });
    const output: CredentialProcessOutput = {
      Version: 1, AccessKeyId: credential.accessKeyId, SecretAccessKey: credential.secretAccessKey, SessionToken: credential.sessionToken,
      Expiration: credential.expiration.toISOString(),
    };
    const body = Buffer.from(JSON.stringify(output));
    deps.metric('aws_credentials_issued', 1, 'Count');
    return {
      status: 200, headers: JSON_HEADERS, body,
      afterResponse: () => trail.passedThrough(200, JSON_HEADERS, body.length, 'the session credential is never kept').catch(() => undefined),
    };
  } catch (error) {
    await trail.refused(error);
    return statusResponse(error, req.requestId);
  }
}

function statusResponse(error: unknown, requestId: string): ProxyResponse {
  const status = toKubeStatus(error, requestId);
  return { status: status.code, headers: JSON_HEADERS, body: Buffer.from(JSON.stringify(status)) };
}

import type { AgentIdentity } from '../../core/agent-identity';
import type { AwsProxyRequest } from '../../core/aws/aws-proxy-request';
import { verifyAwsCall } from '../../core/aws/verify-aws-call';
import type { AwsConnectionConfig } from '../../core/gateway-config';
import type { ProxyDependencies } from '../prepare-forward';
import type { AwsProxyDependencies } from './aws-proxy-dependencies';
import { AwsRefusalError } from './aws-refusal';

/** Who signed the call and what for, or the refusal the caller answers with. */
export type AwsAuthentication =
  | { readonly identity: AgentIdentity; readonly service: string; readonly region: string }
  | { readonly refusal: AwsRefusalError };

/**
 * The call's SigV4 signature, checked against the secret of the Gatehouse session credential it names (the
 * session token says who the agent is; only that agent was handed the secret), within the clock window, for one
 * of the connection's services and regions. Nothing is recorded for a call that fails here: its caller is not
 * known, as for a kubectl request without a valid token; it is logged and counted.
 */
export async function authenticateAwsCall(
  req: AwsProxyRequest, connection: AwsConnectionConfig, aws: AwsProxyDependencies, deps: Pick<ProxyDependencies, 'now' | 'log' | 'metric'>,
): Promise<AwsAuthentication> {
  let keys;
  try {
    keys = await aws.credentialKeys();
  } catch (error) {
    deps.log('error', 'AWS credential key unreadable', { error: error instanceof Error ? error.name : 'Error' });
    return { refusal: new AwsRefusalError('upstream-unreachable', 503, 'ServiceUnavailable', 'Gatehouse could not read its credential key, so it cannot check this call; retry shortly.') };
  }
  const verified = verifyAwsCall(
    { method: req.method, signedPath: req.signedPath, query: req.query, headers: req.headers, body: req.body },
    {
      now: deps.now(), maxClockSkewSeconds: aws.maxClockSkewSeconds, keys: (kid) => keys.byId.get(kid), connection: connection.name,
      allowedServices: connection.services, allowedRegions: connection.regions,
    },
  );
  if (!verified.ok) {
    deps.metric('unauthenticated', 1, 'Count');
    deps.log('warn', 'AWS call refused before identity', { code: verified.code });
    return { refusal: new AwsRefusalError(verified.kind, verified.kind === 'expired-token' ? 400 : 403, verified.code, verified.message) };
  }
  return { identity: verified.identity, service: verified.service, region: verified.region };
}

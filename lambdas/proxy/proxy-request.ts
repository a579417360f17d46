import type { ProxyRequest, ProxyResponse } from '../core/api-gateway-event';
import { fitsLambdaPayload, LAMBDA_RESPONSE_LIMIT_BYTES } from '../core/api-gateway-event';
import { UpstreamResponseError } from '../core/errors';
import { responseHeadersForClient } from '../core/upstream-headers';
import { tooLargeMessage } from '../adapters/https-upstream-client';
import { beginRequest, prepareForward, type ProxyDependencies } from './prepare-forward';

export type { ProxyDependencies } from './prepare-forward';

/**
 * One kubectl request, end to end, answered in one piece: identity, connection, path safety, classification,
 * grant, policy, a durable intent record, the scoped role, the EKS token, the cluster, masking, completion.
 * Any step that cannot be established stops the request before it reaches the cluster (fail closed), and every
 * refusal where the agent is known is recorded.
 */
export async function proxyRequest(req: ProxyRequest, deps: ProxyDependencies): Promise<ProxyResponse> {
  const { identity, trail } = await beginRequest(req, deps);
  try {
    const { connection, request, decision, upstream: outgoing } = await prepareForward(req, identity, trail, deps, 'buffered');
    // Forward the canonical re-encoding of the path that was checked and classified, never the raw one.
    const upstream = await deps.upstream.send(connection, outgoing, { timeoutMs: deps.limits.upstreamTimeoutMs, maxResponseBytes: LAMBDA_RESPONSE_LIMIT_BYTES });
    trail.upstreamAnswered(upstream.status, upstream.latencyMs);
    const responseHeaders = responseHeadersForClient(upstream.headers);
    const responseType = responseHeaders['content-type'] ?? '';
    const masked = deps.guard.mask({ connection: connection.name, body: upstream.body, contentType: responseType, request, unmaskSecrets: decision.unmaskSecrets });
    const response: ProxyResponse = { status: upstream.status, headers: responseHeaders, body: masked.body };
    if (!fitsLambdaPayload(response)) throw new UpstreamResponseError(tooLargeMessage(LAMBDA_RESPONSE_LIMIT_BYTES));
    await trail.completed(response, masked.counts, decision.unmaskSecrets);
    return response;
  } catch (error) {
    await trail.refused(error);
    throw error;
  }
}

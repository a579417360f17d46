import type WebSocket from 'ws';
import type { ProxyRequest } from '../core/api-gateway-event';
import type { AgentIdentity } from '../core/agent-identity';
import { BadRequestError } from '../core/errors';
import { toKubeStatus } from '../core/kube-status';
import { relayableProtocols } from '../core/remote-command';
import type { RequestInfo } from '../core/request-info';
import type { SessionDialer } from '../adapters/websocket-session-dialer';
import type { LiveSessionRegistry } from '../core/ports';
import { takeAgentLease } from '../proxy/agent-lease';
import { beginRequest, prepareForward, type PreparedForward, type ProxyDependencies } from '../proxy/prepare-forward';
import type { RequestTrail } from '../proxy/request-trail';

/** Limits of upgraded sessions. */
export interface SessionLimits {
  /** Concurrent sessions per agent (across connections); one more is a 429. @default 5 */
  readonly maxSessionsPerAgent: number;
  /** A session is ended after this long. @default 14400 (4 h) */
  readonly maxSessionSeconds: number;
  /** How often a live session checks the grant, the token's expiry and an operator's end. @default 5 */
  readonly checkSeconds: number;
}

/** Defaults of {@link SessionLimits}. */
export const SESSION_LIMIT_DEFAULTS: SessionLimits = { maxSessionsPerAgent: 5, maxSessionSeconds: 4 * 3600, checkSeconds: 5 };

/** What the session front needs beyond the proxy's dependencies. */
export interface SessionFrontDependencies extends ProxyDependencies {
  readonly dialer: SessionDialer;
  readonly sessionLimits: SessionLimits;
  /** Where open sessions are listed for operators (`gatehouse sessions live`, `end`); absent, they are not. */
  readonly liveSessions?: LiveSessionRegistry;
}

/** A session the cluster accepted: the relay takes it from here. */
export interface AcceptedSession {
  readonly kind: 'open';
  readonly identity: AgentIdentity;
  readonly trail: RequestTrail;
  readonly prepared: PreparedForward;
  readonly upstream: WebSocket;
  readonly protocol: string;
  /** Gives back the agent's place under the session cap; call once the session ended. */
  readonly release: () => Promise<void>;
}

/** An answer instead of an upgrade: Gatehouse's refusal or the cluster's, written as an HTTP response. */
export interface RefusedSession {
  readonly kind: 'refused';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * Decides and opens one upgraded session (exec, attach, port-forward) through the same path as every request:
 * identity, connection, classification, grant, policy (a session is held for a person like any request),
 * the per-agent session cap, the durable intent record, the scoped role and the EKS token; then dials the
 * cluster with the subprotocols kubectl offered that Gatehouse can relay. A SPDY upgrade (kubectl's fallback
 * after a failed WebSocket upgrade) is decided too, so kubectl prints policy's answer, and then refused with
 * what to do. Nothing reaches the cluster unless every step held (fail closed).
 */
export async function openSession(req: ProxyRequest, deps: SessionFrontDependencies): Promise<AcceptedSession | RefusedSession> {
  let identity: AgentIdentity;
  let trail: RequestTrail;
  try {
    ({ identity, trail } = await beginRequest(req, deps));
  } catch (error) {
    return refusal(error, req.requestId);
  }
  const webSocket = (req.headers['upgrade']?.[0] ?? '').toLowerCase() === 'websocket';
  let protocols: string[] = [];
  let release = async () => undefined as void;
  const admit = async (request: RequestInfo) => {
    if (!webSocket) {
      throw new BadRequestError(
        'Gatehouse carries exec, attach, cp and port-forward over WebSocket only, and this client asked for SPDY. '
          + 'Use kubectl 1.31 or newer without KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false or KUBECTL_PORT_FORWARD_WEBSOCKETS=false.',
      );
    }
    protocols = relayableProtocols(req.headers['sec-websocket-protocol'] ?? [], request.subresource);
    if (!protocols.length) {
      throw new BadRequestError(
        request.subresource === 'portforward'
          ? 'Gatehouse relays port-forward as kubectl 1.31+ sends it (SPDY/3.1+portforward.k8s.io over WebSocket); this client offered none of it.'
          : 'Gatehouse relays exec and attach over the v5.channel.k8s.io and v4.channel.k8s.io WebSocket protocols; this client offered neither. Use kubectl 1.31 or newer.',
      );
    }
    const lease = await takeAgentLease(identity, req.requestId, deps, { kind: 'session', cap: deps.sessionLimits.maxSessionsPerAgent, maxSeconds: deps.sessionLimits.maxSessionSeconds });
    if (lease) release = () => lease.release();
  };
  let prepared: PreparedForward;
  try {
    prepared = await prepareForward(req, identity, trail, deps, webSocket ? 'session' : 'session-fallback', admit);
  } catch (error) {
    await release();
    await trail.refused(error);
    return refusal(error, req.requestId);
  }
  try {
    const dialed = await deps.dialer.dial(prepared.connection, prepared.upstream, protocols, { timeoutMs: deps.limits.upstreamTimeoutMs });
    trail.upstreamAnswered(dialed.kind === 'open' ? 101 : dialed.status, dialed.latencyMs);
    if (dialed.kind === 'refused') {
      await release();
      const response = { status: dialed.status, headers: dialed.headers, body: dialed.body };
      await trail.completed(response, {}, false);
      return { kind: 'refused', ...response };
    }
    return { kind: 'open', identity, trail, prepared, upstream: dialed.socket, protocol: dialed.protocol, release };
  } catch (error) {
    await release();
    await trail.refused(error);
    return refusal(error, req.requestId);
  }
}

/** A refusal as the HTTP answer to an upgrade: the Status kubectl prints. */
export function refusal(error: unknown, requestId: string): RefusedSession {
  const status = toKubeStatus(error, requestId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status.details?.retryAfterSeconds) headers['retry-after'] = String(status.details.retryAfterSeconds);
  return { kind: 'refused', status: status.code, headers, body: Buffer.from(JSON.stringify(status)) };
}

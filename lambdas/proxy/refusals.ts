import type { AgentIdentity } from '../core/agent-identity';
import type { ProxyRequest } from '../core/api-gateway-event';
import type { GrantMatch } from '../core/match-grant';
import type { RequestInfo } from '../core/request-info';
import { BadRequestError } from '../core/errors';
import { queryBool } from '../core/query-bool';
import { parseClusterPath } from '../core/safe-cluster-path';

const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** What the session front upgrades: a pod's exec, attach and port-forward (not `proxy`, which is plain HTTP to a pod). */
export const SESSION_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

/**
 * How the answer travels: in one piece, streamed (API Gateway response streaming), or as an upgraded session on
 * the session front: `session` for a WebSocket upgrade, `session-fallback` for the SPDY upgrade kubectl tries
 * after a WebSocket upgrade failed (decided like any request, so kubectl prints the policy's answer, and never
 * held for approval a second time).
 */
export type Transport = 'buffered' | 'streamed' | 'session' | 'session-fallback';

/**
 * True for requests whose answer is a stream that stays open: a watch, or logs with `follow` (read as the server
 * decodes PodLogOptions and the query as Go's url.ParseQuery does, so `follow=yes`, `follow=on` and a bare
 * `follow=` follow too).
 */
export function isOpenStream(req: ProxyRequest, request: RequestInfo): boolean {
  if (request.verb === 'watch') return true;
  const { query } = parseClusterPath('/', req.rawQuery);
  return request.subresource === 'log' && queryBool(query, 'follow');
}

/**
 * Refuses what the transport cannot carry, with a message that says what to do instead: connection upgrades
 * (exec, attach, port-forward, proxy), which cannot pass through API Gateway and Lambda at all, and, on the
 * buffered transport, streams (watch, follow).
 */
export function refuseUntransportable(req: ProxyRequest, request: RequestInfo, transport: Transport): void {
  const upgrade = req.headers['upgrade']?.[0] ?? req.headers['connection']?.find((v) => /upgrade/i.test(v));
  if (transport === 'session' || transport === 'session-fallback') {
    if (request.resource === 'pods' && !request.apiGroup && SESSION_SUBRESOURCES.has(request.subresource) && request.name) return;
    throw new BadRequestError(
      `Gatehouse's session front upgrades only pods/exec, pods/attach and pods/portforward; ${request.subresource ? `${request.resource}/${request.subresource}` : 'this request'} cannot be upgraded.`,
    );
  }
  if (upgrade || STREAMING_SUBRESOURCES.has(request.subresource)) {
    throw new BadRequestError(
      `${request.subresource || 'Upgraded connections'} cannot go through Gatehouse's API Gateway endpoint (no WebSocket/SPDY streams through API Gateway and Lambda); ` +
        'use the session front\'s server URL instead (sessionFront.enabled in the Gatehouse configuration; `gatehouse kubeconfig` writes a kubeconfig for it).',
    );
  }
  if (transport === 'streamed') return;
  if (request.verb === 'watch') {
    throw new BadRequestError('Watching is not supported through Gatehouse\'s buffered endpoint; run the command without --watch/-w and poll instead.');
  }
  if (isOpenStream(req, request)) {
    throw new BadRequestError('Following logs is not supported through Gatehouse\'s buffered endpoint; run kubectl logs without -f (use --since or --tail to page).');
  }
}

/** {@link refuseUntransportable} for the buffered transport. */
export function refuseUnbufferable(req: ProxyRequest, request: RequestInfo): void {
  refuseUntransportable(req, request, 'buffered');
}

/** The 403 message when no grant lets the agent reach the connection. */
export function noGrantMessage(identity: AgentIdentity, connection: string, request: RequestInfo, match: Exclude<GrantMatch, { grant: unknown }>): string {
  const who = `agent "${identity.agent}" (issuer ${identity.issuer})`;
  switch (match.miss) {
    case 'expired':
      return `The grant for ${who} on connection "${connection}" has expired; ask a Gatehouse operator to renew it.`;
    case 'namespace':
      return request.namespace
        ? `The grant for ${who} on connection "${connection}" does not cover namespace "${request.namespace}" (it covers ${match.namespaces?.join(', ')}); use -n with a granted namespace or ask for a wider grant.`
        : `The grant for ${who} on connection "${connection}" is limited to namespaces ${match.namespaces?.join(', ')}; cluster-wide requests need an unrestricted grant. Use -n <namespace>.`;
    case 'issuer':
      return `The grant for ${who} on connection "${connection}" names no issuer, and this Gatehouse trusts several, so it matches no one; ask a Gatehouse operator to re-create it with --issuer ${identity.issuer}.`;
    default:
      return `${who[0]!.toUpperCase()}${who.slice(1)} has no grant on connection "${connection}"; ask a Gatehouse operator for one (gatehouse grants add).`;
  }
}

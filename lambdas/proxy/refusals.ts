import type { AgentIdentity } from '../core/agent-identity';
import type { ProxyRequest } from '../core/api-gateway-event';
import type { GrantMatch } from '../core/match-grant';
import type { RequestInfo } from '../core/request-info';
import { BadRequestError } from '../core/errors';
import { queryBool } from '../core/query-bool';
import { parseClusterPath } from '../core/safe-cluster-path';

const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * Refuses what a buffered Lambda cannot carry, with a message that says what to do instead: streams
 * (watch, follow) and connection upgrades (exec, attach, port-forward). WebSocket and SPDY upgrades cannot
 * pass through API Gateway and Lambda at all.
 */
export function refuseUnbufferable(req: ProxyRequest, request: RequestInfo): void {
  const upgrade = req.headers['upgrade']?.[0] ?? req.headers['connection']?.find((v) => /upgrade/i.test(v));
  if (upgrade || STREAMING_SUBRESOURCES.has(request.subresource)) {
    throw new BadRequestError(
      `${request.subresource || 'Upgraded connections'} cannot go through Gatehouse's buffered endpoint (no WebSocket/SPDY streams through API Gateway and Lambda); ` +
        'use kubectl get/describe/logs instead.',
    );
  }
  if (request.verb === 'watch') {
    throw new BadRequestError('Watching is not supported through Gatehouse\'s buffered endpoint; run the command without --watch/-w and poll instead.');
  }
  // The query as Go's url.ParseQuery reads it (the parse classification used), and `follow` as the server
  // decodes PodLogOptions: `follow=yes`, `follow=on` and a bare `follow=` stream too.
  const { query } = parseClusterPath('/', req.rawQuery);
  if (request.subresource === 'log' && queryBool(query, 'follow')) {
    throw new BadRequestError('Following logs is not supported through Gatehouse\'s buffered endpoint; run kubectl logs without -f (use --since or --tail to page).');
  }
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

import type { ConnectionConfig } from '../lambdas/core/gateway-config';
import type { GrantItem } from '../lambdas/core/grant';
import type { LiveSessionEntry } from '../lambdas/core/ports';
import { decisionLabel, formatBytes, formatDuration, formatTime, list, maskedSummary, statusText, truncate } from './format';
import { fateOf, FATE_LABELS, refusedByCluster, type SessionSummary } from './session-summary';
import { renderFields, renderTable } from './table';
import { commandLine } from './transcript';
import type { Integrity, RequestRecord } from './types';

/** `gatehouse grants list`. */
export function grantsTable(items: readonly GrantItem[], now: Date): string {
  return renderTable(
    [{ header: 'grant' }, { header: 'connection' }, { header: 'principal' }, { header: 'issuer' }, { header: 'namespaces' }, { header: 'expires' }, { header: 'source' }, { header: 'created by' }, { header: 'created' }],
    items.map((g) => [
      g.grantId, g.connection, `${g.principalType}:${g.principal}`, g.issuer ?? 'any', list(g.namespaces, 'all'),
      g.expiresAt ? `${formatTime(g.expiresAt)}${Date.parse(g.expiresAt) <= now.getTime() ? ' (expired)' : ''}` : 'never',
      g.source, g.createdBy, formatTime(g.createdAt),
    ]),
  );
}

/** `gatehouse sessions live`. */
export function liveSessionsTable(entries: readonly LiveSessionEntry[], now: Date): string {
  return renderTable(
    [{ header: 'request' }, { header: 'agent' }, { header: 'connection' }, { header: 'what' }, { header: 'since' }, { header: 'open for' }, { header: 'end asked by' }],
    entries.map((e) => [e.requestId, e.agent, e.connection, truncate(e.summary, 80), formatTime(e.startedAt), formatDuration(now.getTime() - Date.parse(e.startedAt)), e.endRequestedBy ?? '']),
  );
}

/** `gatehouse connections list`, with full settings when known. */
export function connectionsTable(connections: readonly ConnectionConfig[], servers: ReadonlyMap<string, string>): string {
  return renderTable(
    [{ header: 'name' }, { header: 'cluster' }, { header: 'region' }, { header: 'role' }, { header: 'impersonation' }, { header: 'server' }, { header: 'description' }],
    connections.map((c) => [
      c.name, c.clusterName, c.region, c.roleArn,
      c.impersonation?.enabled ? `on (user ${c.impersonation.userPrefix ?? 'gatehouse:'}<issuer>:<agent>)` : 'off',
      servers.get(c.name) ?? '-', c.description ?? '',
    ]),
  );
}

/** `gatehouse connections list` when only names and server URLs are known (stack outputs). */
export function serversTable(servers: ReadonlyMap<string, string>): string {
  return renderTable([{ header: 'name' }, { header: 'server' }], [...servers].sort(([a], [b]) => a.localeCompare(b)).map(([name, url]) => [name, url]));
}

/**
 * `gatehouse sessions list`. A `refused by cluster` column (requests Gatehouse let through that the
 * cluster answered with 403) follows `allowed` when any listed session has one; otherwise the table
 * keeps its usual columns. `--json` always has `refusedByCluster`.
 */
export function sessionsTable(sessions: readonly SessionSummary[]): string {
  const n = (value: number) => String(value);
  const refusals = sessions.some((s) => s.refusedByCluster > 0);
  return renderTable(
    [
      { header: 'session' }, { header: 'agent' }, { header: 'issuer' }, { header: 'connections' }, { header: 'first' }, { header: 'last' },
      { header: 'requests', align: 'right' }, { header: 'allowed', align: 'right' },
      ...(refusals ? [{ header: 'refused by cluster', align: 'right' as const }] : []),
      { header: 'denied', align: 'right' }, { header: 'held', align: 'right' }, { header: 'failed', align: 'right' },
    ],
    sessions.map((s) => [
      s.session, s.agent, s.issuer, s.connections.join(','), formatTime(s.first), formatTime(s.last), n(s.requests), n(s.allowed),
      ...(refusals ? [n(s.refusedByCluster)] : []), n(s.denied), n(s.held), n(s.failed),
    ]),
  );
}

/** `gatehouse sessions requests`: one line per request. */
export function requestsTable(records: readonly RequestRecord[]): string {
  return renderTable(
    [{ header: 'started' }, { header: 'request' }, { header: 'agent' }, { header: 'connection' }, { header: 'command' }, { header: 'result' }, { header: 'status' }, { header: 'time', align: 'right' }],
    records.map((r) => [
      formatTime(r.startedAt), r.requestId, r.agent ?? '-', r.connection ?? '-', truncate(commandLine(r), 60), FATE_LABELS[fateOf(r)],
      r.status === undefined ? '-' : String(r.status), formatDuration(r.latencyMs),
    ]),
  );
}

/** `gatehouse sessions show <request-id>`: every fact of one request. */
export function recordDetails(r: RequestRecord, integrity: Integrity | undefined): string {
  const classification = r.resource
    ? [r.verb, [r.resource, r.subresource].filter(Boolean).join('/'), r.apiGroup ? `group ${r.apiGroup}/${r.apiVersion ?? ''}` : `core/${r.apiVersion ?? ''}`, r.namespace ? `namespace ${r.namespace}` : 'no namespace', r.name ? `name ${r.name}` : undefined].filter(Boolean).join(', ')
    : `${r.verb ?? r.method?.toLowerCase() ?? '?'} (not a resource request)`;
  return renderFields([
    ['Request', r.requestId],
    ['Started', r.startedAt],
    ['Phase', r.phase === 'intent' ? 'intent (in flight, or the proxy could not complete the record)' : r.phase],
    ['Agent', r.agent],
    ['Issuer', r.issuer],
    ['Session', r.session],
    ['Groups', r.groups?.join(', ')],
    ['Claims', r.claims ? Object.entries(r.claims).map(([k, v]) => `${k}=${v}`).join(' ') : undefined],
    ['Connection', r.connection],
    ['Command', commandLine(r)],
    ['kubectl said', r.kubectlCommand],
    ['Request line', `${r.method ?? '?'} ${r.path ?? '/'}${r.query ? `?${r.query}` : ''}`],
    ['Classification', classification],
    ['Summary', r.summary],
    ['Decision', decisionLabel(r)],
    ['Rule', r.ruleId ?? '-'],
    ['Grant', r.grantId ?? '-'],
    ['Approver', approverText(r)],
    ['Approval', r.approvalId],
    ['Outcome', outcomeText(r)],
    ['Status', r.status === undefined ? 'none yet' : statusText(r.status)],
    ['Cluster status', r.upstreamStatus === undefined ? undefined : statusText(r.upstreamStatus)],
    ['Error', r.errorReason ? `${r.errorReason}: ${r.errorMessage ?? ''}` : undefined],
    ['Masked values', maskedSummary(r.maskedCounts)],
    ['Unmasked', r.unmasked ? 'YES: secrets were returned unmasked by policy' : undefined],
    ['Latency', formatDuration(r.latencyMs)],
    ['Cluster latency', r.upstreamLatencyMs === undefined ? undefined : formatDuration(r.upstreamLatencyMs)],
    ['Bytes in/out', `${formatBytes(r.bytesIn)} / ${formatBytes(r.bytesOut)}`],
    ['Source IP', r.sourceIp],
    ['User agent', r.userAgent],
    ['Role session', r.roleSessionName],
    ['Replay blob', r.replayKey ?? (r.replayMissing ? 'not written (the proxy could not store it)' : 'none yet')],
    ['Blob SHA-256', r.replaySha256],
    ['Integrity', integrity ? integrityWord(integrity) : undefined],
  ]);
}

/** The outcome in words: a cluster refusal says so, with the cluster's status (also for records from before the outcome existed). */
function outcomeText(r: RequestRecord): string | undefined {
  if (refusedByCluster(r)) return `refused by the cluster (it answered ${statusText(r.upstreamStatus ?? r.status)}; Gatehouse had let the request through)`;
  return r.outcome;
}

function approverText(r: RequestRecord): string {
  const who = r.approver ?? r.approvedBy;
  if (!who) return '-';
  return r.approverName && r.approverName !== who ? `${r.approverName} (${who})` : who;
}

function integrityWord(integrity: Integrity): string {
  switch (integrity) {
    case 'ok':
      return 'intact (blob SHA-256 matches the record)';
    case 'mismatch':
      return 'INTEGRITY FAILURE: the blob does not match the SHA-256 in the record';
    case 'missing':
      return 'INTEGRITY FAILURE: the blob the record names is missing';
    case 'not-written':
      return 'no blob (the proxy could not write it)';
    case 'pending':
      return 'no blob yet';
    case 'delivering':
      return 'blob still being delivered in the session\'s replay batch; run again in a minute';
  }
}

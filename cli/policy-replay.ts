import type { AgentIdentity } from '../lambdas/core/agent-identity';
import { decodeRequestBody } from '../lambdas/core/policy/decode-request-body';
import type { ReplayRecord, ReplayResult } from '../lambdas/core/policy/replay-decisions';
import type { RequestInfo } from '../lambdas/core/request-info';
import type { AwsRequestInfo } from '../lambdas/core/aws/aws-request-info';
import { awsRequestShape } from '../lambdas/core/approvals/aws-approval-subject';
import type { ReplayBlob } from '../lambdas/core/session-record';
import { renderTable } from './table';
import type { RequestRecord } from './types';

/**
 * Turns a stored record (and its replay blob, for the body) back into what policy evaluates. Records of
 * requests refused before classification (bad path, unknown connection) cannot be replayed and are skipped.
 */
export function replayRecordOf(record: RequestRecord, blob?: ReplayBlob): ReplayRecord | undefined {
  if (!record.connection || !record.agent || !record.issuer) return undefined;
  const identity: AgentIdentity = {
    issuer: record.issuer,
    agent: record.agent,
    session: record.session ?? record.agent,
    groups: record.groups ?? [],
    claims: record.claims ?? {},
  };
  if (record.awsService) return awsReplayRecordOf(record, identity);
  if (!record.verb) return undefined;
  const request: RequestInfo = {
    isResourceRequest: Boolean(record.resource),
    path: record.path ?? '/',
    verb: record.verb,
    apiPrefix: record.path?.startsWith('/apis') ? 'apis' : record.path?.startsWith('/api') ? 'api' : '',
    apiGroup: record.apiGroup ?? '',
    apiVersion: record.apiVersion ?? '',
    namespace: record.namespace ?? '',
    resource: record.resource ?? '',
    subresource: record.subresource ?? '',
    name: record.name ?? '',
    parts: [],
  };
  const bodyData = blob?.request.body;
  const body = bodyData
    ? decodeRequestBody(blob.request.headers['content-type'] ?? 'application/json', Buffer.from(bodyData.data, bodyData.encoding === 'base64' ? 'base64' : 'utf8'))
    : blob?.request.bodyOmitted
      ? ({ state: 'undecodable', contentType: blob.request.headers['content-type'] ?? 'unknown' } as const)
      : ({ state: 'none' } as const);
  const recordedDecision = record.decision && record.decision !== 'reject' ? record.decision : undefined;
  // The query carries what exec and port-forward rules match on (command, container, tty, stdin, ports).
  return {
    requestId: record.requestId, identity, connection: record.connection, request, body,
    ...(record.query !== undefined ? { query: record.query } : {}),
    ...(recordedDecision ? { recordedDecision } : {}),
  };
}

/**
 * An AWS call as policy judges it again: its service, region, action and the resources the record kept. Its
 * parameters are not recorded (they may hold the secrets being written), so rules on `aws.fields` judge it as a
 * call whose parameters cannot be read: deny and approve rules with fields match, allow rules do not.
 */
function awsReplayRecordOf(record: RequestRecord, identity: AgentIdentity): ReplayRecord {
  const action = record.awsAction ?? '';
  const service = record.awsService!;
  const resources = record.awsResources ?? [];
  const aws: AwsRequestInfo = {
    service, region: record.awsRegion ?? '', protocol: 'awsJson1_1', action, iamAction: `${service}:${action}`, resources, params: undefined,
    summary: record.summary ?? `${service}:${action}`,
  };
  const recordedDecision = record.decision && record.decision !== 'reject' ? record.decision : undefined;
  return {
    requestId: record.requestId, identity, connection: record.connection!, request: awsRequestShape(aws, record.path ?? '/'), body: { state: 'none' }, aws,
    ...(recordedDecision ? { recordedDecision } : {}),
  };
}

const WORDS: Readonly<Record<string, string>> = { allow: 'allowed', deny: 'denied', approve: 'held' };

/** The `policy test` report: one line per request (changed ones marked), then the counts. */
export function renderPolicyReport(records: readonly RequestRecord[], results: readonly ReplayResult[], skipped: number): string {
  const byId = new Map(records.map((r) => [r.requestId, r]));
  const rows = results.map((result) => {
    const record = byId.get(result.requestId);
    return [
      result.changed ? '*' : '',
      record?.startedAt ?? '',
      record?.agent ?? '',
      record?.summary ?? '',
      result.before ? WORDS[result.before] ?? result.before : '-',
      WORDS[result.after.effect] ?? result.after.effect,
      result.after.ruleId,
    ];
  });
  const count = (effect: string) => results.filter((r) => r.after.effect === effect).length;
  const changed = results.filter((r) => r.changed).length;
  const table = renderTable(
    [{ header: '' }, { header: 'started' }, { header: 'agent' }, { header: 'request' }, { header: 'recorded' }, { header: 'would be' }, { header: 'rule' }],
    rows,
  );
  const summary =
    `${results.length} request(s): ${count('allow')} would be allowed, ${count('deny')} denied, ${count('approve')} held for approval; ` +
    `${changed} decision(s) change (marked *)${skipped ? `; ${skipped} record(s) refused before classification were skipped` : ''}.`;
  return `${table}\n\n${summary}\n`;
}

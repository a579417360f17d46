import type { ApprovalSubject } from '../../../../lambdas/core/approval';
import { approvalSubjectFor } from '../../../../lambdas/core/approvals/approval-subject';
import { newApproval, type Approval } from '../../../../lambdas/core/approvals/approval-item';
import { resolveApprovalSettings, type ApprovalSettings } from '../../../../lambdas/core/approvals/approvals-config';
import { classifyRequest } from '../../../../lambdas/core/classify-request';
import { recordKeyOf } from '../../../../lambdas/core/session-record';

/** Settings as a deployment would have them. */
export const SETTINGS: ApprovalSettings = resolveApprovalSettings({
  slack: {
    channel: 'C0APPROVALS',
    botTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse/bot-AbCdEf',
    signingSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse/signing-GhIjKl',
  },
  approvers: { '*': { userIds: ['U0APPROVER'] }, prod: { userGroups: ['S0SRE'] } },
  personClaims: { 'alice@acme.com': 'U0ALICE', 'ci-bot': 'U0CIOWNER' },
}, 90);

/** What a test can change about {@link subject}'s request. */
export interface SubjectOverrides {
  agent?: string; namespace?: string; name?: string; requestId?: string; claims?: Record<string, string>;
  method?: string; path?: string; query?: string; contentType?: string; body?: string;
}

/** The subject of `kubectl delete deployment api -n prod` by demo-agent (or of the request the overrides describe). */
export function subject(overrides: SubjectOverrides = {}): ApprovalSubject {
  const namespace = overrides.namespace ?? 'prod';
  const path = overrides.path ?? (namespace ? `/apis/apps/v1/namespaces/${namespace}/deployments/${overrides.name ?? 'api'}` : `/api/v1/nodes/${overrides.name ?? 'node-1'}`);
  const method = overrides.method ?? 'DELETE';
  const query = new URLSearchParams(overrides.query ?? '');
  const agent = overrides.agent ?? 'demo-agent';
  const requestId = overrides.requestId ?? 'req-1';
  const identity = { issuer: 'demo', agent, session: `${agent}/run-1`, groups: [], claims: overrides.claims ?? { sub: agent, run_id: 'run-1' } };
  return approvalSubjectFor({
    requestId,
    recordKey: recordKeyOf(identity, requestId, new Date('2026-01-01T09:59:59.000Z')),
    identity,
    connection: 'demo',
    method,
    request: classifyRequest(method, path, query),
    query,
    contentType: overrides.contentType ?? 'application/json',
    body: Buffer.from(overrides.body ?? '{"propagationPolicy":"Background"}'),
    ruleId: 'production-approval/writes-by-name',
    ruleMessage: 'Writes to production namespaces need an approval through Gatehouse.',
  });
}

/** A pending approval for {@link subject}, created at `at`. */
export function pending(at = new Date('2026-01-01T10:00:00.000Z'), id = 'apr-0123456789ab', s: ApprovalSubject = subject()): Approval {
  return newApproval(s, id, at, SETTINGS);
}

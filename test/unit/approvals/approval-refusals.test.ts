import { approvalsNotConfiguredError, deniedApprovalError, pendingApprovalError, recordApprovalOf } from '../../../lambdas/core/approvals/approval-refusals';
import { toKubeStatus } from '../../../lambdas/core/kube-status';
import { subject } from './support/fixtures';

describe('what kubectl prints', () => {
  it('says the approval is pending, gives its id, and says to run the same command again once approved', () => {
    const status = toKubeStatus(pendingApprovalError(subject(), 'apr-0123456789ab', { timeoutSeconds: 1800 }));
    expect(status).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    expect(status.message).toBe(
      'Gatehouse policy rule "production-approval/writes-by-name" requires a person to approve this request (delete deployments/api in namespace prod): '
      + 'Writes to production namespaces need an approval through Gatehouse. Approval apr-0123456789ab is pending; the request was not run. '
      + 'Once it is approved, run the same command again (an approval lets this exact request through once). It expires if nobody decides within 30 minutes.',
    );
  });

  it('gives the reason of a denial and who denied it', () => {
    const status = toKubeStatus(deniedApprovalError(subject(), { state: 'denied', approvalId: 'apr-0123456789ab', approver: 'U0APPROVER', reason: 'change freeze', decidedAt: '2026-01-01T10:01:00.000Z' }));
    expect(status.code).toBe(403);
    expect(status.message).toMatch(/^Approval apr-0123456789ab for this request \(delete deployments\/api in namespace prod\) was denied by U0APPROVER at 2026-01-01T10:01:00.000Z: change freeze\./);
  });

  it('says so when policy asks for a person but approvals are not configured', () => {
    expect(approvalsNotConfiguredError(subject()).message).toMatch(/no approvals are configured/);
  });
});

describe('recordApprovalOf', () => {
  it.each([
    [{ state: 'pending', approvalId: 'apr-0123456789ab' } as const, { approvalId: 'apr-0123456789ab', outcome: 'pending' }],
    [{ state: 'approved', approvalId: 'apr-0123456789ab', kind: 'one-time', approver: 'U0A', decidedAt: 't' } as const,
      { approvalId: 'apr-0123456789ab', outcome: 'approved', kind: 'one-time', approver: 'U0A', decidedAt: 't' }],
    [{ state: 'none' } as const, undefined],
  ])('notes %p on the record', (state, expected) => {
    expect(recordApprovalOf(state)).toEqual(expected);
  });
});

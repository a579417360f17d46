import { isApprovalId } from '../core/approvals/approval-id';
import { decisionFromWorkflow, type Approval } from '../core/approvals/approval-item';
import { decidedApprovalMessage } from '../core/approvals/approval-message';
import type { ApprovalWorkflowDependencies } from './approval-workflow-dependencies';

/** What the state machine's record step passes. */
export interface FinalizeInput {
  readonly approvalId: string;
  /** The approver's SendTaskSuccess output, or what a catch branch built (denied, expired, failed). */
  readonly decision: unknown;
}

/** How long to wait for the asking request's record, which the proxy writes just after it answered "pending". */
const RECORD_ATTEMPTS = 6;
const RECORD_RETRY_MS = 1000;

/**
 * The step after a decision (or the timeout): records it on the approval (only while pending, so it lands
 * once), updates the Slack message to show who decided, when, and the outcome, and notes the decision on the
 * session record of the request that asked. The last two are best effort: the decision stands even if Slack
 * or the record cannot be updated (both are logged).
 */
export async function finalizeApproval(
  input: FinalizeInput,
  deps: Pick<ApprovalWorkflowDependencies, 'store' | 'slack' | 'records' | 'settings' | 'log' | 'now' | 'sleep'>,
): Promise<{ readonly outcome: string; readonly result: string }> {
  if (!isApprovalId(input?.approvalId)) throw new Error('finalize input needs a well-formed approvalId');
  const decision = decisionFromWorkflow(input.decision, deps.now(), deps.settings);
  const { result, approval } = await deps.store.recordDecision(input.approvalId, decision);
  deps.log(result === 'conflict' ? 'warn' : 'info', 'approval decision recorded', {
    approvalId: approval.approvalId, outcome: approval.status, kind: approval.kind, approver: approval.approver, result,
  });
  await Promise.all([updateSlack(approval, deps), noteOnRecord(approval, deps)]);
  return { outcome: approval.status, result };
}

async function updateSlack(approval: Approval, deps: Pick<ApprovalWorkflowDependencies, 'slack' | 'log'>): Promise<void> {
  if (!approval.slackChannel || !approval.slackTs) return;
  try {
    await deps.slack.updateMessage(approval.slackChannel, approval.slackTs, decidedApprovalMessage(approval));
  } catch (error) {
    deps.log('error', 'could not update the approval message in Slack', { approvalId: approval.approvalId, error: errorText(error) });
  }
}

async function noteOnRecord(approval: Approval, deps: Pick<ApprovalWorkflowDependencies, 'records' | 'log' | 'sleep'>): Promise<void> {
  const note = prune({
    approvalId: approval.approvalId, outcome: approval.status, kind: approval.kind, approver: approval.approver,
    approverName: approval.approverName, decidedAt: approval.decidedAt, reason: approval.reason,
    jitNamespace: approval.jitNamespace, jitUntil: approval.jitUntil, oneTimeUntil: approval.oneTimeUntil,
  });
  const key = approval.recordKey;
  if (!key) {
    deps.log('warn', 'the decision is not noted on the request record: the approval does not say where the record is (opened before records were keyed by session)', { approvalId: approval.approvalId, requestId: approval.requestId });
    return;
  }
  for (let attempt = 1; attempt <= RECORD_ATTEMPTS; attempt++) {
    try {
      await deps.records.complete(key, { approval: note });
      return;
    } catch (error) {
      const missing = error instanceof Error && error.name === 'ConditionalCheckFailedException';
      if (!missing || attempt === RECORD_ATTEMPTS) {
        deps.log('error', 'could not note the decision on the request record', { approvalId: approval.approvalId, requestId: approval.requestId, error: errorText(error) });
        return;
      }
      await deps.sleep(RECORD_RETRY_MS);
    }
  }
}

function prune(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined && v !== ''));
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'Error';
}

import { isApprovalId } from '../core/approvals/approval-id';
import { pendingApprovalMessage } from '../core/approvals/approval-message';
import type { ApprovalWorkflowDependencies } from './approval-workflow-dependencies';

/** What the state machine's notify task passes (its `Payload`). */
export interface NotifyInput {
  readonly approvalId: string;
  /** `$$.Task.Token`: kept with the approval, never sent to Slack, never logged. */
  readonly taskToken: string;
}

/**
 * The `waitForTaskToken` step: keeps the task token with the pending approval (only the interactions
 * endpoint reads it back), then posts the Block Kit message with the Approve / Deny buttons. If the step runs
 * again for the same approval (a retried invoke), the existing message is updated instead of posting a
 * second one. A Slack failure is thrown, so the state machine records the approval as `failed`.
 */
export async function notifyApproval(input: NotifyInput, deps: Pick<ApprovalWorkflowDependencies, 'store' | 'slack' | 'settings' | 'log'>): Promise<{ readonly posted: boolean }> {
  if (!isApprovalId(input?.approvalId) || typeof input.taskToken !== 'string' || input.taskToken === '') {
    throw new Error('notify input needs a well-formed approvalId and a taskToken');
  }
  const approval = await deps.store.attachTaskToken(input.approvalId, input.taskToken);
  if (!approval) {
    deps.log('warn', 'notify for an approval that is not pending', { approvalId: input.approvalId });
    return { posted: false };
  }
  const message = pendingApprovalMessage(approval, deps.settings);
  if (approval.slackChannel && approval.slackTs) {
    await deps.slack.updateMessage(approval.slackChannel, approval.slackTs, message);
  } else {
    const posted = await deps.slack.postMessage(deps.settings.slack.channel, message);
    await deps.store.attachSlackMessage(approval.approvalId, posted.channel, posted.ts);
  }
  deps.log('info', 'approval posted to Slack', { approvalId: approval.approvalId, connection: approval.connection, ruleId: approval.ruleId });
  return { posted: true };
}

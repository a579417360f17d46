import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ApprovalStarter, TaskResponder } from '../core/approvals/approval-ports';

/** Options of the Step Functions approval starter. */
export interface SfnApprovalStarterOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

/**
 * Starts the approval workflow. The execution is named after the approval id: Standard workflows refuse a
 * second execution with the same name (and answer a repeated identical start with the first one), so a
 * retried start cannot post a second Slack message. The input carries ids only; the workflow reads the
 * approval itself, so no request details end up in the execution history.
 */
export function createSfnApprovalStarter(options: SfnApprovalStarterOptions): ApprovalStarter {
  return {
    async start(approval) {
      const out = await options.client.send(new StartExecutionCommand({
        stateMachineArn: options.stateMachineArn,
        name: approval.approvalId,
        input: JSON.stringify({ approvalId: approval.approvalId, fingerprint: approval.fingerprint, requestId: approval.requestId }),
      }));
      if (!out.executionArn) throw new Error('StartExecution returned no execution ARN');
      return { executionArn: out.executionArn };
    },
  };
}

/** Errors that mean the task no longer waits for an answer: it was answered, it timed out, or never existed. */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Completes the workflow's waiting task for the interactions endpoint (the only caller IAM lets do so).
 * Step Functions accepts one answer per task token; any later answer fails with TaskTimedOut, which is how a
 * second click on a decided approval is recognised.
 */
export function createSfnTaskResponder(options: { readonly client: SFNClient }): TaskResponder {
  const send = async (command: SendTaskSuccessCommand | SendTaskFailureCommand): Promise<'sent' | 'gone'> => {
    try {
      await options.client.send(command as SendTaskSuccessCommand);
      return 'sent';
    } catch (error) {
      if (error instanceof Error && GONE.has(error.name)) return 'gone';
      throw error;
    }
  };
  return {
    succeed: (taskToken, output) => send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    // Step Functions caps `error` at 256 and `cause` at 32768 characters.
    fail: (taskToken, error, cause) => send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) })),
  };
}

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApprovalGate } from '../core/approval';
import type { ApprovalStarter } from '../core/approvals/approval-ports';
import { resolveApprovalSettings, type ApprovalSettings, type ApprovalsConfig } from '../core/approvals/approvals-config';
import { withSlackSecretArns } from '../core/approvals/slack-secrets';
import { createDynamoDbApprovalStore } from '../adapters/dynamodb-approval-store';
import { approvalDocumentClient, requiredEnvironment, type ApprovalEnvironment } from './approval-environment';
import { createApprovalGate } from './create-approval-gate';


/**
 * The proxy's approval gate, or undefined when approvals are not configured (policy `approve` then answers
 * with a 403 that says so). Called from the proxy's `createProxyDependencies`. The Step Functions client is
 * loaded the first time an approval is opened: most requests never need one, and loading it would cost every
 * cold start.
 */
export function createApprovalGateFromEnvironment(
  env: ApprovalEnvironment,
  approvals: ApprovalsConfig | undefined,
  options: { readonly retentionDays?: number; readonly documents?: DynamoDBDocumentClient; readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void },
): { readonly gate: ApprovalGate; readonly settings: ApprovalSettings } | undefined {
  if (!approvals) return undefined;
  const settings = resolveApprovalSettings(withSlackSecretArns(approvals, env), options.retentionDays ?? 400);
  const store = createDynamoDbApprovalStore({ client: options.documents ?? approvalDocumentClient(), tableName: requiredEnvironment(env, 'GATEHOUSE_APPROVALS_TABLE'), settings });
  const stateMachineArn = requiredEnvironment(env, 'GATEHOUSE_APPROVAL_STATE_MACHINE_ARN');
  let loaded: ApprovalStarter | undefined;
  const starter: ApprovalStarter = {
    start(approval) {
      if (!loaded) {
        const { SFNClient } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
        const { createSfnApprovalStarter } = require('../adapters/sfn-approval-starter') as typeof import('../adapters/sfn-approval-starter');
        loaded = createSfnApprovalStarter({ client: new SFNClient({ requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 }, maxAttempts: 3 }), stateMachineArn });
      }
      return loaded.start(approval);
    },
  };
  return { gate: createApprovalGate({ store, starter, settings, log: options.log }), settings };
}

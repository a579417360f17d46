import { SFNClient } from '@aws-sdk/client-sfn';
import type { ApprovalStore, SecretReader, SlackApi, TaskResponder } from '../core/approvals/approval-ports';
import { resolveApprovalSettings, type ApprovalSettings } from '../core/approvals/approvals-config';
import { validateApprovalsConfig } from '../core/approvals/validate-approvals-config';
import { withSlackSecretArns } from '../core/approvals/slack-secrets';
import type { RecordStore } from '../core/ports';
import { createDynamoDbApprovalStore } from '../adapters/dynamodb-approval-store';
import { createDynamoDbRecordStore } from '../adapters/dynamodb-record-store';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerSecretReader } from '../adapters/secrets-manager-secret-reader';
import { createSfnTaskResponder } from '../adapters/sfn-approval-starter';
import { createSlackWebApi } from '../adapters/slack-web-api';
import { approvalDocumentClient, requiredEnvironment, type ApprovalEnvironment } from './approval-environment';

export type { ApprovalEnvironment } from './approval-environment';


/** Structured logging, as the handlers get it from Powertools. */
export type ApprovalLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/** What the notify, finalize and interactions steps use. */
export interface ApprovalWorkflowDependencies {
  readonly settings: ApprovalSettings;
  readonly store: ApprovalStore;
  readonly slack: SlackApi;
  readonly secrets: SecretReader;
  readonly responder: TaskResponder;
  /** The records table, to note each decision on the record of the request that asked. */
  readonly records: Pick<RecordStore, 'complete'>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: ApprovalLog;
  readonly metric: (name: string, value: number) => void;
}

/**
 * Reads the approvals section out of the embedded configuration (`GATEHOUSE_CONFIG`, compiled into each
 * bundle like the proxy's) and applies defaults. Only this section is validated here: the rest is the proxy's.
 */
export function approvalSettingsFromEnvironment(env: ApprovalEnvironment): ApprovalSettings {
  const raw = JSON.parse(requiredEnvironment(env, 'GATEHOUSE_CONFIG')) as {
    approvals?: unknown; connections?: Array<{ name?: string }>; retentionDays?: number; limits?: { upstreamTimeoutMs?: number };
  };
  const approvals = validateApprovalsConfig(raw.approvals, 'GATEHOUSE_CONFIG', {
    connectionNames: (raw.connections ?? []).map((c) => c.name),
    allowLocalUrls: env.GATEHOUSE_LOCAL_MODE === 'true',
    upstreamTimeoutMs: raw.limits?.upstreamTimeoutMs,
  });
  return resolveApprovalSettings(withSlackSecretArns(approvals, env), raw.retentionDays ?? 400);
}

/**
 * Builds the approval steps' dependencies once per container. SDK clients get short timeouts: the
 * interactions endpoint has to answer Slack within 3 seconds.
 */
export function createApprovalWorkflowDependencies(
  env: ApprovalEnvironment,
  telemetry: { readonly log: ApprovalLog; readonly metric?: (name: string, value: number) => void },
): ApprovalWorkflowDependencies {
  const settings = approvalSettingsFromEnvironment(env);
  const documents = approvalDocumentClient();
  // The SDK reads AWS_ENDPOINT_URL_SECRETS_MANAGER itself (local mode's stand-in).
  const secrets = createSecretsManagerSecretReader({ client: new SecretsManagerClient({ requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 }, maxAttempts: 2 }) });
  return {
    settings,
    store: createDynamoDbApprovalStore({ client: documents, tableName: requiredEnvironment(env, 'GATEHOUSE_APPROVALS_TABLE'), settings }),
    slack: createSlackWebApi({ token: () => secrets.read(settings.slack.botTokenSecretArn), baseUrl: settings.slack.apiBaseUrl }),
    secrets,
    responder: createSfnTaskResponder({ client: new SFNClient({ requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 }, maxAttempts: 2 }) }),
    records: env.GATEHOUSE_RECORDS_TABLE
      ? createDynamoDbRecordStore({ client: documents, tableName: env.GATEHOUSE_RECORDS_TABLE })
      : { complete: async () => { throw new Error('GATEHOUSE_RECORDS_TABLE is not set'); } },
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: telemetry.log,
    metric: telemetry.metric ?? (() => undefined),
  };
}

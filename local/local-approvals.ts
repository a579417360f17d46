import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { approvalTimeoutSeconds, type ApprovalsConfig } from '../lambdas/core/approvals/approvals-config';
import { SLACK_SECRET_ENV, SLACK_SECRET_PLACEHOLDER } from '../lambdas/core/approvals/slack-secrets';
import { APPROVAL_STATES, synthesizeApprovalDefinition } from '../lib/approval-state-machine';
import { LOCAL_APPROVALS_FILE } from './approvals-cli';
import { createLocalApprovalsTable, LOCAL_APPROVALS_TABLE } from './create-approvals-table';
import { startSecretsManagerStandIn } from './secrets-manager-stand-in';
import { startSlackStandIn } from './slack-stand-in';
import { startStepFunctionsStandIn } from './step-functions-stand-in';

/** Slack ids local mode uses: who may approve, a user group and one of its members, and the channel. */
export const LOCAL_SLACK = {
  channel: 'C0LOCALAPPROVALS',
  approver: 'U0LOCALAPPROVER',
  group: 'S0LOCALOPS',
  groupMember: 'U0LOCALOPS1',
  /** Not an approver: for trying a refused click. */
  bystander: 'U0LOCALBYSTANDER',
  team: 'T0LOCAL',
} as const;

/** What local mode's approvals need from it. */
export interface LocalApprovalsOptions {
  readonly stateDir: string;
  /** A client on local mode's DynamoDB (the approvals table is created there). */
  readonly dynamodb: DynamoDBClient;
  readonly region: string;
  readonly accountId: string;
  /** The local "execution role" credentials; the stand-ins verify SigV4 against them. */
  readonly callerCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The `approvals` section of a `--config` file: approvers, timeouts, personClaims, channel override local defaults. */
  readonly approvals?: Partial<ApprovalsConfig>;
  /**
   * Play a first deploy before anyone filled the Slack secrets: both hold the stack's "not set" placeholder and
   * their ARNs reach the functions through the environment only, as when the stack created them. @default false
   */
  readonly unsetSlackSecrets?: boolean;
  readonly log?: (line: string) => void;
}

/** Local approvals, running. */
export interface LocalApprovals {
  /** The approvals section for the gateway configuration (its Slack part always points at the stand-ins). */
  readonly approvals: ApprovalsConfig;
  /** Environment for the handlers: table, state machine ARN, and the stand-ins' endpoints. */
  readonly env: Readonly<Record<string, string>>;
  /** Slack's interactions route (`POST /slack/interactions`), running the interactions Lambda's handler. */
  readonly interactionsHandler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  readonly endpoints: { readonly slack: string; readonly stepFunctions: string; readonly secretsManager: string };
  close(): Promise<void>;
}

/**
 * LOCAL MODE ONLY: starts what approvals need on a laptop: the approvals table in DynamoDB Local, a Slack
 * stand-in (receives the messages), a Secrets Manager stand-in (holds the generated bot token and signing
 * secret), and a Step Functions stand-in that runs the definition CDK synthesizes, with the notify and record
 * Lambdas run in this process. The interactions route runs the real interactions handler behind the local API
 * Gateway front; `approvals-cli.ts` plays Slack by posting correctly signed clicks to it.
 */
export async function startLocalApprovals(options: LocalApprovalsOptions): Promise<LocalApprovals> {
  const log = options.log ?? (() => undefined);
  const closers: Array<() => Promise<void>> = [];
  try {
    await createLocalApprovalsTable(options.dynamodb);
    const botToken = persistentSecret(options.stateDir, 'slack-bot-token', () => `xoxb-local-${randomBytes(12).toString('hex')}`);
    const signingSecret = persistentSecret(options.stateDir, 'slack-signing-secret', () => randomBytes(32).toString('hex'));
    const secretArn = (name: string, suffix: string) => `arn:aws:secretsmanager:${options.region}:${options.accountId}:secret:gatehouse/local/${name}-${suffix}`;
    const botTokenSecretArn = secretArn('slack-bot-token', 'LoCaL1');
    const signingSecretArn = secretArn('slack-signing-secret', 'LoCaL2');

    const slack = await startSlackStandIn({ botToken, userGroups: { [LOCAL_SLACK.group]: [LOCAL_SLACK.groupMember] }, log });
    closers.push(slack.close);
    log(`Slack stand-in      ${slack.apiBaseUrl}`);
    const unset = options.unsetSlackSecrets === true;
    const secrets = await startSecretsManagerStandIn({
      secrets: unset
        ? { [botTokenSecretArn]: SLACK_SECRET_PLACEHOLDER, [signingSecretArn]: SLACK_SECRET_PLACEHOLDER }
        : { [botTokenSecretArn]: botToken, [signingSecretArn]: signingSecret },
      credentials: options.callerCredentials, region: options.region,
    });
    closers.push(secrets.close);

    const user = options.approvals ?? {};
    const approvals: ApprovalsConfig = {
      approvers: { '*': { userIds: [LOCAL_SLACK.approver], userGroups: [LOCAL_SLACK.group] } },
      ...user,
      slack: { channel: user.slack?.channel ?? LOCAL_SLACK.channel, ...(unset ? {} : { botTokenSecretArn, signingSecretArn }), apiBaseUrl: slack.apiBaseUrl },
    };

    const definition = synthesizeApprovalDefinition({ timeout: Duration.seconds(approvalTimeoutSeconds(approvals)), context: projectCdkContext() });
    // Required lazily: the handlers build their dependencies from process.env on first use, after local mode set it.
    const stepFunctions = await startStepFunctionsStandIn({
      definition,
      handlers: {
        [APPROVAL_STATES.notify]: (payload) => (require('../lambdas/approvals/notify-handler') as typeof import('../lambdas/approvals/notify-handler')).run(payload as never),
        [APPROVAL_STATES.record]: (payload) => (require('../lambdas/approvals/finalize-handler') as typeof import('../lambdas/approvals/finalize-handler')).run(payload as never),
      },
      region: options.region,
      accountId: options.accountId,
      credentials: options.callerCredentials,
      log,
    });
    closers.push(stepFunctions.close);
    log(`Step Functions stand-in ${stepFunctions.url} (approval timeout ${approvalTimeoutSeconds(approvals)} s)`);

    fs.writeFileSync(path.join(options.stateDir, LOCAL_APPROVALS_FILE), JSON.stringify({
      slack: slack.url, signingSecretFile: path.join(options.stateDir, 'slack-signing-secret'), approver: LOCAL_SLACK.approver, team: LOCAL_SLACK.team,
    }, null, 2));

    return {
      approvals,
      env: {
        GATEHOUSE_APPROVALS_TABLE: LOCAL_APPROVALS_TABLE,
        GATEHOUSE_APPROVAL_STATE_MACHINE_ARN: stepFunctions.stateMachineArn,
        AWS_ENDPOINT_URL_SFN: stepFunctions.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
        ...(unset ? { [SLACK_SECRET_ENV.botToken]: botTokenSecretArn, [SLACK_SECRET_ENV.signingSecret]: signingSecretArn } : {}),
      },
      interactionsHandler: (event, context) =>
        (require('../lambdas/approvals/interactions-handler') as typeof import('../lambdas/approvals/interactions-handler')).handler(event, context),
      endpoints: { slack: slack.url, stepFunctions: stepFunctions.url, secretsManager: secrets.url },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/** The feature flags of cdk.json, so the definition run locally is the one `cdk synth` produces. */
export function projectCdkContext(): Record<string, unknown> {
  const file = path.join(__dirname, '..', 'cdk.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {} : {};
}

function persistentSecret(stateDir: string, name: string, create: () => string): string {
  const file = path.join(stateDir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const value = create();
  fs.writeFileSync(file, value, { mode: 0o600 });
  return value;
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}

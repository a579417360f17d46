import { lambdaBundling } from './lambda-bundling';
import { lambdaLogging, type GatehouseLogLevel } from './lambda-logging';
import * as path from 'node:path';
import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { LambdaIntegration, type Method, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { approvalTimeoutSeconds, type ApprovalsConfig } from '../lambdas/core/approvals/approvals-config';
import { SLACK_SECRET_ENV, SLACK_SECRET_PLACEHOLDER } from '../lambdas/core/approvals/slack-secrets';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { approvalDefinition } from './approval-state-machine';
import { ApprovalsTable } from './approvals-table';
import type { RecordsTable } from './records-table';
import type { StoreOptions } from './store-options';

/** Props of {@link ApprovalWorkflow}. */
export interface ApprovalWorkflowProps extends StoreOptions {
  /** The validated configuration (connection names, retention and upstream timeout are embedded with the approvals section). */
  readonly config: GatewayConfig;
  /** The validated approvals section (`config.approvals` once the gateway configuration carries it). */
  readonly approvals: ApprovalsConfig;
  /** The records table; the record step notes each decision on the record of the request that asked. */
  readonly recordsTable: RecordsTable;
  /** X-Ray tracing on the state machine and the three functions. @default false */
  readonly tracing?: boolean;
  /** Powertools log level of the functions, and their application log level (see {@link lambdaLogging}). @default 'INFO' */
  readonly logLevel?: GatehouseLogLevel;
  /** Retention of the state machine's and the functions' log groups. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * Log each state's input and output with the execution events. Off by default: they carry approval ids and
   * decisions, and the notify payload carries the task token.
   * @default false
   */
  readonly logExecutionData?: boolean;
  /** Handler modules. @default the handlers in lambdas/approvals/ of this repository */
  readonly entries?: { readonly notify?: string; readonly finalize?: string; readonly interactions?: string };
}

/** Environment the proxy needs to open approvals. */
export const PROXY_APPROVAL_ENV = { table: 'GATEHOUSE_APPROVALS_TABLE', stateMachine: 'GATEHOUSE_APPROVAL_STATE_MACHINE_ARN' } as const;

/**
 * Human approval in Slack, run by Step Functions: the approvals table, a Standard state machine (notify with
 * `waitForTaskToken` and a task timeout, then record), the notifier and record functions it invokes, and the
 * interactions function behind `POST /slack/interactions`.
 *
 * Least privilege: only a grantee of {@link grantStartExecution} (the proxy) may start executions; only the
 * interactions function may send task results; the Slack secrets are referenced by ARN and readable only by
 * the functions that need them (bot token: notifier, record step, interactions; signing secret: interactions).
 */
export class ApprovalWorkflow extends Construct {
  readonly table: ApprovalsTable;
  readonly stateMachine: StateMachine;
  readonly stateMachineLogGroup: LogGroup;
  readonly notifyFunction: NodejsFunction;
  readonly finalizeFunction: NodejsFunction;
  readonly interactionsFunction: NodejsFunction;
  readonly botToken: ISecret;
  readonly signingSecret: ISecret;
  /** Whether the stack created the secrets (the configuration named no ARN): they hold a placeholder until filled. */
  readonly createdSecrets: { readonly botToken: boolean; readonly signingSecret: boolean };

  constructor(scope: Construct, id: string, props: ApprovalWorkflowProps) {
    super(scope, id);
    const tracing = props.tracing ?? false;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    this.table = new ApprovalsTable(this, 'Table', { removalPolicy: props.removalPolicy, encryptionKey: props.encryptionKey });
    const { botTokenSecretArn, signingSecretArn } = props.approvals.slack;
    // Secrets the configuration does not name are created here, holding a placeholder the reader refuses until an
    // operator puts the real value in (Secrets Manager has no empty secrets). The value never passes through CDK.
    const secret = (name: string, arn: string | undefined, description: string): ISecret => (arn
      ? Secret.fromSecretCompleteArn(this, name, arn)
      : new Secret(this, name, { description, secretStringValue: SecretValue.unsafePlainText(SLACK_SECRET_PLACEHOLDER), removalPolicy }));
    this.botToken = secret('BotToken', botTokenSecretArn, 'Gatehouse approvals: the Slack app\'s bot token (xoxb-...); fill with aws secretsmanager put-secret-value');
    this.signingSecret = secret('SigningSecret', signingSecretArn, 'Gatehouse approvals: the Slack app\'s signing secret; fill with aws secretsmanager put-secret-value');
    this.createdSecrets = { botToken: !botTokenSecretArn, signingSecret: !signingSecretArn };
    const secretEnv = { [SLACK_SECRET_ENV.botToken]: this.botToken.secretArn, [SLACK_SECRET_ENV.signingSecret]: this.signingSecret.secretArn };

    // Only what the approval functions read: the approvals section, connection names, the retention, and the
    // upstream timeout (the quick wait is checked against it).
    const embedded = {
      approvals: props.approvals,
      connections: props.config.connections.map((c) => ({ name: c.name })),
      retentionDays: props.config.retentionDays,
      limits: props.config.limits?.upstreamTimeoutMs ? { upstreamTimeoutMs: props.config.limits.upstreamTimeoutMs } : undefined,
    };
    const fn = (name: string, entry: string, description: string, timeout: Duration, extraEnv: Record<string, string> = {}) => {
      const logGroup = new LogGroup(this, `${name}Logs`, { retention, removalPolicy });
      return new NodejsFunction(this, name, {
        entry,
        handler: 'handler',
        description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
        logGroup,
        ...lambdaLogging(props.logLevel),
        environment: {
          GATEHOUSE_APPROVALS_TABLE: this.table.tableName,
          POWERTOOLS_SERVICE_NAME: 'gatehouse-approvals',
          POWERTOOLS_METRICS_NAMESPACE: 'Gatehouse',
          POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
          POWERTOOLS_TRACE_ENABLED: String(tracing),
          NODE_OPTIONS: '--enable-source-maps',
          ...secretEnv,
          ...extraEnv,
        },
        // Compiled in like the proxy's configuration; a banner because the handlers read an environment object.
        bundling: lambdaBundling(`process.env.GATEHOUSE_CONFIG=${JSON.stringify(JSON.stringify(embedded))};`),
      });
    };
    const handlers = path.join(__dirname, '..', 'lambdas', 'approvals');
    this.notifyFunction = fn('Notify', props.entries?.notify ?? path.join(handlers, 'notify-handler.ts'),
      'Gatehouse approvals: posts an approval request to Slack and keeps the task token', Duration.seconds(30));
    this.finalizeFunction = fn('Finalize', props.entries?.finalize ?? path.join(handlers, 'finalize-handler.ts'),
      'Gatehouse approvals: records a decision, updates the Slack message, notes it on the request record', Duration.seconds(60),
      { GATEHOUSE_RECORDS_TABLE: props.recordsTable.tableName });
    this.interactionsFunction = fn('Interactions', props.entries?.interactions ?? path.join(handlers, 'interactions-handler.ts'),
      'Gatehouse approvals: Slack interactions endpoint (verifies, authorizes, completes the waiting task)', Duration.seconds(10));

    const timeout = Duration.seconds(approvalTimeoutSeconds(props.approvals));
    const { definitionBody, timeout: executionTimeout, comment } = approvalDefinition(this, {
      notifier: this.notifyFunction, finalizer: this.finalizeFunction, timeout,
    });
    this.stateMachineLogGroup = new LogGroup(this, 'StateMachineLogs', { retention, removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody,
      timeout: executionTimeout,
      tracingEnabled: tracing,
      logs: { destination: this.stateMachineLogGroup, level: LogLevel.ALL, includeExecutionData: props.logExecutionData ?? false },
      comment,
    });

    this.table.grantWorkflow(this.notifyFunction);
    this.table.grantWorkflow(this.finalizeFunction);
    this.table.grantInteractions(this.interactionsFunction);
    this.botToken.grantRead(this.notifyFunction);
    this.botToken.grantRead(this.finalizeFunction);
    this.botToken.grantRead(this.interactionsFunction);
    this.signingSecret.grantRead(this.interactionsFunction);
    this.stateMachine.grantTaskResponse(this.interactionsFunction);
    // The record step only adds the decision to an existing record: UpdateItem, nothing else.
    props.recordsTable.table.encryptionKey?.grantEncryptDecrypt(this.finalizeFunction);
    Grant.addToPrincipal({ grantee: this.finalizeFunction, actions: ['dynamodb:UpdateItem'], resourceArns: [props.recordsTable.table.tableArn] });

    this.suppressFindings(tracing);
  }

  /**
   * Lets the grantee (the proxy) open approvals: start executions of this state machine, and read and write
   * approvals through the gate's conditional writes. Nothing else may start an execution.
   */
  grantStartExecution(grantee: IGrantable): Grant {
    this.table.grantGate(grantee);
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Adds Slack's interactions route, `POST /slack/interactions`, to the gateway's REST API (the same API and
   * stage as the Kubernetes routes), as a Lambda proxy integration of the interactions function.
   * @returns the method; its URL is `api.urlForPath('/slack/interactions')`, the Slack app's Request URL
   */
  addInteractionsRoute(api: RestApi): Method {
    const method = api.root.resourceForPath('/slack/interactions')
      .addMethod('POST', new LambdaIntegration(this.interactionsFunction, { proxy: true, allowTestInvoke: false }));
    NagSuppressions.addResourceSuppressions(method, [
      {
        id: 'AwsSolutions-APIG4',
        reason: 'Slack cannot present credentials an API Gateway authorizer could check; the interactions function verifies Slack\'s request signature (HMAC-SHA256 with the signing secret, constant-time, 5-minute window) on every request before anything else.',
      },
      { id: 'AwsSolutions-COG4', reason: 'The caller is Slack, not a Cognito user; requests are authenticated by their Slack signature in the function.' },
    ]);
    return method;
  }

  /** The environment the proxy needs (`GATEHOUSE_APPROVALS_TABLE`, `GATEHOUSE_APPROVAL_STATE_MACHINE_ARN`). */
  get proxyEnvironment(): Record<string, string> {
    return {
      [PROXY_APPROVAL_ENV.table]: this.table.tableName,
      [PROXY_APPROVAL_ENV.stateMachine]: this.stateMachine.stateMachineArn,
      // The proxy reads no secret; it only needs the ARNs to complete the approvals settings it validates.
      [SLACK_SECRET_ENV.botToken]: this.botToken.secretArn,
      [SLACK_SECRET_ENV.signingSecret]: this.signingSecret.secretArn,
    };
  }

  private suppressFindings(tracing: boolean): void {
    for (const fn of [this.notifyFunction, this.finalizeFunction, this.interactionsFunction]) {
      NagSuppressions.addResourceSuppressions(fn, [{
        id: 'AwsSolutions-L1',
        reason: 'Pinned to nodejs22.x on purpose, like the proxy: the handlers and their ESM dependencies are built and tested for Node 22.',
      }]);
      NagSuppressions.addResourceSuppressions(fn, [{
        id: 'AwsSolutions-IAM4',
        reason: 'AWSLambdaBasicExecutionRole only allows writing to CloudWatch Logs, which every Lambda needs; it grants no data access.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      }], true);
      if (tracing) {
        NagSuppressions.addResourceSuppressions(fn, [{
          id: 'AwsSolutions-IAM5',
          reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions and require "*".',
          appliesTo: ['Resource::*'],
        }], true);
      }
    }
    for (const [created, secret] of [[this.createdSecrets.botToken, this.botToken], [this.createdSecrets.signingSecret, this.signingSecret]] as const) {
      if (!created) continue;
      NagSuppressions.addResourceSuppressions(secret, [{
        id: 'AwsSolutions-SMG4',
        reason: 'Slack issues the bot token and the signing secret; they are rotated in Slack (reinstall / regenerate) and then put here, so Secrets Manager has no rotation function it could run.',
      }]);
    }
    NagSuppressions.addResourceSuppressions(this.stateMachine, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Step Functions needs logs:CreateLogDelivery and related actions on "*" to deliver execution logs (they do not support resource-level permissions)'
        + '; lambda:InvokeFunction on "<function ARN>:*" lets it invoke the published versions of exactly the two workflow functions'
        + (tracing ? '; X-Ray PutTraceSegments/PutTelemetryRecords require "*"' : '') + '.',
      appliesTo: ['Resource::*', { regex: '/^Resource::<.*(Notify|Finalize).*\\.Arn>:\\*$/' }],
    }], true);
    if (!tracing) {
      NagSuppressions.addResourceSuppressions(this.stateMachine, [{
        id: 'AwsSolutions-SF2',
        reason: 'X-Ray tracing is a deploy-time switch (tracing: true); off by default because an approval workflow is two Lambda calls and a wait, and every execution event is logged.',
      }]);
    }
  }
}

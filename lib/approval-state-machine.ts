import { App, Duration, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  CfnStateMachine, DefinitionBody, IntegrationPattern, JsonPath, Pass, Result, StateMachine, StateMachineType, Succeed, TaskInput, Timeout,
  type IChainable,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { DENIED_ERROR } from '../lambdas/core/approvals/approval-item';

/** State names; local runs override the Lambda tasks by these names. */
export const APPROVAL_STATES = {
  notify: 'AskInSlack',
  record: 'RecordDecision',
  expired: 'Expired',
  denied: 'Denied',
  failed: 'CouldNotAsk',
  done: 'Done',
} as const;

/** How much longer than the task timeout an execution may run (recording the decision, retries). */
export const EXECUTION_MARGIN = Duration.minutes(15);

/** What the definition is built from. */
export interface ApprovalDefinitionProps {
  /** Posts the message and keeps the task token (`lambda:invoke.waitForTaskToken`). */
  readonly notifier: IFunction;
  /** Records the decision, updates the message, notes the decision on the request's record. */
  readonly finalizer: IFunction;
  /** How long a person has to decide. */
  readonly timeout: Duration;
}

/**
 * The approval workflow:
 * `AskInSlack` (waits for the task token to be answered, at most `timeout`) -> `RecordDecision` -> `Done`;
 * a SendTaskFailure with `Gatehouse.Denied` goes through `Denied`, the timeout (`States.Timeout`) through
 * `Expired`, and any other failure to ask (Slack down, bad channel) through `CouldNotAsk`, each into
 * `RecordDecision`, so every approval ends recorded and its Slack message updated.
 *
 * The execution input is `{ approvalId, fingerprint, requestId }`; the task token travels only in the notify
 * payload (`$$.Task.Token`) and is kept server-side by the notifier.
 */
export function approvalDefinition(scope: Construct, props: ApprovalDefinitionProps): { readonly definitionBody: DefinitionBody; readonly timeout: Duration; readonly comment: string } {
  const notify = new LambdaInvoke(scope, APPROVAL_STATES.notify, {
    lambdaFunction: props.notifier,
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({ approvalId: JsonPath.stringAt('$.approvalId'), taskToken: JsonPath.taskToken }),
    resultPath: '$.decision',
    taskTimeout: Timeout.duration(props.timeout),
    comment: 'Posts the approval request to Slack and waits for an approver (SendTaskSuccess/SendTaskFailure from the interactions endpoint).',
  });
  const record = new LambdaInvoke(scope, APPROVAL_STATES.record, {
    lambdaFunction: props.finalizer,
    payload: TaskInput.fromObject({ approvalId: JsonPath.stringAt('$.approvalId'), decision: JsonPath.objectAt('$.decision') }),
    resultSelector: { 'outcome.$': '$.Payload.outcome' },
    resultPath: '$.recorded',
    comment: 'Records the decision on the approval, updates the Slack message and notes it on the request record.',
  });
  const expired = new Pass(scope, APPROVAL_STATES.expired, { result: Result.fromObject({ outcome: 'expired' }), resultPath: '$.decision' });
  const denied = new Pass(scope, APPROVAL_STATES.denied, { parameters: { outcome: 'denied', 'cause.$': '$.error.Cause' }, resultPath: '$.decision' });
  // Only the error name: a Lambda failure's Cause can carry a stack trace, which has no place in a record.
  const failed = new Pass(scope, APPROVAL_STATES.failed, { parameters: { outcome: 'failed', 'error.$': '$.error.Error' }, resultPath: '$.decision' });
  notify.addCatch(expired, { errors: ['States.Timeout'], resultPath: '$.error' });
  notify.addCatch(denied, { errors: [DENIED_ERROR], resultPath: '$.error' });
  notify.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  for (const branch of [expired, denied, failed]) branch.next(record);
  const chain: IChainable = notify.next(record).next(new Succeed(scope, APPROVAL_STATES.done));
  return { definitionBody: DefinitionBody.fromChainable(chain), timeout: props.timeout.plus(EXECUTION_MARGIN), comment: 'Gatehouse: asks a person in Slack whether a request may run' };
}

/** A state machine definition as JSON (Amazon States Language). */
export type AslDefinition = {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
} & Record<string, unknown>;

/** Where the synthesized definition's intrinsics point when rendered outside CloudFormation. */
export const PLACEHOLDER_ENV = { account: '111122223333', region: 'us-east-1', partition: 'aws' } as const;

/**
 * The approval definition exactly as CDK synthesizes it for a given timeout, with its CloudFormation
 * intrinsics rendered (partition `aws`, Lambda ARNs as placeholders named after the function). This is what
 * the state machine tests and local mode's Step Functions stand-in run; a CDK test checks that the deployed
 * construct synthesizes the same definition.
 */
export function synthesizeApprovalDefinition(options: { readonly timeout: Duration; readonly context?: Record<string, unknown> }): AslDefinition {
  const app = new App({ context: options.context });
  const stack = new Stack(app, 'GatehouseApprovalDefinition', { env: { account: PLACEHOLDER_ENV.account, region: PLACEHOLDER_ENV.region } });
  const fn = (id: string) => LambdaFunction.fromFunctionArn(stack, id, placeholderFunctionArn(id));
  const { definitionBody, timeout, comment } = approvalDefinition(stack, { notifier: fn('Notifier'), finalizer: fn('Finalizer'), timeout: options.timeout });
  const machine = new StateMachine(stack, 'StateMachine', { stateMachineType: StateMachineType.STANDARD, definitionBody, timeout, comment });
  return renderDefinition(stack.resolve((machine.node.defaultChild as CfnStateMachine).definitionString));
}

/** The placeholder ARN of a Lambda function in a rendered definition. */
export function placeholderFunctionArn(name: string): string {
  return `arn:${PLACEHOLDER_ENV.partition}:lambda:${PLACEHOLDER_ENV.region}:${PLACEHOLDER_ENV.account}:function:${name}`;
}

/**
 * Renders a synthesized `DefinitionString` (a string or an `Fn::Join` of strings, `Ref`s and `Fn::GetAtt`s)
 * into the ASL JSON: pseudo parameters get the placeholder environment, a resource's `Arn` attribute a
 * placeholder Lambda ARN named after its logical id. Anything else is refused, so a new kind of reference in
 * the definition cannot slip through unrendered.
 */
export function renderDefinition(definitionString: unknown): AslDefinition {
  return JSON.parse(render(definitionString)) as AslDefinition;
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown> | null;
  if (v && Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  if (v && typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': PLACEHOLDER_ENV.partition, 'AWS::Region': PLACEHOLDER_ENV.region, 'AWS::AccountId': PLACEHOLDER_ENV.account, 'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[v.Ref] ?? v.Ref;
  }
  if (v && Array.isArray(v['Fn::GetAtt']) && (v['Fn::GetAtt'] as string[])[1] === 'Arn') return placeholderFunctionArn((v['Fn::GetAtt'] as string[])[0]!);
  throw new Error(`Cannot render ${JSON.stringify(value)} in the approval definition`);
}


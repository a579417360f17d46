import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import type { ApprovalWorkflow } from './approval-workflow';
import { lambdaBundling } from './lambda-bundling';
import { lambdaLogging } from './lambda-logging';
import { configBanner } from './proxy-function';

/** Props of {@link DoctorFunction}. */
export interface DoctorFunctionProps {
  /** The validated configuration, embedded like the proxy's. */
  readonly config: GatewayConfig;
  /** The proxy's execution role: the doctor runs as it, so it tests exactly what the proxy can do. */
  readonly proxyRole: IRole;
  /** The proxy's environment (store names, approvals), so the doctor reaches what the proxy reaches. */
  readonly proxyEnvironment: Readonly<Record<string, string>>;
  /** The approvals workflow, when configured: its state machine and Slack secrets are checked. */
  readonly approvals?: ApprovalWorkflow;
  /** Retention of the function's log group. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The doctor behind `GET /operator/doctor` (IAM-authorized). It runs with the proxy's own execution role, so
 * "can the proxy assume this role" is answered by the principal the connection roles trust, not by a look-alike.
 * The only permissions it adds to that role are metadata reads nothing else needs: DescribeStateMachine on the
 * approval state machine and DescribeSecret (never GetSecretValue) on the two Slack secrets.
 */
export class DoctorFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: DoctorFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(__dirname, '..', 'lambdas', 'doctor', 'handler.ts'),
      handler: 'handler',
      description: 'Gatehouse doctor: checks connections and stores with the proxy\'s role (operators only, IAM-authorized route)',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // Inside API Gateway's 29 s integration timeout: connections are checked in parallel, 8 s per cluster call.
      timeout: Duration.seconds(28),
      role: props.proxyRole,
      logGroup,
      ...lambdaLogging(),
      environment: {
        ...props.proxyEnvironment,
        POWERTOOLS_SERVICE_NAME: 'gatehouse-doctor',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: lambdaBundling(configBanner(props.config, '')),
    });
    if (props.approvals) {
      props.proxyRole.addToPrincipalPolicy(new PolicyStatement({
        sid: 'DoctorDescribesApprovals',
        actions: ['states:DescribeStateMachine'],
        resources: [props.approvals.stateMachine.stateMachineArn],
      }));
      props.proxyRole.addToPrincipalPolicy(new PolicyStatement({
        sid: 'DoctorDescribesSlackSecrets',
        // Metadata only (versions and their labels): the proxy's role can still not read the token or the signing secret.
        actions: ['secretsmanager:DescribeSecret'],
        resources: [props.approvals.botToken.secretArn, props.approvals.signingSecret.secretArn],
      }));
    }
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x like the proxy, whose code it shares.',
    }]);
  }
}

import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { ApprovalWorkflow } from './approval-workflow';
import { AwsCredentialKey } from './aws-credential-key';
import { ConnectionAccess, pascalCase } from './connection-access';
import { connectionTrustPolicy } from './connection-role';
import { DOCTOR_ROUTE_PATH } from '../lambdas/core/doctor/doctor-check';
import { DoctorFunction } from './doctor-function';
import { GatewayApi } from './gateway-api';
import { GrantSeed } from './grant-seed';
import { GrantsTable } from './grants-table';
import { ProxyFunction } from './proxy-function';
import { RecordsTable } from './records-table';
import { ReplayBucket } from './replay-bucket';
import { ReplayDeliveryStream } from './replay-delivery-stream';
import { SessionFrontCertificate } from './session-front-certificate';
import { importSessionFrontNetwork, SessionFrontService } from './session-front-service';

/** Props of {@link GatehouseStack}. */
export interface GatehouseStackProps extends StackProps {
  /** The validated configuration (`validateGatewayConfig`). */
  readonly config: GatewayConfig;
  /** The validated policy, serialized (see `loadGatewayPolicy`). */
  readonly policy: string;
  /** API Gateway stage name, part of every server URL. @default 'v1' */
  readonly stageName?: string;
  /** X-Ray tracing on the API stage and the proxy function. @default false */
  readonly tracing?: boolean;
  /**
   * Removal policy of the tables, the replay bucket and the log groups. `RemovalPolicy.DESTROY` is for dev
   * stacks only: it also drops deletion protection and empties the buckets on delete.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Customer managed KMS key for the tables, the replay bucket and the replay delivery stream. @default AWS managed encryption */
  readonly encryptionKey?: IKey;
  /** Powertools log level of the proxy. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Reserved concurrency of the proxy. @default no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** Create the account-wide API Gateway CloudWatch role. @default true */
  readonly apiGatewayCloudWatchRole?: boolean;
}

/**
 * Gatehouse: the API, the proxy function, the grants and records tables, the replay bucket with its delivery
 * stream, and the deploy-time grant seed. Composes constructs only; outputs are what the operator CLI reads.
 */
export class GatehouseStack extends Stack {
  constructor(scope: Construct, id: string, props: GatehouseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const store = { removalPolicy: props.removalPolicy, encryptionKey: props.encryptionKey };

    const grantsTable = new GrantsTable(this, 'GrantsTable', store);
    const recordsTable = new RecordsTable(this, 'RecordsTable', store);
    const replayBucket = new ReplayBucket(this, 'ReplayBucket', { ...store, retentionDays: config.retentionDays });
    // Replay blobs go in batches through Firehose (one S3 PUT per session and minute, not per request) into the same bucket.
    const replayStream = new ReplayDeliveryStream(this, 'ReplayStream', {
      bucket: replayBucket.bucket, encryptionKey: props.encryptionKey, logRemovalPolicy: props.removalPolicy,
    });
    // Gatehouse's AWS session credentials are MACed with this key; no key (and no AWS route) without AWS connections.
    const awsConnections = config.awsConnections ?? [];
    const awsCredentialKey = awsConnections.length > 0 ? new AwsCredentialKey(this, 'AwsCredentialKey', store) : undefined;
    const proxy = new ProxyFunction(this, 'Proxy', {
      config,
      policy: props.policy,
      grantsTable,
      recordsTable,
      replayBucket,
      replayStream,
      tracing: props.tracing,
      logLevel: props.logLevel,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logRemovalPolicy: props.removalPolicy,
      awsCredentialKey,
    });
    const api = new GatewayApi(this, 'Gateway', {
      handler: proxy.function,
      stageName: props.stageName,
      tracing: props.tracing,
      accessLogRemovalPolicy: props.removalPolicy,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
      awsRoutes: awsConnections.length > 0,
    });
    new GrantSeed(this, 'GrantSeed', { grants: config.grants ?? [], grantsTable });
    const proxyRole = proxy.function.role!;
    const access = new ConnectionAccess(this, 'ConnectionAccess', { connections: config.connections, proxyRole });

    let approvalWorkflow: ApprovalWorkflow | undefined;
    if (config.approvals) {
      const approvals = approvalWorkflow = new ApprovalWorkflow(this, 'Approvals', {
        config, approvals: config.approvals, recordsTable, tracing: props.tracing, logLevel: props.logLevel, ...store,
      });
      approvals.grantStartExecution(proxy.function);
      for (const [name, value] of Object.entries(approvals.proxyEnvironment)) proxy.function.addEnvironment(name, value);
      approvals.addInteractionsRoute(api.api);
      new CfnOutput(this, 'SlackInteractionsUrl', {
        value: api.api.urlForPath('/slack/interactions'),
        description: 'Request URL for the Slack app (Interactivity & Shortcuts)',
      });
      new CfnOutput(this, 'ApprovalsTableName', { value: approvals.table.tableName });
      new CfnOutput(this, 'ApprovalStateMachineArn', { value: approvals.stateMachine.stateMachineArn });
      new CfnOutput(this, 'SlackBotTokenSecretArn', {
        value: approvals.botToken.secretArn,
        description: approvals.createdSecrets.botToken
          ? 'Created unset: aws secretsmanager put-secret-value --secret-id <this> --secret-string xoxb-... (OAuth & Permissions > Bot User OAuth Token)'
          : 'The bot token secret named in the configuration',
      });
      new CfnOutput(this, 'SlackSigningSecretArn', {
        value: approvals.signingSecret.secretArn,
        description: approvals.createdSecrets.signingSecret
          ? 'Created unset: aws secretsmanager put-secret-value --secret-id <this> --secret-string <Basic Information > Signing Secret>'
          : 'The signing secret named in the configuration',
      });
    }

    // exec, attach, cp and port-forward: a Fargate front behind a Network Load Balancer, with the proxy's access.
    let front: SessionFrontService | undefined;
    const sessionFront = config.sessionFront;
    if (sessionFront?.enabled) {
      front = new SessionFrontService(this, 'SessionFront', {
        config, policy: props.policy, front: sessionFront, grantsTable, recordsTable, replayBucket, replayStream,
        network: sessionFront.vpcId ? importSessionFrontNetwork(this, { ...sessionFront, vpcId: sessionFront.vpcId }) : undefined,
        environment: approvalWorkflow?.proxyEnvironment, logLevel: props.logLevel, logRemovalPolicy: props.removalPolicy,
      });
      approvalWorkflow?.grantStartExecution(front.taskRole);
      for (const role of new Set(access.createdRoles.values())) front.trustConnectionRole(role);
      const tls = new SessionFrontCertificate(this, 'SessionFrontTls', { dnsName: front.dnsName, encryptionKey: props.encryptionKey, logRemovalPolicy: props.removalPolicy });
      front.serveCertificate(tls);
      new CfnOutput(this, 'SessionFrontUrl', { value: front.url, description: 'kubectl exec/attach/cp/port-forward go to <SessionFrontUrl>/k8s/<connection>' });
      new CfnOutput(this, 'SessionFrontTaskRoleArn', { value: front.taskRole.roleArn, description: 'The session front\'s task role: every connection role must trust it too (see TrustPolicy<Connection>)' });
      if (front.terminatesTls) {
        new CfnOutput(this, 'SessionFrontDomain', { value: sessionFront.domainName!, description: `Point this name at SessionFrontLoadBalancerDnsName (CNAME or alias); served with ${sessionFront.certificateArn}` });
        new CfnOutput(this, 'SessionFrontLoadBalancerDnsName', { value: front.loadBalancer.loadBalancerDnsName });
      } else {
        new CfnOutput(this, 'SessionFrontCaPem', { value: Fn.base64(tls.caPem), description: 'certificate-authority-data for the session front (base64 of the PEM of a CA made at deploy)' });
      }
    }

    // The doctor runs with the proxy's role and environment, behind an IAM-authorized route (docs/DOCTOR.md).
    const doctor = new DoctorFunction(this, 'Doctor', {
      config, proxyRole, approvals: approvalWorkflow, logRemovalPolicy: props.removalPolicy,
      proxyEnvironment: {
        GATEHOUSE_GRANTS_TABLE: grantsTable.tableName,
        GATEHOUSE_RECORDS_TABLE: recordsTable.tableName,
        GATEHOUSE_REPLAY_BUCKET: replayBucket.bucketName,
        GATEHOUSE_REPLAY_STREAM: replayStream.deliveryStreamName,
        // The doctor reads the AWS credential key as the proxy does (it runs with the proxy's role, which may).
        ...(awsCredentialKey ? { GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN: awsCredentialKey.secretArn } : {}),
        ...approvalWorkflow?.proxyEnvironment,
      },
    });
    api.addOperatorRoute(DOCTOR_ROUTE_PATH, doctor.function);
    new CfnOutput(this, 'DoctorUrl', {
      value: api.api.urlForPath(DOCTOR_ROUTE_PATH),
      description: 'gatehouse doctor calls this (GET, IAM-authorized: SigV4 with credentials that may execute-api:Invoke it)',
    });

    new CfnOutput(this, 'EndpointUrl', {
      value: api.endpointUrl,
      description: 'Stage URL; a connection is served at <EndpointUrl>/k8s/<connection>',
    });
    const outputIds = new Map<string, string>();
    for (const connection of config.connections) {
      const outputId = `ServerUrl${pascalCase(connection.name)}`;
      const clash = outputIds.get(outputId);
      if (clash) throw new Error(`connections "${clash}" and "${connection.name}" both map to the stack output ${outputId}; rename one`);
      outputIds.set(outputId, connection.name);
      new CfnOutput(this, outputId, {
        value: api.serverUrl(connection.name),
        description: `kubeconfig server for connection "${connection.name}"`,
      });
    }
    new CfnOutput(this, 'ProxyRoleArn', {
      value: proxyRole.roleArn,
      description: 'The proxy\'s execution role: the one principal every connection role must trust',
    });
    for (const connection of config.connections) {
      const id = pascalCase(connection.name);
      const created = access.createdRoles.has(connection.name);
      new CfnOutput(this, `ConnectionRoleArn${id}`, {
        value: created ? access.createdRoles.get(connection.name)!.roleArn : connection.roleArn,
        description: `Role of connection "${connection.name}" (${created ? 'created by this stack' : `not created by this stack: attach TrustPolicy${id}`})`,
      });
      if (!created) {
        new CfnOutput(this, `TrustPolicy${id}`, {
          value: this.toJsonString(front ? front.connectionTrustPolicy(proxyRole) : connectionTrustPolicy(proxyRole.roleArn)),
          description: `Trust policy for ${connection.roleArn}: aws iam update-assume-role-policy --role-name <name> --policy-document '<this>'`,
        });
      }
    }
    if (awsCredentialKey) {
      new CfnOutput(this, 'AwsCredentialKeySecretArn', {
        value: awsCredentialKey.secretArn,
        description: 'HMAC key of the AWS session credentials Gatehouse hands agents (generated at deploy; rotate with put-secret-value)',
      });
    }
    const awsOutputIds = new Map<string, string>();
    for (const connection of awsConnections) {
      const id = pascalCase(connection.name);
      const clash = awsOutputIds.get(id);
      if (clash) throw new Error(`awsConnections "${clash}" and "${connection.name}" both map to the stack output AwsEndpointUrl${id}; rename one`);
      awsOutputIds.set(id, connection.name);
      new CfnOutput(this, `AwsEndpointUrl${id}`, {
        value: api.awsEndpointUrl(connection.name),
        description: `endpoint_url for AWS connection "${connection.name}" (credential_process: gatehouse-aws-credentials --connection ${connection.name})`,
      });
      new CfnOutput(this, `AwsTrustPolicy${id}`, {
        value: this.toJsonString(connectionTrustPolicy(proxyRole.roleArn)),
        description: `Trust policy for ${connection.roleArn}: aws iam update-assume-role-policy --role-name <name> --policy-document '<this>'`,
      });
    }
    new CfnOutput(this, 'GrantsTableName', { value: grantsTable.tableName });
    new CfnOutput(this, 'RecordsTableName', { value: recordsTable.tableName });
    new CfnOutput(this, 'ReplayBucketName', { value: replayBucket.bucketName });
  }

  /** Two AZs by position (`Fn::GetAZs`), never a context lookup: the session front's VPC synthesizes offline. */
  override get availabilityZones(): string[] {
    return [0, 1].map((i) => Fn.select(i, Fn.getAzs()));
  }
}

export { pascalCase };

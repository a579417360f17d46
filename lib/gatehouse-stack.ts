import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { ApprovalWorkflow } from './approval-workflow';
import { GatewayApi } from './gateway-api';
import { GrantSeed } from './grant-seed';
import { GrantsTable } from './grants-table';
import { ProxyFunction } from './proxy-function';
import { RecordsTable } from './records-table';
import { ReplayBucket } from './replay-bucket';

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
  /** Customer managed KMS key for the tables and the replay bucket. @default AWS managed encryption */
  readonly encryptionKey?: IKey;
  /** Powertools log level of the proxy. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Reserved concurrency of the proxy. @default no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** Create the account-wide API Gateway CloudWatch role. @default true */
  readonly apiGatewayCloudWatchRole?: boolean;
}

/**
 * Gatehouse: the API, the proxy function, the grants and records tables, the replay bucket and the
 * deploy-time grant seed. Composes constructs only; outputs are what the operator CLI reads.
 */
export class GatehouseStack extends Stack {
  constructor(scope: Construct, id: string, props: GatehouseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const store = { removalPolicy: props.removalPolicy, encryptionKey: props.encryptionKey };

    const grantsTable = new GrantsTable(this, 'GrantsTable', store);
    const recordsTable = new RecordsTable(this, 'RecordsTable', store);
    const replayBucket = new ReplayBucket(this, 'ReplayBucket', { ...store, retentionDays: config.retentionDays });
    const proxy = new ProxyFunction(this, 'Proxy', {
      config,
      policy: props.policy,
      grantsTable,
      recordsTable,
      replayBucket,
      tracing: props.tracing,
      logLevel: props.logLevel,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logRemovalPolicy: props.removalPolicy,
    });
    const api = new GatewayApi(this, 'Gateway', {
      handler: proxy.function,
      stageName: props.stageName,
      tracing: props.tracing,
      accessLogRemovalPolicy: props.removalPolicy,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
    });
    new GrantSeed(this, 'GrantSeed', { grants: config.grants ?? [], grantsTable });

    if (config.approvals) {
      const approvals = new ApprovalWorkflow(this, 'Approvals', {
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
    }

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
    new CfnOutput(this, 'GrantsTableName', { value: grantsTable.tableName });
    new CfnOutput(this, 'RecordsTableName', { value: recordsTable.tableName });
    new CfnOutput(this, 'ReplayBucketName', { value: replayBucket.bucketName });
  }
}

/** `prod-eu` -> `ProdEu`: output ids must be alphanumeric. */
export function pascalCase(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

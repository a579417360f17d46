import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { APPROVAL_DEFAULTS } from '../lambdas/core/approvals/approvals-config';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import type { AwsCredentialKey } from './aws-credential-key';
import type { GrantsTable } from './grants-table';
import { lambdaBundling } from './lambda-bundling';
import { lambdaLogging, type GatehouseLogLevel } from './lambda-logging';
import type { RecordsTable } from './records-table';
import type { ReplayBucket } from './replay-bucket';
import type { ReplayDeliveryStream } from './replay-delivery-stream';

/** Props of {@link ProxyFunction}. */
export interface ProxyFunctionProps {
  /** The validated configuration; embedded in the bundle and the source of the STS permissions. */
  readonly config: GatewayConfig;
  /** The validated policy, serialized (`serializePolicy`); embedded in the bundle. */
  readonly policy: string;
  /** Read by the proxy to authorize requests. */
  readonly grantsTable: GrantsTable;
  /** Written by the proxy (intent, then complete) for every request. */
  readonly recordsTable: RecordsTable;
  /**
   * Written by the proxy with the replay blobs that do not go through the stream: larger than a Firehose record,
   * stream parts, and any blob the stream refused.
   */
  readonly replayBucket: ReplayBucket;
  /**
   * Where the proxy sends each request's replay blob, batched into the bucket (`GATEHOUSE_REPLAY_STREAM`).
   * @default none: every blob is its own S3 object
   */
  readonly replayStream?: ReplayDeliveryStream;
  /** X-Ray tracing (costs money per trace; worth it while debugging latency). @default false */
  readonly tracing?: boolean;
  /** Powertools log level, and the function's application log level (see {@link lambdaLogging}). @default 'INFO' */
  readonly logLevel?: GatehouseLogLevel;
  /** Memory; also buys CPU, which TLS to the cluster and JSON masking use. @default 1024 */
  readonly memorySize?: number;
  /** Caps concurrent executions so a runaway agent cannot exhaust the account's pool. @default no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** Retention of the function's log group. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Path of the handler module. @default `lambdas/proxy/handler.ts` in this repository */
  readonly entry?: string;
  /**
   * The key of Gatehouse's AWS session credentials, read by the proxy (`GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN`).
   * Required when the configuration has `awsConnections`, ignored otherwise.
   * @default none
   */
  readonly awsCredentialKey?: AwsCredentialKey;
}

/** Name of the variable the proxy reads the credential key's secret ARN from (lambdas/proxy/aws/aws-dependencies-from-environment.ts). */
export const AWS_CREDENTIAL_KEY_SECRET_ENV = 'GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN';

/** Default of `limits.upstreamTimeoutMs` (see LimitsConfig). */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 25_000;
/**
 * Time the Lambda needs besides waiting for the cluster: JWT and grant checks, AssumeRole and the intent
 * record before forwarding, the replay blob and the complete record after. With the default upstream
 * timeout the function times out at 29 s, together with API Gateway.
 */
const HANDLER_OVERHEAD_SECONDS = 4;
/** Default of `limits.maxStreamSeconds`, as the proxy's STREAM_LIMIT_DEFAULTS. */
const DEFAULT_MAX_STREAM_SECONDS = 600;

/**
 * The proxy Lambda: bundled locally with esbuild, arm64, Node.js 22, with the validated configuration compiled
 * in, the store names in its environment and permission to assume exactly the configured connection roles
 * (clusters', and AWS connections' with read access to the credential key).
 */
export class ProxyFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;
  /** Its log group. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProxyFunctionProps) {
    super(scope, id);
    const { config } = props;
    const tracing = props.tracing ?? false;
    const upstreamTimeoutMs = config.limits?.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? path.join(__dirname, '..', 'lambdas', 'proxy', 'handler.ts'),
      handler: 'handler',
      description: 'Gatehouse proxy: kubectl -> API Gateway -> this function -> EKS',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      // Long enough for the longest stream (a watch or follow ends itself at limits.maxStreamSeconds) and, for
      // answers, the upstream timeout plus the time a request is held for its approval; so every stream ends and is recorded by the
      // proxy itself, never cut by Lambda.
      timeout: Duration.seconds(Math.max(
        (config.limits?.maxStreamSeconds ?? DEFAULT_MAX_STREAM_SECONDS) + HANDLER_OVERHEAD_SECONDS,
        Math.ceil(upstreamTimeoutMs / 1000) + HANDLER_OVERHEAD_SECONDS + (config.approvals ? config.approvals.holdSeconds ?? APPROVAL_DEFAULTS.holdSeconds : 0),
      )),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      logGroup: this.logGroup,
      ...lambdaLogging(props.logLevel),
      environment: {
        ...proxyStoreEnvironment(props),
        POWERTOOLS_SERVICE_NAME: 'gatehouse',
        POWERTOOLS_METRICS_NAMESPACE: 'Gatehouse',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        NODE_OPTIONS: '--enable-source-maps',
      },
      // A banner rather than esbuild's `define`: define only rewrites the literal expression
      // `process.env.GATEHOUSE_CONFIG`, and the handler reads its environment through an object it is given.
      bundling: lambdaBundling(configBanner(config, props.policy)),
    });

    grantProxyAccess(this.function, config, props);
    if (config.awsConnections?.length) {
      if (!props.awsCredentialKey) throw new Error('awsConnections are configured but the proxy was given no awsCredentialKey: it could neither issue nor verify AWS session credentials');
      grantAwsConnectionAccess(this.function, config, props.awsCredentialKey);
      this.function.addEnvironment(AWS_CREDENTIAL_KEY_SECRET_ENV, props.awsCredentialKey.secretArn);
    }
    this.suppressFindings(tracing);
  }

  private suppressFindings(tracing: boolean): void {
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x on purpose: the handler and its ESM dependencies (middy 6, jose) are built and tested for Node 22; moving to a newer runtime is a deliberate, tested change.',
    }]);
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only allows writing to CloudWatch Logs, which every Lambda needs; it grants no data access.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    }], true);
    NagSuppressions.addResourceSuppressions(this.function, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Replay blobs are written under per-request keys (replay/<date>/<requestId>.json) that cannot be listed in advance; the wildcard is limited to the replay/ prefix and s3:PutObject.'
        + (tracing ? ' X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions and require "*".' : ''),
      appliesTo: [
        { regex: '/^Resource::<.*ReplayBucket.*\\.Arn>\\/replay\\/\\*$/' },
        ...(tracing ? ['Resource::*'] : []),
      ],
    }], true);
  }
}

/** The stores the proxy (and the session front, which serves the same requests) reads and writes. */
export interface ProxyStores {
  readonly grantsTable: GrantsTable;
  readonly recordsTable: RecordsTable;
  readonly replayBucket: ReplayBucket;
  readonly replayStream?: ReplayDeliveryStream;
}

/** The stores' names, as the proxy reads them (`GATEHOUSE_GRANTS_TABLE`, ...; lambdas/proxy/dependencies.ts). */
export function proxyStoreEnvironment(stores: ProxyStores): Record<string, string> {
  return {
    GATEHOUSE_GRANTS_TABLE: stores.grantsTable.tableName,
    GATEHOUSE_RECORDS_TABLE: stores.recordsTable.tableName,
    GATEHOUSE_REPLAY_BUCKET: stores.replayBucket.bucketName,
    ...(stores.replayStream ? { GATEHOUSE_REPLAY_STREAM: stores.replayStream.deliveryStreamName } : {}),
  };
}

/**
 * What serving agents' requests needs, for the proxy function and anything else that serves them (the session
 * front's task role): read grants, write records and stream leases, put replay blobs and lines, and assume
 * exactly the configured connection roles.
 */
export function grantProxyAccess(grantee: IGrantable, config: GatewayConfig, stores: ProxyStores): void {
  stores.grantsTable.grantReadGrants(grantee);
  stores.recordsTable.grantWriteRecords(grantee);
  stores.recordsTable.grantStreamLeases(grantee);
  stores.replayBucket.grantPutReplay(grantee);
  stores.replayStream?.grantPutRecords(grantee);
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({
    sid: 'AssumeConnectionRoles',
    // TagSession and SetSourceIdentity carry the agent's identity into CloudTrail and the EKS audit log.
    actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
    resources: connectionRoleArns(config),
  }));
}

/**
 * What serving AWS connections needs, for the proxy function only (the session front serves no AWS call): read the
 * credential key, and assume exactly the configured AWS connection roles, with the agent as source identity and
 * session tags, as for clusters. A statement of its own, so that a role named by both kinds of connection still
 * shows up under each purpose.
 */
export function grantAwsConnectionAccess(grantee: IGrantable, config: GatewayConfig, key: AwsCredentialKey): void {
  const roleArns = awsConnectionRoleArns(config);
  if (roleArns.length === 0) return;
  key.grantRead(grantee);
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({
    sid: 'AssumeAwsConnectionRoles',
    actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
    resources: roleArns,
  }));
}

/** esbuild passes the banner as one command-line argument, which Linux caps at 128 KiB. */
const MAX_EMBEDDED_CONFIG_CHARS = 120_000;

/**
 * The statement that puts the configuration and the policy into `process.env.GATEHOUSE_CONFIG` and
 * `process.env.GATEHOUSE_POLICY` before any module runs. Grants are left out: the proxy reads them from the
 * table, and editing one must not redeploy the function.
 */
export function configBanner(config: GatewayConfig, policy: string): string {
  const json = embeddedConfigJson(config);
  if (json.length + policy.length > MAX_EMBEDDED_CONFIG_CHARS) {
    throw new Error(
      `The configuration without grants (${json.length} characters) and the policy (${policy.length}) together exceed the ` +
        `${MAX_EMBEDDED_CONFIG_CHARS} characters that can be compiled into the proxy.`,
    );
  }
  // JSON.stringify of a string is a valid JS string literal.
  return `process.env.GATEHOUSE_CONFIG=${JSON.stringify(json)};process.env.GATEHOUSE_POLICY=${JSON.stringify(policy)};`;
}

/** The configuration as the proxy reads it from `GATEHOUSE_CONFIG`: everything but the grants (they are in the table). */
export function embeddedConfigJson(config: GatewayConfig): string {
  return JSON.stringify({ ...config, grants: undefined });
}

/** The distinct role ARNs of the configured AWS connections, sorted so that synth output is stable. */
export function awsConnectionRoleArns(config: GatewayConfig): string[] {
  return [...new Set((config.awsConnections ?? []).map((c) => c.roleArn))].sort();
}

/** The distinct role ARNs of the configured connections, sorted so that synth output is stable. */
export function connectionRoleArns(config: GatewayConfig): string[] {
  return [...new Set(config.connections.map((c) => c.roleArn))].sort();
}

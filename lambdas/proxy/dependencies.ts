import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createDynamoDbGrantStore } from '../adapters/dynamodb-grant-store';
import { createDynamoDbRecordStore } from '../adapters/dynamodb-record-store';
import { createHttpsUpstreamClient } from '../adapters/https-upstream-client';
import { createJwtTokenVerifier } from '../adapters/jwt-token-verifier';
import { createStsRoleAssumer } from '../adapters/sts-role-assumer';
import { createApprovalGateFromEnvironment } from '../approvals/approval-gate-from-environment';
import { createDynamoDbStreamLeases } from '../adapters/dynamodb-stream-leases';
import { IndexHeads } from '../core/index-heads';
import { validateGatewayConfig } from '../core/validate-gateway-config';
import { createRequestGuard } from './create-request-guard';
import { createAwsProxyDependencies } from './aws/aws-dependencies-from-environment';
import { ClusterFactsReader } from './cluster-facts';
import { STREAM_LIMIT_DEFAULTS } from './stream-limits';
import type { ProxyDependencies } from './proxy-request';
import type { ReplayBatchSink, ReplayStore } from '../core/ports';

/** The Lambda's environment, as set by the CDK construct (or by local mode, which sets the same names). */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Builds the proxy's dependencies once per container from its environment. SDK clients get short
 * timeouts: a hung DynamoDB or STS must fail the request (closed) well before API Gateway's 29 s.
 */
export function createProxyDependencies(env: ProxyEnvironment, telemetry: { readonly logger: Logger; readonly metrics: Metrics; readonly tracer?: Tracer }): ProxyDependencies {
  const config = validateGatewayConfig(JSON.parse(required(env, 'GATEHOUSE_CONFIG')), 'GATEHOUSE_CONFIG', {
    allowLocalIssuers: env.GATEHOUSE_LOCAL_MODE === 'true',
  });
  const requestHandler = { connectionTimeout: 2000, requestTimeout: 5000 };
  // With tracing switched on (POWERTOOLS_TRACE_ENABLED), every AWS call shows as a subsegment; otherwise a no-op.
  const traced = <T>(client: T): T => (telemetry.tracer ? telemetry.tracer.captureAWSv3Client(client) : client);
  const documents = DynamoDBDocumentClient.from(traced(new DynamoDBClient({ requestHandler, maxAttempts: 3 })), {
    marshallOptions: { removeUndefinedValues: true },
  });
  // S3 is loaded on the first replay write, which comes after the first answer: not on the cold start's path.
  const bucket = required(env, 'GATEHOUSE_REPLAY_BUCKET');
  let replayStore: ReplayStore | undefined;
  const replay: ReplayStore = {
    put(key, bytes, sha256) {
      if (!replayStore) {
        const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
        const { createS3ReplayStore } = require('../adapters/s3-replay-store') as typeof import('../adapters/s3-replay-store');
        const s3 = traced(new S3Client({
          requestHandler,
          maxAttempts: 3,
          // Only local mode's S3 server needs path-style addressing.
          forcePathStyle: env.GATEHOUSE_S3_FORCE_PATH_STYLE === 'true',
        }));
        replayStore = createS3ReplayStore({ client: s3, bucket });
      }
      return replayStore.put(key, bytes, sha256);
    },
  };
  // The delivery stream, like S3, is loaded on the first replay write. Without one configured, blobs are objects.
  const deliveryStreamName = env.GATEHOUSE_REPLAY_STREAM;
  let batchSink: ReplayBatchSink | undefined;
  const replayBatches: ReplayBatchSink | undefined = deliveryStreamName ? {
    send(line) {
      if (!batchSink) {
        const { FirehoseClient } = require('@aws-sdk/client-firehose') as typeof import('@aws-sdk/client-firehose');
        const { createFirehoseReplayBatches } = require('../adapters/firehose-replay-batches') as typeof import('../adapters/firehose-replay-batches');
        batchSink = createFirehoseReplayBatches({ client: traced(new FirehoseClient({ requestHandler, maxAttempts: 2 })), deliveryStreamName });
      }
      return batchSink.send(line);
    },
  } : undefined;
  const sts = traced(new STSClient({ requestHandler, maxAttempts: 2 }));
  const { logger, metrics } = telemetry;
  const upstream = createHttpsUpstreamClient();
  return {
    connections: new Map(config.connections.map((c) => [c.name, c])),
    issuerNames: config.issuers.map((i) => i.name),
    limits: {
      maxRequestBodyBytes: config.limits?.maxRequestBodyBytes ?? 1_048_576,
      upstreamTimeoutMs: config.limits?.upstreamTimeoutMs ?? 25_000,
    },
    streamLimits: {
      ...STREAM_LIMIT_DEFAULTS,
      ...(config.limits?.maxResponseBytes ? { maxResponseBytes: config.limits.maxResponseBytes } : {}),
      ...(config.limits?.maxStreamSeconds ? { maxStreamSeconds: config.limits.maxStreamSeconds } : {}),
      ...(config.limits?.streamIdleSeconds ? { idleSeconds: config.limits.streamIdleSeconds } : {}),
      ...(config.limits?.maxStreamsPerAgent ? { maxStreamsPerAgent: config.limits.maxStreamsPerAgent } : {}),
    },
    streamLeases: createDynamoDbStreamLeases({ client: documents, tableName: required(env, 'GATEHOUSE_RECORDS_TABLE') }),
    retentionDays: config.retentionDays ?? 400,
    verifier: createJwtTokenVerifier(config.issuers),
    grants: createDynamoDbGrantStore({ client: documents, tableName: required(env, 'GATEHOUSE_GRANTS_TABLE') }),
    records: createDynamoDbRecordStore({ client: documents, tableName: required(env, 'GATEHOUSE_RECORDS_TABLE') }),
    replay,
    replayBatches,
    indexHeads: new IndexHeads(),
    roles: createStsRoleAssumer({ client: sts }),
    upstream,
    clusterFacts: new ClusterFactsReader(upstream, () => new Date()),
    guard: createRequestGuard(config, required(env, 'GATEHOUSE_POLICY')),
    aws: createAwsProxyDependencies(env, config),
    approvals: createApprovalGateFromEnvironment(env, config.approvals, {
      retentionDays: config.retentionDays, documents, log: (level, message, fields) => logger[level](message, fields ?? {}),
    }),
    now: () => new Date(),
    log: (level, message, fields) => logger[level](message, fields ?? {}),
    annotate: (fields) => logger.appendKeys(fields as Record<string, string>),
    // Whole milliseconds: a timer's float (52.560703999...) costs 17 bytes a value in the EMF document, for noise.
    metric: (name, value, unit) => metrics.addMetric(name, MetricUnit[unit], unit === 'Milliseconds' ? Math.round(value) : value),
  };
}

function required(env: ProxyEnvironment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the Gatehouse stack sets it, so check the function's configuration.`);
  return value;
}

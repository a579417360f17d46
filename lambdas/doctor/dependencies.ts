import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbApprovalStore } from '../adapters/dynamodb-approval-store';
import { createDynamoDbGrantStore } from '../adapters/dynamodb-grant-store';
import { createDynamoDbStreamLeases } from '../adapters/dynamodb-stream-leases';
import { createHttpsUpstreamClient } from '../adapters/https-upstream-client';
import { createFirehoseReplayBatches } from '../adapters/firehose-replay-batches';
import { createS3ReplayStore } from '../adapters/s3-replay-store';
import { createSecretsManagerSecretDescriber } from '../adapters/secrets-manager-secret-describer';
import { createSfnStateMachineDescriber } from '../adapters/sfn-state-machine-describer';
import { createStsRoleAssumer } from '../adapters/sts-role-assumer';
import { resolveApprovalSettings } from '../core/approvals/approvals-config';
import { withSlackSecretArns } from '../core/approvals/slack-secrets';
import { validateGatewayConfig } from '../core/validate-gateway-config';
import type { DoctorDependencies } from './run-doctor';
import { createAwsProxyDependencies } from '../proxy/aws/aws-dependencies-from-environment';

/** The doctor function's environment: the proxy's (same names, set by the CDK construct or local mode). */
export type DoctorEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Builds the doctor's dependencies from the proxy's environment with the same adapters and SDK settings the proxy
 * uses, so each check fails exactly where an agent's request would.
 */
export function createDoctorDependencies(env: DoctorEnvironment): DoctorDependencies {
  const config = validateGatewayConfig(JSON.parse(required(env, 'GATEHOUSE_CONFIG')), 'GATEHOUSE_CONFIG', { allowLocalIssuers: env.GATEHOUSE_LOCAL_MODE === 'true' });
  const requestHandler = { connectionTimeout: 2000, requestTimeout: 5000 };
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler, maxAttempts: 2 }), { marshallOptions: { removeUndefinedValues: true } });
  const s3 = new S3Client({ requestHandler, maxAttempts: 2, forcePathStyle: env.GATEHOUSE_S3_FORCE_PATH_STYLE === 'true' });
  const sts = new STSClient({ requestHandler, maxAttempts: 1 });
  const grantsTable = required(env, 'GATEHOUSE_GRANTS_TABLE');
  const recordsTable = required(env, 'GATEHOUSE_RECORDS_TABLE');
  const bucket = required(env, 'GATEHOUSE_REPLAY_BUCKET');
  const aws = createAwsProxyDependencies(env, config);
  const deps: DoctorDependencies = {
    connections: config.connections,
    ...(aws ? {
      awsConnections: [...aws.connections.values()],
      awsCredentialKey: { read: aws.credentialKeys, where: env.GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN ?? 'local mode\'s key' },
    } : {}),
    newRoleAssumer: () => createStsRoleAssumer({ client: sts }),
    upstream: createHttpsUpstreamClient(),
    grants: { store: createDynamoDbGrantStore({ client: documents, tableName: grantsTable }), table: grantsTable },
    records: { leases: createDynamoDbStreamLeases({ client: documents, tableName: recordsTable }), table: recordsTable },
    replay: { store: createS3ReplayStore({ client: s3, bucket }), bucket },
    ...(env.GATEHOUSE_REPLAY_STREAM ? {
      replayBatches: {
        sink: createFirehoseReplayBatches({ client: new FirehoseClient({ requestHandler, maxAttempts: 2 }), deliveryStreamName: env.GATEHOUSE_REPLAY_STREAM }),
        stream: env.GATEHOUSE_REPLAY_STREAM,
      },
    } : {}),
    // Well inside API Gateway's 29 s: connections are checked in parallel, two cluster calls each at most.
    upstreamTimeoutMs: Math.min(config.limits?.upstreamTimeoutMs ?? 25_000, 8_000),
    now: () => new Date(),
  };
  if (!config.approvals) return deps;
  const approvals = withSlackSecretArns(config.approvals, env);
  const settings = resolveApprovalSettings(approvals, config.retentionDays ?? 400);
  const table = required(env, 'GATEHOUSE_APPROVALS_TABLE');
  const slackSecrets = ([
    ['bot token', 'botTokenSecretArn'], ['signing secret', 'signingSecretArn'],
  ] as const).flatMap(([what, field]) => {
    const secretArn = approvals.slack[field];
    return secretArn ? [{ what, field, secretArn, createdByStack: !config.approvals!.slack[field] }] : [];
  });
  return {
    ...deps,
    approvals: {
      store: createDynamoDbApprovalStore({ client: documents, tableName: table, settings }),
      table,
      stateMachineArn: required(env, 'GATEHOUSE_APPROVAL_STATE_MACHINE_ARN'),
      stateMachines: createSfnStateMachineDescriber({ client: new SFNClient({ requestHandler, maxAttempts: 2 }) }),
      secrets: createSecretsManagerSecretDescriber({ client: new SecretsManagerClient({ requestHandler, maxAttempts: 2 }) }),
      slackSecrets,
    },
  };
}

function required(env: DoctorEnvironment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the Gatehouse stack sets it, so check the doctor function's configuration.`);
  return value;
}

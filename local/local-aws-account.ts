import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AwsConnectionConfig, GrantSpec } from '../lambdas/core/gateway-config';
import { startDynamoDbLocal } from './dynamodb-local';
import { startS3Server } from './s3-server';
import { startSecretsManagerStandIn } from './secrets-manager-stand-in';

/** Names of local mode's AWS account: the one an agent reaches through `/aws/local-aws`. */
export const LOCAL_AWS = {
  connection: 'local-aws',
  roleArn: 'arn:aws:iam::111122223333:role/gatehouse-local-aws',
  services: ['dynamodb', 's3', 'sts', 'secretsmanager'],
  bucket: 'demo-artifacts',
  secretName: 'demo/db-password',
  secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:demo/db-password-Lc4l9A',
  /** The demo secret's value: what GetSecretValue through Gatehouse masks. */
  secretValue: '{"username":"app","password":"local-demo-password-7f3a"}',
} as const;

/** A running workload account. */
export interface LocalAwsAccount {
  readonly connection: AwsConnectionConfig;
  readonly grants: readonly GrantSpec[];
  /** Gatehouse's credential key for this run (local mode only: deployed, it is a Secrets Manager secret). */
  readonly credentialKey: string;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly secretsmanager: string };
  /** Lets the account's services accept a session the STS stand-in issued, as AWS's services accept STS's. */
  accept(credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }): void;
  close(): Promise<void>;
}

/**
 * The AWS account behind local mode's `local-aws` connection: its own DynamoDB Local and S3 server (apart from
 * Gatehouse's own tables and replay bucket, as a workload account is apart from Gatehouse's), and a Secrets Manager
 * stand-in holding one demo secret. Each accepts only sessions of the connection's role, which the STS stand-in
 * issues when Gatehouse assumes it; the agent never holds any of those credentials.
 */
export async function startLocalAwsAccount(options: { readonly stateDir: string; readonly persist: boolean; readonly region: string; readonly stsUrl: string; readonly demoAgent: string }): Promise<LocalAwsAccount> {
  const sessions = new Map<string, string>();
  const closers: Array<() => Promise<void>> = [];
  try {
    const dataDir = options.persist ? path.join(options.stateDir, 'aws-dynamodb') : undefined;
    if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
    const dynamodb = await startDynamoDbLocal({ dataDir });
    closers.push(dynamodb.close);
    const s3 = await startS3Server({ directory: path.join(options.stateDir, 'aws-s3'), buckets: [LOCAL_AWS.bucket] });
    closers.push(s3.close);
    const secrets = await startSecretsManagerStandIn({
      secrets: { [LOCAL_AWS.secretArn]: LOCAL_AWS.secretValue },
      // No long-term key of its own: only sessions of the connection's role get in.
      credentials: { accessKeyId: 'AKIALOCALNOBODY00000', secretAccessKey: randomBytes(24).toString('hex') },
      lookupSecret: (id) => sessions.get(id),
      region: options.region,
    });
    closers.push(secrets.close);
    const endpoints = { dynamodb: dynamodb.endpoint, s3: s3.endpoint, secretsmanager: secrets.url };
    return {
      connection: {
        name: LOCAL_AWS.connection,
        accountId: '111122223333',
        roleArn: LOCAL_AWS.roleArn,
        regions: [options.region],
        services: [...LOCAL_AWS.services],
        endpoints: { ...endpoints, sts: options.stsUrl },
        description: 'Local mode AWS account: DynamoDB Local, an S3 server, STS and Secrets Manager stand-ins',
      },
      grants: [{ connection: LOCAL_AWS.connection, agent: options.demoAgent, issuer: 'demo' }, { connection: LOCAL_AWS.connection, group: 'gatehouse-demo-ops', issuer: 'demo' }],
      credentialKey: randomBytes(32).toString('base64url'),
      endpoints,
      accept({ accessKeyId, secretAccessKey }) {
        sessions.set(accessKeyId, secretAccessKey);
        const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
        DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}

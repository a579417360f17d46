import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_AWS } from '../local/local-aws-account';
import type { BenchRow } from './bench-row';

/** What the AWS bench needs of a running local mode. */
export interface AwsBenchInput {
  readonly gatewayUrl: string;
  readonly caFile: string;
  /** The workload account's own endpoints (local/local-aws-account.ts), for the direct baseline. */
  readonly aws: { readonly dynamodb: string; readonly s3: string };
  /** A demo agent's OIDC token. */
  readonly token: string;
  readonly stateDir: string;
  readonly requests: number;
  readonly concurrency: number;
}

/**
 * AWS calls through Gatehouse against the same calls made directly to the account's service (local mode's
 * DynamoDB Local and S3 server), in the same run: a DynamoDB GetItem and an S3 GetObject of 64 KiB, with the AWS
 * SDK v3 on both sides. Through Gatehouse each call is verified, classified, decided, recorded (intent before,
 * completion after), re-signed with the connection role's session and masked.
 */
export async function runAwsBench(input: AwsBenchInput): Promise<BenchRow[]> {
  const credentials = sessionCredential(input);
  const agent = new https.Agent({ keepAlive: true, maxSockets: input.concurrency, ca: fs.readFileSync(input.caFile) });
  const common = { region: 'us-east-1', maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', forcePathStyle: true } as const;
  const through = { ...common, endpoint: `${input.gatewayUrl}/aws/${LOCAL_AWS.connection}`, credentials, requestHandler: new NodeHttpHandler({ httpsAgent: agent }) };
  // Direct: what an agent holding an AWS key for the account would do. DynamoDB Local takes any key; the S3 server its own.
  const ddbDirect = new DynamoDBClient({ ...common, endpoint: input.aws.dynamodb, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const s3Direct = new S3Client({ ...common, endpoint: input.aws.s3, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const ddbThrough = new DynamoDBClient(through);
  const s3Through = new S3Client(through);
  const table = `bench-${Date.now().toString(36)}`;
  await ddbDirect.send(new CreateTableCommand({
    TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  }));
  await ddbDirect.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'order-1' }, total: { N: '42' }, note: { S: 'x'.repeat(200) } } }));
  const key = `bench/${table}.bin`;
  await s3Direct.send(new PutObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key, Body: Buffer.alloc(64 * 1024, 7) }));
  const getItem = (client: DynamoDBClient) => async () => { await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'order-1' } } })); };
  const getObject = (client: S3Client) => async () => { await (await client.send(new GetObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key }))).Body!.transformToByteArray(); };
  const rows: BenchRow[] = [];
  try {
    for (const [name, direct, gatehouse] of [
      ['AWS DynamoDB GetItem', getItem(ddbDirect), getItem(ddbThrough)],
      ['AWS S3 GetObject 64 KiB', getObject(s3Direct), getObject(s3Through)],
    ] as const) {
      const base = await load(direct, input.requests, input.concurrency);
      const via = await load(gatehouse, input.requests, input.concurrency);
      rows.push(
        { name: `${name}: p50 latency through Gatehouse`, value: via.p50, unit: 'ms', baseline: base.p50, ratio: via.p50 / base.p50 },
        { name: `${name}: p99 latency through Gatehouse`, value: via.p99, unit: 'ms', baseline: base.p99, ratio: via.p99 / base.p99 },
        { name: `${name}: calls/s through Gatehouse`, value: via.rps, unit: 'req/s', baseline: base.rps, ratio: via.rps / base.rps },
      );
    }
  } finally {
    for (const client of [ddbDirect, s3Direct, ddbThrough, s3Through]) client.destroy();
    agent.destroy();
  }
  return rows;
}

/** The agent's Gatehouse session credential, from the real credential process. */
function sessionCredential(input: AwsBenchInput): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  const tokenFile = path.join(input.stateDir, 'bench-aws-token.jwt');
  fs.writeFileSync(tokenFile, input.token, { mode: 0o600 });
  const out = JSON.parse(execFileSync(process.execPath, [
    path.resolve(__dirname, '../bin/gatehouse-aws-credentials.js'), '--endpoint', input.gatewayUrl, '--connection', LOCAL_AWS.connection, '--token-file', tokenFile, '--ca-file', input.caFile,
  ], { encoding: 'utf8' })) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  return { accessKeyId: out.AccessKeyId, secretAccessKey: out.SecretAccessKey, sessionToken: out.SessionToken };
}

async function load(call: () => Promise<void>, requests: number, concurrency: number): Promise<{ rps: number; p50: number; p99: number }> {
  for (let i = 0; i < Math.min(30, requests); i += 1) await call();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next += 1;
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: requests / seconds, p50: pct(0.5), p99: pct(0.99) };
}

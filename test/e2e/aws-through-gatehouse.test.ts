import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { LOCAL_AWS } from '../../local/local-aws-account';
import { awsCli, sdkConfig, sessionCredential, signedRequest, tokenFile, type SessionCredential } from './support/aws-agent';
import https from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { gatehouse } from './support/cli-helpers';
import { kubectl, localGatehouse, ownSession, replayBlobOf, sessionRecords, unique, withIsolatedGatehouse, type OwnSession } from './support/local-gatehouse';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * AWS calls through Gatehouse, end to end: the real AWS SDK v3 clients and the AWS CLI v2 hold only the agent's
 * OIDC token (turned into a Gatehouse session credential by bin/gatehouse-aws-credentials.js) and reach local
 * mode's AWS account (local/local-aws-account.ts: DynamoDB Local, an S3 server, STS and Secrets Manager
 * stand-ins) through `/aws/local-aws`. Policy is the e2e policy (test/e2e/fixtures/approvals-policy.yaml: the
 * aws-baseline pack plus a deny on protected objects). Each test reads only its own session's records.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const TABLE_SCHEMA = {
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
};

async function agent(label: string): Promise<{ own: OwnSession; credentials: SessionCredential }> {
  const own = ownSession(`aws-${label}`);
  return { own, credentials: await sessionCredential(own.token) };
}

describe('AWS SDK and CLI calls through Gatehouse', () => {
  it('gives the AWS CLI the connection role, assumed for the agent, without handing the agent any AWS credential', async () => {
    // Arrange
    const own = ownSession('aws-cli-identity');
    // Act
    const result = await awsCli(own.token, ['sts', 'get-caller-identity']);
    // Assert
    expect(result).toMatchObject({ code: 0 });
    const identity = JSON.parse(result.stdout) as { Arn: string; Account: string };
    expect(identity.Account).toBe('111122223333');
    expect(identity.Arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/gatehouse-local-aws\/demo\.demo-agent$/);
    const records = await sessionRecords(own.session);
    expect(records.find((r) => r.awsAction === 'GetCallerIdentity')).toMatchObject({
      connection: 'local-aws', awsService: 'sts', awsRegion: 'us-east-1', decision: 'allow', outcome: 'forwarded', status: 200,
    });
  });

  it('writes and reads a DynamoDB item with the SDK, one record per call with action and table', async () => {
    // Arrange
    const { own, credentials } = await agent('ddb');
    const ddb = new DynamoDBClient(sdkConfig(credentials));
    const table = `orders-${unique()}`;
    // Act
    await ddb.send(new CreateTableCommand({ TableName: table, ...TABLE_SCHEMA }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { id: { S: 'o-1' }, total: { N: '42' } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'o-1' } } }));
    // Assert
    expect(got.Item).toEqual({ id: { S: 'o-1' }, total: { N: '42' } });
    const records = (await sessionRecords(own.session)).filter((r) => r.awsService === 'dynamodb');
    expect(records.map((r) => r.awsAction)).toEqual(['CreateTable', 'PutItem', 'GetItem']);
    for (const r of records) {
      expect(r).toMatchObject({ outcome: 'forwarded', status: 200, awsResources: [`arn:aws:dynamodb:us-east-1:111122223333:table/${table}`] });
    }
    ddb.destroy();
  });

  it('puts, lists and streams back an S3 object with the SDK; the replay keeps the call but not the object data', async () => {
    // Arrange
    const { own, credentials } = await agent('s3');
    const s3 = new S3Client(sdkConfig(credentials));
    const key = `runs/${unique()}/build log.txt`;
    // Below the e2e instance's 256 KiB request body limit (global-setup.ts), above the 64 KiB a small read would fit in.
    const data = Buffer.alloc(200_000, 'gatehouse build log line\n');
    // Act
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key, Body: data, ContentType: 'text/plain' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_AWS.bucket, Prefix: key.split('/').slice(0, 2).join('/') }));
    const object = await s3.send(new GetObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key }));
    const read = Buffer.from(await object.Body!.transformToByteArray());
    // Assert
    expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
    expect(read.equals(data)).toBe(true);
    const records = (await sessionRecords(own.session)).filter((r) => r.awsService === 's3');
    expect(records.map((r) => r.awsAction)).toEqual(['PutObject', 'ListObjectsV2', 'GetObject']);
    const get = records[2]!;
    expect(get).toMatchObject({ outcome: 'forwarded', status: 200, bytesOut: data.length, awsResources: [`arn:aws:s3:::${LOCAL_AWS.bucket}/${key}`] });
    const blob = (await replayBlobOf(get)).toString('utf8');
    expect(blob).not.toContain('gatehouse build log line');
    s3.destroy();
  });

  it('copies an artifact up and back down with aws s3 cp, as a CI job does', async () => {
    // Arrange
    const own = ownSession('aws-cli-cp');
    const dir = localGatehouse().stateDir;
    const file = path.join(dir, `artifact-${unique()}.txt`);
    const back = `${file}.back`;
    fs.writeFileSync(file, 'build 42: ok\n'.repeat(1000));
    const key = `artifacts/${path.basename(file)}`;
    // Act
    const up = await awsCli(own.token, ['s3', 'cp', file, `s3://${LOCAL_AWS.bucket}/${key}`]);
    const down = await awsCli(own.token, ['s3', 'cp', `s3://${LOCAL_AWS.bucket}/${key}`, back]);
    // Assert
    expect(up).toMatchObject({ code: 0 });
    expect(down).toMatchObject({ code: 0 });
    expect(fs.readFileSync(back, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
    const actions = (await sessionRecords(own.session)).filter((r) => r.awsService === 's3').map((r) => r.awsAction);
    expect(actions).toEqual(expect.arrayContaining(['PutObject', 'HeadObject', 'GetObject']));
  });

  it('works from the profile gatehouse connections aws-profile writes, with nothing else configured in the SDK', async () => {
    // Arrange: an operator writes the agent's profile; the agent's SDK gets only the CA of local mode's gateway.
    const own = ownSession('aws-profile');
    const dir = localGatehouse().stateDir;
    const token = tokenFile(own.token);
    const configFile = path.join(dir, `aws-profile-${unique()}`);
    const written = await gatehouse(['connections', 'aws-profile', '--connection', 'local-aws', '--agent-token-file', token, '-o', configFile]);
    // As an agent selects it: the SDK reads a profile's endpoint_url only for the profile AWS_PROFILE names.
    const saved = { AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE, AWS_PROFILE: process.env.AWS_PROFILE };
    Object.assign(process.env, { AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'gatehouse-local-aws' });
    try {
      const agent = new https.Agent({ ca: fs.readFileSync(localGatehouse().caFile) });
      const sts = new STSClient({ requestHandler: new NodeHttpHandler({ httpsAgent: agent }), maxAttempts: 1 });
      // Act
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      // Assert
      expect(written.code).toBe(0);
      expect(identity.Arn).toMatch(/assumed-role\/gatehouse-local-aws\//);
      expect(fs.readFileSync(configFile, 'utf8')).toMatch(/^endpoint_url = https:\/\/127\.0\.0\.1:\d+\/aws\/local-aws$/m);
      sts.destroy();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('masks the secret value GetSecretValue answers, for the agent and in the replay', async () => {
    // Arrange
    const { own, credentials } = await agent('secret');
    const secrets = new SecretsManagerClient(sdkConfig(credentials));
    // Act
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_AWS.secretName }));
    // Assert
    expect(answer.ARN).toBe(LOCAL_AWS.secretArn);
    expect(answer.SecretString).toBeDefined();
    expect(answer.SecretString).not.toContain('local-demo-password');
    const [record] = (await sessionRecords(own.session)).filter((r) => r.awsAction === 'GetSecretValue');
    expect(record).toMatchObject({ outcome: 'forwarded', status: 200 });
    expect(Object.values(record!.maskedCounts ?? {}).reduce((a: number, b) => a + (b as number), 0)).toBeGreaterThan(0);
    expect((await replayBlobOf(record!)).toString('utf8')).not.toContain('local-demo-password');
    secrets.destroy();
  });

  it('refuses a call policy denies with an AWS error the SDK and the CLI print, naming the rule, and never forwards it', async () => {
    // Arrange
    const { own, credentials } = await agent('deny');
    const s3 = new S3Client(sdkConfig(credentials));
    const key = `protected/${unique()}.txt`;
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key, Body: 'keep me' }));
    // Act
    const sdk = await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key })).then(() => undefined, (e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
    const cli = await awsCli(own.token, ['s3api', 'delete-object', '--bucket', LOCAL_AWS.bucket, '--key', key]);
    // Assert
    expect(sdk?.name).toBe('AccessDenied');
    expect(sdk?.message).toMatch(/e2e\/aws-protected-objects/);
    expect(sdk?.$metadata.httpStatusCode).toBe(403);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/An error occurred \(AccessDenied\) when calling the DeleteObject operation( \(reached max retries: \d+\))?: Denied by Gatehouse policy rule "e2e\/aws-protected-objects"/);
    const still = await s3.send(new GetObjectCommand({ Bucket: LOCAL_AWS.bucket, Key: key }));
    expect(await still.Body!.transformToString()).toBe('keep me');
    const denied = (await sessionRecords(own.session)).filter((r) => r.awsAction === 'DeleteObject');
    expect(denied).toHaveLength(2);
    for (const r of denied) expect(r).toMatchObject({ decision: 'deny', ruleId: 'e2e/aws-protected-objects', outcome: 'denied', status: 403 });
    s3.destroy();
  });

  it('holds a DeleteTable until a person approves it in Slack, then runs it', async () => {
    await withIsolatedGatehouse(async () => {
      // Arrange
      const own = ownSession('aws-approval', { instance: 'isolated' });
      const credentials = await sessionCredential(own.token, 'isolated');
      const ddb = new DynamoDBClient(sdkConfig(credentials, 'isolated'));
      const table = `scratch-${unique()}`;
      await ddb.send(new CreateTableCommand({ TableName: table, ...TABLE_SCHEMA }));
      // Act: the SDK waits while the test plays the approver.
      const deleting = ddb.send(new DeleteTableCommand({ TableName: table }));
      const approvalId = await approvalAsked(table);
      const stillThere = await ddb.send(new DescribeTableCommand({ TableName: table }));
      expect((await approve(approvalId)).code).toBe(0);
      const deleted = await deleting;
      // Assert
      expect(stillThere.Table?.TableName).toBe(table);
      expect(deleted.TableDescription?.TableName).toBe(table);
      const [record] = (await sessionRecords(own.session, { instance: 'isolated' })).filter((r) => r.awsAction === 'DeleteTable');
      expect(record).toMatchObject({ decision: 'approve', outcome: 'forwarded', status: 200, approval: { approvalId, outcome: 'approved', approver: 'U0LOCALAPPROVER' } });
      ddb.destroy();
    });
  });

  it('shows AWS calls next to the kubectl requests of the same run in gatehouse replay', async () => {
    // Arrange
    const own = ownSession('aws-replay');
    await kubectl(own.kubeconfig(), ['get', 'pods', '-n', 'default']);
    const sts = new STSClient(sdkConfig(await sessionCredential(own.token)));
    await sts.send(new GetCallerIdentityCommand({}));
    await sessionRecords(own.session);
    // Act
    const replay = await gatehouse(['replay', own.session]);
    // Assert
    expect(replay.code).toBe(0);
    const kube = replay.stdout.indexOf('$ kubectl get pods');
    const aws = replay.stdout.indexOf('$ aws sts get-caller-identity --region us-east-1');
    expect(kube).toBeGreaterThanOrEqual(0);
    expect(aws).toBeGreaterThan(kube);
    sts.destroy();
  });
});

describe('AWS calls Gatehouse refuses before anything is forwarded', () => {
  const getItem = (table: string) => ({
    service: 'dynamodb',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body: JSON.stringify({ TableName: table, Key: { id: { S: 'x' } } }),
  });

  it.each([
    ['a region the connection does not allow', { region: 'eu-west-1' }, /eu-west-1/],
    ['a service the connection does not allow', { service: 'iam' }, /iam/],
  ])('refuses a call signed for %s', async (_label, change, message) => {
    const { credentials } = await agent('scope');
    const answer = await signedRequest(credentials, { ...getItem('t'), ...change });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(message);
  });

  it('refuses a signature made 10 minutes ago, and one made 10 minutes ahead', async () => {
    const { credentials } = await agent('clock');
    const stale = await signedRequest(credentials, { ...getItem('t'), signingDate: new Date(Date.now() - 10 * 60_000) });
    const future = await signedRequest(credentials, { ...getItem('t'), signingDate: new Date(Date.now() + 10 * 60_000) });
    for (const answer of [stale, future]) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(JSON.parse(answer.body).__type).toMatch(/InvalidSignatureException|RequestExpired|ExpiredToken/);
    }
  });

  it('refuses a body changed after it was signed', async () => {
    const { credentials } = await agent('tamper');
    const answer = await signedRequest(credentials, getItem('orders'), (sent) => { sent.body = sent.body.replace('orders', 'payroll'); });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).__type).toMatch(/InvalidSignatureException/);
  });

  it('refuses a forged session token', async () => {
    const { credentials } = await agent('forged');
    const token = credentials.sessionToken;
    const forged = { ...credentials, sessionToken: `${token.slice(0, -3)}${token.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}` };
    const answer = await signedRequest(forged, getItem('t'));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).__type).toMatch(/UnrecognizedClientException|InvalidClientTokenId/);
  });

  it('denies an action it cannot name unless a rule allows unknown actions, and records why', async () => {
    const { own, credentials } = await agent('unknown');
    const answer = await signedRequest(credentials, { ...getItem('t'), headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ExportEverything' } });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ __type: 'AccessDeniedException' });
    const calls = (await sessionRecords(own.session)).filter((r) => r.awsService);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ awsService: 'dynamodb', decision: 'deny', ruleId: 'unknown-action', outcome: 'denied' });
    // An action that could not be told is recorded as none.
    expect(calls[0]!.awsAction ?? '').toBe('');
  });

  it('sends a call to the connection\'s endpoint whatever Host and X-Forwarded-Host say', async () => {
    // Arrange: a server that must never be reached.
    let reached = 0;
    const elsewhere = http.createServer((_req, res) => { reached++; res.end('{}'); });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const port = (elsewhere.address() as AddressInfo).port;
    const { credentials } = await agent('host');
    const ddb = new DynamoDBClient(sdkConfig(credentials));
    const table = `host-${unique()}`;
    await ddb.send(new CreateTableCommand({ TableName: table, ...TABLE_SCHEMA }));
    // Act: the Host header is signed as sent (the signature holds), and names the other server.
    const answer = await signedRequest(credentials, { ...getItem(table), headers: { ...getItem(table).headers, 'x-forwarded-host': `127.0.0.1:${port}` } }, (sent) => {
      sent.headers['x-forwarded-host'] = `127.0.0.1:${port}`;
    });
    // Assert
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    expect(reached).toBe(0);
    ddb.destroy();
    await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
  });
});

/** Waits until local Slack shows the approval request that names `text`, and returns its id. */
async function approvalAsked(text: string): Promise<string> {
  const { slack: url } = JSON.parse(fs.readFileSync(path.join(localStateDir('isolated'), 'approvals.json'), 'utf8')) as { slack: string };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { messages } = (await (await fetch(`${url}/_stand-in/messages`)).json()) as { messages: Array<{ text: string; blocks?: unknown }> };
    const found = messages.find((m) => JSON.stringify(m.blocks ?? []).includes(text) || m.text.includes(text));
    const id = found && /apr-[0-9a-z]{12}/.exec(`${found.text} ${JSON.stringify(found.blocks ?? [])}`)?.[0];
    if (id) return id;
    if (Date.now() > deadline) throw new Error(`no approval request for ${text} reached Slack`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function localStateDir(instance: 'main' | 'isolated'): string {
  return localGatehouse(instance).stateDir;
}

/** A signed Slack click on Approve, through the local approvals CLI, as a person would. */
function approve(approvalId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'node_modules/.bin/tsx'), ['local/approvals-cli.ts', 'approve', approvalId, '--state-dir', localStateDir('isolated')], { cwd: ROOT, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

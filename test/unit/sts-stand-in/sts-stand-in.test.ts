import { request } from 'node:http';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { startStsStandIn, type StsStandIn } from '../../../local/sts-stand-in';
import { presignUrl, type SigV4Credentials } from '../../../lambdas/core/sigv4';

const CALLER = { accessKeyId: 'AKIASTANDINCALLER001', secretAccessKey: 'caller/secret+key=example' };
const ROLE = 'arn:aws:iam::111122223333:role/agents/gatehouse-agent';
const REGION = 'us-east-1';

let sts: StsStandIn;
let clock: Date | undefined;
const clients: STSClient[] = [];

/** A real SDK client pointed at the stand-in. */
function client(credentials: SigV4Credentials, systemClockOffset = 0): STSClient {
  const c = new STSClient({ region: REGION, endpoint: sts.url, credentials, maxAttempts: 1, systemClockOffset });
  clients.push(c);
  return c;
}

/** The SDK's error for a call, or a failure if it succeeded. */
async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function assume(input: Partial<AssumeRoleCommandInput> = {}): Promise<SigV4Credentials> {
  const out = await client(CALLER).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'agent-1', ...input }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** GETs a presigned URL from the stand-in, sending the URL's own host as Host. */
function getPresigned(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sts.port, path: `${u.pathname}${u.search}`, headers: { host: u.host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const presignCallerIdentity = (credentials: SigV4Credentials, now: Date, headers: Record<string, string> = { 'x-k8s-aws-id': 'prod' }) => presignUrl({
  method: 'GET', host: 'sts.us-east-1.amazonaws.com', path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  headers, region: REGION, service: 'sts', credentials, expiresSeconds: 60, now,
});

beforeAll(async () => {
  sts = await startStsStandIn({ callerCredentials: CALLER, assumableRoleArns: [ROLE], now: () => clock ?? new Date() });
});
afterEach(() => { clock = undefined; });
afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await sts.close();
});

describe('AssumeRole through the real STSClient', () => {
  it('issues session credentials with the session name, source identity and tags', async () => {
    const before = sts.assumeRoleCalls;

    const out = await client(CALLER).send(new AssumeRoleCommand({
      RoleArn: ROLE, RoleSessionName: 'agent@ci-42', SourceIdentity: 'alice@example.com', DurationSeconds: 900,
      Tags: [{ Key: 'agent', Value: 'ci bot' }, { Key: 'ticket', Value: 'OPS-1' }],
    }));

    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials?.Expiration!.getTime()).toBeGreaterThan(Date.now() + 890_000);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/gatehouse-agent/agent@ci-42');
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:agent@ci-42$/);
    expect(out.SourceIdentity).toBe('alice@example.com');
    expect(sts.assumeRoleCalls).toBe(before + 1);
    expect(sts.sessions.at(-1)).toMatchObject({
      accessKeyId: out.Credentials?.AccessKeyId, roleArn: ROLE, roleSessionName: 'agent@ci-42',
      sourceIdentity: 'alice@example.com', tags: { agent: 'ci bot', ticket: 'OPS-1' },
    });
  });

  it('is reachable through AWS_ENDPOINT_URL_STS', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    try {
      const c = new STSClient({ region: REGION, credentials: CALLER, maxAttempts: 1 });
      clients.push(c);

      const out = await c.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'via-env' }));

      expect(out.AssumedRoleUser?.Arn).toContain('/via-env');
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });

  it.each([
    ['a wrong caller secret', 'SignatureDoesNotMatch', 403, { ...CALLER, secretAccessKey: 'wrong' }, {}],
    ['an unknown access key', 'InvalidClientTokenId', 403, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }, {}],
    ['a one-character RoleSessionName', 'ValidationError', 400, CALLER, { RoleSessionName: 'a' }],
    ['a RoleSessionName with a space', 'ValidationError', 400, CALLER, { RoleSessionName: 'agent one' }],
    ['a 65-character RoleSessionName', 'ValidationError', 400, CALLER, { RoleSessionName: 'a'.repeat(65) }],
    ['a SourceIdentity starting with aws:', 'ValidationError', 400, CALLER, { SourceIdentity: 'aws:alice' }],
    ['a SourceIdentity with a slash', 'ValidationError', 400, CALLER, { SourceIdentity: 'alice/bob' }],
    ['DurationSeconds 899', 'ValidationError', 400, CALLER, { DurationSeconds: 899 }],
    ['DurationSeconds 43201', 'ValidationError', 400, CALLER, { DurationSeconds: 43201 }],
    ['a 2049-character Policy', 'ValidationError', 400, CALLER, { Policy: `{"a":"${'x'.repeat(2041)}"}` }],
    ['a Policy that is not JSON', 'MalformedPolicyDocumentException', 400, CALLER, { Policy: 'not json' }],
    ['51 session tags', 'ValidationError', 400, CALLER, { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }],
    ['an unassumable role', 'AccessDenied', 403, CALLER, { RoleArn: 'arn:aws:iam::111122223333:role/admin' }],
  ])('rejects %s with %s (%i)', async (_name, name, status, credentials, input) => {
    const error = await errorOf(client(credentials).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'agent-1', ...input })));

    expect(error).toEqual({ name, status });
  });

  it('refuses role chaining from a session it issued', async () => {
    const session = await assume();

    const error = await errorOf(client(session).send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'chained' })));

    expect(error).toEqual({ name: 'AccessDenied', status: 403 });
  });
});

describe('GetCallerIdentity', () => {
  it('answers a header-signed SDK call with the assumed-role identity', async () => {
    const session = await assume({ RoleSessionName: 'whoami' });

    const out = await client(session).send(new GetCallerIdentityCommand({}));

    expect(out).toMatchObject({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/gatehouse-agent/whoami', UserId: expect.stringMatching(/^AROA[A-Z2-7]{17}:whoami$/) });
  });

  it('refuses an expired session and a session token that is not the issued one', async () => {
    const session = await assume({ DurationSeconds: 900 });

    const forged = await errorOf(client({ ...session, sessionToken: `${session.sessionToken}x` }).send(new GetCallerIdentityCommand({})));
    clock = new Date(Date.now() + 901_000);
    const expired = await errorOf(client(session, 901_000).send(new GetCallerIdentityCommand({})));

    expect(forged).toEqual({ name: 'InvalidClientTokenId', status: 403 });
    expect(expired).toEqual({ name: 'ExpiredToken', status: 400 });
  });

  it('answers a presigned GET as EKS sends it, in XML or JSON', async () => {
    const session = await assume({ RoleSessionName: 'presigned' });
    const url = presignCallerIdentity(session, new Date());

    const asXml = await getPresigned(url, { 'x-k8s-aws-id': 'prod' });
    const asJson = await getPresigned(url, { 'x-k8s-aws-id': 'prod', accept: 'application/json' });

    expect(asXml.status).toBe(200);
    expect(asXml.body).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><GetCallerIdentityResult><Arn>arn:aws:sts::111122223333:assumed-role\/gatehouse-agent\/presigned<\/Arn><UserId>AROA[A-Z2-7]{17}:presigned<\/UserId><Account>111122223333<\/Account>/);
    expect(JSON.parse(asJson.body)).toMatchObject({ GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: '111122223333', Arn: expect.stringContaining('/presigned') } } });
  });

  it('honours a presigned URL for 15 minutes after X-Amz-Date whatever X-Amz-Expires says', async () => {
    const session = await assume({ DurationSeconds: 3600 });
    const url = presignCallerIdentity(session, new Date(Date.now() - 14 * 60_000));

    const response = await getPresigned(url, { 'x-k8s-aws-id': 'prod' });

    expect(response.status).toBe(200);
  });

  it.each([
    ['older than 15 minutes', -16, { 'x-k8s-aws-id': 'prod' }, { 'x-k8s-aws-id': 'prod' }, 400, 'RequestExpired'],
    ['signed for another cluster', 0, { 'x-k8s-aws-id': 'prod' }, { 'x-k8s-aws-id': 'staging' }, 403, 'SignatureDoesNotMatch'],
    ['sent with an unsigned x-k8s-aws-id', 0, {}, { 'x-k8s-aws-id': 'prod' }, 403, 'SignatureDoesNotMatch'],
  ])('refuses a presigned URL %s', async (_name, minutes, signed, sent, status, code) => {
    const session = await assume({ DurationSeconds: 3600 });
    const url = presignCallerIdentity(session, new Date(Date.now() + minutes * 60_000), signed);

    const response = await getPresigned(url, sent);

    expect(response.status).toBe(status);
    expect(response.body).toContain(`<Code>${code}</Code>`);
  });
});

describe('wire format', () => {
  it('answers errors in the real ErrorResponse XML shape', async () => {
    const response = await getPresigned('https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15');

    expect(response.status).toBe(403);
    expect(response.body).toMatch(/^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  });
});

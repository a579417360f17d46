import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mintEksToken } from '../../../lambdas/core/eks-token';
import { presignUrl, type SigV4Credentials } from '../../../lambdas/core/sigv4';
import { createEksTokenAuthenticator, type EksTokenAuthenticatorOptions } from '../../../local/eks-token-authenticator';
import { startStsStandIn, type StsStandIn } from '../../../local/sts-stand-in';

const CALLER = { accessKeyId: 'AKIAAUTHNCALLER00001', secretAccessKey: 'caller-secret' };
const ROLE = 'arn:aws:iam::111122223333:role/agents/gatehouse-agent';
const REGION = 'eu-west-1';
const CLUSTER = 'cluster-a';

let sts: StsStandIn;
let sdk: STSClient;
let session: SigV4Credentials;
let clock: Date | undefined;

async function assume(roleSessionName: string, durationSeconds = 3600): Promise<SigV4Credentials> {
  const out = await sdk.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: roleSessionName, DurationSeconds: durationSeconds }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** An authenticator whose rejections are collected. */
function authenticator(overrides: Partial<EksTokenAuthenticatorOptions> = {}) {
  const reasons: string[] = [];
  const authenticate = createEksTokenAuthenticator({
    stsEndpoint: sts.url, region: REGION, clusterName: CLUSTER, onReject: (r) => reasons.push(r), ...overrides,
  });
  return { authenticate, reasons };
}

const mint = (credentials = session, now = new Date(), clusterName = CLUSTER) => mintEksToken({ credentials, clusterName, region: REGION, now }).token;
const urlOf = (token: string) => Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
const tokenOf = (url: string) => `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
/** A correctly signed token whose presign inputs differ from what mintEksToken would use. */
const presigned = (over: { headers?: Record<string, string>; expiresSeconds?: number; credentials?: SigV4Credentials }) => tokenOf(presignUrl({
  method: 'GET', host: `sts.${REGION}.amazonaws.com`, path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  headers: over.headers ?? { 'x-k8s-aws-id': CLUSTER }, region: REGION, service: 'sts',
  credentials: over.credentials ?? session, expiresSeconds: over.expiresSeconds ?? 60, now: new Date(),
}));
const edit = (f: (url: string) => string) => () => tokenOf(f(urlOf(mint())));

beforeAll(async () => {
  sts = await startStsStandIn({ callerCredentials: CALLER, assumableRoleArns: [ROLE], region: REGION, now: () => clock ?? new Date() });
  sdk = new STSClient({ region: REGION, endpoint: sts.url, credentials: CALLER, maxAttempts: 1 });
  session = await assume('agent-7');
});
afterEach(() => { clock = undefined; });
afterAll(async () => {
  sdk.destroy();
  await sts.close();
});

describe('createEksTokenAuthenticator', () => {
  it('maps a fresh token from assumed credentials to the assumed-role user with its session name', async () => {
    const { authenticate, reasons } = authenticator();

    const user = await authenticate(mint());

    expect(reasons).toEqual([]);
    expect(user).toEqual({
      username: 'arn:aws:sts::111122223333:assumed-role/gatehouse-agent/agent-7',
      uid: expect.stringMatching(/^aws-iam-authenticator:111122223333:AROA[A-Z2-7]{17}$/),
      groups: [],
      extra: {
        sessionName: ['agent-7'],
        arn: ['arn:aws:sts::111122223333:assumed-role/gatehouse-agent/agent-7'],
        canonicalArn: ['arn:aws:iam::111122223333:role/gatehouse-agent'],
        accessKeyId: [session.accessKeyId],
        principalId: [expect.stringMatching(/^AROA[A-Z2-7]{17}$/)],
      },
    });
  });

  it('expands access-entry templates the way aws-iam-authenticator does', async () => {
    const withAt = await assume('alice@example.com');
    const mapRole = jest.fn(() => ({ username: 'gatehouse:{{SessionName}}:{{SessionNameRaw}}:{{AccountID}}', groups: ['gatehouse-agents'] }));
    const { authenticate } = authenticator({ mapRole });

    const user = await authenticate(mint(withAt));

    expect(mapRole).toHaveBeenCalledWith('arn:aws:iam::111122223333:role/gatehouse-agent', 'alice@example.com');
    expect(user).toMatchObject({ username: 'gatehouse:alice-example.com:alice@example.com:111122223333', groups: ['gatehouse-agents'] });
  });

  it('refuses a role without an access entry', async () => {
    const { authenticate, reasons } = authenticator({ mapRole: () => undefined });

    expect(await authenticate(mint())).toBeUndefined();
    expect(reasons).toEqual(['no access entry maps arn:aws:iam::111122223333:role/gatehouse-agent']);
  });

  it('refuses a token minted for cluster A at the authenticator of cluster B', async () => {
    const { authenticate, reasons } = authenticator({ clusterName: 'cluster-b' });

    expect(await authenticate(mint(session, new Date(), 'cluster-a'))).toBeUndefined();
    expect(reasons[0]).toContain('SignatureDoesNotMatch');
  });

  it('refuses an expired session even with a fresh token', async () => {
    const shortLived = await assume('short', 900);
    clock = new Date(Date.now() + 16 * 60_000);
    const { authenticate, reasons } = authenticator({ now: () => clock! });

    expect(await authenticate(mint(shortLived, clock))).toBeUndefined();
    expect(reasons[0]).toContain('ExpiredToken');
  });

  // [case, token, reason substring, reaches STS]
  it.each<[string, () => string, string, boolean]>([
    ['wrong prefix', () => mint().replace('k8s-aws-v1.', 'k8s-aws-v2.'), 'missing expected "k8s-aws-v1." prefix', false],
    ['too long', () => `k8s-aws-v1.${'A'.repeat(4086)}`, 'token is too large', false],
    ['not base64url', () => 'k8s-aws-v1.aHR0cHM6Ly9zdHMu+/==', 'not valid unpadded base64url', false],
    ['http scheme', edit((u) => u.replace('https://', 'http://')), 'unexpected scheme "http"', false],
    ['wrong host', edit((u) => u.replace(`sts.${REGION}.amazonaws.com`, 'sts.amazonaws.com')), 'unexpected hostname "sts.amazonaws.com"', false],
    ['host with userinfo', edit((u) => u.replace('https://', 'https://x@')), 'unexpected hostname "x"', false],
    ['path not /', edit((u) => u.replace('.com/?', '.com/x?')), 'unexpected path', false],
    ['extra query key', edit((u) => `${u}&Foo=bar`), 'non-whitelisted query parameter "Foo"', false],
    ['duplicate key differing in case', edit((u) => `${u}&action=GetCallerIdentity`), 'duplicate query parameter "action"', false],
    ['repeated key', edit((u) => `${u}&Version=2011-06-15`), 'query parameter with multiple values not supported', false],
    ['semicolon in the query', edit((u) => `${u};x=y`), 'malformed query parameter', false],
    ['Action other than GetCallerIdentity', edit((u) => u.replace('Action=GetCallerIdentity', 'Action=AssumeRole')), 'unexpected action', false],
    ['x-k8s-aws-id not signed', () => presigned({ headers: {} }), 'did not sign the x-k8s-aws-id header', false],
    ['X-Amz-Expires 901', () => presigned({ expiresSeconds: 901 }), 'invalid X-Amz-Expires parameter in pre-signed URL: 901', false],
    ['16-minute-old token', () => mint(session, new Date(Date.now() - 16 * 60_000)), 'X-Amz-Date parameter is expired', false],
    ['signature tampered', edit((u) => u.replace(/X-Amz-Signature=(.)/, (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`)), 'SignatureDoesNotMatch', true],
    ['session token tampered', edit((u) => u.replace('X-Amz-Security-Token=', 'X-Amz-Security-Token=A')), 'SignatureDoesNotMatch', true],
    ['unknown access key', () => presigned({ credentials: { accessKeyId: 'ASIAUNKNOWN000000000', secretAccessKey: 's', sessionToken: 't' } }), 'InvalidClientTokenId', true],
  ])('rejects a token with %s', async (_name, makeToken, reason, reachesSts) => {
    const { authenticate, reasons } = authenticator();
    const token = makeToken();
    const stsCallsBefore = sts.getCallerIdentityCalls;

    const user = await authenticate(token);

    expect(user).toBeUndefined();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(reason);
    expect(reasons[0]).not.toContain(token.slice(11, 60));
    expect(sts.getCallerIdentityCalls > stsCallsBefore).toBe(reachesSts);
  });

  it('never throws, even when STS cannot be reached', async () => {
    const { authenticate, reasons } = authenticator({ stsEndpoint: 'http://127.0.0.1:1' });

    await expect(authenticate(mint())).resolves.toBeUndefined();
    expect(reasons[0]).toContain('error during GET');
  });
});

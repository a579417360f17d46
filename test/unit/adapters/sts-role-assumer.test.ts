import { STSClient } from '@aws-sdk/client-sts';
import { createStsRoleAssumer } from '../../../lambdas/adapters/sts-role-assumer';
import { roleSessionFor } from '../../../lambdas/core/role-session';
import { startStsStandIn, type StsStandIn } from '../../../local/sts-stand-in';

const CALLER = { accessKeyId: 'AKIATESTCALLER000001', secretAccessKey: 'test-caller-secret' };
const ROLE = 'arn:aws:iam::111122223333:role/prod';
const connection = { name: 'prod', roleArn: ROLE };
const agent = (name: string) => ({ issuer: 'ci', agent: name, session: `${name}/1`, groups: [], claims: {} });

describe('the STS role assumer, against the STS stand-in', () => {
  let sts: StsStandIn;
  const client = () => new STSClient({ endpoint: sts.url, region: 'us-east-1', credentials: CALLER });
  beforeAll(async () => {
    sts = await startStsStandIn({ callerCredentials: CALLER, assumableRoleArns: [ROLE] });
  });
  afterAll(() => sts.close());

  it('assumes the role once per agent session and reuses the credentials while they are valid', async () => {
    const roles = createStsRoleAssumer({ client: client() });
    const before = sts.assumeRoleCalls;
    const first = await roles.credentialsFor(roleSessionFor(agent('bot-a'), connection));
    const again = await roles.credentialsFor(roleSessionFor(agent('bot-a'), connection));
    expect(again).toEqual(first);
    expect(sts.assumeRoleCalls - before).toBe(1);
    expect(sts.sessions.at(-1)).toMatchObject({ roleArn: ROLE, sourceIdentity: 'ci.bot-a', tags: { 'gatehouse:agent': 'bot-a', 'gatehouse:connection': 'prod' } });
  });

  it('never shares credentials between agents', async () => {
    const roles = createStsRoleAssumer({ client: client() });
    const a = await roles.credentialsFor(roleSessionFor(agent('bot-a'), connection));
    const b = await roles.credentialsFor(roleSessionFor(agent('bot-b'), connection));
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
  });

  it('assumes again once the cached credentials are about to expire', async () => {
    let now = Date.now();
    const roles = createStsRoleAssumer({ client: client(), now: () => now, refreshMarginMs: 120_000 });
    const first = await roles.credentialsFor(roleSessionFor(agent('bot-c'), connection));
    now = first.expiration!.getTime() - 60_000;
    const second = await roles.credentialsFor(roleSessionFor(agent('bot-c'), connection));
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
  });

  it('points at the trust policy when STS refuses, and at retrying when STS cannot be reached', async () => {
    const refused = createStsRoleAssumer({ client: client() });
    await expect(refused.credentialsFor(roleSessionFor(agent('bot'), { name: 'x', roleArn: 'arn:aws:iam::111122223333:role/other' }))).rejects.toThrow(/AccessDenied.*trust policy/);
    const unreachable = createStsRoleAssumer({ client: new STSClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: CALLER, maxAttempts: 1 }) });
    await expect(unreachable.credentialsFor(roleSessionFor(agent('bot'), connection))).rejects.toThrow(/could not reach AWS STS.*Retry shortly/);
  });
});

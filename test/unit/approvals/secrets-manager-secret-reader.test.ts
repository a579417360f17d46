import { createSecretsManagerSecretReader, environmentCredentials } from '../../../lambdas/adapters/secrets-manager-secret-reader';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../../local/secrets-manager-stand-in';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse/slack-bot-token-AbCdEf';
const CREDS = { accessKeyId: 'AKIALOCALTEST0000001', secretAccessKey: 'local-test-secret-key' };

describe('the Secrets Manager reader, against the stand-in', () => {
  let stand: SecretsManagerStandIn;
  beforeAll(async () => {
    stand = await startSecretsManagerStandIn({ secrets: { [ARN]: 'xoxb-the-token\n' }, credentials: CREDS });
  });
  afterAll(() => stand.close());

  it('reads a secret with a SigV4-signed GetSecretValue, and caches it', async () => {
    let now = new Date();
    const reader = createSecretsManagerSecretReader({ credentials: () => CREDS, endpoint: stand.url, now: () => now, cacheMs: 60_000 });
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
    expect(stand.reads[ARN]).toBe(1);
    now = new Date(now.getTime() + 61_000);
    await reader.read(ARN);
    expect(stand.reads[ARN]).toBe(2);
  });

  it('names the secret and the AWS error, never a value', async () => {
    const reader = createSecretsManagerSecretReader({ credentials: () => CREDS, endpoint: stand.url });
    await expect(reader.read(ARN.replace('bot-token', 'other'))).rejects.toThrow(/GetSecretValue of arn:.*other-AbCdEf failed: ResourceNotFoundException/);
  });

  it('is refused with other credentials', async () => {
    const reader = createSecretsManagerSecretReader({ credentials: () => ({ ...CREDS, secretAccessKey: 'wrong' }), endpoint: stand.url });
    await expect(reader.read(ARN)).rejects.toThrow(/InvalidSignatureException/);
  });

  it('does not cache a failure', async () => {
    let creds = { ...CREDS, secretAccessKey: 'wrong' };
    const reader = createSecretsManagerSecretReader({ credentials: () => creds, endpoint: stand.url });
    await expect(reader.read(ARN)).rejects.toThrow();
    creds = CREDS;
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
  });

  it('takes the Lambda credentials from the environment', () => {
    expect(environmentCredentials({ AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' })()).toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
    expect(() => environmentCredentials({})()).toThrow(/not set/);
  });
});

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerSecretReader } from '../../../lambdas/adapters/secrets-manager-secret-reader';
import { SLACK_SECRET_PLACEHOLDER } from '../../../lambdas/core/approvals/slack-secrets';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../../local/secrets-manager-stand-in';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse/slack-bot-token-AbCdEf';
const CREDS = { accessKeyId: 'AKIALOCALTEST0000001', secretAccessKey: 'local-test-secret-key' };

describe('the Secrets Manager reader, against the stand-in', () => {
  let stand: SecretsManagerStandIn;
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new SecretsManagerClient({ endpoint: stand.url, region: 'us-east-1', credentials });
  beforeAll(async () => {
    stand = await startSecretsManagerStandIn({ secrets: { [ARN]: 'xoxb-the-token\n' }, credentials: CREDS });
  });
  afterAll(() => stand.close());

  it('reads a secret with the SDK GetSecretValue, and caches it', async () => {
    let now = new Date();
    const reader = createSecretsManagerSecretReader({ client: client(CREDS), now: () => now, cacheMs: 60_000 });
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
    expect(stand.reads[ARN]).toBe(1);
    now = new Date(now.getTime() + 61_000);
    await reader.read(ARN);
    expect(stand.reads[ARN]).toBe(2);
  });

  it('names the secret and the AWS error, never a value', async () => {
    const reader = createSecretsManagerSecretReader({ client: client(CREDS) });
    await expect(reader.read(ARN.replace('bot-token', 'other'))).rejects.toThrow(/GetSecretValue of arn:.*other-AbCdEf failed: ResourceNotFoundException/);
  });

  it('is refused with other credentials', async () => {
    const reader = createSecretsManagerSecretReader({ client: client({ ...CREDS, secretAccessKey: 'wrong' }) });
    await expect(reader.read(ARN)).rejects.toThrow(/InvalidSignatureException/);
  });

  it('does not cache a failure', async () => {
    // The real client, after one network blip.
    const real = client(CREDS);
    let calls = 0;
    const flaky = { send: (command: never) => (calls++ === 0 ? Promise.reject(new Error('socket hang up')) : real.send(command)) } as unknown as SecretsManagerClient;
    const reader = createSecretsManagerSecretReader({ client: flaky });
    await expect(reader.read(ARN)).rejects.toThrow();
    await expect(reader.read(ARN)).resolves.toBe('xoxb-the-token');
  });
});

describe('a Slack secret the stack created and nobody filled', () => {
  it('is refused with the command that fills it, so the public placeholder never verifies a click', async () => {
    const stand = await startSecretsManagerStandIn({ secrets: { [ARN]: SLACK_SECRET_PLACEHOLDER }, credentials: CREDS });
    try {
      const reader = createSecretsManagerSecretReader({ client: new SecretsManagerClient({ endpoint: stand.url, region: 'us-east-1', credentials: CREDS }) });

      await expect(reader.read(ARN)).rejects.toThrow(`${ARN} is not set yet: aws secretsmanager put-secret-value --secret-id ${ARN} --secret-string '<value>'`);
    } finally {
      await stand.close();
    }
  });
});

import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../core/approvals/approval-ports';
import { putSecretValueCommand, SLACK_SECRET_PLACEHOLDER } from '../core/approvals/slack-secrets';

/** Options of the Secrets Manager reader. */
export interface SecretsManagerSecretReaderOptions {
  readonly client: SecretsManagerClient;
  /** How long a value is reused; bounds how late a rotated secret is picked up. @default 300000 */
  readonly cacheMs?: number;
  readonly now?: () => Date;
}

/**
 * Reads secret values (the Slack bot token and signing secret) with `GetSecretValue`. Values stay in
 * memory for `cacheMs`, are never logged, and errors name the secret ARN and the AWS error code only.
 * A failed read is not cached, so the next request tries again.
 */
export function createSecretsManagerSecretReader(options: SecretsManagerSecretReaderOptions): SecretReader {
  const cacheMs = options.cacheMs ?? 300_000;
  const now = options.now ?? (() => new Date());
  const cache = new Map<string, { readonly at: number; readonly value: Promise<string> }>();

  async function fetchSecret(secretArn: string): Promise<string> {
    let secret: string | undefined;
    try {
      secret = (await options.client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    } catch (error) {
      throw new Error(`GetSecretValue of ${secretArn} failed: ${error instanceof Error ? error.name : 'Error'}`);
    }
    if (!secret) throw new Error(`${secretArn} has no SecretString (store the value as plain text)`);
    // Fail closed: the stack's placeholder is public, so it must never verify a Slack signature or act as a token.
    if (secret.trim() === SLACK_SECRET_PLACEHOLDER) throw new Error(`${secretArn} is not set yet: ${putSecretValueCommand(secretArn)}`);
    return secret.trim();
  }

  return {
    read(secretArn) {
      const hit = cache.get(secretArn);
      if (hit && now().getTime() - hit.at < cacheMs) return hit.value;
      const value = fetchSecret(secretArn);
      cache.set(secretArn, { at: now().getTime(), value });
      value.catch(() => cache.delete(secretArn));
      return value;
    },
  };
}

import { createHash } from 'node:crypto';
import { createHttpsAwsClient } from '../../adapters/https-aws-client';
import type { GatewayConfig } from '../../core/gateway-config';
import type { AwsProxyDependencies, CredentialKeys } from './aws-proxy-dependencies';

/** Shortest credential key Gatehouse accepts: 32 bytes of key material, as HMAC-SHA256's block wants at least. */
const MIN_KEY_CHARS = 32;

/**
 * The AWS path's dependencies from the Lambda's environment, or undefined when the configuration has no AWS
 * connections (the routes then answer "no such connection"). The credential key is read from Secrets Manager
 * (`GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN`, set by the stack) on first use and kept for the container's life;
 * a failed read is not kept, so the next call tries again. Local mode passes the key itself
 * (`GATEHOUSE_AWS_CREDENTIAL_KEY`), which nothing else may do.
 */
export function createAwsProxyDependencies(env: Readonly<Record<string, string | undefined>>, config: GatewayConfig): AwsProxyDependencies | undefined {
  if (!config.awsConnections?.length) return undefined;
  const local = env.GATEHOUSE_LOCAL_MODE === 'true';
  let keys: Promise<CredentialKeys> | undefined;
  const credentialKeys = (): Promise<CredentialKeys> => {
    keys ??= readKeyMaterial(env, local).then(credentialKeysOf);
    keys.catch(() => { keys = undefined; });
    return keys;
  };
  return {
    connections: new Map(config.awsConnections.map((c) => [c.name, c])),
    credentialKeys,
    credentialLifetimeSeconds: config.awsCredentials?.lifetimeSeconds ?? 3600,
    maxClockSkewSeconds: config.awsCredentials?.maxClockSkewSeconds ?? 300,
    // Plain http only to local mode's stand-ins; configuration validation refuses http endpoints elsewhere.
    upstream: createHttpsAwsClient({ allowHttp: local }),
  };
}

/**
 * The key and its id: the id is a digest of the key, so a credential names the key it was made with without
 * revealing it, and a rotated secret makes old credentials fail with "unknown key" instead of a bad signature.
 */
export function credentialKeysOf(material: string): CredentialKeys {
  if (material.length < MIN_KEY_CHARS) throw new Error(`the AWS credential key is shorter than ${MIN_KEY_CHARS} characters`);
  const key = Buffer.from(material, 'utf8');
  const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return { current: { id, key }, byId: new Map([[id, key]]) };
}

async function readKeyMaterial(env: Readonly<Record<string, string | undefined>>, local: boolean): Promise<string> {
  if (local && env.GATEHOUSE_AWS_CREDENTIAL_KEY) return env.GATEHOUSE_AWS_CREDENTIAL_KEY;
  const secretArn = env.GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN;
  if (!secretArn) throw new Error('GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN is not set; the Gatehouse stack sets it when awsConnections are configured');
  // Loaded on the first AWS call only: kubectl-only containers never pay for the Secrets Manager client.
  const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 }, maxAttempts: 3 });
  const value = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  if (!value) throw new Error(`${secretArn} has no SecretString`);
  return value;
}

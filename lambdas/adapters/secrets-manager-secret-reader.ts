import type { SecretReader } from '../core/approvals/approval-ports';
import { signRequestHeaders, type SigV4Credentials } from '../core/sigv4';

/** Options of the Secrets Manager reader. */
export interface SecretsManagerSecretReaderOptions {
  /** The function's credentials (in Lambda: the execution role's, from the environment). */
  readonly credentials: () => SigV4Credentials;
  /**
   * Endpoint override, e.g. local mode's stand-in (`AWS_ENDPOINT_URL_SECRETS_MANAGER`).
   * @default `https://secretsmanager.<region of the secret>.amazonaws.com`
   */
  readonly endpoint?: string;
  /** How long a value is reused; bounds how late a rotated secret is picked up. @default 300000 */
  readonly cacheMs?: number;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  readonly fetch?: typeof globalThis.fetch;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:/;

/**
 * Reads secret values with Secrets Manager's `GetSecretValue` (JSON 1.1 protocol, SigV4-signed with the
 * project's own signer, so no extra SDK client is bundled). Values stay in memory for `cacheMs`, are never
 * logged, and errors name the secret ARN and the AWS error code only.
 */
export function createSecretsManagerSecretReader(options: SecretsManagerSecretReaderOptions): SecretReader {
  const cacheMs = options.cacheMs ?? 300_000;
  const now = options.now ?? (() => new Date());
  const doFetch = options.fetch ?? globalThis.fetch;
  const cache = new Map<string, { readonly at: number; readonly value: Promise<string> }>();

  async function fetchSecret(secretArn: string): Promise<string> {
    const region = SECRET_ARN.exec(secretArn)?.[1];
    if (!region) throw new Error(`${secretArn} is not a Secrets Manager secret ARN`);
    const url = new URL(options.endpoint ?? `https://secretsmanager.${region}.amazonaws.com`);
    const body = JSON.stringify({ SecretId: secretArn });
    const signed = signRequestHeaders({
      method: 'POST', host: url.host, path: '/', region, service: 'secretsmanager', credentials: options.credentials(), now: now(), body,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') headers[name] = String(value);
    const response = await doFetch(new URL('/', url), { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
    const json = (await response.json().catch(() => ({}))) as { SecretString?: unknown; __type?: unknown };
    if (!response.ok) {
      const code = typeof json.__type === 'string' ? json.__type.split('#').pop() : `HTTP ${response.status}`;
      throw new Error(`GetSecretValue of ${secretArn} failed: ${code}`);
    }
    if (typeof json.SecretString !== 'string' || json.SecretString === '') throw new Error(`${secretArn} has no SecretString (store the value as plain text)`);
    return json.SecretString.trim();
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

/** The Lambda's own credentials from its environment (Lambda always sets these three). */
export function environmentCredentials(env: Readonly<Record<string, string | undefined>>): () => SigV4Credentials {
  return () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; cannot sign GetSecretValue');
    return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  };
}

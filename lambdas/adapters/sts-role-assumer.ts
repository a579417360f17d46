import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentials, RoleAssumer } from '../core/ports';
import type { RoleSessionRequest } from '../core/role-session';
import { ServiceUnavailableError } from '../core/errors';

/** Options of the STS role assumer. */
export interface StsRoleAssumerOptions {
  readonly client: STSClient;
  /** Credentials are reused until this long before they expire. @default 120000 */
  readonly refreshMarginMs?: number;
  /** Most sessions kept; the oldest are dropped first. @default 500 */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * Assumes a connection's role for an agent, with the agent as source identity and session tags. The
 * credentials are cached per (role, session name, session tags) until shortly before they expire, so a
 * warm Lambda calls STS once per agent session and role rather than once per request; they never leave
 * this process.
 */
export function createStsRoleAssumer(options: StsRoleAssumerOptions): RoleAssumer & { readonly size: () => number } {
  const margin = options.refreshMarginMs ?? 120_000;
  const max = options.maxEntries ?? 500;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Promise<AwsCredentials>>();
  async function assume(request: RoleSessionRequest): Promise<AwsCredentials> {
    try {
      const out = await options.client.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.roleSessionName,
          SourceIdentity: request.sourceIdentity,
          DurationSeconds: request.durationSeconds,
          Tags: request.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (error) {
      throw assumeRoleError(error);
    }
  }
  return {
    size: () => cache.size,
    async credentialsFor(request) {
      const key = JSON.stringify([request.roleArn, request.roleSessionName, request.tags]);
      const hit = cache.get(key);
      if (hit) {
        const creds = await hit.catch(() => undefined);
        if (creds && (!creds.expiration || creds.expiration.getTime() - margin > now())) {
          // Refresh the entry's place so the least recently used is evicted first.
          cache.delete(key);
          cache.set(key, hit);
          return creds;
        }
        cache.delete(key);
      }
      const pending = assume(request);
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
      while (cache.size > max) cache.delete(cache.keys().next().value as string);
      return pending;
    },
  };
}

/**
 * Says whether STS was unreachable or refused, since the fixes differ (retry vs. the role's trust policy). STS's
 * own error is kept as `cause` (its message names the action the trust policy lacks) for `gatehouse doctor`;
 * the agent sees only the message.
 */
function assumeRoleError(error: unknown): ServiceUnavailableError {
  return Object.assign(classifyAssumeRoleError(error), { cause: error });
}

function classifyAssumeRoleError(error: unknown): ServiceUnavailableError {
  const name = error instanceof Error ? error.name : 'Error';
  const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (!answered) {
    const code = (error as NodeJS.ErrnoException).code ?? name;
    return new ServiceUnavailableError(`Gatehouse could not reach AWS STS to assume the connection's IAM role (${code}); the request was not forwarded. Retry shortly.`, 5);
  }
  return new ServiceUnavailableError(
    `Gatehouse could not assume the connection's IAM role (${name}); the request was not forwarded. ` +
      "Ask the Gatehouse operator to check the role's trust policy (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity).",
  );
}

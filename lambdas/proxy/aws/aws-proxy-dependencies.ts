import type { AwsConnectionConfig } from '../../core/gateway-config';
import type { AwsUpstreamClient } from '../../core/ports';

/** Gatehouse's credential keys: the one new credentials are made with, and every key a credential may name. */
export interface CredentialKeys {
  readonly current: { readonly id: string; readonly key: Buffer };
  readonly byId: ReadonlyMap<string, Buffer>;
}

/** What the AWS path needs on top of the proxy's shared dependencies. */
export interface AwsProxyDependencies {
  readonly connections: ReadonlyMap<string, AwsConnectionConfig>;
  /** Read once per container (a Secrets Manager secret when deployed); rejects when the key cannot be read. */
  readonly credentialKeys: () => Promise<CredentialKeys>;
  /** Lifetime of a Gatehouse session credential. */
  readonly credentialLifetimeSeconds: number;
  readonly maxClockSkewSeconds: number;
  readonly upstream: AwsUpstreamClient;
  /**
   * Longest an approval hold for an AWS call: the AWS CLI reads an answer for 60 s (`--cli-read-timeout`), the
   * SDKs have no read timeout by default. @default 45
   */
  readonly holdSeconds?: number;
}

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';

/** A running S3 server. */
export interface S3Server {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver, an S3-compatible server, with the given buckets. Clients must use path-style addressing
 * and WHEN_REQUIRED checksums (see the README's local-mode notes); paged listings need Node's
 * --openssl-legacy-provider, which local mode sets for its own process.
 */
export async function startS3Server(options: {
  readonly directory: string;
  readonly buckets: readonly string[];
  readonly port?: number;
  /** An access key the server accepts besides its built-in S3RVER one (signatures are still verified). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}): Promise<S3Server> {
  fs.mkdirSync(options.directory, { recursive: true });
  // Loaded lazily: a dev dependency, never bundled into a Lambda.
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  if (options.credentials) {
    const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
    DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  }
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

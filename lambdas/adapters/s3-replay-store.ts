import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ReplayStore } from '../core/ports';

/** Options of the S3 replay store. */
export interface S3ReplayStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

/** Stores replay blobs, with their SHA-256 as object metadata so the blob can be checked against its record. */
export function createS3ReplayStore(options: S3ReplayStoreOptions): ReplayStore {
  return {
    async put(key, bytes, sha256) {
      await options.client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: bytes,
          ContentType: 'application/json',
          Metadata: { sha256 },
        }),
      );
    },
  };
}

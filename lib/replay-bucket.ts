import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess, Bucket, BucketEncryption, type BucketProps, type IBucket, type LifecycleRule, ObjectOwnership, StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { retainsData, type StoreOptions } from './store-options';

/** Props of {@link ReplayBucket}. */
export interface ReplayBucketProps extends StoreOptions {
  /** Days a replay blob is kept (the same retention as its record). @default 400 */
  readonly retentionDays?: number;
  /** Days an overwritten or deleted blob version survives, so tampering can be noticed and undone. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** Where S3 server access logs go, e.g. an organization's central log bucket. @default a bucket created here */
  readonly accessLogsBucket?: IBucket;
}

/** Object key prefix of replay blobs: `replay/<yyyy>/<mm>/<dd>/<requestId>.json` (docs/DATA-MODEL.md). */
export const REPLAY_PREFIX = 'replay/';
/** Blobs are read mostly in the first weeks (incident review); after that Infrequent Access is cheaper. */
const INFREQUENT_ACCESS_AFTER_DAYS = 30;

/**
 * The replay bucket (`GATEHOUSE_REPLAY_BUCKET`): private, TLS-only, versioned, encrypted, expired after the
 * retention period, with server access logs so reads of recorded traffic are themselves auditable.
 */
export class ReplayBucket extends Construct {
  /** The bucket holding replay blobs. */
  readonly bucket: Bucket;
  /** The bucket receiving server access logs. */
  readonly accessLogsBucket: IBucket;

  constructor(scope: Construct, id: string, props: ReplayBucketProps = {}) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 400;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = !retainsData(props);
    const shared: BucketProps = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
      autoDeleteObjects: destroy,
    };

    this.accessLogsBucket = props.accessLogsBucket ?? this.createLogsBucket(shared, retentionDays);
    const transitions: LifecycleRule['transitions'] = retentionDays > INFREQUENT_ACCESS_AFTER_DAYS
      ? [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(INFREQUENT_ACCESS_AFTER_DAYS) }]
      : undefined; // S3 rejects a transition at or after the expiration
    this.bucket = new Bucket(this, 'Bucket', {
      ...shared,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(props.encryptionKey
        ? { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: BucketEncryption.S3_MANAGED }),
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'replay-bucket/',
      // No prefix on purpose: the retention also expires the delivery stream's replay-batches/ and replay-batches-failed/.
      lifecycleRules: [{
        id: 'retention',
        transitions,
        expiration: Duration.days(retentionDays),
        noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
    });
  }

  /** The bucket name, for `GATEHOUSE_REPLAY_BUCKET`. */
  get bucketName(): string {
    return this.bucket.bucketName;
  }

  /** Lets the grantee write replay blobs: `s3:PutObject` under `replay/` only (no delete, no overwrite of other keys). */
  grantPutReplay(grantee: IGrantable): Grant {
    this.bucket.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${REPLAY_PREFIX}*`)] });
  }

  /** Lets the grantee read replay blobs: `s3:GetObject` under `replay/`. */
  grantReadReplay(grantee: IGrantable): Grant {
    this.bucket.encryptionKey?.grantDecrypt(grantee);
    return Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(`${REPLAY_PREFIX}*`)] });
  }

  private createLogsBucket(shared: BucketProps, retentionDays: number): Bucket {
    const logs = new Bucket(this, 'AccessLogs', {
      ...shared,
      // No objectOwnership here: without the serverAccessLogsUseBucketPolicy flag, CDK grants log delivery
      // with an ACL, which needs ObjectWriter; with it (cdk.json), a bucket policy under S3's default ownership.
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'retention', expiration: Duration.days(retentionDays) }],
    });
    NagSuppressions.addResourceSuppressions(logs, [{
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log destination of the replay bucket; logging it into itself would loop and another log bucket would only move the finding.',
    }]);
    return logs;
  }
}

import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  REPLAY_BATCH_BUFFER_MIB, REPLAY_BATCH_BUFFER_SECONDS, REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PREFIX,
} from '../lambdas/core/replay-batch';

/** Props of {@link ReplayDeliveryStream}. */
export interface ReplayDeliveryStreamProps {
  /** The replay bucket (`ReplayBucket.bucket`) the batches are written into. */
  readonly bucket: IBucket;
  /**
   * Customer managed KMS key of the bucket, also used for the stream's own server-side encryption, as the
   * stack's `encryptionKey` is for the tables and the bucket.
   * @default the bucket's `encryptionKey`; without one, SSE-S3 for the objects and an AWS owned key for the stream
   */
  readonly encryptionKey?: IKey;
  /**
   * How long Firehose buffers before writing an object (`IntervalInSeconds`, 0 to 900 s). It bounds how late a blob
   * becomes readable: the CLI waits this long for a recent one and searches the objects named within this much (and
   * some slack) of a record's end, assuming REPLAY_BATCH_BUFFER_SECONDS for a stack, so a longer interval needs the
   * reader told too. Longer only saves S3 PUTs on a quiet gateway: one object per interval while traffic flows
   * (43,200 a month at 60 s, $0.22).
   * @default Duration.seconds(REPLAY_BATCH_BUFFER_SECONDS), 60 s
   */
  readonly bufferInterval?: Duration;
  /**
   * How much Firehose buffers before writing an object early (`SizeInMBs`, 1 to 128 MiB). Every session's lines
   * share the objects and a reader looks for a blob by time, so on a gateway busy enough to fill a buffer within the
   * interval, smaller objects mean fewer bytes read to find one blob (it stops at the object holding it), at one
   * S3 PUT per object ($0.005 per 1,000, a quarter of a cent per 4 GB of lines at 8 MiB).
   * @default Size.mebibytes(REPLAY_BATCH_BUFFER_MIB), 8 MiB
   */
  readonly bufferSize?: Size;
  /** Retention of the delivery error log group. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the delivery error log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Firehose's buffering bounds for an S3 destination without dynamic partitioning. */
const BUFFER_SECONDS_RANGE = [0, 900] as const;
const BUFFER_MIB_RANGE = [1, 128] as const;
/** The log stream Firehose reports S3 delivery errors to (the name the console would give it). */
const DELIVERY_LOG_STREAM = 'DestinationDelivery';

/** The fixed folder in front of a Firehose prefix expression, e.g. `replay-batches/` of `replay-batches/!{timestamp:...}/`. */
function fixedFolderOf(prefix: string): string {
  const expression = prefix.indexOf('!{');
  const fixed = expression < 0 ? prefix : prefix.slice(0, expression);
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

/**
 * The replay delivery stream (`GATEHOUSE_REPLAY_STREAM`): Amazon Data Firehose, Direct PUT, writing every session's
 * lines together into one object per buffer interval under `replay-batches/<UTC hour>/` of the replay bucket
 * (lambdas/core/replay-batch.ts is the format; the CLI finds a blob by its record's time). No dynamic partitioning and
 * no processors: partitioning by session cost $0.02/GB, $0.005 per 1,000 objects (one per session and interval) and
 * ~$51 a month of JQ processing, ten times the per-request cost at a million requests a month. Its role may only put
 * objects under the two batch prefixes: it cannot read or delete a blob.
 */
export class ReplayDeliveryStream extends Construct {
  /** The delivery stream. */
  readonly deliveryStream: CfnDeliveryStream;
  /** The role Firehose assumes to write to the bucket and its error log. */
  readonly role: Role;
  /** Where Firehose logs delivery errors. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ReplayDeliveryStreamProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket } = props;
    const key = props.encryptionKey ?? bucket.encryptionKey;
    const intervalSeconds = (props.bufferInterval ?? Duration.seconds(REPLAY_BATCH_BUFFER_SECONDS)).toSeconds();
    const sizeMiB = (props.bufferSize ?? Size.mebibytes(REPLAY_BATCH_BUFFER_MIB)).toMebibytes();
    checkRange('bufferInterval', intervalSeconds, BUFFER_SECONDS_RANGE, 's');
    checkRange('bufferSize', sizeMiB, BUFFER_MIB_RANGE, 'MiB');
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: logRemovalPolicy,
    });
    // Created here, so the role needs no logs:CreateLogStream.
    const logStream = new LogStream(this, 'DeliveryLog', {
      logGroup: this.logGroup, logStreamName: DELIVERY_LOG_STREAM, removalPolicy: logRemovalPolicy,
    });

    this.role = new Role(this, 'Role', {
      description: 'Assumed by the replay delivery stream: puts batches into the replay bucket',
      // Confused-deputy guard Firehose documents: only a stream of this account may assume the role.
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': stack.account } } }),
    });
    const batchObjects = [REPLAY_BATCH_PREFIX, REPLAY_BATCH_ERROR_PREFIX].map((p) => bucket.arnForObjects(`${fixedFolderOf(p)}*`));
    this.role.addToPolicy(new PolicyStatement({
      sid: 'PutBatches',
      // Firehose writes large batches as multipart uploads and aborts the ones it gives up on. No GetObject or
      // DeleteObject: the role never reads or removes a replay blob.
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: batchObjects,
    }));
    this.role.addToPolicy(new PolicyStatement({
      sid: 'LocateBucket',
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [bucket.bucketArn],
    }));
    if (key) {
      this.role.addToPolicy(new PolicyStatement({
        sid: 'EncryptBatches',
        // GenerateDataKey encrypts a new object; S3 also needs Decrypt to assemble a multipart upload's parts.
        // Only through S3, and only for this bucket (its ARN is the context with S3 Bucket Keys, as ReplayBucket sets).
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, ...batchObjects] },
        },
      }));
    }
    this.role.addToPolicy(new PolicyStatement({
      sid: 'LogDeliveryErrors',
      actions: ['logs:PutLogEvents'],
      resources: [stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));

    this.deliveryStream = new CfnDeliveryStream(this, 'Resource', {
      deliveryStreamType: 'DirectPut',
      // Records are replay blobs (masked, but still traffic): encrypted at rest in the stream too.
      deliveryStreamEncryptionConfigurationInput: key
        ? { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key.keyArn }
        : { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: REPLAY_BATCH_PREFIX,
        errorOutputPrefix: REPLAY_BATCH_ERROR_PREFIX,
        // The prefix (the UTC hour, no session) is what the CLI lists; the buffering is why (see the props).
        bufferingHints: { intervalInSeconds: intervalSeconds, sizeInMBs: sizeMiB },
        // Each line already carries its blob gzipped (base64); compressing the batch again would gain little and
        // would make a batch unreadable line by line.
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: key
          ? { kmsEncryptionConfig: { awskmsKeyArn: key.keyArn } }
          : { noEncryptionConfig: 'NoEncryption' }, // the bucket's default, SSE-S3, applies
        // No dynamic partitioning and no processing configuration at all: records are written as they come, each
        // line ending in its own newline, so no AppendDelimiterToRecord either.
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks the role when the stream is created: the policy must be there first.
    this.deliveryStream.node.addDependency(this.role);

    NagSuppressions.addResourceSuppressions(this.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Firehose names each batch object itself (hour, time, random suffix), so the keys cannot be listed in advance; the wildcard is limited to the replay-batches/ and replay-batches-failed/ prefixes and to s3:PutObject and s3:AbortMultipartUpload.',
      appliesTo: [REPLAY_BATCH_PREFIX, REPLAY_BATCH_ERROR_PREFIX].map((p) => ({
        regex: `/^Resource::<.*\\.Arn>\\/${escapeRegex(fixedFolderOf(p))}\\*$/`,
      })),
    }], true);
  }

  /** The stream name, for `GATEHOUSE_REPLAY_STREAM`. */
  get deliveryStreamName(): string {
    return this.deliveryStream.ref;
  }

  /** The stream ARN. */
  get deliveryStreamArn(): string {
    return this.deliveryStream.attrArn;
  }

  /** Lets the grantee send replay lines: `firehose:PutRecord` and `firehose:PutRecordBatch` on this stream only. */
  grantPutRecords(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resourceArns: [this.deliveryStreamArn] });
  }
}

function checkRange(name: string, value: number, [min, max]: readonly [number, number], unit: string): void {
  if (Token.isUnresolved(value)) return;
  if (value < min || value > max) {
    throw new Error(`ReplayDeliveryStream ${name} must be ${min} to ${max} ${unit} (Firehose's bounds without dynamic partitioning), got ${value} ${unit}`);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  REPLAY_BATCH_BUFFER_MIB, REPLAY_BATCH_BUFFER_SECONDS, REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PREFIX,
} from '../../lambdas/core/replay-batch';
import { ReplayBucket } from '../../lib/replay-bucket';
import { ReplayDeliveryStream, type ReplayDeliveryStreamProps } from '../../lib/replay-delivery-stream';
import { appWithProjectContext, fixtureConfig, fixtureStack } from './fixtures/synth-stack';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
type Resource = { Type: string; Properties: Record<string, any> };

const actionsOf = (s: Statement): string[] => [s.Action].flat();
const resourcesOf = (s: Statement): unknown[] => [s.Resource].flat();
const logicalId = (template: Template, type: string, prefix: RegExp): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => prefix.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};
/** The statements of the policies attached to the role whose logical ID matches `role`. */
const statementsOfRole = (template: Template, role: string): Statement[] =>
  (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[])
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

// Construct-level cases: no bundling, so each synthesizes a small stack of its own (with cdk.json's flags).
function streamStack(props: Partial<ReplayDeliveryStreamProps> & { readonly withKey?: boolean } = {}) {
  const stack = new Stack(appWithProjectContext(), 'Stream', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = props.withKey ? new Key(stack, 'Key') : undefined;
  const replay = new ReplayBucket(stack, 'ReplayBucket', { encryptionKey: key });
  const stream = new ReplayDeliveryStream(stack, 'ReplayStream', { bucket: replay.bucket, ...props });
  const producer = new Role(stack, 'Producer', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  stream.grantPutRecords(producer);
  const template = Template.fromStack(stack);
  return {
    template,
    bucketId: logicalId(template, 'AWS::S3::Bucket', /^ReplayBucket[0-9A-F]{8}$/),
    streamId: logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', /^ReplayStream[0-9A-F]{8}$/),
    roleId: logicalId(template, 'AWS::IAM::Role', /^ReplayStreamRole[0-9A-F]{8}$/),
    keyId: key ? logicalId(template, 'AWS::KMS::Key', /^Key/) : undefined,
    producerId: logicalId(template, 'AWS::IAM::Role', /^Producer/),
  };
}

describe('ReplayDeliveryStream', () => {
  describe('with the defaults', () => {
    let synth: ReturnType<typeof streamStack>;
    beforeAll(() => {
      synth = streamStack();
    });

    it('is a Direct PUT stream into the replay bucket under the hour prefixes of lambdas/core/replay-batch.ts', () => {
      synth.template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BucketARN: { 'Fn::GetAtt': [synth.bucketId, 'Arn'] },
          RoleARN: { 'Fn::GetAtt': [synth.roleId, 'Arn'] },
          Prefix: 'replay-batches/!{timestamp:yyyy/MM/dd/HH}/',
          ErrorOutputPrefix: 'replay-batches-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        }),
      });
      // The literals above are what the CLI reads; the constants are what the construct uses.
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: Match.objectLike({ Prefix: REPLAY_BATCH_PREFIX, ErrorOutputPrefix: REPLAY_BATCH_ERROR_PREFIX }),
      });
    });

    it('neither partitions nor processes records: no JQ processing hours, partitioned GB or per-session objects to pay for', () => {
      const destination = Object.values(synth.template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0]!
        .Properties.ExtendedS3DestinationConfiguration;

      expect(destination.DynamicPartitioningConfiguration).toBeUndefined();
      expect(destination.ProcessingConfiguration).toBeUndefined();
      expect(JSON.stringify(destination)).not.toMatch(/partitionKeyFrom|MetadataExtraction/);
    });

    it('buffers 60 s or 8 MiB and writes the lines uncompressed', () => {
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BufferingHints: { IntervalInSeconds: REPLAY_BATCH_BUFFER_SECONDS, SizeInMBs: REPLAY_BATCH_BUFFER_MIB },
          CompressionFormat: 'UNCOMPRESSED',
        }),
      });
      expect([REPLAY_BATCH_BUFFER_SECONDS, REPLAY_BATCH_BUFFER_MIB]).toEqual([60, 8]);
    });

    it('encrypts the stream with an AWS owned key and leaves the objects to the bucket default (SSE-S3)', () => {
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        ExtendedS3DestinationConfiguration: Match.objectLike({ EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' } }),
      });
      synth.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: Match.anyValue(),
      });
    });

    it('logs delivery errors to its own log stream, in a log group with a retention', () => {
      const logGroupId = logicalId(synth.template, 'AWS::Logs::LogGroup', /^ReplayStreamLogs/);
      synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      synth.template.hasResourceProperties('AWS::Logs::LogStream', { LogGroupName: { Ref: logGroupId }, LogStreamName: 'DestinationDelivery' });
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: logGroupId }, LogStreamName: { Ref: Match.stringLikeRegexp('^ReplayStreamDeliveryLog') } },
        }),
      });
    });

    it('has a role only Firehose of this account can assume, with no managed policy', () => {
      synth.template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{
            Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } },
          }],
        },
      });
      expect(synth.template.findResources('AWS::IAM::Role')[synth.roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('lets the role put objects under the two batch prefixes of this bucket only, and write its log stream', () => {
      const bucketArn = { 'Fn::GetAtt': [synth.bucketId, 'Arn'] };
      const under = (folder: string) => ({ 'Fn::Join': ['', [bucketArn, `/${folder}*`]] });
      const statements = statementsOfRole(synth.template, synth.roleId);

      // Sorted: minimizePolicies (cdk.json) orders actions and resources.
      expect(statements.map((s) => [s.Sid, actionsOf(s).sort(), resourcesOf(s)])).toEqual([
        ['PutBatches', ['s3:AbortMultipartUpload', 's3:PutObject'], [under('replay-batches-failed/'), under('replay-batches/')]],
        ['LocateBucket', ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], [bucketArn]],
        ['LogDeliveryErrors', ['logs:PutLogEvents'], [expect.anything()]],
      ]);
      expect(statements.every((s) => s.Effect === 'Allow' && !s.Condition)).toBe(true);
      const logStreamArn = JSON.stringify(statements[2]!.Resource);
      expect(logStreamArn).toContain(':log-group:');
      expect(logStreamArn).toContain(':log-stream:');
      expect(logStreamArn).not.toContain('*');
      // Nothing that reads or removes a replay blob, and no other bucket.
      expect(statements.flatMap(actionsOf)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^s3:(Get|Delete)Object/)]));
    });

    it('is created after its role policy (Firehose checks the role at creation)', () => {
      const stream = synth.template.findResources('AWS::KinesisFirehose::DeliveryStream')[synth.streamId]!;
      const policyId = logicalId(synth.template, 'AWS::IAM::Policy', /^ReplayStreamRoleDefaultPolicy/);

      expect(stream.DependsOn).toEqual(expect.arrayContaining([policyId, synth.roleId]));
    });

    it('grants put-records on this stream only: PutRecord and PutRecordBatch on its ARN', () => {
      expect(statementsOfRole(synth.template, synth.producerId)).toEqual([{
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [synth.streamId, 'Arn'] },
      }]);
    });
  });

  describe('with the bucket\'s customer managed key', () => {
    let synth: ReturnType<typeof streamStack>;
    beforeAll(() => {
      synth = streamStack({ withKey: true });
    });

    it('encrypts the stream and the batch objects with that key', () => {
      const keyArn = { 'Fn::GetAtt': [synth.keyId, 'Arn'] };
      synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn },
        ExtendedS3DestinationConfiguration: Match.objectLike({ EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn } } }),
      });
    });

    it('lets the role use the key through S3 for this bucket only, to encrypt (and assemble multipart uploads)', () => {
      const kms = statementsOfRole(synth.template, synth.roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

      expect(kms).toEqual([expect.objectContaining({
        Sid: 'EncryptBatches',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [synth.keyId, 'Arn'] },
      })]);
      expect(JSON.stringify(kms[0]!.Condition)).toContain('"kms:ViaService"');
      expect(kms[0]!.Condition).toMatchObject({
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': expect.arrayContaining([{ 'Fn::GetAtt': [synth.bucketId, 'Arn'] }]) },
      });
    });
  });

  it.each([
    ['the longest interval and largest size', { bufferInterval: Duration.minutes(15), bufferSize: Size.mebibytes(128) }, { IntervalInSeconds: 900, SizeInMBs: 128 }],
    ['no interval and the smallest size', { bufferInterval: Duration.seconds(0), bufferSize: Size.mebibytes(1) }, { IntervalInSeconds: 0, SizeInMBs: 1 }],
  ])('takes its buffering from the props: %s', (_name, props, hints) => {
    const { template } = streamStack(props);

    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ BufferingHints: hints }),
    });
  });

  it.each([
    ['an interval over 900 s', { bufferInterval: Duration.minutes(20) }, /bufferInterval must be 0 to 900 s/],
    ['no size', { bufferSize: Size.mebibytes(0) }, /bufferSize must be 1 to 128 MiB/],
    ['a size over 128 MiB', { bufferSize: Size.mebibytes(256) }, /bufferSize must be 1 to 128 MiB/],
  ])('rejects %s, which Firehose refuses', (_name, props, message) => {
    expect(() => streamStack(props)).toThrow(message);
  });
});

describe('GatehouseStack replay delivery stream', () => {
  let template: Template;
  beforeAll(() => {
    // One synth (and one bundling) for these cases.
    template = Template.fromStack(fixtureStack());
  });

  const functions = () => Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
  const proxyFunction = () => functions().find((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'gatehouse')!;
  const doctorFunction = () => functions().find((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'gatehouse-doctor')!;
  const proxyRoleId = () => proxyFunction().Properties.Role['Fn::GetAtt'][0] as string;
  const streamId = () => logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', /^ReplayStream[0-9A-F]{8}$/);
  const bucketId = () => logicalId(template, 'AWS::S3::Bucket', /^ReplayBucket[0-9A-F]{8}$/);

  it('has one delivery stream into the replay bucket', () => {
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ BucketARN: { 'Fn::GetAtt': [bucketId(), 'Arn'] }, Prefix: REPLAY_BATCH_PREFIX }),
    });
  });

  it('gives the proxy and the doctor the stream name as GATEHOUSE_REPLAY_STREAM, next to the bucket', () => {
    for (const fn of [proxyFunction(), doctorFunction()]) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        GATEHOUSE_REPLAY_STREAM: { Ref: streamId() },
        GATEHOUSE_REPLAY_BUCKET: { Ref: bucketId() },
      });
    }
  });

  it('lets the proxy role put records on that stream only, and still put objects under replay/', () => {
    const statements = statementsOfRole(template, proxyRoleId());
    const firehose = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('firehose:')));

    expect(firehose).toEqual([expect.objectContaining({
      Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
      Resource: { 'Fn::GetAtt': [streamId(), 'Arn'] },
    })]);
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/replay/*']] },
    })]));
  });

  it('expires the batches with the records: the bucket\'s retention rule has no prefix, so it covers replay-batches/ too', () => {
    const rules = template.findResources('AWS::S3::Bucket')[bucketId()]!.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];

    expect(rules).toEqual([expect.objectContaining({ Id: 'retention', Status: 'Enabled', ExpirationInDays: fixtureConfig().retentionDays })]);
    expect(fixtureConfig().retentionDays).toBe(90);
    for (const rule of rules) {
      expect(rule.Prefix).toBeUndefined();
      expect(rule.TagFilters).toBeUndefined();
      expect(rule.ObjectSizeGreaterThan).toBeUndefined();
      expect(rule.ObjectSizeLessThan).toBeUndefined();
    }
  });

  it('writes through the stream\'s own role, which names no other bucket', () => {
    const role = template.findResources('AWS::KinesisFirehose::DeliveryStream')[streamId()]!
      .Properties.ExtendedS3DestinationConfiguration.RoleARN['Fn::GetAtt'][0] as string;
    const buckets = statementsOfRole(template, role).flatMap(resourcesOf).filter((r) => JSON.stringify(r).includes('Bucket'));

    expect(role).not.toBe(proxyRoleId());
    expect(buckets.length).toBeGreaterThan(0);
    for (const resource of buckets) expect(JSON.stringify(resource)).toContain(`"${bucketId()}"`);
  });
});

import { Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { GrantSeed } from '../../lib/grant-seed';
import { lambdaLogging } from '../../lib/lambda-logging';
import { GrantsTable } from '../../lib/grants-table';
import { RecordsTable } from '../../lib/records-table';
import { ReplayBucket } from '../../lib/replay-bucket';
import { appWithProjectContext } from './fixtures/synth-stack';

// Construct-level cases that need no bundling, so each can synthesize its own small stack (with cdk.json's flags).
function stackWithRole(): { stack: Stack; role: Role } {
  const stack = new Stack(appWithProjectContext(), 'Constructs', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { stack, role: new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }) };
}

const policyStatements = (template: Template): any[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);

describe('ReplayBucket', () => {
  it('expires without a transition when the retention is 30 days or less (S3 rejects a transition at expiry)', () => {
    const { stack } = stackWithRole();
    new ReplayBucket(stack, 'Replay', { retentionDays: 30 });

    const rules = Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket'))
      .map((b: any) => b.Properties.LifecycleConfiguration?.Rules?.[0])
      .filter((r) => r?.NoncurrentVersionExpiration);

    expect(rules).toEqual([expect.objectContaining({ ExpirationInDays: 30 })]);
    expect(rules[0].Transitions).toBeUndefined();
  });

  it('uses a customer managed key when given, and grants put access to it', () => {
    const { stack, role } = stackWithRole();
    const replay = new ReplayBucket(stack, 'Replay', { encryptionKey: new Key(stack, 'Key') });
    replay.grantPutReplay(role);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
    });
    expect(policyStatements(template).flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 's3:PutObject']));
  });

  it('logs to a given access log bucket instead of creating one', () => {
    const { stack } = stackWithRole();
    const central = new Bucket(stack, 'Central');
    new ReplayBucket(stack, 'Replay', { accessLogsBucket: central });

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    const centralId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('Central'));
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: centralId } } });
  });
});

describe('table grants', () => {
  it('name each records index instead of index/*', () => {
    const { stack, role } = stackWithRole();
    new RecordsTable(stack, 'Records').grantReadRecords(role);

    const resources = policyStatements(Template.fromStack(stack))[0].Resource;

    expect(JSON.stringify(resources)).not.toContain('index/*');
    expect(resources).toHaveLength(4);
  });

  it('give the operator write access to grants without Scan or table management', () => {
    const { stack, role } = stackWithRole();
    new GrantsTable(stack, 'Grants').grantWriteGrants(role);

    expect([...policyStatements(Template.fromStack(stack))[0].Action].sort()).toEqual([
      'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
    ]);
  });

  it('encrypt both tables with a customer managed key when given', () => {
    const { stack } = stackWithRole();
    const key = new Key(stack, 'Key');
    new GrantsTable(stack, 'Grants', { encryptionKey: key });
    new RecordsTable(stack, 'Records', { encryptionKey: key });

    Template.fromStack(stack).allResourcesProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS' } });
  });
});

describe('GrantSeed', () => {
  it('creates nothing when the configuration has no grants', () => {
    const { stack } = stackWithRole();
    new GrantSeed(stack, 'Seed', { grants: [], grantsTable: new GrantsTable(stack, 'Grants') });

    expect(Object.keys(Template.fromStack(stack).findResources('Custom::GatehouseConfigGrant'))).toEqual([]);
  });

  it('shares one role and policy across all grant resources', () => {
    const { stack } = stackWithRole();
    const grants = Array.from({ length: 30 }, (_, i) => ({ connection: 'demo', agent: `acme/repo-${i}` }));
    new GrantSeed(stack, 'Seed', { grants, grantsTable: new GrantsTable(stack, 'Grants') });

    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::GatehouseConfigGrant', 30);
    template.resourceCountIs('AWS::IAM::Policy', 1);
  });
});

describe('lambdaLogging', () => {
  it.each([['DEBUG', 'DEBUG'], ['INFO', 'INFO']] as const)('sets the application log level %s to %s', (level, expected) => {
    expect(lambdaLogging(level)).toEqual({ loggingFormat: 'JSON', systemLogLevelV2: 'WARN', applicationLogLevelV2: expected });
  });

  it.each(['WARN', 'ERROR'] as const)('keeps %s at INFO for Lambda, which would otherwise drop the EMF metric lines (they carry no level)', (level) => {
    expect(lambdaLogging(level).applicationLogLevelV2).toBe('INFO');
  });
});

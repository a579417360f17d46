import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccessLogField } from 'aws-cdk-lib/aws-apigateway';
import { grantFromSpec, grantToItem } from '../../lambdas/core/grant';
import { createLocalTables } from '../../local/create-tables';
import { ACCESS_LOG_FIELDS, accessLogFormat } from '../../lib/access-log-format';
import { fixtureConfig, fixtureStack } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

const ROLE_ARNS = ['arn:aws:iam::111111111111:role/gatehouse-demo', 'arn:aws:iam::222222222222:role/teams/gatehouse-prod'];

describe('GatehouseStack', () => {
  let template: Template;
  let outdir: string;

  beforeAll(() => {
    // One synth (and one esbuild bundling) for the whole file.
    const stack = fixtureStack();
    template = Template.fromStack(stack);
    outdir = Stage.of(stack)!.outdir;
  });

  const resourcesOf = (type: string): Resource[] => Object.values(template.findResources(type)) as Resource[];
  const statements = (): Statement[] => resourcesOf('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const actions = (s: Statement): string[] => [s.Action].flat();
  const proxyFunction = (): Resource => resourcesOf('AWS::Lambda::Function').find((f) => f.Properties.Runtime === 'nodejs22.x')!;

  describe('API', () => {
    it('is a regional REST API that passes every media type as binary', () => {
      template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
        BinaryMediaTypes: ['*/*'],
      });
    });

    it.each(['k8s', '{connection}', '{proxy+}'])('has the resource %s', (pathPart) => {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: pathPart });
    });

    it('routes ANY on both connection routes to the proxy as a Lambda proxy integration, without an API Gateway authorizer', () => {
      // Besides these, only the operators' IAM-authorized GET /operator/doctor (test/cdk/doctor-route.test.ts).
      const methods = resourcesOf('AWS::ApiGateway::Method').filter((m) => m.Properties.HttpMethod !== 'GET');
      expect(methods).toHaveLength(2);
      for (const method of methods) {
        expect(method.Properties).toMatchObject({
          HttpMethod: 'ANY',
          AuthorizationType: 'NONE',
          // Response streaming: watch, logs -f and answers past 10 MB, up to 15 minutes.
          Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', ResponseTransferMode: 'STREAM', TimeoutInMillis: 900_000 },
        });
        expect(JSON.stringify(method.Properties.Integration.Uri)).toContain('response-streaming-invocations');
      }
      expect(methods.map((m) => Object.keys(m.Properties.RequestParameters).sort())).toEqual(expect.arrayContaining([
        ['method.request.path.connection'],
        ['method.request.path.connection', 'method.request.path.proxy'],
      ]));
    });

    it('logs access as one short JSON line of request metadata, keyed by the records\' request id, never a header', () => {
      const stage = resourcesOf('AWS::ApiGateway::Stage')[0]!;
      const format = stage.Properties.AccessLogSetting.Format as string;

      // messageString is rendered already quoted, so it is the one variable left unquoted.
      expect(JSON.parse(format.replace('$context.error.messageString', '"x"'))).toEqual({
        id: '$context.requestId', time: '$context.requestTimeEpoch', ip: '$context.identity.sourceIp', method: '$context.httpMethod',
        path: '$context.path', status: '$context.status', fnStatus: '$context.integrationStatus', ms: '$context.responseLatency',
        fnMs: '$context.integrationLatency', bytes: '$context.responseLength', error: '$context.error.responseType', msg: 'x',
      });
      expect(format).toBe(accessLogFormat());
      expect(format).not.toMatch(/header|authorization|userAgent|querystring/i);
    });

    it('names only $context variables API Gateway has (as CDK\'s AccessLogField renders them)', () => {
      const known = new Set([
        AccessLogField.contextRequestId(), AccessLogField.contextRequestTimeEpoch(), AccessLogField.contextIdentitySourceIp(), AccessLogField.contextHttpMethod(),
        AccessLogField.contextPath(), AccessLogField.contextStatus(), AccessLogField.contextIntegrationStatus(), AccessLogField.contextResponseLatency(),
        AccessLogField.contextIntegrationLatency(), AccessLogField.contextResponseLength(), AccessLogField.contextErrorResponseType(), AccessLogField.contextErrorMessageString(),
      ]);

      expect(ACCESS_LOG_FIELDS.map(([, variable]) => `$context.${variable}`).filter((v) => !known.has(v))).toEqual([]);
    });

    it('throttles the stage, logs errors only and never data traces (they would contain bearer tokens)', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'v1',
        TracingEnabled: false,
        MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
      });
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
    });

    it('answers API Gateway throttling as a Kubernetes Status', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'THROTTLED',
        StatusCode: '429',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"kind":"Status".*"reason":"TooManyRequests","code":429') },
      });
    });
  });

  describe('proxy function', () => {
    it('runs Node.js 22 on arm64 with 1 GB, and outlives the longest stream (600 s) plus handler overhead', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 604, // limits.maxStreamSeconds default 600 + 4 s
        Handler: 'index.handler',
      });
      expect(proxyFunction().Properties.TracingConfig).toBeUndefined();
    });

    it('gets exactly the documented environment', () => {
      const variables = proxyFunction().Properties.Environment.Variables;

      expect(Object.keys(variables).sort()).toEqual([
        'GATEHOUSE_GRANTS_TABLE', 'GATEHOUSE_RECORDS_TABLE', 'GATEHOUSE_REPLAY_BUCKET', 'GATEHOUSE_REPLAY_STREAM', 'NODE_OPTIONS',
        'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_TRACE_ENABLED',
      ]);
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'gatehouse', POWERTOOLS_METRICS_NAMESPACE: 'Gatehouse', POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_TRACE_ENABLED: 'false', GATEHOUSE_GRANTS_TABLE: { Ref: expect.stringMatching(/^GrantsTable/) },
      });
    });

    it('has the validated configuration, without grants, compiled into its bundle', () => {
      const assetPath = proxyFunction().Metadata!['aws:asset:path'] as string;
      const bundle = readFileSync(path.join(outdir, assetPath, 'index.js'), 'utf8');
      const banner = /^process\.env\.GATEHOUSE_CONFIG=("(?:[^"\\]|\\.)*");/.exec(bundle);

      expect(banner).not.toBeNull();
      const embedded = JSON.parse(JSON.parse(banner![1]!));
      expect(embedded).toEqual({ ...fixtureConfig(), grants: undefined });
      expect(embedded.grants).toBeUndefined();
    });

    it('logs JSON, with Lambda\'s platform lines at WARN (no START/END/REPORT) and its own lines at INFO, like every Gatehouse function', () => {
      const gatehouseFunctions = resourcesOf('AWS::Lambda::Function').filter((f) => String(f.Properties.Description ?? '').startsWith('Gatehouse'));

      expect(gatehouseFunctions.map((f) => String(f.Properties.Description).split(':')[0])).toEqual(expect.arrayContaining(['Gatehouse proxy', 'Gatehouse doctor']));
      for (const fn of gatehouseFunctions) {
        expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
      }
    });

    it('logs to its own log group with a retention', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ProxyLogs') } },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });

    it('may assume, tag and set the source identity of exactly the configured connection roles', () => {
      const sts = statements().filter((s) => actions(s).some((a) => a.startsWith('sts:')));

      expect(sts).toEqual([{
        Sid: 'AssumeConnectionRoles',
        Effect: 'Allow',
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Resource: ROLE_ARNS,
      }]);
    });

    it('has no statement on Resource "*" anywhere in the stack', () => {
      const wildcard = statements().filter((s) => [s.Resource].flat().includes('*'));

      expect(wildcard).toEqual([]);
    });

    it('reads grants, writes records, puts replay blobs and replay records, nothing more', () => {
      const proxyRole = proxyFunction().Properties.Role['Fn::GetAtt'][0];
      const policy = resourcesOf('AWS::IAM::Policy').find((p) => p.Properties.Roles.some((r: any) => r.Ref === proxyRole))!;
      const granted = [...new Set((policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actions))].sort();

      expect(granted).toEqual([
        'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
        'firehose:PutRecord', 'firehose:PutRecordBatch', 's3:PutObject', 'sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession',
      ]);
    });
  });

  describe('stream leases', () => {
    it('lets the proxy read and write only the lease items of the records table, never a record', () => {
      const proxyRole = proxyFunction().Properties.Role['Fn::GetAtt'][0];
      const policy = resourcesOf('AWS::IAM::Policy').find((p) => p.Properties.Roles.some((r: any) => r.Ref === proxyRole))!;
      const leaseStatements = (policy.Properties.PolicyDocument.Statement as Array<Statement & { Condition?: unknown }>)
        .filter((s) => JSON.stringify(s.Condition ?? {}).includes('dynamodb:LeadingKeys'));

      expect(leaseStatements).toContainEqual(expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['lease#*'] } },
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RecordsTable/), 'Arn'] },
      }));
      // The only other conditioned statement is the records' own (session#...): no read reaches a record.
      expect(leaseStatements.filter((s) => actions(s).includes('dynamodb:GetItem'))).toHaveLength(1);
      const unconditionalRecordReads = (policy.Properties.PolicyDocument.Statement as Array<Statement & { Condition?: unknown }>)
        .filter((s) => !s.Condition && actions(s).includes('dynamodb:GetItem') && JSON.stringify(s.Resource).includes('RecordsTable'));
      expect(unconditionalRecordReads).toEqual([]);
    });
  });

  describe('tables', () => {
    it.each(['GrantsTable', 'RecordsTable'])('%s is on-demand, point-in-time recoverable, TTL-expired, encrypted and retained', (name) => {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
        }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Metadata: Match.objectLike({ 'aws:cdk:path': `Test/${name}/Table/Resource` }),
      });
    });

    it('keys records by session and start, and indexes only keys: session heads by agent and connection, refused requests by id', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'startedAtId', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'by-agent', KeySchema: [{ AttributeName: 'agentKey', KeyType: 'HASH' }, { AttributeName: 'startedAtId', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
          { IndexName: 'by-connection', KeySchema: [{ AttributeName: 'connectionKey', KeyType: 'HASH' }, { AttributeName: 'startedAtId', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
          { IndexName: 'by-request-id', KeySchema: [{ AttributeName: 'lookupId', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
      });
    });

    it('lets the proxy write only record items of the records table (session#...), and never delete one', () => {
      const proxyRole = proxyFunction().Properties.Role['Fn::GetAtt'][0];
      const policy = resourcesOf('AWS::IAM::Policy').find((p) => p.Properties.Roles.some((r: any) => r.Ref === proxyRole))!;
      const onRecords = (policy.Properties.PolicyDocument.Statement as Array<Statement & { Condition?: unknown }>)
        .filter((s) => JSON.stringify(s.Resource).includes('RecordsTable') && actions(s).includes('dynamodb:PutItem'));
      expect(onRecords).toEqual(expect.arrayContaining([expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['session#*'] } },
      })]));
      expect(onRecords.every((s) => JSON.stringify(s.Condition ?? {}).includes('LeadingKeys'))).toBe(true);
      expect(onRecords.flatMap(actions)).not.toContain('dynamodb:DeleteItem');
    });

    it('keys grants by connection and indexes them by principal', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [Match.objectLike({
          IndexName: 'by-principal',
          KeySchema: [{ AttributeName: 'principalKey', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }],
        })],
      });
    });

    it('have the same keys and indexes as the tables local mode creates', async () => {
      const created: any[] = [];
      await createLocalTables({ send: async (command: { input: unknown }) => void created.push(command.input) } as never);
      const shape = (t: any) => ({
        keys: t.KeySchema,
        indexes: [...(t.GlobalSecondaryIndexes ?? [])].map((i: any) => ({ name: i.IndexName, keys: i.KeySchema })).sort((a, b) => a.name.localeCompare(b.name)),
      });

      const local = created.filter((c) => c.KeySchema).map(shape);
      const deployed = resourcesOf('AWS::DynamoDB::Table').map((t) => shape(t.Properties));

      expect(deployed).toEqual(expect.arrayContaining(local));
      expect(local).toHaveLength(2);
    });
  });

  describe('replay bucket', () => {
    const replayBucket = () => resourcesOf('AWS::S3::Bucket').find((b) => b.Properties.VersioningConfiguration)!;

    it('is encrypted, private, versioned, and logs access to a separate bucket', () => {
      expect(replayBucket().Properties).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^ReplayBucketAccessLogs/) } },
      });
      template.resourceCountIs('AWS::S3::Bucket', 2);
    });

    it('moves blobs to Infrequent Access after 30 days and expires them after the retention', () => {
      expect(replayBucket().Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: 90,
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      })]);
    });

    it('refuses requests without TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp('^ReplayBucket[A-F0-9]+$') },
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          })]),
        },
      });
    });
  });

  describe('grant seed', () => {
    it('writes each configured grant with putItem, with a fixed createdAt so synth is deterministic', () => {
      const [spec] = fixtureConfig().grants!;
      const item = grantToItem(grantFromSpec(spec!, { createdAt: '1970-01-01T00:00:00.000Z', createdBy: 'cdk-deploy', source: 'config' }));
      const seeds = resourcesOf('Custom::GatehouseConfigGrant');
      const create = (r: Resource) => JSON.parse((r.Properties.Create['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TABLE')).join(''));

      expect(seeds).toHaveLength(2);
      expect(create(seeds.find((s) => JSON.stringify(s).includes(item.grantId))!)).toMatchObject({
        action: 'putItem',
        parameters: { TableName: 'TABLE', Item: { pk: { S: 'conn#demo' }, sk: { S: item.sk }, source: { S: 'config' }, createdBy: { S: 'cdk-deploy' } } },
        physicalResourceId: { id: item.grantId },
      });
    });

    it('deletes a grant that leaves the configuration', () => {
      template.hasResourceProperties('Custom::GatehouseConfigGrant', {
        Delete: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"action":"deleteItem"')])] }),
      });
    });
  });

  it('outputs the endpoint, each connection\'s server URL, the table names and the bucket name', () => {
    for (const name of ['EndpointUrl', 'ServerUrlDemo', 'ServerUrlProdEu', 'GrantsTableName', 'RecordsTableName', 'ReplayBucketName']) {
      template.hasOutput(name, {});
    }
    template.hasOutput('ServerUrlProdEu', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: Match.anyValue() }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: Match.anyValue() }, '/k8s/prod-eu']] },
    });
  });
});

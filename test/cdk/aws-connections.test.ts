import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { GatewayConfig } from '../../lambdas/core/gateway-config';
import { AwsCredentialKey } from '../../lib/aws-credential-key';
import { loadGatewayConfigFile } from '../../lib/config/load-gateway-config-file';
import { loadGatewayPolicy } from '../../lib/config/load-gateway-policy';
import { appWithProjectContext, fixtureStack } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; Metadata?: Record<string, any> };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

/** test/cdk/fixtures/aws-config.yaml: three AWS connections, two of them on the same role. */
const AWS_CONFIG_PATH = path.join(__dirname, 'fixtures', 'aws-config.yaml');
const AWS_ROLE_ARNS = ['arn:aws:iam::333333333333:role/gatehouse-aws-prod', 'arn:aws:iam::444444444444:role/teams/gatehouse-audit'];
const CLUSTER_ROLE_ARN = 'arn:aws:iam::111111111111:role/gatehouse-demo';
const STS_ACTIONS = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];
const ENV_VAR = 'GATEHOUSE_AWS_CREDENTIAL_KEY_SECRET_ARN';

/** The fixture through the loader `cdk synth` uses (validateGatewayConfig), as the app would see it. */
function awsConfig(): GatewayConfig {
  return loadGatewayConfigFile(AWS_CONFIG_PATH);
}

function awsStack(app: App, id: string, props: Parameters<typeof fixtureStack>[0] = {}): Stack {
  const config = awsConfig();
  return fixtureStack({ config, policy: loadGatewayPolicy(config, path.dirname(AWS_CONFIG_PATH)).serialized, ...props }, { app, id });
}

/** A synthesized template with helpers that follow CloudFormation references. */
function inspect(template: Template) {
  const resourcesOf = (type: string): Array<[string, Resource]> => Object.entries(template.findResources(type)) as Array<[string, Resource]>;
  const proxyFunction = (): [string, Resource] => resourcesOf('AWS::Lambda::Function')
    .find(([, f]) => String(f.Properties.Description).startsWith('Gatehouse proxy'))!;
  const resources = new Map(resourcesOf('AWS::ApiGateway::Resource'));
  /** `/aws/{connection}/{proxy+}` from a resource's logical id, by walking ParentId up to the API's root. */
  const pathOf = (logicalId: string): string => {
    const parts: string[] = [];
    for (let r = resources.get(logicalId); r; r = resources.get(r.Properties.ParentId?.Ref)) parts.unshift(r.Properties.PathPart);
    return `/${parts.join('/')}`;
  };
  const methods = (): Array<{ path: string; method: Resource }> => resourcesOf('AWS::ApiGateway::Method')
    .map(([, method]) => ({ path: method.Properties.ResourceId.Ref ? pathOf(method.Properties.ResourceId.Ref) : '/', method }));
  const proxyRoleStatements = (): Statement[] => {
    const roleRef = proxyFunction()[1].Properties.Role['Fn::GetAtt'][0];
    return resourcesOf('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleRef))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const allStatements = (): Statement[] => resourcesOf('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  return { resourcesOf, proxyFunction, methods, proxyRoleStatements, allStatements };
}

describe('AWS connections in the stack', () => {
  const stacks: Record<string, Stack> = {};
  let aws: ReturnType<typeof inspect>;
  let noAws: ReturnType<typeof inspect>;
  let awsTemplate: Template;

  beforeAll(() => {
    // One app for the file, cdk-nag on: the defaults, a traced dev stack (X-Ray permissions, DESTROY), and the
    // same stack without AWS connections.
    const app = appWithProjectContext();
    Aspects.of(app).add(new AwsSolutionsChecks());
    stacks.aws = awsStack(app, 'Aws');
    stacks.awsTracedDev = awsStack(app, 'AwsTracedDev', { tracing: true, removalPolicy: RemovalPolicy.DESTROY });
    stacks.noAws = fixtureStack({}, { app, id: 'NoAws' });
    awsTemplate = Template.fromStack(stacks.aws);
    aws = inspect(awsTemplate);
    noAws = inspect(Template.fromStack(stacks.noAws));
  });

  it('reads the fixture\'s three AWS connections through the configuration loader', () => {
    // Guards every other test here: a loader that dropped awsConnections would leave nothing AWS to assert on.
    expect(awsConfig().awsConnections?.map((c) => c.name)).toEqual(['prod-aws', 'prod-aws-params', 'audit']);
  });

  describe('routes', () => {
    it.each([
      ['/aws/{connection}', 'ANY', ['connection']],
      ['/aws/{connection}/{proxy+}', 'ANY', ['connection', 'proxy']],
      ['/aws-credentials/{connection}', 'POST', ['connection']],
    ])('serves %s (%s) with its path parameters required', (routePath, httpMethod, params) => {
      const found = aws.methods().filter((m) => m.path === routePath);

      expect(found.map((m) => m.method.Properties.HttpMethod)).toEqual([httpMethod]);
      expect(found[0]!.method.Properties.RequestParameters).toEqual(Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])));
      expect(found[0]!.method.Properties.RequestValidatorId).toBeDefined();
    });

    it('integrates the AWS routes with the proxy function exactly as the kubectl routes: streamed Lambda proxy, 15 minutes, no authorizer', () => {
      const [proxyId] = aws.proxyFunction();
      const byPath = new Map(aws.methods().map((m) => [m.path, m.method.Properties]));
      const kube = byPath.get('/k8s/{connection}/{proxy+}')!;

      for (const routePath of ['/aws/{connection}', '/aws/{connection}/{proxy+}', '/aws-credentials/{connection}']) {
        const method = byPath.get(routePath)!;
        expect(method).toMatchObject({
          AuthorizationType: 'NONE',
          Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', ResponseTransferMode: 'STREAM', TimeoutInMillis: 900_000 },
        });
        expect(method.Integration.Uri).toEqual(kube.Integration.Uri);
        expect(JSON.stringify(method.Integration.Uri)).toContain(proxyId);
        expect(JSON.stringify(method.Integration.Uri)).toContain('response-streaming-invocations');
      }
    });

    it('keeps passing every media type as binary, so AWS bodies reach the proxy byte for byte', () => {
      awsTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    });

    it('lets API Gateway invoke the proxy for the AWS routes on the deployed stage only', () => {
      const sourceArns = aws.resourcesOf('AWS::Lambda::Permission').map(([, p]) => JSON.stringify(p.Properties.SourceArn));

      for (const route of ['/*/aws/*', '/*/aws/*/*', '/POST/aws-credentials/*']) {
        expect(sourceArns.filter((arn) => arn.includes(`${route}"`))).toHaveLength(1);
      }
      expect(sourceArns.filter((arn) => arn.includes('/test-invoke-stage/'))).toEqual([]);
    });

    it('outputs each AWS connection\'s endpoint_url', () => {
      const outputs = awsTemplate.findOutputs('*');

      expect(Object.keys(outputs).filter((k) => k.startsWith('AwsEndpointUrl')).sort())
        .toEqual(['AwsEndpointUrlAudit', 'AwsEndpointUrlProdAws', 'AwsEndpointUrlProdAwsParams']);
      expect(JSON.stringify(outputs.AwsEndpointUrlProdAws!.Value)).toContain('/aws/prod-aws');
    });
  });

  describe('the proxy\'s permissions', () => {
    it('may assume, tag and set the source identity of exactly the configured AWS connection roles, each once', () => {
      const statements = aws.proxyRoleStatements().filter((s) => s.Sid === 'AssumeAwsConnectionRoles');

      expect(statements).toEqual([{ Sid: 'AssumeAwsConnectionRoles', Effect: 'Allow', Action: expect.arrayContaining(STS_ACTIONS), Resource: AWS_ROLE_ARNS }]);
      expect(statements[0]!.Action).toHaveLength(STS_ACTIONS.length);
    });

    it('grants the AWS roles nowhere else, and the cluster statement keeps the cluster roles only', () => {
      const naming = aws.allStatements().filter((s) => AWS_ROLE_ARNS.some((arn) => JSON.stringify(s.Resource).includes(arn)));
      const cluster = aws.proxyRoleStatements().find((s) => s.Sid === 'AssumeConnectionRoles')!;

      expect(naming.map((s) => s.Sid)).toEqual(['AssumeAwsConnectionRoles']);
      expect(cluster.Resource).toEqual(CLUSTER_ROLE_ARN);
    });

    it('has no STS action on a wildcard resource', () => {
      const sts = aws.allStatements().filter((s) => [s.Action].flat().some((a) => a.startsWith('sts:')));

      expect(sts.flatMap((s) => [s.Resource].flat()).filter((r) => typeof r !== 'string' || r.includes('*'))).toEqual([]);
    });
  });

  describe('the credential key', () => {
    it('is one Secrets Manager secret of 64 generated characters, none excluded, retained by default', () => {
      const secrets = aws.resourcesOf('AWS::SecretsManager::Secret');

      expect(secrets).toHaveLength(1);
      expect(secrets[0]![1].Properties.GenerateSecretString).toEqual({ PasswordLength: 64, IncludeSpace: false });
      expect(secrets[0]![1].Properties.SecretString).toBeUndefined();
      expect(secrets[0]![1].DeletionPolicy).toBe('Retain');
    });

    it('is deleted with a dev stack', () => {
      const secrets = inspect(Template.fromStack(stacks.awsTracedDev!)).resourcesOf('AWS::SecretsManager::Secret');

      expect(secrets.map(([, s]) => s.DeletionPolicy)).toEqual(['Delete']);
    });

    it('is readable by the proxy function, and its ARN is in the proxy\'s environment', () => {
      const [secretId] = aws.resourcesOf('AWS::SecretsManager::Secret')[0]!;
      const read = aws.proxyRoleStatements().filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ Ref: secretId }));

      expect(read.flatMap((s) => [s.Action].flat()).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      expect(aws.proxyFunction()[1].Properties.Environment.Variables[ENV_VAR]).toEqual({ Ref: secretId });
    });

    it('is named to the doctor too, which checks it with the proxy\'s role', () => {
      const secretId = aws.resourcesOf('AWS::SecretsManager::Secret')[0]![0];
      const doctor = aws.resourcesOf('AWS::Lambda::Function').find(([, r]) => String(r.Properties.Description ?? '').startsWith('Gatehouse doctor'));
      expect(doctor![1].Properties.Environment.Variables[ENV_VAR]).toEqual({ Ref: secretId });
    });

    it('is compiled into the proxy\'s configuration together with the AWS connections', () => {
      const assetPath = aws.proxyFunction()[1].Metadata!['aws:asset:path'] as string;
      const bundle = readFileSync(path.join(Stage.of(stacks.aws!)!.outdir, assetPath, 'index.js'), 'utf8');
      const banner = /^process\.env\.GATEHOUSE_CONFIG=("(?:[^"\\]|\\.)*");/.exec(bundle);

      expect(JSON.parse(JSON.parse(banner![1]!)).awsConnections).toEqual(awsConfig().awsConnections);
    });
  });

  describe('without AWS connections', () => {
    it('has no AWS route', () => {
      const paths = noAws.methods().map((m) => m.path);

      expect(paths.filter((p) => p.startsWith('/aws'))).toEqual([]);
      expect(paths.length).toBeGreaterThan(0);
    });

    it('has no credential key, no environment variable for it and no AWS role statement', () => {
      expect(noAws.resourcesOf('AWS::SecretsManager::Secret')).toEqual([]);
      expect(noAws.proxyFunction()[1].Properties.Environment.Variables[ENV_VAR]).toBeUndefined();
      expect(noAws.allStatements().filter((s) => s.Sid === 'AssumeAwsConnectionRoles')).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions checks', () => {
    const findings = (stack: Stack, kind: 'findError' | 'findWarning') =>
      Annotations.fromStack(stack)[kind]('*', Match.stringLikeRegexp('AwsSolutions-.*')).map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);

    it.each(['aws', 'awsTracedDev'])('leaves no unsuppressed error in the %s stack', (name) => {
      expect(findings(stacks[name]!, 'findError')).toEqual([]);
    });

    it.each(['aws', 'awsTracedDev'])('leaves no unsuppressed warning in the %s stack', (name) => {
      expect(findings(stacks[name]!, 'findWarning')).toEqual([]);
    });
  });
});

describe('AwsCredentialKey', () => {
  const synth = (build: (stack: Stack) => void): Template => {
    const stack = new Stack(new App(), 'Key', { env: { account: '123456789012', region: 'eu-west-1' } });
    build(stack);
    return Template.fromStack(stack);
  };

  it('encrypts with the customer managed key and lets a reader decrypt with it', () => {
    const template = synth((stack) => {
      const key = new AwsCredentialKey(stack, 'CredentialKey', { encryptionKey: new Key(stack, 'Cmk') });
      key.grantRead(new Role(stack, 'Reader', { assumedBy: new AccountRootPrincipal() }));
    });
    const cmkId = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;

    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [cmkId, 'Arn'] } });
    // The key is the stack's own, so CDK grants through its key policy, and only via Secrets Manager.
    const readerId = Object.keys(template.findResources('AWS::IAM::Role'))[0]!;
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'kms:Decrypt',
        Principal: { AWS: { 'Fn::GetAtt': [readerId, 'Arn'] } },
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      })]) },
    });
  });

  it('follows the removal policy it is given', () => {
    const template = synth((stack) => new AwsCredentialKey(stack, 'CredentialKey', { removalPolicy: RemovalPolicy.DESTROY }));

    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it.each([31, 4097, 40.5])('refuses a key length of %s', (length) => {
    expect(() => synth((stack) => new AwsCredentialKey(stack, 'CredentialKey', { length }))).toThrow(/length must be an integer from 32 to 4096/);
  });

  it('generates a key of the length asked for', () => {
    const template = synth((stack) => new AwsCredentialKey(stack, 'CredentialKey', { length: 128 }));

    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 128, IncludeSpace: false } });
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Aspects, Stack as StackClass, type App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { GatewayConfig, SessionFrontConfig } from '../../lambdas/core/gateway-config';
import type { GatehouseStack } from '../../lib/gatehouse-stack';
import { SESSION_FRONT_CERTIFICATE_TYPE, SessionFrontCertificate } from '../../lib/session-front-certificate';
import { appWithProjectContext, fixtureConfig, fixtureStack } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: any; Sid?: string; Condition?: unknown };

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const BOT_TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-bot-token-AbCdEf';
const SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-signing-secret-GhIjKl';
const CREATED_ROLE = 'arn:aws:iam::123456789012:role/gatehouse-demo';

/** The fixture configuration with a session front; `demo`'s role is created by the stack (so its trust is tested). */
function configWith(sessionFront: SessionFrontConfig, extra: Partial<GatewayConfig> = {}): GatewayConfig {
  const base = fixtureConfig();
  return {
    ...base,
    connections: base.connections.map((c) => (c.name === 'demo' ? { ...c, roleArn: CREATED_ROLE, createRole: true } : c)),
    sessionFront,
    ...extra,
  };
}

describe('the session front', () => {
  let app: App;
  const stacks: Record<'defaults' | 'custom' | 'disabled', GatehouseStack> = {} as never;
  const templates: Record<string, Template> = {};

  beforeAll(() => {
    // One app for the file: cdk-nag on every stack, and the synth of each stack only once.
    app = appWithProjectContext();
    Aspects.of(app).add(new AwsSolutionsChecks());
    stacks.defaults = fixtureStack({ config: configWith({ enabled: true }) }, { app, id: 'FrontDefaults' });
    stacks.custom = fixtureStack({
      config: configWith({
        enabled: true, domainName: 'kube.example.com', certificateArn: CERT,
        vpcId: 'vpc-0123456789abcdef0', publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'], taskSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
        desiredCount: 3, maxCount: 10, cpu: 1024, memoryMiB: 2048, maxSessionsPerAgent: 3, allowedCidrs: ['203.0.113.0/24', '198.51.100.0/24'],
      }, {
        approvals: { slack: { channel: 'C0APPROVALS', botTokenSecretArn: BOT_TOKEN_ARN, signingSecretArn: SIGNING_SECRET_ARN }, approvers: { '*': { userIds: ['U0APPROVER'] } } },
      }),
    }, { app, id: 'FrontCustom' });
    stacks.disabled = fixtureStack({ config: configWith({ enabled: false, cpu: 1024 }) }, { app, id: 'FrontDisabled' });
    for (const [name, stack] of Object.entries(stacks)) templates[name] = Template.fromStack(stack);
  });

  const resources = (name: string, type: string): Array<[string, Resource]> => Object.entries(templates[name]!.findResources(type)) as Array<[string, Resource]>;
  const only = (name: string, type: string): Resource => {
    const found = resources(name, type);
    expect(found).toHaveLength(1);
    return found[0]![1];
  };
  const logicalId = (name: keyof typeof stacks, construct: { node: { defaultChild?: unknown } }) => stacks[name].getLogicalId(construct.node.defaultChild as never);
  const statementsOfRole = (name: string, roleLogicalId: string): Statement[] => resources(name, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const taskRoleId = (name: keyof typeof stacks) => logicalId(name, stacks[name].node.findChild('SessionFront').node.findChild('TaskRole') as never);
  const env = (name: string): Record<string, unknown> => Object.fromEntries(
    (only(name, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]),
  );

  describe('with the defaults', () => {
    it('creates a two-AZ VPC with public subnets only, no NAT gateway, free gateway endpoints and flow logs of rejected traffic', () => {
      only('defaults', 'AWS::EC2::VPC');
      expect(resources('defaults', 'AWS::EC2::Subnet')).toHaveLength(2);
      for (const [, subnet] of resources('defaults', 'AWS::EC2::Subnet')) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
      expect(resources('defaults', 'AWS::EC2::NatGateway')).toHaveLength(0);
      expect(resources('defaults', 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties.VpcEndpointType)).toEqual(['Gateway', 'Gateway']);
      expect(only('defaults', 'AWS::EC2::FlowLog').Properties).toMatchObject({ TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
    });

    it('picks the AZs with Fn::GetAZs, so synth needs no lookup', () => {
      const azs = resources('defaults', 'AWS::EC2::Subnet').map(([, s]) => s.Properties.AvailabilityZone);
      expect(azs).toEqual([0, 1].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
      expect(app.node.metadata.filter((m) => m.type === 'aws:cdk:missing-context')).toEqual([]);
      expect(stacks.defaults.node.metadata.filter((m) => m.type === 'aws:cdk:missing-context')).toEqual([]);
    });

    it('runs an ECS cluster with Container Insights', () => {
      expect(only('defaults', 'AWS::ECS::Cluster').Properties.ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
    });

    it('runs the task on Fargate arm64 with 512 CPU and 1 GiB, read-only root, /tmp writable, a container health check on /healthz', () => {
      const task = only('defaults', 'AWS::ECS::TaskDefinition').Properties;
      expect(task).toMatchObject({
        RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc', Cpu: '512', Memory: '1024',
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Volumes: [{ Name: 'tmp' }],
      });
      const container = task.ContainerDefinitions[0];
      expect(container).toMatchObject({
        Essential: true, ReadonlyRootFilesystem: true, StopTimeout: 120,
        PortMappings: [{ ContainerPort: 8443, Protocol: 'tcp' }],
        MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
        HealthCheck: { Interval: 15, Retries: 3, StartPeriod: 30, Timeout: 5 },
        LogConfiguration: { LogDriver: 'awslogs', Options: expect.objectContaining({ mode: 'non-blocking', 'awslogs-stream-prefix': 'front' }) },
      });
      expect(container.HealthCheck.Command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(container.HealthCheck.Command[3]).toContain("path:'/healthz'");
    });

    it('gives the task the proxy\'s environment, the front\'s port and its TLS secret', () => {
      const vars = env('defaults');
      expect(Object.keys(vars).sort()).toEqual([
        'GATEHOUSE_CONFIG', 'GATEHOUSE_FRONT_PORT', 'GATEHOUSE_FRONT_TLS_FINGERPRINT', 'GATEHOUSE_FRONT_TLS_SECRET_ARN', 'GATEHOUSE_GRANTS_TABLE',
        'GATEHOUSE_POLICY', 'GATEHOUSE_RECORDS_TABLE', 'GATEHOUSE_REPLAY_BUCKET', 'GATEHOUSE_REPLAY_STREAM',
        'NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_TRACE_ENABLED',
      ]);
      expect(vars.GATEHOUSE_FRONT_PORT).toBe('8443');
      const config = JSON.parse(vars.GATEHOUSE_CONFIG as string);
      expect(config.sessionFront).toEqual({ enabled: true });
      expect(config.grants).toBeUndefined();
      expect(JSON.parse(vars.GATEHOUSE_POLICY as string).kind).toBe('Policy');
      expect(vars.GATEHOUSE_FRONT_TLS_SECRET_ARN).toEqual({ Ref: resources('defaults', 'AWS::SecretsManager::Secret')[0]![0] });
      expect(vars.GATEHOUSE_FRONT_TLS_FINGERPRINT).toEqual({ 'Fn::GetAtt': [resources('defaults', SESSION_FRONT_CERTIFICATE_TYPE)[0]![0], 'Fingerprint'] });
    });

    it('keeps a Fargate service of 2 tasks in the public subnets, with rollback on failed deploys and starting after the certificate', () => {
      const [[id, service]] = resources('defaults', 'AWS::ECS::Service') as [[string, Resource]];
      expect(service.Properties).toMatchObject({
        LaunchType: 'FARGATE', DesiredCount: 2, HealthCheckGracePeriodSeconds: 60,
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100, MaximumPercent: 200 },
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
        LoadBalancers: [{ ContainerName: 'Front', ContainerPort: 8443 }],
      });
      expect(templates.defaults!.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining([resources('defaults', SESSION_FRONT_CERTIFICATE_TYPE)[0]![0]]));
    });

    it('scales between 2 and 6 tasks on CPU and on open connections per task', () => {
      expect(only('defaults', 'AWS::ApplicationAutoScaling::ScalableTarget').Properties).toMatchObject({
        MinCapacity: 2, MaxCapacity: 6, ScalableDimension: 'ecs:service:DesiredCount', ServiceNamespace: 'ecs',
      });
      const policies = resources('defaults', 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration);
      expect(policies).toHaveLength(2);
      expect(policies).toContainEqual(expect.objectContaining({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 60 }));
      const connections = policies.find((p) => p.CustomizedMetricSpecification)!;
      expect(connections.TargetValue).toBe(200);
      const spec = connections.CustomizedMetricSpecification;
      expect(Object.keys(spec)).toEqual(['Metrics']);
      expect(spec.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual(['ActiveFlowCount', 'RunningTaskCount', 'flows / tasks']);
      expect(spec.Metrics.filter((m: any) => m.ReturnData).map((m: any) => m.Id)).toEqual(['perTask']);
    });

    it('puts an internet-facing NLB in front: TCP 443 passed through to 8443, HTTPS health checks on /healthz, 15 minutes to drain', () => {
      expect(only('defaults', 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties).toMatchObject({ Type: 'network', Scheme: 'internet-facing' });
      expect(only('defaults', 'AWS::ElasticLoadBalancingV2::Listener').Properties).toMatchObject({ Port: 443, Protocol: 'TCP' });
      const targets = only('defaults', 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties;
      expect(targets).toMatchObject({
        Port: 8443, Protocol: 'TCP', TargetType: 'ip',
        HealthCheckProtocol: 'HTTPS', HealthCheckPath: '/healthz', HealthCheckPort: '8443', HealthyThresholdCount: 2, UnhealthyThresholdCount: 2,
      });
      expect(targets.TargetGroupAttributes).toEqual(expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '900' },
        { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
      ]));
    });

    it('lets only the load balancer reach 8443, and the world reach 443 on the load balancer', () => {
      const groups = resources('defaults', 'AWS::EC2::SecurityGroup');
      const [lbId, lb] = groups.find(([id]) => id.includes('LoadBalancerSecurityGroup'))!;
      const [taskId, task] = groups.find(([id]) => id.includes('TaskSecurityGroup'))!;
      expect(lb.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
      expect(task.Properties.SecurityGroupIngress).toBeUndefined();
      const ingress = resources('defaults', 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      expect(ingress).toEqual([expect.objectContaining({
        GroupId: { 'Fn::GetAtt': [taskId, 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': [lbId, 'GroupId'] }, FromPort: 8443, ToPort: 8443, IpProtocol: 'tcp',
      })]);
      const egress = resources('defaults', 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);
      expect(egress).toEqual([expect.objectContaining({ GroupId: { 'Fn::GetAtt': [lbId, 'GroupId'] }, DestinationSecurityGroupId: { 'Fn::GetAtt': [taskId, 'GroupId'] }, FromPort: 8443 })]);
      expect(only('defaults', 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.SecurityGroups).toEqual([{ 'Fn::GetAtt': [lbId, 'GroupId'] }]);
    });

    it('limits the task role to the proxy\'s grants: the connection roles by ARN, the stores, the TLS secret; no "*"', () => {
      const statements = statementsOfRole('defaults', taskRoleId('defaults'));
      const sts = statements.find((s) => s.Sid === 'AssumeConnectionRoles')!;
      expect([sts.Action].flat().sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
      expect(sts.Resource).toEqual([CREATED_ROLE, 'arn:aws:iam::222222222222:role/teams/gatehouse-prod']);
      expect(statements.flatMap((s) => [s.Resource].flat())).not.toContain('*');
      expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
        'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:UpdateItem',
        'dynamodb:UpdateItem', 'firehose:PutRecord', 'firehose:PutRecordBatch', 's3:PutObject', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue',
        'sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession',
      ]);
      // The live-sessions item only (gatehouse sessions live / end): a read that never reaches a record.
      const live = statements.find((s) => JSON.stringify(s.Condition ?? {}).includes('live#*'))!;
      expect([live.Action].flat().sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
      expect(live.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['live#*'] } });
      // Otherwise the same statements as the proxy function's (one helper), besides the secret.
      const proxyRole = logicalId('defaults', (stacks.defaults.node.findChild('Proxy') as any).function.role);
      const proxyStatements = statementsOfRole('defaults', proxyRole);
      expect(statements.filter((s) => ![s.Action].flat()[0]!.startsWith('secretsmanager:') && s !== live)).toEqual(proxyStatements);
    });

    it('lets only ECS tasks of this account assume the task role', () => {
      const role = templates.defaults!.toJSON().Resources[taskRoleId('defaults')];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:ecs:eu-west-1:123456789012:*' } },
      })]);
    });

    it('makes created connection roles trust the task role too, and says so in the trust policy of the others', () => {
      const taskRoleArn = { 'Fn::GetAtt': [taskRoleId('defaults'), 'Arn'] };
      const created = resources('defaults', 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'gatehouse-demo')![1];
      const trust = created.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      const forTask = trust.filter((s) => JSON.stringify(s.Principal.AWS).includes(JSON.stringify(taskRoleArn)));
      expect(forTask.flatMap((s) => [s.Action].flat()).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
      const output = JSON.stringify(templates.defaults!.toJSON().Outputs.TrustPolicyProdEu.Value);
      expect(output).toContain(taskRoleId('defaults'));
      expect(output).toContain(logicalId('defaults', (stacks.defaults.node.findChild('Proxy') as any).function.role));
    });

    it('logs to a log group kept three months', () => {
      const logConfig = only('defaults', 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0].LogConfiguration.Options;
      const group = templates.defaults!.toJSON().Resources[logConfig['awslogs-group'].Ref];
      expect(group).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 }, DeletionPolicy: 'Retain' });
    });

    it('issues the TLS certificate at deploy for the NLB\'s DNS name into a secret only the issuer writes and the task reads', () => {
      const [[crId, cr]] = resources('defaults', SESSION_FRONT_CERTIFICATE_TYPE) as [[string, Resource]];
      const [[secretId, secret]] = resources('defaults', 'AWS::SecretsManager::Secret') as [[string, Resource]];
      const [[lbId]] = resources('defaults', 'AWS::ElasticLoadBalancingV2::LoadBalancer') as [[string, Resource]];
      expect(cr.Properties).toMatchObject({ SecretArn: { Ref: secretId }, DnsName: { 'Fn::GetAtt': [lbId, 'DNSName'] }, ValidityDays: '825', Generation: '1' });
      expect(secret.Properties.KmsKeyId).toBeUndefined();
      const readers = resources('defaults', 'AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')
          && JSON.stringify(s.Resource).includes(secretId)));
      expect(readers.map(([, p]) => p.Properties.Roles)).toEqual([[{ Ref: taskRoleId('defaults') }]]);
      expect(crId).toContain('SessionFrontTls');
    });

    it('logs the certificate issuer as JSON without Lambda\'s START/END/REPORT lines', () => {
      const issuer = resources('defaults', 'AWS::Lambda::Function').find(([, f]) => String(f.Properties.Description ?? '').startsWith('Gatehouse session front: issues'));
      expect(issuer?.[1].Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
    });

    it('outputs the URL and the CA (base64) for the operator CLI\'s kubeconfig', () => {
      const outputs = templates.defaults!.toJSON().Outputs;
      const [[lbId]] = resources('defaults', 'AWS::ElasticLoadBalancingV2::LoadBalancer') as [[string, Resource]];
      const [[crId]] = resources('defaults', SESSION_FRONT_CERTIFICATE_TYPE) as [[string, Resource]];
      expect(outputs.SessionFrontUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [lbId, 'DNSName'] }]] });
      expect(outputs.SessionFrontCaPem.Value).toEqual({ 'Fn::Base64': { 'Fn::GetAtt': [crId, 'CaPem'] } });
      expect(outputs.SessionFrontDomain).toBeUndefined();
      expect(outputs.SessionFrontTaskRoleArn.Value).toEqual({ 'Fn::GetAtt': [taskRoleId('defaults'), 'Arn'] });
    });

    it('stages the image as an asset built at deploy from the Dockerfile for arm64, with a context that holds no node_modules', () => {
      const assembly = app.synth();
      const manifestFile = path.join(assembly.directory, `${stacks.defaults.artifactId}.assets.json`);
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }> };
      const images = Object.values(manifest.dockerImages);
      expect(images).toHaveLength(1);
      expect(images[0]!.source).toMatchObject({ dockerFile: 'lambdas/session-front/Dockerfile', platform: 'linux/arm64' });
      const context = path.join(assembly.directory, images[0]!.source.directory);
      expect(readdirSync(context).sort()).toEqual(['.dockerignore', 'lambdas', 'package-lock.json', 'package.json', 'tsconfig.json']);
      expect(existsSync(path.join(context, 'lambdas', 'session-front', 'Dockerfile'))).toBe(true);
    });
  });

  describe('with an existing VPC, a custom domain and custom sizes', () => {
    it('imports the VPC and subnets by id (no lookup, no VPC created) and runs tasks in the task subnets without public IPs', () => {
      expect(resources('custom', 'AWS::EC2::VPC')).toHaveLength(0);
      expect(resources('custom', 'AWS::EC2::Subnet')).toHaveLength(0);
      expect(only('custom', 'AWS::ECS::Service').Properties.NetworkConfiguration.AwsvpcConfiguration).toMatchObject({
        AssignPublicIp: 'DISABLED', Subnets: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
      });
      expect(only('custom', 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Subnets).toEqual(['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2']);
      for (const [, group] of resources('custom', 'AWS::EC2::SecurityGroup')) expect(group.Properties.VpcId).toBe('vpc-0123456789abcdef0');
      expect(stacks.custom.node.metadata.filter((m) => m.type === 'aws:cdk:missing-context')).toEqual([]);
      expect(Annotations.fromStack(stacks.custom).findWarning('*', Match.stringLikeRegexp('routeTableId'))).toEqual([]);
    });

    it('terminates TLS at the NLB with the ACM certificate and re-encrypts to the container', () => {
      expect(only('custom', 'AWS::ElasticLoadBalancingV2::Listener').Properties).toMatchObject({
        Port: 443, Protocol: 'TLS', Certificates: [{ CertificateArn: CERT }], SslPolicy: expect.stringMatching(/^ELBSecurityPolicy-TLS13/),
      });
      expect(only('custom', 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties).toMatchObject({ Port: 8443, Protocol: 'TLS', HealthCheckProtocol: 'HTTPS' });
    });

    it('admits only the allowed CIDRs on 443', () => {
      const lb = resources('custom', 'AWS::EC2::SecurityGroup').find(([id]) => id.includes('LoadBalancerSecurityGroup'))![1];
      expect(lb.Properties.SecurityGroupIngress.map((r: any) => [r.CidrIp, r.FromPort, r.ToPort])).toEqual([['203.0.113.0/24', 443, 443], ['198.51.100.0/24', 443, 443]]);
    });

    it('sizes and scales as configured', () => {
      expect(only('custom', 'AWS::ECS::TaskDefinition').Properties).toMatchObject({ Cpu: '1024', Memory: '2048' });
      expect(only('custom', 'AWS::ECS::Service').Properties.DesiredCount).toBe(3);
      expect(only('custom', 'AWS::ApplicationAutoScaling::ScalableTarget').Properties).toMatchObject({ MinCapacity: 3, MaxCapacity: 10 });
      expect(JSON.parse(env('custom').GATEHOUSE_CONFIG as string).sessionFront.maxSessionsPerAgent).toBe(3);
    });

    it('lets the task open approvals like the proxy (the approvals environment, StartExecution on the one state machine)', () => {
      const vars = env('custom');
      expect(Object.keys(vars)).toEqual(expect.arrayContaining(['GATEHOUSE_APPROVALS_TABLE', 'GATEHOUSE_APPROVAL_STATE_MACHINE_ARN']));
      const statements = statementsOfRole('custom', taskRoleId('custom'));
      const start = statements.find((s) => [s.Action].flat().includes('states:StartExecution'))!;
      expect(start.Resource).toEqual({ Ref: resources('custom', 'AWS::StepFunctions::StateMachine')[0]![0] });
      expect(statements.flatMap((s) => [s.Resource].flat())).not.toContain('*');
    });

    it('outputs the domain, the load balancer name to point it at, and no CA (the ACM certificate is publicly trusted)', () => {
      const outputs = templates.custom!.toJSON().Outputs;
      expect(outputs.SessionFrontUrl.Value).toBe('https://kube.example.com');
      expect(outputs.SessionFrontDomain.Value).toBe('kube.example.com');
      expect(outputs.SessionFrontLoadBalancerDnsName.Value).toEqual({ 'Fn::GetAtt': [resources('custom', 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0]![0], 'DNSName'] });
      expect(outputs.SessionFrontCaPem).toBeUndefined();
      // The container still serves TLS (the NLB re-encrypts): a certificate for the domain, from the deploy-time CA.
      expect(only('custom', SESSION_FRONT_CERTIFICATE_TYPE).Properties.DnsName).toBe('kube.example.com');
    });
  });

  describe('when disabled', () => {
    it.each([
      'AWS::EC2::VPC', 'AWS::EC2::SecurityGroup', 'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::ECS::TaskDefinition',
      'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::SecretsManager::Secret', SESSION_FRONT_CERTIFICATE_TYPE,
    ])('synthesizes no %s', (type) => {
      expect(resources('disabled', type)).toEqual([]);
    });

    it('adds no output and keeps the trust policy to the proxy role alone', () => {
      const outputs = templates.disabled!.toJSON().Outputs;
      expect(Object.keys(outputs).filter((k) => k.startsWith('SessionFront'))).toEqual([]);
      expect(outputs.TrustPolicyProdEu.Value['Fn::Join'][1].filter((part: unknown) => typeof part === 'object')).toHaveLength(1);
    });
  });

  describe('cdk-nag AwsSolutions checks', () => {
    const findings = (stack: Stack, kind: 'findError' | 'findWarning') =>
      Annotations.fromStack(stack)[kind]('*', Match.stringLikeRegexp('AwsSolutions-.*')).map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);

    it.each(['defaults', 'custom'] as const)('leave no unsuppressed error or warning in the %s stack', (name) => {
      expect(findings(stacks[name], 'findError')).toEqual([]);
      expect(findings(stacks[name], 'findWarning')).toEqual([]);
    });
  });
});

describe('SessionFrontCertificate with a customer managed key', () => {
  it('encrypts the secret with the key and lets the reader decrypt and the issuer encrypt with it', () => {
    const stack = new StackClass(appWithProjectContext(), 'Keyed', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new Key(stack, 'Key');
    const reader = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
    const certificate = new SessionFrontCertificate(stack, 'Tls', { dnsName: 'front.example.com', encryptionKey: key, validityDays: 90, generation: '2026-12' });
    certificate.grantRead(reader);

    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as never);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties(SESSION_FRONT_CERTIFICATE_TYPE, { DnsName: 'front.example.com', ValidityDays: '90', Generation: '2026-12' });
    const keyPolicy = JSON.stringify(template.findResources('AWS::KMS::Key'));
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(`${keyPolicy}${policies}`).toContain('kms:Decrypt');
    expect(`${keyPolicy}${policies}`).toMatch(/kms:Encrypt|kms:GenerateDataKey/);
    expect(Object.values(template.findResources('AWS::SecretsManager::Secret'))[0]).toMatchObject({ DeletionPolicy: 'Delete' });
  });
});

import * as path from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import {
  FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, Peer, Port, SecurityGroup, Subnet, SubnetType, Vpc,
  type IVpc, type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AwsLogDriverMode, Cluster, ContainerDefinition, ContainerImage, ContainerInsights, CpuArchitecture, FargatePlatformVersion,
  FargateService, FargateTaskDefinition, LogDrivers, OperatingSystemFamily, PropagatedTagSource, Protocol as EcsProtocol,
} from 'aws-cdk-lib/aws-ecs';
import {
  ListenerCertificate, NetworkLoadBalancer, NetworkTargetGroup, Protocol, SslPolicy, TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { TargetTrackingScalingPolicy } from 'aws-cdk-lib/aws-applicationautoscaling';
import { ArnPrincipal, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { GatewayConfig, SessionFrontConfig } from '../lambdas/core/gateway-config';
import { SESSION_FRONT_DEFAULTS } from '../lambdas/core/validate-session-front-config';
import { CONNECTION_TRUST_ACTIONS, connectionTrustPolicy } from './connection-role';
import { embeddedConfigJson, grantProxyAccess, proxyStoreEnvironment, type ProxyStores } from './proxy-function';
import type { SessionFrontCertificate } from './session-front-certificate';

/** Where the front runs when it is not given a VPC of its own making. */
export interface SessionFrontNetwork {
  /** The VPC. */
  readonly vpc: IVpc;
  /** Subnets of the internet-facing load balancer (public, two AZs or more). */
  readonly loadBalancerSubnets: SubnetSelection;
  /** Subnets of the tasks. */
  readonly taskSubnets: SubnetSelection;
  /** Give tasks public IPs (tasks in public subnets without NAT reach AWS and the clusters through them). */
  readonly assignPublicIp: boolean;
}

/** Props of {@link SessionFrontService}. */
export interface SessionFrontServiceProps extends ProxyStores {
  /** The validated configuration: in the task's `GATEHOUSE_CONFIG`, and the source of the STS permissions. */
  readonly config: GatewayConfig;
  /** The validated policy, serialized (`serializePolicy`): the task's `GATEHOUSE_POLICY`. */
  readonly policy: string;
  /** The validated `sessionFront` section (sizes, counts, CIDRs, custom domain). */
  readonly front: SessionFrontConfig;
  /**
   * An existing network (see {@link importSessionFrontNetwork}).
   * @default a new VPC: two AZs, public subnets only, no NAT gateway, S3 and DynamoDB gateway endpoints, rejected-traffic flow logs
   */
  readonly network?: SessionFrontNetwork;
  /** More environment for the task, e.g. the approvals table and state machine (`ApprovalWorkflow.proxyEnvironment`). @default none */
  readonly environment?: Record<string, string>;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The image. @default built at deploy from lambdas/session-front/Dockerfile with this repository as the context */
  readonly image?: ContainerImage;
  /**
   * How long a task that is being replaced or scaled in keeps its open sessions (the target group's deregistration
   * delay); the load balancer then closes what is left. Deploys take at least this long.
   * @default Duration.minutes(15)
   */
  readonly drainTime?: Duration;
  /** Average open connections per task that autoscaling aims at (besides 60 % CPU). @default 200 */
  readonly connectionsPerTask?: number;
  /** Retention of the task and flow log groups. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the log groups. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The port the front listens on in the container (`GATEHOUSE_FRONT_PORT`). */
export const SESSION_FRONT_PORT = 8443;
/** The port clients connect to. */
const LISTENER_PORT = 443;
/**
 * The task definition (environment included) must stay under ECS's 64 KiB; what is left after the configuration
 * and the policy is plenty for the rest.
 */
const MAX_EMBEDDED_CHARS = 48_000;
/** Health check of the container: GET /healthz over HTTPS on the loopback (the certificate is for the public name). */
const HEALTH_CHECK_SCRIPT = "require('https').get({host:'127.0.0.1',port:process.env.GATEHOUSE_FRONT_PORT,path:'/healthz',rejectUnauthorized:false,timeout:4000},"
  + 'r=>process.exit(r.statusCode===200?0:1)).on(\'error\',()=>process.exit(1))';

/**
 * The session front: what API Gateway cannot carry (protocol upgrades: kubectl exec, attach, cp, port-forward)
 * goes to a long-running Node service on Fargate (arm64) behind an internet-facing Network Load Balancer.
 *
 * - TLS: without a custom domain the listener passes TCP through and the container terminates TLS with the
 *   deploy-time certificate ({@link serveCertificate}); with `domainName` + `certificateArn` the listener
 *   terminates TLS with the ACM certificate and re-encrypts to the container.
 * - Network: only the load balancer's security group reaches 8443; the load balancer admits `allowedCidrs` on 443.
 * - The task role gets what the proxy function gets (same helper): the stores, and sts:AssumeRole/TagSession/
 *   SetSourceIdentity on exactly the configured connection roles, which must trust it ({@link trustConnectionRole}).
 * - Health: container check on /healthz, target group HTTPS check on /healthz, circuit breaker with rollback.
 * - Scaling: between `desiredCount` and `maxCount` on CPU and on open connections per task.
 */
export class SessionFrontService extends Construct {
  /** The VPC the front runs in. */
  readonly vpc: IVpc;
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;
  readonly service: FargateService;
  /** The task role: what the front may do in AWS. */
  readonly taskRole: Role;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly targetGroup: NetworkTargetGroup;
  readonly loadBalancerSecurityGroup: SecurityGroup;
  readonly taskSecurityGroup: SecurityGroup;
  readonly logGroup: LogGroup;
  /** Whether the load balancer terminates TLS with an ACM certificate (custom domain). */
  readonly terminatesTls: boolean;
  private readonly front: SessionFrontConfig;

  constructor(scope: Construct, id: string, props: SessionFrontServiceProps) {
    super(scope, id);
    const front = this.front = props.front;
    const retention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const configJson = embeddedConfigJson(props.config);
    if (configJson.length + props.policy.length > MAX_EMBEDDED_CHARS) {
      throw new Error(`The configuration without grants (${configJson.length} characters) and the policy (${props.policy.length}) together exceed the `
        + `${MAX_EMBEDDED_CHARS} characters the session front's task definition can carry (ECS allows 64 KiB in all).`);
    }
    this.terminatesTls = front.certificateArn !== undefined;

    const network = props.network ?? this.createNetwork(retention, removalPolicy);
    this.vpc = network.vpc;
    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });

    const stack = Stack.of(this);
    this.taskRole = new Role(this, 'TaskRole', {
      // Confused-deputy guard: only ECS tasks of this account and region may take the role.
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
        },
      }),
      description: 'Gatehouse session front: the tasks\' role (the proxy\'s data access and the connection roles, nothing else)',
    });
    grantProxyAccess(this.taskRole, props.config, props);
    // Open sessions are listed for operators (gatehouse sessions live / end) in one item of the records table.
    props.recordsTable.grantLiveSessions(this.taskRole);

    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: front.cpu ?? SESSION_FRONT_DEFAULTS.cpu,
      memoryLimitMiB: front.memoryMiB ?? SESSION_FRONT_DEFAULTS.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });
    this.logGroup = new LogGroup(this, 'Logs', { retention, removalPolicy });
    this.container = this.taskDefinition.addContainer('Front', {
      image: props.image ?? ContainerImage.fromAsset(path.join(__dirname, '..'), {
        file: path.join('lambdas', 'session-front', 'Dockerfile'),
        platform: Platform.LINUX_ARM64,
      }),
      essential: true,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: SESSION_FRONT_PORT, protocol: EcsProtocol.TCP, name: 'https' }],
      environment: {
        GATEHOUSE_CONFIG: configJson,
        GATEHOUSE_POLICY: props.policy,
        ...proxyStoreEnvironment(props),
        ...props.environment,
        GATEHOUSE_FRONT_PORT: String(SESSION_FRONT_PORT),
        POWERTOOLS_SERVICE_NAME: 'gatehouse-session-front',
        POWERTOOLS_METRICS_NAMESPACE: 'Gatehouse',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        POWERTOOLS_TRACE_ENABLED: 'false',
        NODE_OPTIONS: '--enable-source-maps',
      },
      healthCheck: {
        command: ['CMD', 'node', '-e', HEALTH_CHECK_SCRIPT],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // Fargate's most: the front gets SIGTERM once the load balancer has drained it, and this long to close.
      stopTimeout: Duration.minutes(2),
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'front', mode: AwsLogDriverMode.NON_BLOCKING }),
    });
    // A writable /tmp on the otherwise read-only root file system.
    this.taskDefinition.addVolume({ name: 'tmp' });
    this.container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });

    this.loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc, allowAllOutbound: false, description: 'Gatehouse session front load balancer: 443 from the allowed networks',
    });
    for (const cidr of front.allowedCidrs ?? SESSION_FRONT_DEFAULTS.allowedCidrs) {
      this.loadBalancerSecurityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(LISTENER_PORT), `kubectl from ${cidr}`);
    }
    this.taskSecurityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      // Out: the clusters' API servers and AWS APIs, wherever they are.
      vpc: this.vpc, allowAllOutbound: true, description: 'Gatehouse session front tasks: 8443 from the load balancer only',
    });
    this.taskSecurityGroup.addIngressRule(this.loadBalancerSecurityGroup, Port.tcp(SESSION_FRONT_PORT), 'sessions and health checks from the load balancer');
    this.loadBalancerSecurityGroup.addEgressRule(this.taskSecurityGroup, Port.tcp(SESSION_FRONT_PORT), 'to the tasks');

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: front.desiredCount ?? SESSION_FRONT_DEFAULTS.desiredCount,
      assignPublicIp: network.assignPublicIp,
      vpcSubnets: network.taskSubnets,
      securityGroups: [this.taskSecurityGroup],
      platformVersion: FargatePlatformVersion.LATEST,
      circuitBreaker: { enable: true, rollback: true },
      // New tasks start before old ones drain: sessions never lose their last task during a deploy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      enableECSManagedTags: true,
      propagateTags: PropagatedTagSource.SERVICE,
    });

    this.loadBalancer = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      vpcSubnets: network.loadBalancerSubnets,
      securityGroups: [this.loadBalancerSecurityGroup],
      crossZoneEnabled: true,
    });
    this.targetGroup = new NetworkTargetGroup(this, 'Targets', {
      vpc: this.vpc,
      port: SESSION_FRONT_PORT,
      // TCP: the container's TLS passes through. TLS: the load balancer re-encrypts to the container.
      protocol: this.terminatesTls ? Protocol.TLS : Protocol.TCP,
      targetType: TargetType.IP,
      targets: [this.service.loadBalancerTarget({ containerName: this.container.containerName, containerPort: SESSION_FRONT_PORT })],
      deregistrationDelay: props.drainTime ?? Duration.minutes(15),
      connectionTermination: true,
      healthCheck: {
        protocol: Protocol.HTTPS,
        path: '/healthz',
        port: String(SESSION_FRONT_PORT),
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });
    this.loadBalancer.addListener('Listener', {
      port: LISTENER_PORT,
      ...(this.terminatesTls
        ? { protocol: Protocol.TLS, certificates: [ListenerCertificate.fromArn(front.certificateArn!)], sslPolicy: SslPolicy.RECOMMENDED_TLS }
        : { protocol: Protocol.TCP }),
      defaultTargetGroups: [this.targetGroup],
    });

    this.addScaling(front, props.connectionsPerTask ?? 200);
    this.suppressFindings();
  }

  /** The name clients connect to: the custom domain, or the load balancer's DNS name. */
  get dnsName(): string {
    return this.front.domainName ?? this.loadBalancer.loadBalancerDnsName;
  }

  /** `https://<dnsName>`; a connection is served at `<url>/k8s/<connection>`. */
  get url(): string {
    return `https://${this.dnsName}`;
  }

  /**
   * Serves the certificate: the task reads it from its secret (`GATEHOUSE_FRONT_TLS_SECRET_ARN`), and a new
   * certificate (its fingerprint is in the environment) rolls the tasks. The service starts only once it is issued.
   */
  serveCertificate(certificate: SessionFrontCertificate): void {
    this.container.addEnvironment('GATEHOUSE_FRONT_TLS_SECRET_ARN', certificate.secret.secretArn);
    this.container.addEnvironment('GATEHOUSE_FRONT_TLS_FINGERPRINT', certificate.fingerprint);
    certificate.grantRead(this.taskRole);
    this.service.node.addDependency(certificate.resource);
  }

  /**
   * Lets the tasks assume a connection role the stack created: adds the task role to its trust policy next to the
   * proxy's role, with the same actions.
   */
  trustConnectionRole(role: Role): void {
    role.assumeRolePolicy!.addStatements(new PolicyStatement({
      actions: [...CONNECTION_TRUST_ACTIONS],
      principals: [new ArnPrincipal(this.taskRole.roleArn)],
    }));
  }

  /** The trust policy a connection role the stack does not create must carry: the proxy's role and the task role. */
  connectionTrustPolicy(proxyRole: IRole): Record<string, unknown> {
    const policy = connectionTrustPolicy(proxyRole.roleArn) as { Statement: { Principal: { AWS: unknown } }[] };
    return { ...policy, Statement: policy.Statement.map((s) => ({ ...s, Principal: { AWS: [proxyRole.roleArn, this.taskRole.roleArn] } })) };
  }

  private createNetwork(retention: RetentionDays, removalPolicy: RemovalPolicy): SessionFrontNetwork {
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention, removalPolicy });
    // No NAT gateway (about 33 USD a month each, plus 0.045 USD per GB): tasks sit in public subnets with public
    // IPs, which the security group keeps closed to everything but the load balancer.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // Free, and keeps record and replay traffic off the internet.
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: { Rejected: { trafficType: FlowLogTrafficType.REJECT, destination: FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    const subnets = { subnetType: SubnetType.PUBLIC };
    return { vpc, loadBalancerSubnets: subnets, taskSubnets: subnets, assignPublicIp: true };
  }

  private addScaling(front: SessionFrontConfig, connectionsPerTask: number): void {
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: front.desiredCount ?? SESSION_FRONT_DEFAULTS.desiredCount,
      maxCapacity: front.maxCount ?? SESSION_FRONT_DEFAULTS.maxCount,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60, scaleOutCooldown: Duration.minutes(1), scaleInCooldown: Duration.minutes(10),
    });
    // Connections per task = the load balancer's active flows / running tasks (Container Insights). Target tracking
    // in CDK takes one plain metric, so the math is written into the policy (CloudFormation's Metrics).
    scaling.scaleToTrackCustomMetric('Connections', {
      metric: this.loadBalancer.metrics.activeFlowCount({ statistic: 'Average', period: Duration.minutes(1) }),
      targetValue: connectionsPerTask,
      scaleOutCooldown: Duration.minutes(1),
      // Scaling in drains a task for the whole drain time: do it rarely.
      scaleInCooldown: Duration.minutes(15),
    });
    const policy = scaling.node.findAll().find((c): c is TargetTrackingScalingPolicy => c instanceof TargetTrackingScalingPolicy && c.node.id === 'Connections')!;
    const cfn = policy.node.defaultChild as CfnResource;
    const spec = 'TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification';
    for (const key of ['MetricName', 'Namespace', 'Dimensions', 'Statistic', 'Unit']) cfn.addPropertyDeletionOverride(`${spec}.${key}`);
    cfn.addPropertyOverride(`${spec}.Metrics`, [
      {
        Id: 'flows',
        MetricStat: {
          Metric: { Namespace: 'AWS/NetworkELB', MetricName: 'ActiveFlowCount', Dimensions: [{ Name: 'LoadBalancer', Value: this.loadBalancer.loadBalancerFullName }] },
          Stat: 'Average',
        },
        ReturnData: false,
      },
      {
        Id: 'tasks',
        MetricStat: {
          Metric: {
            Namespace: 'ECS/ContainerInsights',
            MetricName: 'RunningTaskCount',
            Dimensions: [{ Name: 'ClusterName', Value: this.cluster.clusterName }, { Name: 'ServiceName', Value: this.service.serviceName }],
          },
          Stat: 'Average',
        },
        ReturnData: false,
      },
      { Id: 'perTask', Expression: 'flows / tasks', Label: 'Open connections per task', ReturnData: true },
    ]);
  }

  private suppressFindings(): void {
    if ((this.front.allowedCidrs ?? SESSION_FRONT_DEFAULTS.allowedCidrs).includes('0.0.0.0/0')) {
      NagSuppressions.addResourceSuppressions(this.loadBalancerSecurityGroup, [{
        id: 'AwsSolutions-EC23',
        reason: 'The session front is for agents and CI anywhere (like the API): 443 is open to the internet unless sessionFront.allowedCidrs narrows it; every session is authenticated (JWT) and authorized (grants, policy) by the front.',
      }]);
    }
    NagSuppressions.addResourceSuppressions(this.loadBalancer, [{
      id: 'AwsSolutions-ELB2',
      reason: 'Network Load Balancer access logs cover TLS listeners only, and with TCP passthrough there are none; the front records every session itself (records table and replay), with the agent, the connection and what ran.',
    }]);
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [{
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds the configuration and the policy (also compiled into the proxy function; no secret is in them) and resource names; the only secret, the TLS key, is read at start from Secrets Manager by ARN.',
    }]);
    NagSuppressions.addResourceSuppressions(this.taskRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'As for the proxy function: replay blobs are written under per-request keys (replay/<date>/<requestId>.json) that cannot be listed in advance; the wildcard is limited to the replay/ prefix and s3:PutObject.',
      appliesTo: [{ regex: '/^Resource::<.*ReplayBucket.*\\.Arn>\\/replay\\/\\*$/' }],
    }], true);
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The execution role CDK makes: ecr:GetAuthorizationToken has no resource-level permissions and needs "*"; image pulls are limited to the asset repository, log writes to the task\'s log group.',
      appliesTo: ['Resource::*'],
    }], true);
  }
}

/**
 * The network of a `sessionFront` that names an existing VPC: imported from the ids in the configuration, never
 * looked up, so `cdk synth` needs no credentials. Tasks run in `taskSubnetIds` without public IPs, or in the public
 * subnets with them.
 */
export function importSessionFrontNetwork(scope: Construct, front: SessionFrontConfig & { readonly vpcId: string }): SessionFrontNetwork {
  // Subnets are selected by id below; the AZs are only there because VpcAttributes requires them.
  const vpc = Vpc.fromVpcAttributes(scope, 'SessionFrontVpc', { vpcId: front.vpcId, availabilityZones: Stack.of(scope).availabilityZones });
  const subnets = (kind: string, ids: readonly string[]): SubnetSelection => ({
    subnets: ids.map((subnetId, i) => {
      const subnet = Subnet.fromSubnetId(scope, `SessionFront${kind}Subnet${i}`, subnetId);
      // Nothing here routes: the load balancer and the service only need the ids.
      Annotations.of(subnet).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', 'the session front adds no routes to imported subnets');
      return subnet;
    }),
  });
  const publicSubnets = subnets('Public', front.publicSubnetIds ?? []);
  return {
    vpc,
    loadBalancerSubnets: publicSubnets,
    taskSubnets: front.taskSubnetIds ? subnets('Task', front.taskSubnetIds) : publicSubnets,
    assignPublicIp: !front.taskSubnetIds,
  };
}

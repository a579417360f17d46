/**
 * The shape of Gatehouse's configuration: who may authenticate (issuers), which clusters can be reached
 * (connections) and the grants seeded at deploy or local start. The same types serve `cdk synth`,
 * local mode and the Lambda at run time; `validateGatewayConfig` is the single validator.
 */

import type { ApprovalsConfig } from './approvals/approvals-config';

/** An OIDC issuer whose JWTs identify agents. */
export interface IssuerConfig {
  /** Short name used in grants and records, e.g. `github`. `[a-z0-9-]{1,32}`. */
  readonly name: string;
  /** Exact `iss` claim, e.g. `https://token.actions.githubusercontent.com`. Must be https (or http://127.0.0.1 in local mode). */
  readonly issuer: string;
  /** Accepted `aud` values. */
  readonly audience: readonly string[];
  /** JWKS URI. @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri?: string;
  /** Claim that names the agent, e.g. `sub` or `repository`. @default 'sub' */
  readonly agentClaim?: string;
  /** Claim that groups an agent's requests into one session, e.g. `run_id`. @default none: one session per agent per UTC day */
  readonly sessionClaim?: string;
  /** Claim holding the agent's groups (string or string[]). @default none */
  readonly groupsClaim?: string;
}

/** A cluster that agents can reach through Gatehouse. */
export interface ConnectionConfig {
  /** Name used in the URL: `<endpoint>/k8s/<name>`. `[a-z0-9-]{1,63}`. */
  readonly name: string;
  /** The EKS cluster name, signed into the token as `x-k8s-aws-id`. */
  readonly clusterName: string;
  /** AWS region of the cluster and of the STS endpoint used for its tokens. */
  readonly region: string;
  /** The cluster's API server URL (https). Agents can never choose another host. */
  readonly endpoint: string;
  /** Base64 PEM of the cluster CA, as in a kubeconfig's `certificate-authority-data`. */
  readonly certificateAuthorityData: string;
  /** The IAM role Gatehouse assumes for this connection, mapped to a Kubernetes user by an EKS access entry. */
  readonly roleArn: string;
  /**
   * The stack creates `roleArn` (its name and path), trusted by the proxy's execution role only, for
   * sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity, with no permissions of its own (an EKS token
   * needs none). The ARN must be in the stack's account. @default false: the role exists; the stack outputs
   * the trust policy to attach to it
   */
  readonly createRole?: boolean;
  /**
   * An EKS access entry for `roleArn` on `clusterName`, created by the stack; the cluster must be in the stack's
   * account and region. @default none: map the role yourself (access entry or aws-auth)
   */
  readonly accessEntry?: AccessEntryConfig;
  /** Per-agent impersonation so the cluster's RBAC and audit log see the agent. @default disabled */
  readonly impersonation?: ImpersonationConfig;
  /** Lifetime of the assumed role session. @default 900 */
  readonly sessionDurationSeconds?: number;
  /** Free text shown by the operator CLI. */
  readonly description?: string;
  /** Extra credential patterns masked in this connection's responses, on top of the built-in set. @default none */
  readonly maskingPatterns?: readonly MaskingPatternConfig[];
}

/** What an EKS access entry gives the connection role: access policies, Kubernetes groups for RBAC, or both. */
export interface AccessEntryConfig {
  /** EKS access policies, by name (`AmazonEKSViewPolicy`) or ARN, each scoped to the cluster or to namespaces. @default none */
  readonly accessPolicies?: readonly AccessPolicyConfig[];
  /** Kubernetes groups the role's user is in, for RBAC bindings (never `system:*`). @default none */
  readonly kubernetesGroups?: readonly string[];
  /** Kubernetes user name of the role. @default EKS's, `arn:aws:sts::<account>:assumed-role/<role>/{{SessionName}}` */
  readonly username?: string;
}

/** One EKS access policy of an access entry. */
export interface AccessPolicyConfig {
  /** `AmazonEKSViewPolicy`, `AmazonEKSEditPolicy`, ..., or `arn:aws:eks::aws:cluster-access-policy/<name>`. */
  readonly policy: string;
  /** Namespaces the policy applies in. @default the whole cluster */
  readonly namespaces?: readonly string[];
}

/** A credential pattern, as configuration: a name for the record's counts and a regular expression. */
export interface MaskingPatternConfig {
  /** Counted under this id in records, e.g. `acme-api-key`. */
  readonly id: string;
  /** JavaScript regular expression source; every match is masked. */
  readonly regex: string;
}

/** How Gatehouse impersonates the agent on a connection. */
export interface ImpersonationConfig {
  /** Send Impersonate-User / Impersonate-Group on every request. */
  readonly enabled: boolean;
  /**
   * Prefix of the impersonated user name, which is `<userPrefix><issuer>:<agent>` (`impersonatedUserFor`),
   * e.g. `gatehouse:github:acme/app`. Must not start with `system:`. @default 'gatehouse:'
   */
  readonly userPrefix?: string;
}

/** A grant as written in configuration (the seed) or by the operator CLI. */
export interface GrantSpec {
  /** Connection name. */
  readonly connection: string;
  /** Agent claim value; `*` matches any run of characters. Exactly one of agent or group. */
  readonly agent?: string;
  /** Group claim value; `*` allowed. Exactly one of agent or group. */
  readonly group?: string;
  /**
   * Restrict to agents from this issuer (by issuer name). Required when more than one issuer is configured:
   * the same agent or group value can come from different issuers (and mean different principals).
   * @default the only configured issuer
   */
  readonly issuer?: string;
  /** Namespaces the grant covers (`*` allowed). @default all namespaces and cluster-scoped resources */
  readonly namespaces?: readonly string[];
  /** RFC 3339 expiry. @default never */
  readonly expiresAt?: string;
  /** Groups to impersonate for this grant, when the connection impersonates. @default none */
  readonly impersonateGroups?: readonly string[];
}

/** Limits applied to every proxied request. */
export interface LimitsConfig {
  /** Largest request body accepted. @default 1048576 (1 MiB) */
  readonly maxRequestBodyBytes?: number;
  /** How long to wait for the cluster. @default 25000 (API Gateway's integration timeout is 29 s) */
  readonly upstreamTimeoutMs?: number;
  /** Largest answer Gatehouse reads whole, masks and passes on (streamed past the 6 MB of a buffered Lambda). @default 67108864 (64 MiB) */
  readonly maxResponseBytes?: number;
  /** Longest watch or log follow; a watch gets it as `timeoutSeconds`, so clients re-watch cleanly. @default 600 (API Gateway ends streams at 15 min) */
  readonly maxStreamSeconds?: number;
  /** A stream the cluster sends nothing on for this long is ended with an ERROR event. @default 240 (API Gateway drops idle streams at 5 min) */
  readonly streamIdleSeconds?: number;
  /** Open streams (watches, log follows) one agent may hold at once; one more gets a 429 Status. @default 20 */
  readonly maxStreamsPerAgent?: number;
}

/** The whole configuration. */
export interface GatewayConfig {
  readonly issuers: readonly IssuerConfig[];
  readonly connections: readonly ConnectionConfig[];
  /** Grants written to the grants table at deploy / local start. @default none */
  readonly grants?: readonly GrantSpec[];
  readonly limits?: LimitsConfig;
  /** Days records and replay blobs are kept. @default 400 */
  readonly retentionDays?: number;
  /**
   * Policy files (YAML), relative to the configuration file. They are validated at synth and local start
   * and compiled into the Lambda. @default the baseline pack with every other granted request allowed
   */
  readonly policyFiles?: readonly string[];
  /** Human approval in Slack for requests policy sends to a person (docs/APPROVALS.md). @default none: such requests are refused */
  readonly approvals?: ApprovalsConfig;
  /**
   * A second front for what API Gateway cannot carry (protocol upgrades: kubectl exec, attach, cp, port-forward):
   * a Fargate service behind a Network Load Balancer (docs in gatehouse.config.example.yaml).
   * @default none: the stack stays serverless and those commands are refused
   */
  readonly sessionFront?: SessionFrontConfig;
  /**
   * AWS accounts agents reach through Gatehouse with their unchanged AWS SDKs and CLI (`<endpoint>/aws/<name>`,
   * docs/AWS.md). Names share one namespace with `connections`. @default none
   */
  readonly awsConnections?: readonly AwsConnectionConfig[];
  /** How Gatehouse's own AWS session credentials (handed to agents by `gatehouse-aws-credentials`) are made. */
  readonly awsCredentials?: AwsCredentialsConfig;
}

/** An AWS account (a role in it) that agents can call through Gatehouse. */
export interface AwsConnectionConfig {
  /** Name used in the URL: `<endpoint>/aws/<name>`. `[a-z0-9-]{1,63}`, unique across `connections` and `awsConnections`. */
  readonly name: string;
  /** The 12-digit account of `roleArn`: resource ARNs of calls that name a resource without one are built with it. */
  readonly accountId: string;
  /** The IAM role Gatehouse assumes for each call (source identity and tags from the agent); its policies bound what any agent can do. */
  readonly roleArn: string;
  /** Regions a call may be signed for (`us-east-1`, ...). A call for another region is refused before policy. */
  readonly regions: readonly string[];
  /** Service signing names allowed (`s3`, `dynamodb`, `sts`, `secretsmanager`, `kms`, `ssm`, `lambda`, `iam`, ...). */
  readonly services: readonly string[];
  /** Lifetime of the assumed role session. @default 900 */
  readonly sessionDurationSeconds?: number;
  /**
   * Upstream URL per service, instead of AWS's public regional endpoint (`https://<service>.<region>.amazonaws.com`):
   * VPC endpoints, FIPS endpoints, or local mode's stand-ins. Chosen by the operator, never by the agent; https only
   * (http on 127.0.0.1 in local mode). `{region}` in a URL is replaced by the call's region. @default AWS's endpoints
   */
  readonly endpoints?: Readonly<Record<string, string>>;
  /** Free text shown by the operator CLI. */
  readonly description?: string;
  /** Extra credential patterns masked in this connection's answers, on top of the built-in set. @default none */
  readonly maskingPatterns?: readonly MaskingPatternConfig[];
}

/** Gatehouse session credentials for AWS connections. */
export interface AwsCredentialsConfig {
  /** How long a credential from `POST /aws-credentials/<connection>` is good for (the grant is still checked on every call). @default 3600 */
  readonly lifetimeSeconds?: number;
  /** Largest clock difference accepted between a call's X-Amz-Date and Gatehouse's clock. @default 300 */
  readonly maxClockSkewSeconds?: number;
}

/** Fargate CPU units the session front can run with, and the memory sizes (MiB) each allows. */
export type SessionFrontCpu = 256 | 512 | 1024 | 2048 | 4096;

/** The session front: a long-running HTTPS service for upgraded connections (exec, attach, cp, port-forward). */
export interface SessionFrontConfig {
  /** Synthesize the front. `false` keeps the section in the file but deploys nothing. */
  readonly enabled: boolean;
  /**
   * A DNS name for the front, served with `certificateArn` at the load balancer. Both or neither.
   * @default the load balancer's DNS name, with a certificate from a CA made at deploy (stack output SessionFrontCaPem)
   */
  readonly domainName?: string;
  /** ACM certificate for `domainName`, in the stack's region. Both or neither. @default none */
  readonly certificateArn?: string;
  /**
   * An existing VPC for the front (with `publicSubnetIds`). Given by id, not looked up, so `cdk synth` stays offline.
   * @default a new VPC: two AZs, public subnets only, no NAT gateway (tasks get public IPs; only the load balancer may reach them)
   */
  readonly vpcId?: string;
  /** With `vpcId`: public subnets for the internet-facing load balancer, at least two (in different AZs). */
  readonly publicSubnetIds?: readonly string[];
  /**
   * With `vpcId`: subnets the tasks run in; they need a route to the internet (NAT) or VPC endpoints for
   * STS, DynamoDB, S3, Firehose, Secrets Manager, ECR, CloudWatch Logs and the EKS endpoints.
   * @default `publicSubnetIds`, with public IPs on the tasks
   */
  readonly taskSubnetIds?: readonly string[];
  /** Tasks while idle; autoscaling never goes below. @default 2 */
  readonly desiredCount?: number;
  /** Most tasks autoscaling starts. @default 6 */
  readonly maxCount?: number;
  /** Fargate CPU units per task. @default 512 */
  readonly cpu?: SessionFrontCpu;
  /** Memory per task, MiB; must suit `cpu` (Fargate's table). @default 1024 */
  readonly memoryMiB?: number;
  /** Upgraded sessions one agent may hold open at once. @default 5 */
  readonly maxSessionsPerAgent?: number;
  /** Longest an upgraded session may last; the front then ends it with a message. @default 14400 (4 hours) */
  readonly maxSessionSeconds?: number;
  /** Client networks allowed to reach the load balancer (IPv4 CIDRs). @default ['0.0.0.0/0'] */
  readonly allowedCidrs?: readonly string[];
}

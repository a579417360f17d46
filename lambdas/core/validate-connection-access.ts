import { compact, show, type Section } from './config-section';
import type { AccessEntryConfig, AccessPolicyConfig, ImpersonationConfig } from './gateway-config';

/** Where the stack deploys, when known at synth (the CDK CLI's account and region); checks that need it are skipped otherwise. */
export interface DeploymentTarget {
  /** The stack's account, 12 digits. */
  readonly account?: string;
  /** The stack's region. */
  readonly region?: string;
}

/** What the access checks read from the rest of the connection (already validated, or undefined). */
export interface ConnectionAccessContext {
  readonly name?: string;
  readonly roleArn?: string;
  readonly region?: string;
  readonly impersonation?: ImpersonationConfig;
  readonly deployment?: DeploymentTarget;
}

const ACCESS_ENTRY_KEYS: Record<keyof AccessEntryConfig, true> = { accessPolicies: true, kubernetesGroups: true, username: true };
const ACCESS_POLICY_KEYS: Record<keyof AccessPolicyConfig, true> = { policy: true, namespaces: true };
/** EKS's access policy names (aws eks list-access-policies) are `AmazonEKS<Something>Policy`. */
const POLICY_NAME = /^AmazonEKS[A-Za-z0-9]+Policy$/;
const POLICY_ARN = /^arn:aws(-cn|-us-gov|-iso(-[a-z])?|-eusc)?:eks::aws:cluster-access-policy\/[A-Za-z0-9]+$/;
/** Kubernetes namespace names: DNS labels. EKS access scopes also take `*` suffixes, which Gatehouse does not need. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Prefixes EKS refuses in access entry user names and groups. */
const RESERVED = ['system:', 'eks:', 'aws:', 'amazon:', 'iam:'];

/** The 12-digit account of an IAM role ARN. */
export function roleAccount(roleArn: string): string | undefined {
  return /^arn:[^:]+:iam::(\d{12}):role\//.exec(roleArn)?.[1];
}

/**
 * `createRole`: the stack can only create a role in its own account, so the ARN the configuration names must
 * be there (checked when the account is known at synth).
 */
export function checkCreateRole(s: Section, createRole: boolean | undefined, c: ConnectionAccessContext): void {
  const account = c.roleArn ? roleAccount(c.roleArn) : undefined;
  const stackAccount = c.deployment?.account;
  if (createRole && account && stackAccount && account !== stackAccount) {
    s.problem(`createRole: roleArn ${show(c.roleArn)} is in account ${account} but this stack deploys to ${stackAccount}; `
      + `a stack creates roles in its own account only. Use arn:aws:iam::${stackAccount}:role/<name>, or create the role in ${account} yourself and drop createRole`);
  }
}

/**
 * Reads `accessEntry`: at least one access policy or group, names EKS accepts, and a cluster this stack can reach
 * (same account and region). Impersonating connections need RBAC for `impersonate`, which only a group or user
 * name can be bound to.
 */
export function readAccessEntry(s: Section, c: ConnectionAccessContext): AccessEntryConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(ACCESS_ENTRY_KEYS);
  const accessPolicies = s.list('accessPolicies', false).map((item, i) => readAccessPolicy(s.child(`accessPolicies[${i}]`, item)));
  const kubernetesGroups = s.strings('kubernetesGroups', false);
  const username = s.string('username', false);
  if (!s.has('accessPolicies') && !s.has('kubernetesGroups')) {
    s.problem('needs accessPolicies (e.g. [{ policy: AmazonEKSViewPolicy, namespaces: [app] }]) or kubernetesGroups (for RBAC bindings), or both');
  }
  if (s.has('accessPolicies') && accessPolicies.length === 0) s.problem('accessPolicies is empty; omit it or list at least one policy');
  for (const group of kubernetesGroups ?? []) {
    const reserved = RESERVED.find((p) => group.startsWith(p));
    if (reserved || group === '') s.problem(`kubernetesGroups entry ${show(group)} ${reserved ? `starts with "${reserved}", which EKS reserves` : 'is empty'}; pick a name like gatehouse-${c.name ?? 'connection'}`);
  }
  const reservedUser = username === undefined ? undefined : RESERVED.find((p) => username.startsWith(p));
  if (reservedUser) s.problem(`username ${show(username)} starts with "${reservedUser}", which EKS reserves`);
  if (c.impersonation?.enabled && !kubernetesGroups?.length && username === undefined) {
    s.problem(`connection "${c.name}" impersonates, which needs RBAC permission to impersonate its agents: add kubernetesGroups `
      + `(e.g. [gatehouse-${c.name ?? 'connection'}]) and apply the ClusterRole and binding \`gatehouse connections rbac ${c.name ?? '<name>'}\` prints`);
  }
  const stack = c.deployment;
  if (stack?.region && c.region && c.region !== stack.region) {
    s.problem(`the cluster is in region ${c.region} but this stack deploys to ${stack.region}; a stack creates access entries in its own account and region only. `
      + `Drop accessEntry and run \`aws eks create-access-entry --region ${c.region} --cluster-name <cluster> --principal-arn <roleArn>\` there, or deploy Gatehouse to ${c.region}`);
  }
  const account = c.roleArn ? roleAccount(c.roleArn) : undefined;
  if (stack?.account && account && account !== stack.account) {
    s.problem(`roleArn is in account ${account} but this stack deploys to ${stack.account}; an access entry made by this stack would be for a cluster in ${stack.account}. `
      + `If the cluster is in ${account}, drop accessEntry and create the entry there (aws eks create-access-entry --cluster-name <cluster> --principal-arn ${c.roleArn})`);
  }
  if (!s.clean) return undefined;
  return compact({ accessPolicies: s.has('accessPolicies') ? accessPolicies as AccessPolicyConfig[] : undefined, kubernetesGroups, username }) as AccessEntryConfig;
}

function readAccessPolicy(s: Section): AccessPolicyConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(ACCESS_POLICY_KEYS);
  const policy = s.string('policy', true);
  if (policy !== undefined && !POLICY_NAME.test(policy) && !POLICY_ARN.test(policy)) {
    s.problem(`policy ${show(policy)} is not an EKS access policy: give its name (AmazonEKSViewPolicy, AmazonEKSEditPolicy, AmazonEKSAdminPolicy, `
      + 'AmazonEKSClusterAdminPolicy; `aws eks list-access-policies` lists them) or its arn:aws:eks::aws:cluster-access-policy/<name>');
  }
  const namespaces = s.strings('namespaces', false);
  if (namespaces?.length === 0) s.problem('namespaces is empty; omit it for the whole cluster, or list at least one');
  namespaces?.forEach((ns) => { if (!NAMESPACE.test(ns)) s.problem(`namespaces entry ${show(ns)} is not a namespace name (a DNS label)`); });
  if (!s.clean) return undefined;
  return compact({ policy, namespaces }) as AccessPolicyConfig;
}

/** The ARN of an access policy given by name or ARN; `partition` is the stack's (a token in CDK). */
export function accessPolicyArn(policy: string, partition: string): string {
  return policy.startsWith('arn:') ? policy : `arn:${partition}:eks::aws:cluster-access-policy/${policy}`;
}

import type { ConnectionConfig } from '../gateway-config';
import type { RoleSessionRequest } from '../role-session';
import { describeFailure, failed, isAccessDenied, isUnreachable, passed, type DoctorCheck, type ProbeFailure, type ProbeOutcome } from './doctor-check';

/** Who the cluster says the caller is, from a SelfSubjectReview's `status.userInfo`. */
export interface ReviewedUser {
  readonly username: string;
  readonly groups: readonly string[];
}

/** What the cluster answered to a SelfSubjectReview. */
export interface ClusterAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** The request that asks the cluster who the caller is (authentication.k8s.io/v1, GA since Kubernetes 1.28). */
export const SELF_SUBJECT_REVIEW = {
  method: 'POST',
  path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} }),
} as const;

/** The stack output holding a connection's trust policy (`TrustPolicy<PascalName>`, as lib/gatehouse-stack.ts names it). */
export function trustPolicyOutputFor(connection: Pick<ConnectionConfig, 'name'>, kind: 'cluster' | 'aws' = 'cluster'): string {
  return `${kind === 'aws' ? 'AwsTrustPolicy' : 'TrustPolicy'}${connection.name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`;
}

/** What the role check reads of a connection: a cluster's, or an AWS connection's (which the stack never creates). */
export type RoleUnderCheck = Pick<ConnectionConfig, 'name' | 'roleArn' | 'createRole'> & { readonly kind?: 'cluster' | 'aws' };

/** The role name of a role ARN (the last path segment). */
function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/**
 * Did the proxy's principal assume the connection's role exactly as it does for agents (RoleSessionName,
 * SourceIdentity, session tags)? A refusal names the one trust-policy change that fixes it.
 */
export function assumeRoleCheck(connection: RoleUnderCheck, session: RoleSessionRequest, outcome: ProbeOutcome<unknown>): DoctorCheck {
  const name = `${connection.kind === 'aws' ? 'AWS connection' : 'connection'} ${connection.name}: assume role`;
  if (outcome.ok) {
    return passed(name, `assumed ${connection.roleArn} as session ${session.roleSessionName} with source identity ${session.sourceIdentity} and ${session.tags.length} session tags`);
  }
  return failed(name, describeFailure(outcome.failure), assumeRoleFix(connection, outcome.failure));
}

function assumeRoleFix(connection: RoleUnderCheck, failure: ProbeFailure): string {
  if (isUnreachable(failure)) {
    return `Let the proxy reach AWS STS in its region (${failure.code}): if the function runs in a VPC, add a NAT route or an STS interface endpoint; otherwise run doctor again.`;
  }
  if (isAccessDenied(failure)) {
    const missing = /sts:(TagSession|SetSourceIdentity)/.exec(failure.message)?.[0];
    if (connection.createRole) {
      return `The stack created ${connection.roleArn}, so its trust policy was changed by hand: run cdk deploy to restore it (it trusts the ProxyRoleArn output for sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity).`;
    }
    const output = trustPolicyOutputFor(connection, connection.kind);
    const attach = `aws iam update-assume-role-policy --role-name ${roleNameOf(connection.roleArn)} --policy-document "$(aws cloudformation describe-stacks --stack-name <stack> --query "Stacks[0].Outputs[?OutputKey=='${output}'].OutputValue" --output text)"`;
    if (missing) {
      return `Allow ${missing} in ${connection.roleArn}'s trust policy, in the statement that trusts the ProxyRoleArn output (the ${output} output has all three actions): ${attach}`;
    }
    return `Make ${connection.roleArn} trust the proxy's role (the ProxyRoleArn output) for sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity: ${attach}`;
  }
  if (/InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(failure.code)) {
    return 'STS did not accept the proxy\'s own credentials: check the function\'s execution role still exists (cdk deploy restores it) and run doctor again.';
  }
  if (/NoSuchEntity|ValidationError|MalformedPolicyDocument/.test(failure.code)) {
    return `Check roleArn of connection "${connection.name}" (${connection.roleArn}) names an existing role, then cdk deploy.`;
  }
  return 'STS failed; run doctor again, and if it persists check AWS Health for STS in this region.';
}

/** Reads `status.userInfo` of a SelfSubjectReview; undefined when the body is not one. */
export function reviewedUserOf(body: Buffer): ReviewedUser | undefined {
  try {
    const review = JSON.parse(body.toString('utf8')) as { kind?: unknown; status?: { userInfo?: { username?: unknown; groups?: unknown } } };
    const info = review.status?.userInfo;
    if (review.kind !== 'SelfSubjectReview' || typeof info?.username !== 'string') return undefined;
    return { username: info.username, groups: Array.isArray(info.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [] };
  } catch {
    return undefined;
  }
}

/** The cluster's Status message, if its answer is one (never more than a line). */
function statusMessageOf(body: Buffer): string | undefined {
  try {
    const status = JSON.parse(body.toString('utf8')) as { kind?: unknown; message?: unknown };
    return status.kind === 'Status' && typeof status.message === 'string' ? status.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Did the cluster accept the EKS token minted with the assumed role, and who does it say the caller is? The
 * SelfSubjectReview went through the proxy's own upstream client (endpoint, CA, headers).
 */
export function clusterTokenCheck(connection: ConnectionConfig, outcome: ProbeOutcome<ClusterAnswer>): DoctorCheck {
  const name = `connection ${connection.name}: cluster accepts the EKS token`;
  if (!outcome.ok) return failed(name, describeFailure(outcome.failure), reachFix(connection, outcome.failure));
  const { status, body } = outcome.value;
  const user = status < 300 ? reviewedUserOf(body) : undefined;
  if (user) return passed(name, `the cluster sees user "${user.username}" in groups [${user.groups.join(', ')}]`);
  const said = statusMessageOf(body);
  const detail = `the cluster answered ${status}${said ? `: ${said}` : ''}`;
  if (status === 401) {
    const fix = connection.accessEntry
      ? `The stack's access entry maps ${connection.roleArn}, so the token is for another cluster: set clusterName (now "${connection.clusterName}") and region (now ${connection.region}) of connection "${connection.name}" to the cluster's own, then cdk deploy.`
      : `Map ${connection.roleArn} to a Kubernetes user in cluster ${connection.clusterName}: set accessEntry on connection "${connection.name}" and cdk deploy, or aws eks create-access-entry --cluster-name ${connection.clusterName} --principal-arn ${connection.roleArn} --kubernetes-groups gatehouse-${connection.name}`;
    return failed(name, detail, fix);
  }
  if (status === 403) {
    return failed(name, detail, `Let ${connection.roleArn}'s Kubernetes user create selfsubjectreviews (every authenticated user may, through system:basic-user): restore that ClusterRoleBinding in cluster ${connection.clusterName}.`);
  }
  if (status === 404) {
    return failed(name, detail, `Point endpoint of connection "${connection.name}" (${connection.endpoint}) at the cluster's API server (aws eks describe-cluster --name ${connection.clusterName} --query cluster.endpoint); it needs Kubernetes 1.28 or newer.`);
  }
  return failed(name, detail, `Check endpoint of connection "${connection.name}" (${connection.endpoint}) is the API server of cluster ${connection.clusterName}, and run doctor again.`);
}

function reachFix(connection: ConnectionConfig, failure: ProbeFailure): string {
  if (/TLS certificate/.test(failure.message)) {
    return `Set certificateAuthorityData of connection "${connection.name}" to the cluster's CA: aws eks describe-cluster --name ${connection.clusterName} --query cluster.certificateAuthority.data --output text`;
  }
  return `Let the proxy reach ${connection.endpoint}: the cluster's endpoint must be public, or the function must run in a VPC that routes to its private endpoint (security group allowing 443 from the function).`;
}

/**
 * With impersonation configured: a second SelfSubjectReview impersonating `<userPrefix>doctor`; the cluster must
 * answer with that user, or the role lacks the RBAC `gatehouse connections rbac` prints.
 */
export function impersonationCheck(connection: ConnectionConfig, expectedUser: string, outcome: ProbeOutcome<ClusterAnswer>): DoctorCheck {
  const name = `connection ${connection.name}: impersonation`;
  const rbac = `Let the role impersonate agents: npx gatehouse --stack <stack> --config <config> connections rbac ${connection.name} | kubectl apply -f - (with your own kubeconfig for cluster ${connection.clusterName})`;
  if (!outcome.ok) return failed(name, describeFailure(outcome.failure), reachFix(connection, outcome.failure));
  const { status, body } = outcome.value;
  const user = status < 300 ? reviewedUserOf(body) : undefined;
  if (user?.username === expectedUser) return passed(name, `impersonating "${expectedUser}" works: the cluster sees user "${user.username}"`);
  if (user) return failed(name, `impersonated "${expectedUser}" but the cluster sees "${user.username}"`, `Something between Gatehouse and the cluster drops Impersonate-* headers; connect endpoint of "${connection.name}" to the API server directly.`);
  const said = statusMessageOf(body);
  return failed(name, `the cluster answered ${status} to impersonating "${expectedUser}"${said ? `: ${said}` : ''}`, rbac);
}

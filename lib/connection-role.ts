import { Duration } from 'aws-cdk-lib';
import { ArnPrincipal, PolicyStatement, Role, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Props of {@link ConnectionRole}. */
export interface ConnectionRoleProps {
  /**
   * The ARN the role must have, as the configuration names it (`arn:aws:iam::<account>:role/<path>/<name>`):
   * the proxy already holds it, so the role is created with exactly that name and path.
   */
  readonly roleArn: string;
  /** The only principal that may assume the role: the proxy function's execution role. */
  readonly trustedRole: IRole;
  /** Text shown in IAM. @default names the connection-less purpose */
  readonly description?: string;
}

/**
 * What a connection role's trust policy allows the proxy's execution role: assume it, tag the session with
 * the agent (`gatehouse:*` tags) and set the agent as SourceIdentity. Nothing else, and nobody else.
 */
export const CONNECTION_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] as const;

/**
 * A connection role created by the stack: trusted by the proxy's execution role only, with no permissions of
 * its own (minting an EKS token needs none; what the role may do in the cluster is its access entry's business).
 * Its maximum session is an hour, which is all role chaining from a Lambda allows anyway.
 */
export class ConnectionRole extends Construct {
  /** The role. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ConnectionRoleProps) {
    super(scope, id);
    const { path, name } = roleNameAndPath(props.roleArn);
    const principal = new ArnPrincipal(props.trustedRole.roleArn);
    this.role = new Role(this, 'Role', {
      roleName: name,
      path,
      assumedBy: principal,
      maxSessionDuration: Duration.hours(1),
      description: props.description ?? 'Gatehouse connection role: the proxy assumes it per agent to mint EKS tokens',
    });
    // One statement with all three actions: the default statement CDK writes for assumedBy has AssumeRole only.
    this.role.assumeRolePolicy!.addStatements(new PolicyStatement({
      actions: [...CONNECTION_TRUST_ACTIONS].filter((a) => a !== 'sts:AssumeRole'),
      principals: [principal],
    }));
  }
}

/** `arn:aws:iam::1:role/teams/gatehouse-prod` -> path `/teams/`, name `gatehouse-prod`. */
export function roleNameAndPath(roleArn: string): { readonly path: string; readonly name: string } {
  const resource = /^arn:[^:]+:iam::\d{12}:role(\/.*)$/.exec(roleArn)?.[1];
  if (!resource) throw new Error(`${roleArn} is not an IAM role ARN`);
  const slash = resource.lastIndexOf('/');
  return { path: resource.slice(0, slash + 1), name: resource.slice(slash + 1) };
}

/** The trust policy a role the stack does not create must carry, for the proxy's execution role. */
export function connectionTrustPolicy(proxyRoleArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: proxyRoleArn }, Action: [...CONNECTION_TRUST_ACTIONS] }],
  };
}

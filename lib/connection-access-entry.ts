import { Aws } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { Construct } from 'constructs';
import type { AccessEntryConfig } from '../lambdas/core/gateway-config';
import { accessPolicyArn } from '../lambdas/core/validate-connection-access';

/** Props of {@link ConnectionAccessEntry}. */
export interface ConnectionAccessEntryProps {
  /** The EKS cluster (in the stack's account and region). */
  readonly clusterName: string;
  /** The connection role the entry maps (a token when the stack creates the role, so the entry waits for it). */
  readonly principalArn: string;
  /** What the entry gives the role: access policies with their scopes, Kubernetes groups, a user name. */
  readonly access: AccessEntryConfig;
}

/**
 * An EKS access entry (AWS::EKS::AccessEntry, type STANDARD) mapping a connection role to Kubernetes: access
 * policies scoped to the cluster or to namespaces, and/or groups that the cluster's RBAC bindings name.
 */
export class ConnectionAccessEntry extends Construct {
  /** The entry. */
  readonly entry: CfnAccessEntry;

  constructor(scope: Construct, id: string, props: ConnectionAccessEntryProps) {
    super(scope, id);
    const { access } = props;
    this.entry = new CfnAccessEntry(this, 'Entry', {
      clusterName: props.clusterName,
      principalArn: props.principalArn,
      type: 'STANDARD',
      username: access.username,
      kubernetesGroups: access.kubernetesGroups?.length ? [...access.kubernetesGroups] : undefined,
      accessPolicies: access.accessPolicies?.map((p) => ({
        policyArn: accessPolicyArn(p.policy, Aws.PARTITION),
        accessScope: p.namespaces?.length ? { type: 'namespace', namespaces: [...p.namespaces] } : { type: 'cluster' },
      })),
    });
  }
}

import { Stack, Token } from 'aws-cdk-lib';
import type { IRole, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ConnectionConfig } from '../lambdas/core/gateway-config';
import { roleAccount } from '../lambdas/core/validate-connection-access';
import { ConnectionAccessEntry } from './connection-access-entry';
import { ConnectionRole } from './connection-role';

/** Props of {@link ConnectionAccess}. */
export interface ConnectionAccessProps {
  /** The validated connections; those with `createRole` or `accessEntry` get resources here. */
  readonly connections: readonly ConnectionConfig[];
  /** The proxy function's execution role, the only principal created roles trust. */
  readonly proxyRole: IRole;
}

/**
 * How each connection reaches its cluster, as far as the stack can set it up: the connection roles it is asked to
 * create, and the EKS access entries that map a role to Kubernetes. Connections that ask for neither get nothing.
 */
export class ConnectionAccess extends Construct {
  /** Roles the stack created, by connection name. */
  readonly createdRoles: ReadonlyMap<string, Role>;
  /** Access entries, by connection name. */
  readonly accessEntries: ReadonlyMap<string, ConnectionAccessEntry>;

  constructor(scope: Construct, id: string, props: ConnectionAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const roles = new Map<string, Role>();
    const entries = new Map<string, ConnectionAccessEntry>();
    // Two connections may share a role; it is created once.
    const byArn = new Map<string, Role>();
    for (const connection of props.connections) {
      const id = pascalCase(connection.name);
      if (connection.createRole) {
        assertSameAccount(stack, connection);
        const role = byArn.get(connection.roleArn)
          ?? new ConnectionRole(this, `${id}Role`, { roleArn: connection.roleArn, trustedRole: props.proxyRole }).role;
        byArn.set(connection.roleArn, role);
        roles.set(connection.name, role);
      }
      if (connection.accessEntry) {
        assertSameRegion(stack, connection);
        entries.set(connection.name, new ConnectionAccessEntry(this, `${id}AccessEntry`, {
          clusterName: connection.clusterName,
          // The created role's token, so CloudFormation creates the entry after the role.
          principalArn: roles.get(connection.name)?.roleArn ?? connection.roleArn,
          access: connection.accessEntry,
        }));
      }
    }
    this.createdRoles = roles;
    this.accessEntries = entries;
  }
}

/** `prod-eu` -> `ProdEu`: construct and output ids must be alphanumeric. */
export function pascalCase(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

// The configuration was checked against the CLI's account and region when they were known; a stack with an
// explicit env is checked here too, so no template ever holds a role or an entry CloudFormation would put elsewhere.
function assertSameAccount(stack: Stack, connection: ConnectionConfig): void {
  const account = roleAccount(connection.roleArn);
  if (!Token.isUnresolved(stack.account) && account !== stack.account) {
    throw new Error(`connection "${connection.name}": createRole needs roleArn in the stack's account ${stack.account}, not ${account}`);
  }
}

function assertSameRegion(stack: Stack, connection: ConnectionConfig): void {
  if (!Token.isUnresolved(stack.region) && connection.region !== stack.region) {
    throw new Error(`connection "${connection.name}": accessEntry needs the cluster in the stack's region ${stack.region}, not ${connection.region}`);
  }
}

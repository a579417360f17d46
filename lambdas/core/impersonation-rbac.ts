import type { ConnectionConfig, IssuerConfig } from './gateway-config';
import type { Grant } from './grant';
import { DEFAULT_USER_PREFIX, impersonatedUserFor } from './impersonated-user';

/**
 * The user `gatehouse doctor` impersonates to check that impersonation works: `<userPrefix>doctor`. No agent can
 * be it, since agent users always have a `:` after the issuer name.
 */
export function doctorUserFor(connection: Pick<ConnectionConfig, 'impersonation'>): string {
  return `${connection.impersonation?.userPrefix ?? DEFAULT_USER_PREFIX}doctor`;
}

/** The RBAC a connection role needs to impersonate, and the grants it cannot cover. */
export interface ImpersonationRbac {
  /** A ClusterRole and a ClusterRoleBinding, as Kubernetes objects. */
  readonly objects: readonly Record<string, unknown>[];
  /** Users and groups the ClusterRole lets the role impersonate. */
  readonly users: readonly string[];
  readonly groups: readonly string[];
  /** Who the binding names (from the access entry), and whether that had to be guessed. */
  readonly subject: { readonly kind: 'Group' | 'User'; readonly name: string; readonly assumed: boolean };
  /** One sentence per grant whose users RBAC cannot list (globs, group grants). */
  readonly uncovered: readonly string[];
}

/**
 * The ClusterRole and ClusterRoleBinding that let a connection role impersonate exactly what Gatehouse sends:
 * `impersonate` on the users its grants produce (`<userPrefix><issuer>:<agent>`) and on the groups they list in
 * `impersonateGroups`, never `system:*`. RBAC `resourceNames` are exact names (no prefixes or globs), so a grant
 * whose agents are not known in advance (a `*` pattern, a group grant) cannot be covered; those are reported,
 * never answered with a rule for every user. The doctor's own user is always listed, so the list is never
 * empty (an empty `resourceNames` would allow every name).
 */
export function impersonationRbac(connection: ConnectionConfig, grants: readonly Grant[], issuers: readonly Pick<IssuerConfig, 'name'>[]): ImpersonationRbac {
  const users = new Set<string>([doctorUserFor(connection)]);
  const groups = new Set<string>();
  const uncovered: string[] = [];
  const onlyIssuer = issuers.length === 1 ? issuers[0]!.name : undefined;
  for (const grant of grants.filter((g) => g.connection === connection.name)) {
    for (const group of grant.impersonateGroups ?? []) if (!group.startsWith('system:')) groups.add(group);
    const issuer = grant.issuer ?? onlyIssuer;
    const what = `grant ${grant.grantId} (${grant.principalType} ${grant.principal})`;
    if (grant.principalType === 'group') {
      uncovered.push(`${what}: its agents' user names are not known in advance; add each one's ${connection.impersonation?.userPrefix ?? DEFAULT_USER_PREFIX}<issuer>:<agent> to the users rule, or grant agents by name`);
    } else if (grant.principal.includes('*')) {
      uncovered.push(`${what}: RBAC resourceNames are exact names, so "*" cannot be listed; add each agent's user to the users rule, or grant agents by name`);
    } else if (!issuer) {
      uncovered.push(`${what}: names no issuer and ${issuers.length} are configured, so its user name is unknown; give the grant an issuer`);
    } else {
      users.add(impersonatedUserFor({ issuer, agent: grant.principal }, connection.impersonation));
    }
  }
  const name = `gatehouse-impersonate-${connection.name}`;
  const entryGroup = connection.accessEntry?.kubernetesGroups?.[0];
  const subject = entryGroup ? { kind: 'Group' as const, name: entryGroup, assumed: false }
    : connection.accessEntry?.username ? { kind: 'User' as const, name: connection.accessEntry.username, assumed: false }
      : { kind: 'Group' as const, name: `gatehouse-${connection.name}`, assumed: true };
  const labels = { 'app.kubernetes.io/managed-by': 'gatehouse', 'gatehouse.dev/connection': connection.name };
  const sortedUsers = [...users].sort();
  const sortedGroups = [...groups].sort();
  const rules: Record<string, unknown>[] = [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: sortedUsers }];
  if (sortedGroups.length) rules.push({ apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: sortedGroups });
  return {
    objects: [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: subject.kind, name: subject.name }],
      },
    ],
    users: sortedUsers,
    groups: sortedGroups,
    subject,
    uncovered,
  };
}

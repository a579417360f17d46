import type { ConnectionConfig } from '../../../lambdas/core/gateway-config';
import type { Grant } from '../../../lambdas/core/grant';
import { impersonationRbac } from '../../../lambdas/core/impersonation-rbac';

const connection = (extra: Partial<ConnectionConfig> = {}): ConnectionConfig => ({
  name: 'prod', clusterName: 'prod', region: 'eu-west-1', endpoint: 'https://x', certificateAuthorityData: '', roleArn: 'arn:aws:iam::1:role/r',
  impersonation: { enabled: true }, ...extra,
});
const grant = (principal: string, extra: Partial<Grant> = {}): Grant => ({
  grantId: `g-${principal}`, connection: 'prod', principalType: 'agent', principal, issuer: 'github', createdAt: '', createdBy: '', source: 'config', ...extra,
});
const GITHUB = [{ name: 'github' }];

describe('impersonationRbac', () => {
  it('lets the role impersonate exactly the granted agents\' users, their groups and the doctor user, bound to the access entry group', () => {
    const rbac = impersonationRbac(
      connection({ accessEntry: { kubernetesGroups: ['gatehouse-prod'] } }),
      [grant('acme/payments', { impersonateGroups: ['sre', 'system:masters'] }), grant('acme/web'), grant('other', { connection: 'staging' })],
      GITHUB,
    );

    expect(rbac.objects[0]).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'gatehouse-impersonate-prod', labels: { 'app.kubernetes.io/managed-by': 'gatehouse', 'gatehouse.dev/connection': 'prod' } },
      rules: [
        { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['gatehouse:doctor', 'gatehouse:github:acme/payments', 'gatehouse:github:acme/web'] },
        { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['sre'] },
      ],
    });
    expect(rbac.objects[1]).toMatchObject({ kind: 'ClusterRoleBinding', subjects: [{ kind: 'Group', name: 'gatehouse-prod' }] });
    expect(rbac.uncovered).toEqual([]);
  });

  it.each([
    ['a glob agent', grant('acme/*'), 'grant g-acme/* (agent acme/*): RBAC resourceNames are exact names, so "*" cannot be listed'],
    ['a group grant', grant('sre', { principalType: 'group' }), 'grant g-sre (group sre): its agents\' user names are not known in advance'],
    ['a grant without issuer among several issuers', grant('acme/app', { issuer: undefined }), 'grant g-acme/app (agent acme/app): names no issuer and 2 are configured'],
  ])('reports %s as not covered instead of allowing every user', (_what, g, message) => {
    const rbac = impersonationRbac(connection(), [g], [{ name: 'github' }, { name: 'okta' }]);

    expect(rbac.uncovered[0]).toContain(message);
    expect(rbac.users).toEqual(['gatehouse:doctor']);
    expect((rbac.objects[0] as { rules: unknown[] }).rules).toHaveLength(1);
  });

  it.each([
    [{ accessEntry: { kubernetesGroups: ['a', 'b'] } }, { kind: 'Group', name: 'a', assumed: false }],
    [{ accessEntry: { username: 'gatehouse-prod-role' } }, { kind: 'User', name: 'gatehouse-prod-role', assumed: false }],
    [{}, { kind: 'Group', name: 'gatehouse-prod', assumed: true }],
  ])('binds %j to %j', (extra, subject) => {
    expect(impersonationRbac(connection(extra as Partial<ConnectionConfig>), [], GITHUB).subject).toEqual(subject);
  });

  it('names users with the connection\'s own prefix', () => {
    const rbac = impersonationRbac(connection({ impersonation: { enabled: true, userPrefix: 'gh-' } }), [grant('acme/app')], GITHUB);

    expect(rbac.users).toEqual(['gh-doctor', 'gh-github:acme/app']);
  });
});

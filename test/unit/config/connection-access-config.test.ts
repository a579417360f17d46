import { ConfigError } from '../../../lambdas/core/errors';
import { validateGatewayConfig, type ValidateGatewayConfigOptions } from '../../../lambdas/core/validate-gateway-config';

// A real self-signed certificate (CN=kubernetes), base64 of its PEM as in a kubeconfig.
const CA = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmakNDQVNXZ0F3SUJBZ0lVR3lBWlRPZ2VQQ2pHZmxOMENRS0NZL3c4b1Nrd0NnWUlLb1pJemowRUF3SXcKRlRFVE1CRUdBMVVFQXd3S2EzVmlaWEp1WlhSbGN6QWVGdzB5TmpFeE1qSXdNakEwTkRSYUZ3MHpOakV4TVRrdwpNakEwTkRSYU1CVXhFekFSQmdOVkJBTU1DbXQxWW1WeWJtVjBaWE13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPClBRTUJCd05DQUFTWFZXMlZNbEdzZmZOMjFvWFQvL2pBUEZIQXR3MDIyZ3g0Z2lUQy9hZjBlL2RaMDg4T3B2b3YKSWZRSFpSVXNpR09qUFhCZjhiM0JFaWlONkFETGxNSmpvMU13VVRBZEJnTlZIUTRFRmdRVTRFL01kUllxcGRiWAp1TkpCWkJ0L2JoYklXMmN3SHdZRFZSMGpCQmd3Rm9BVTRFL01kUllxcGRiWHVOSkJaQnQvYmhiSVcyY3dEd1lEClZSMFRBUUgvQkFVd0F3RUIvekFLQmdncWhrak9QUVFEQWdOSEFEQkVBaUJ3amlWanRNWGttT2JINFZNVm5NcjMKSXRCY1FRWEp2dDJXRnlqaFRBY0ZvUUlnSU5CbGxhMldTazNJSW1rV1VCMm1yaVJyeTBsSHNQMEVoRllHd2d1ZgpNVGc9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K';
const STACK = { deployment: { account: '123456789012', region: 'eu-west-1' } };

type Mutable = { [key: string]: any };

/** One connection in the stack's account and region, with the extra keys under test. */
function config(connection: Mutable): Mutable {
  return {
    issuers: [{ name: 'github', issuer: 'https://token.actions.githubusercontent.com', audience: ['gatehouse'] }],
    connections: [{
      name: 'staging', clusterName: 'staging', region: 'eu-west-1', endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthorityData: CA, roleArn: 'arn:aws:iam::123456789012:role/gatehouse/staging', ...connection,
    }],
  };
}

function problemsOf(raw: unknown, options: ValidateGatewayConfigOptions = STACK): readonly string[] {
  try {
    validateGatewayConfig(raw, 'test.yaml', options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('connection roles and access entries in the configuration', () => {
  it('keeps createRole and a validated access entry', () => {
    const raw = config({
      createRole: true,
      accessEntry: { accessPolicies: [{ policy: 'AmazonEKSViewPolicy', namespaces: ['app'] }, { policy: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy' }], kubernetesGroups: ['gatehouse-staging'] },
    });

    const connection = validateGatewayConfig(raw, 'test.yaml', STACK).connections[0]!;

    expect(connection.createRole).toBe(true);
    expect(connection.accessEntry).toEqual({
      accessPolicies: [{ policy: 'AmazonEKSViewPolicy', namespaces: ['app'] }, { policy: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy' }],
      kubernetesGroups: ['gatehouse-staging'],
    });
  });

  it.each([
    ['a role to create in another account',
      { createRole: true, roleArn: 'arn:aws:iam::999999999999:role/gatehouse' },
      'connections[0] "staging": createRole: roleArn "arn:aws:iam::999999999999:role/gatehouse" is in account 999999999999 but this stack deploys to 123456789012; '
        + 'a stack creates roles in its own account only. Use arn:aws:iam::123456789012:role/<name>, or create the role in 999999999999 yourself and drop createRole'],
    ['an access entry for a cluster in another region',
      { region: 'us-east-1', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', accessEntry: { kubernetesGroups: ['g'] } },
      'connections[0] "staging": accessEntry: the cluster is in region us-east-1 but this stack deploys to eu-west-1; a stack creates access entries in its own account and region only. '
        + 'Drop accessEntry and run `aws eks create-access-entry --region us-east-1 --cluster-name <cluster> --principal-arn <roleArn>` there, or deploy Gatehouse to us-east-1'],
    ['an access entry for a role (and so a cluster) in another account',
      { roleArn: 'arn:aws:iam::999999999999:role/gatehouse', accessEntry: { kubernetesGroups: ['g'] } },
      'connections[0] "staging": accessEntry: roleArn is in account 999999999999 but this stack deploys to 123456789012; an access entry made by this stack would be for a cluster in 123456789012. '
        + 'If the cluster is in 999999999999, drop accessEntry and create the entry there (aws eks create-access-entry --cluster-name <cluster> --principal-arn arn:aws:iam::999999999999:role/gatehouse)'],
    ['an access entry that gives nothing',
      { accessEntry: {} },
      'connections[0] "staging": accessEntry: needs accessPolicies (e.g. [{ policy: AmazonEKSViewPolicy, namespaces: [app] }]) or kubernetesGroups (for RBAC bindings), or both'],
    ['a policy that is not an EKS access policy',
      { accessEntry: { accessPolicies: [{ policy: 'ReadOnlyAccess' }] } },
      'connections[0] "staging": accessEntry: accessPolicies[0]: policy "ReadOnlyAccess" is not an EKS access policy: give its name (AmazonEKSViewPolicy, AmazonEKSEditPolicy, AmazonEKSAdminPolicy, '
        + 'AmazonEKSClusterAdminPolicy; `aws eks list-access-policies` lists them) or its arn:aws:eks::aws:cluster-access-policy/<name>'],
    ['a scope namespace that is not a namespace name',
      { accessEntry: { accessPolicies: [{ policy: 'AmazonEKSViewPolicy', namespaces: ['Team_A'] }] } },
      'connections[0] "staging": accessEntry: accessPolicies[0]: namespaces entry "Team_A" is not a namespace name (a DNS label)'],
    ['a reserved group',
      { accessEntry: { kubernetesGroups: ['system:masters'] } },
      'connections[0] "staging": accessEntry: kubernetesGroups entry "system:masters" starts with "system:", which EKS reserves; pick a name like gatehouse-staging'],
    ['an impersonating connection whose entry cannot be bound to RBAC',
      { impersonation: { enabled: true }, accessEntry: { accessPolicies: [{ policy: 'AmazonEKSViewPolicy' }] } },
      'connections[0] "staging": accessEntry: connection "staging" impersonates, which needs RBAC permission to impersonate its agents: add kubernetesGroups '
        + '(e.g. [gatehouse-staging]) and apply the ClusterRole and binding `gatehouse connections rbac staging` prints'],
    ['a typo in the access entry',
      { accessEntry: { kubernetesGroup: ['g'] } },
      'connections[0] "staging": accessEntry: unknown key "kubernetesGroup"; did you mean "kubernetesGroups"?'],
  ])('refuses %s, naming the field and the fix', (_what, connection, problem) => {
    expect(problemsOf(config(connection))).toContain(problem);
  });

  it('skips the account and region checks when the deployment is not known (offline synth, the Lambda at run time)', () => {
    const raw = config({ createRole: true, roleArn: 'arn:aws:iam::999999999999:role/gatehouse', region: 'us-east-1', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', accessEntry: { kubernetesGroups: ['g'] } });

    expect(problemsOf(raw, {})).toEqual([]);
  });
});

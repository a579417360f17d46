import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ConnectionConfig, GatewayConfig } from '../../lambdas/core/gateway-config';
import { loadGatewayPolicy } from '../../lib/config/load-gateway-policy';
import { GatehouseStack } from '../../lib/gatehouse-stack';
import { appWithProjectContext, fixtureConfig } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Principal?: Record<string, unknown>; Resource?: unknown };

const CREATED = 'arn:aws:iam::123456789012:role/gatehouse/staging';
const SAME_ACCOUNT_BYO = 'arn:aws:iam::123456789012:role/ops-gatehouse';

/** The fixture, plus a connection whose role the stack creates and one whose existing role gets an access entry. */
function config(): GatewayConfig {
  const base = fixtureConfig();
  const like = base.connections[0]!;
  const staging: ConnectionConfig = {
    ...like, name: 'staging', clusterName: 'staging', roleArn: CREATED, createRole: true,
    accessEntry: { accessPolicies: [{ policy: 'AmazonEKSEditPolicy', namespaces: ['team-a', 'ci'] }, { policy: 'AmazonEKSViewPolicy' }] },
  };
  const ops: ConnectionConfig = {
    ...like, name: 'ops', clusterName: 'ops', roleArn: SAME_ACCOUNT_BYO, impersonation: { enabled: true },
    accessEntry: { kubernetesGroups: ['gatehouse-ops'] },
  };
  return { ...base, connections: [...base.connections, staging, ops] };
}

function stackOf(connections?: ConnectionConfig[], nag = false): GatehouseStack {
  const app = appWithProjectContext();
  if (nag) Aspects.of(app).add(new AwsSolutionsChecks());
  const c = connections ? { ...config(), connections } : config();
  return new GatehouseStack(app, 'Access', { config: c, policy: loadGatewayPolicy(c, __dirname).serialized, env: { account: '123456789012', region: 'eu-west-1' } });
}

describe('connection roles and EKS access entries', () => {
  let stack: GatehouseStack;
  let template: Template;
  beforeAll(() => {
    stack = stackOf(undefined, true);
    template = Template.fromStack(stack);
  });
  const roles = () => template.findResources('AWS::IAM::Role') as Record<string, Resource>;
  const proxyRoleId = () => Object.entries(roles()).find(([id]) => /ProxyFunctionServiceRole/.test(id))![0];
  const createdRole = () => Object.values(roles()).find((r) => r.Properties.RoleName === 'staging')!;

  it('creates the configured role with its name and path, no permissions and a one-hour session cap', () => {
    const role = createdRole();

    expect(role.Properties).toMatchObject({ RoleName: 'staging', Path: '/gatehouse/', MaxSessionDuration: 3600 });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => JSON.stringify(p.Properties.Roles).includes('StagingRole'));
    expect(attached).toEqual([]);
  });

  it('lets the proxy execution role, and no one else, assume it, tag the session and set the source identity', () => {
    const statements = createdRole().Properties.AssumeRolePolicyDocument.Statement as Statement[];

    const principals = statements.map((s) => s.Principal);
    expect(principals.every((p) => JSON.stringify(p) === JSON.stringify({ AWS: { 'Fn::GetAtt': [proxyRoleId(), 'Arn'] } }))).toBe(true);
    expect(JSON.stringify(statements)).not.toContain('"*"');
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
  });

  it('lets the proxy assume the created role by the ARN it was configured with', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement as Statement[]);
    const assume = statements.find((s) => [s.Action].flat().includes('sts:AssumeRole'))!;

    expect([assume.Resource].flat()).toContain(CREATED);
  });

  it('maps the created role with namespace- and cluster-scoped access policies, after the role exists', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'staging',
      Type: 'STANDARD',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StagingRole'), 'Arn'] },
      AccessPolicies: [
        { PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSEditPolicy']] }, AccessScope: { Type: 'namespace', Namespaces: ['team-a', 'ci'] } },
        { PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSViewPolicy']] }, AccessScope: { Type: 'cluster' } },
      ],
    });
  });

  it('maps an existing role in the same account to Kubernetes groups for RBAC', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: 'ops', PrincipalArn: SAME_ACCOUNT_BYO, KubernetesGroups: ['gatehouse-ops'], AccessPolicies: Match.absent() });
    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
  });

  it('outputs the proxy role, every connection role, and the exact trust policy for each role it does not create', () => {
    const outputs = template.findOutputs('*');

    expect(outputs.ProxyRoleArn!.Value).toEqual({ 'Fn::GetAtt': [proxyRoleId(), 'Arn'] });
    expect(outputs.ConnectionRoleArnStaging!.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/StagingRole/), 'Arn'] });
    expect(outputs.ConnectionRoleArnOps!.Value).toBe(SAME_ACCOUNT_BYO);
    expect(outputs.TrustPolicyStaging).toBeUndefined();
    const trust = JSON.stringify(stack.resolve(outputs.TrustPolicyOps!.Value));
    for (const action of ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']) expect(trust).toContain(action);
    expect(trust).toContain(proxyRoleId());
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['TrustPolicyDemo', 'TrustPolicyProdEu', 'TrustPolicyOps']));
  });

  it('leaves cdk-nag nothing to report on the roles and entries', () => {
    const findings = [...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))];

    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  it('refuses to synthesize an access entry for a cluster outside the stack\'s region', () => {
    const far = { ...config().connections[2]!, region: 'us-east-1', endpoint: 'https://x.gr7.us-east-1.eks.amazonaws.com' };

    expect(() => stackOf([far])).toThrow('connection "staging": accessEntry needs the cluster in the stack\'s region eu-west-1, not us-east-1');
  });
});

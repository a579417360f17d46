import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { GatewayConfig } from '../../lambdas/core/gateway-config';
import { loadGatewayPolicy } from '../../lib/config/load-gateway-policy';
import { GatehouseStack } from '../../lib/gatehouse-stack';
import { appWithProjectContext, fixtureConfig } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

describe('the doctor route', () => {
  let template: Template;
  let stack: GatehouseStack;
  const resourcesOf = (type: string): Array<[string, Resource]> => Object.entries(template.findResources(type)) as Array<[string, Resource]>;
  const statements = (): Statement[] => resourcesOf('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const functionId = (description: string): string => resourcesOf('AWS::Lambda::Function').find(([, f]) => String(f.Properties.Description).startsWith(description))![0];

  beforeAll(() => {
    // With approvals, so the state machine and Slack secret checks have their permissions; cdk-nag on.
    const app = appWithProjectContext();
    Aspects.of(app).add(new AwsSolutionsChecks());
    const config: GatewayConfig = { ...fixtureConfig(), approvals: { slack: { channel: 'C0APPROVALS' }, approvers: { '*': { userIds: ['U0APPROVER'] } } } };
    stack = new GatehouseStack(app, 'Doctor', { config, policy: loadGatewayPolicy(config, __dirname).serialized, env: { account: '123456789012', region: 'eu-west-1' } });
    template = Template.fromStack(stack);
  });

  it('passes cdk-nag (AwsSolutions) with approvals configured', () => {
    // Act
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));

    // Assert
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data).split(':')[0]}`)).toEqual([]);
  });

  it('serves GET /operator/doctor with IAM authorization only, integrated with the doctor function', () => {
    // Arrange
    const doctor = functionId('Gatehouse doctor');
    const getMethods = resourcesOf('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'GET');

    // Act
    const [[, method]] = getMethods as [[string, Resource]];

    // Assert
    expect(getMethods).toHaveLength(1);
    expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
    expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(doctor);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'operator' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'doctor' });
  });

  it('leaves the agent routes as they were: ANY, no authorizer, streamed to the proxy', () => {
    // Arrange
    const proxy = functionId('Gatehouse proxy');

    // Act
    const agentMethods = resourcesOf('AWS::ApiGateway::Method').filter(([, m]) => JSON.stringify(m.Properties.Integration.Uri).includes(proxy)).map(([, m]) => m);

    // Assert
    expect(agentMethods).toHaveLength(2);
    for (const method of agentMethods) {
      expect(method.Properties).toMatchObject({ HttpMethod: 'ANY', AuthorizationType: 'NONE', Integration: { ResponseTransferMode: 'STREAM' } });
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(proxy);
    }
  });

  it('runs the doctor with the proxy\'s own execution role, so role checks use the principal connection roles trust', () => {
    // Arrange
    const functions = Object.fromEntries(resourcesOf('AWS::Lambda::Function').map(([id, f]) => [id, f]));

    // Act
    const doctorRole = functions[functionId('Gatehouse doctor')]!.Properties.Role;
    const proxyRole = functions[functionId('Gatehouse proxy')]!.Properties.Role;

    // Assert
    expect(doctorRole).toEqual(proxyRole);
  });

  it('adds only metadata reads to that role: DescribeStateMachine on the approval state machine and DescribeSecret on the two Slack secrets', () => {
    // Arrange
    const doctorStatements = statements().filter((s) => s.Sid?.startsWith('Doctor'));

    // Act
    const actions = doctorStatements.flatMap((s) => [s.Action].flat());

    // Assert
    expect(actions.sort()).toEqual(['secretsmanager:DescribeSecret', 'states:DescribeStateMachine']);
    for (const statement of doctorStatements) expect(JSON.stringify(statement.Resource)).not.toContain('*');
  });

  it('gives the proxy\'s role no way to read a Slack secret\'s value', () => {
    // Arrange
    const proxyRoleId = (template.toJSON().Resources[functionId('Gatehouse proxy')].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

    // Act
    const proxyPolicies = resourcesOf('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"Ref":"${proxyRoleId}"`));

    // Assert
    expect(proxyPolicies.length).toBeGreaterThan(0);
    for (const [, policy] of proxyPolicies) expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('outputs the doctor URL', () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assert
    expect(JSON.stringify(outputs.DoctorUrl!.Value)).toContain('/operator/doctor');
  });
});

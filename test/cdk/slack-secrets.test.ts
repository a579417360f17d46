import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SLACK_SECRET_PLACEHOLDER } from '../../lambdas/core/approvals/slack-secrets';
import type { GatewayConfig } from '../../lambdas/core/gateway-config';
import { loadGatewayPolicy } from '../../lib/config/load-gateway-policy';
import { GatehouseStack } from '../../lib/gatehouse-stack';
import { appWithProjectContext, fixtureConfig } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any> };

describe('Slack secrets the stack creates', () => {
  let stack: GatehouseStack;
  let template: Template;
  beforeAll(() => {
    const app = appWithProjectContext();
    Aspects.of(app).add(new AwsSolutionsChecks());
    const config: GatewayConfig = { ...fixtureConfig(), approvals: { slack: { channel: 'C0APPROVALS' }, approvers: { '*': { userIds: ['U0APPROVER'] } } } };
    stack = new GatehouseStack(app, 'Slack', { config, policy: loadGatewayPolicy(config, __dirname).serialized, env: { account: '123456789012', region: 'eu-west-1' } });
    template = Template.fromStack(stack);
  });
  const secrets = () => Object.entries(template.findResources('AWS::SecretsManager::Secret')) as Array<[string, Resource]>;
  const functions = () => Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];

  it('creates the bot token and signing secret holding only the placeholder the reader refuses', () => {
    expect(secrets()).toHaveLength(2);
    for (const [, secret] of secrets()) {
      expect(secret.Properties.SecretString).toBe(SLACK_SECRET_PLACEHOLDER);
      expect(secret.Properties.GenerateSecretString).toBeUndefined();
    }
  });

  it('tells every approval function and the proxy the secrets\' ARNs', () => {
    const [botId, signingId] = ['BotToken', 'SigningSecret'].map((n) => secrets().find(([id]) => id.includes(n))![0]);
    const withEnv = functions().filter((f) => f.Properties.Environment?.Variables?.GATEHOUSE_SLACK_BOT_TOKEN_SECRET_ARN);

    expect(withEnv).toHaveLength(5); // notify, finalize, interactions, proxy, doctor
    for (const f of withEnv) {
      expect(f.Properties.Environment.Variables).toMatchObject({ GATEHOUSE_SLACK_BOT_TOKEN_SECRET_ARN: { Ref: botId }, GATEHOUSE_SLACK_SIGNING_SECRET_ARN: { Ref: signingId } });
    }
  });

  it('outputs the secrets with how to fill them, and the interactions URL for the Slack app', () => {
    const outputs = template.findOutputs('*');

    expect(outputs.SlackBotTokenSecretArn!.Description).toContain('aws secretsmanager put-secret-value --secret-id <this>');
    expect(outputs.SlackSigningSecretArn!.Description).toContain('Signing Secret');
    expect(JSON.stringify(outputs.SlackInteractionsUrl!.Value)).toContain('/slack/interactions');
    expect(outputs.ApprovalStateMachineArn).toBeDefined();
  });

  it('lets only the interactions function read the signing secret', () => {
    const signingId = secrets().find(([id]) => id.includes('SigningSecret'))![0];
    // Statements that can read its value (the doctor's DescribeSecret on the proxy's role reads metadata only).
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => (p.Properties.PolicyDocument.Statement as any[])
      .some((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes(`"Ref":"${signingId}"`)));

    expect(readers).toHaveLength(1);
    expect(JSON.stringify((readers[0] as Resource).Properties.Roles)).toContain('Interactions');
  });

  it('leaves cdk-nag nothing to report', () => {
    const findings = [...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))];

    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)).toEqual([]);
  });
});

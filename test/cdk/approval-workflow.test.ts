import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Aspects, Duration, Stack, Stage, type App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { aslProblems } from '../support/validate-asl';
import type { ApprovalsConfig } from '../../lambdas/core/approvals/approvals-config';
import { synthesizeApprovalDefinition, renderDefinition, type AslDefinition } from '../../lib/approval-state-machine';
import { ApprovalWorkflow, type ApprovalWorkflowProps } from '../../lib/approval-workflow';
import { RecordsTable } from '../../lib/records-table';
import { approvalsTableDefinition } from '../../local/create-approvals-table';
import { appWithProjectContext, fixtureConfig } from './fixtures/synth-stack';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const BOT_TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-bot-token-AbCdEf';
const SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/slack-signing-secret-GhIjKl';
const APPROVALS: ApprovalsConfig = {
  slack: { channel: 'C0APPROVALS', botTokenSecretArn: BOT_TOKEN_ARN, signingSecretArn: SIGNING_SECRET_ARN },
  approvers: { '*': { userIds: ['U0APPROVER'] }, 'prod-eu': { userGroups: ['S0SRE'] } },
};

/** A test stack: the records table, the workflow, and a stand-in for the proxy's role. */
function workflowStack(app: App, id: string, props: Partial<ApprovalWorkflowProps> = {}): { stack: Stack; workflow: ApprovalWorkflow } {
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
  const recordsTable = new RecordsTable(stack, 'RecordsTable');
  const workflow = new ApprovalWorkflow(stack, 'Approvals', { config: fixtureConfig(), approvals: APPROVALS, recordsTable, ...props });
  const proxyRole = new Role(stack, 'ProxyRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  workflow.grantStartExecution(proxyRole);
  NagSuppressions.addResourceSuppressions(proxyRole, [{ id: 'AwsSolutions-IAM5', reason: 'test stand-in for the proxy role' }], true);
  return { stack, workflow };
}

describe('ApprovalWorkflow', () => {
  let app: App;
  let template: Template;
  let stack: Stack;
  let workflow: ApprovalWorkflow;

  beforeAll(() => {
    app = appWithProjectContext();
    ({ stack, workflow } = workflowStack(app, 'Workflow'));
    template = Template.fromStack(stack);
  });

  const resources = (type: string): Array<[string, Resource]> => Object.entries(template.findResources(type)) as Array<[string, Resource]>;
  const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  /** Every statement of the policies attached to the role of a function (or a role). */
  const statementsOfRole = (roleLogicalId: string): Statement[] => resources('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const roleOfFunction = (fn: { role?: unknown }) => stack.getLogicalId((fn.role as { node: { defaultChild: never } }).node.defaultChild);
  const actions = (s: Statement) => [s.Action].flat();
  const rolesWithAction = (action: string): string[] => resources('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => actions(s).includes(action)))
    .flatMap(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref));
  const machine = (): Resource => resources('AWS::StepFunctions::StateMachine')[0]![1];

  describe('state machine', () => {
    it('is a Standard workflow (waitForTaskToken needs one) with every event logged, execution data off, tracing off', () => {
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApprovalsStateMachineLogs'), 'Arn'] } } }],
        },
        TracingConfiguration: { Enabled: false },
      });
    });

    it('synthesizes exactly the definition the tests and local mode run', () => {
      const deployed = normalizeFunctions(renderDefinition(machine().Properties.DefinitionString));
      const tested = normalizeFunctions(synthesizeApprovalDefinition({ timeout: Duration.minutes(30), context: app.node.getAllContext() }));
      expect(deployed).toEqual(tested);
    });

    it('waits for the task token with the 30-minute default timeout, and bounds the whole execution', () => {
      const definition = renderDefinition(machine().Properties.DefinitionString);
      expect(definition.States.AskInSlack).toMatchObject({
        Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSeconds: 1800,
        Parameters: { Payload: { 'approvalId.$': '$.approvalId', 'taskToken.$': '$$.Task.Token' } },
      });
      expect(definition.TimeoutSeconds).toBe(1800 + 15 * 60);
    });

    it('sends the timeout to Expired, a denial to Denied and any other failure to CouldNotAsk, in that order', () => {
      const catches = (renderDefinition(machine().Properties.DefinitionString).States.AskInSlack!.Catch as Array<{ ErrorEquals: string[]; Next: string }>);
      expect(catches.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [['States.Timeout'], 'Expired'], [['Gatehouse.Denied'], 'Denied'], [['States.ALL'], 'CouldNotAsk'],
      ]);
    });

    it('passes the approval id to the notifier and keeps the task token out of Slack-facing state (only in the payload)', () => {
      const text = JSON.stringify(renderDefinition(machine().Properties.DefinitionString));
      expect(text.match(/\$\$\.Task\.Token/g)).toHaveLength(1);
    });

    it('is a valid Amazon States Language definition', () => {
      expect(aslProblems(renderDefinition(machine().Properties.DefinitionString))).toBe('');
    });

    it('takes the task timeout from the configuration', () => {
      const { stack: short } = workflowStack(appWithProjectContext(), 'Short', { approvals: { ...APPROVALS, timeoutMinutes: 5 } });
      const definition = renderDefinition(Object.values(Template.fromStack(short).findResources('AWS::StepFunctions::StateMachine'))[0]!.Properties.DefinitionString);
      expect(definition.States.AskInSlack!.TimeoutSeconds).toBe(300);
    });
  });

  describe('functions', () => {
    it.each(['Notify', 'Finalize', 'Interactions'])('runs the %s function on Node.js 22, arm64, bundled locally', (name) => {
      const fn = resources('AWS::Lambda::Function').find(([id]) => id.startsWith(`Approvals${name}`));
      expect(fn?.[1].Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(fn?.[1].Properties.Environment.Variables).toMatchObject({ GATEHOUSE_APPROVALS_TABLE: { Ref: expect.stringMatching(/^ApprovalsTable/) } });
    });

    it('embeds the approvals section, connection names, retention and upstream timeout, never secret values or connection details', () => {
      const fn = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('ApprovalsInteractions'))!;
      const bundle = readFileSync(path.join(Stage.of(stack)!.outdir, fn[1].Metadata!['aws:asset:path'], 'index.js'), 'utf8');
      const banner = /^process\.env\.GATEHOUSE_CONFIG=("(?:[^"\\]|\\.)*");/.exec(bundle);
      const embedded = JSON.parse(JSON.parse(banner![1]!));
      expect(embedded).toEqual({ approvals: APPROVALS, connections: [{ name: 'demo' }, { name: 'prod-eu' }], retentionDays: 90, limits: { upstreamTimeoutMs: 20000 } });
      expect(bundle).not.toContain('certificateAuthorityData');
    });

    it.each(['Notify', 'Finalize', 'Interactions'])('logs the %s function as JSON without Lambda\'s START/END/REPORT lines', (name) => {
      const fn = resources('AWS::Lambda::Function').find(([id]) => id.startsWith(`Approvals${name}`));
      expect(fn?.[1].Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
    });

    it('gives the record step the records table name', () => {
      const fn = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('ApprovalsFinalize'))!;
      expect(fn[1].Properties.Environment.Variables.GATEHOUSE_RECORDS_TABLE).toEqual({ Ref: expect.stringMatching(/^RecordsTable/) });
    });
  });

  describe('least privilege', () => {
    it('lets only the proxy start executions', () => {
      expect(rolesWithAction('states:StartExecution')).toEqual([stack.getLogicalId(stack.node.findChild('ProxyRole').node.defaultChild as never)]);
    });

    it('lets only the interactions function send task results', () => {
      const interactions = roleOfFunction(workflow.interactionsFunction);
      expect(rolesWithAction('states:SendTaskSuccess')).toEqual([interactions]);
      expect(rolesWithAction('states:SendTaskFailure')).toEqual([interactions]);
    });

    it('scopes StartExecution and the task results to this state machine', () => {
      const arn = { Ref: logicalIdOf(workflow.stateMachine) };
      for (const action of ['states:StartExecution', 'states:SendTaskSuccess']) {
        const statement = resources('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]).find((s) => actions(s).includes(action))!;
        expect(statement.Resource).toEqual(arn);
      }
    });

    it('references the Slack secrets by ARN (never inlined) and lets only the functions that need them read them', () => {
      const readers = (arn: string) => resources('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => actions(s).includes('secretsmanager:GetSecretValue') && [s.Resource].flat().includes(arn)))
        .flatMap(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref)).sort();
      const roles = [workflow.notifyFunction, workflow.finalizeFunction, workflow.interactionsFunction].map(roleOfFunction);
      expect(readers(BOT_TOKEN_ARN)).toEqual([...roles].sort());
      expect(readers(SIGNING_SECRET_ARN)).toEqual([roles[2]]);
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    });

    it('lets the record step only update records (no put, no delete)', () => {
      const finalize = statementsOfRole(roleOfFunction(workflow.finalizeFunction));
      const onRecords = finalize.filter((s) => JSON.stringify(s.Resource).includes('RecordsTable'));
      expect(onRecords.flatMap(actions)).toEqual(['dynamodb:UpdateItem']);
    });

    it('never grants DeleteItem on the approvals table', () => {
      const all = resources('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
      expect(all.filter((s) => JSON.stringify(s.Resource).includes('ApprovalsTable')).flatMap(actions)).not.toContain('dynamodb:DeleteItem');
    });

    it('lets the state machine invoke exactly the two workflow functions', () => {
      const role = stack.getLogicalId(workflow.stateMachine.role.node.defaultChild as never);
      const invoke = statementsOfRole(role).filter((s) => actions(s).includes('lambda:InvokeFunction'));
      const targets = JSON.stringify(invoke.map((s) => s.Resource));
      expect(targets).toContain(logicalIdOf(workflow.notifyFunction));
      expect(targets).toContain(logicalIdOf(workflow.finalizeFunction));
      expect(targets).not.toContain(logicalIdOf(workflow.interactionsFunction));
    });
  });

  describe('approvals table', () => {
    it('is keyed pk/sk with TTL, point-in-time recovery, and one listing index', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: [Match.objectLike({
          IndexName: 'by-connection',
          KeySchema: [{ AttributeName: 'connectionKey', KeyType: 'HASH' }, { AttributeName: 'createdAtId', KeyType: 'RANGE' }],
        })],
      });
    });

    it('has the key design local mode creates in DynamoDB Local', () => {
      const local = approvalsTableDefinition('gatehouse-approvals');
      const [, table] = resources('AWS::DynamoDB::Table').find(([id]) => id.startsWith('ApprovalsTable'))!;
      const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
      expect(table.Properties.KeySchema).toEqual(local.KeySchema);
      expect([...table.Properties.AttributeDefinitions].sort(byName)).toEqual([...local.AttributeDefinitions!].sort(byName));
      expect(table.Properties.GlobalSecondaryIndexes.map(({ IndexName, KeySchema, Projection }: Record<string, unknown>) => ({ IndexName, KeySchema, Projection })))
        .toEqual(local.GlobalSecondaryIndexes);
    });

    it('is kept when the stack is deleted, by default', () => {
      const [, table] = resources('AWS::DynamoDB::Table').find(([id]) => id.startsWith('ApprovalsTable'))!;
      expect((table as unknown as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    });
  });

  describe('interactions route', () => {
    it('adds POST /slack/interactions as a Lambda proxy integration of the interactions function, with nothing left for cdk-nag', () => {
      const routeApp = appWithProjectContext();
      Aspects.of(routeApp).add(new AwsSolutionsChecks());
      const { stack: routed, workflow: w } = workflowStack(routeApp, 'Routed');
      const api = new RestApi(routed, 'Api', { deploy: false });
      // The bare test API's own findings are not the route's concern (the gateway's API handles them).
      NagSuppressions.addResourceSuppressions(api.node.defaultChild as never, [{ id: 'AwsSolutions-APIG2', reason: 'a bare API made only for this test' }]);
      w.addInteractionsRoute(api);
      const t = Template.fromStack(routed);
      t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'interactions' });
      const [method] = Object.values(t.findResources('AWS::ApiGateway::Method')) as Resource[];
      expect(method!.Properties).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE', Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' } });
      expect(JSON.stringify(method!.Properties.Integration.Uri)).toContain(routed.getLogicalId(w.interactionsFunction.node.defaultChild as never));
      const onRoute = (kind: 'findError' | 'findWarning') => Annotations.fromStack(routed)[kind]('*', Match.stringLikeRegexp('AwsSolutions-.*'))
        .filter((f) => f.id.includes('/slack/interactions/'));
      expect(onRoute('findError')).toEqual([]);
      expect(onRoute('findWarning')).toEqual([]);
    });
  });

  describe('cdk-nag', () => {
    const findings = (s: Stack, kind: 'findError' | 'findWarning') =>
      Annotations.fromStack(s)[kind]('*', Match.stringLikeRegexp('AwsSolutions-.*')).map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);

    it.each([false, true])('leaves no unsuppressed AwsSolutions finding (tracing %s)', (tracing) => {
      const nagApp = appWithProjectContext();
      Aspects.of(nagApp).add(new AwsSolutionsChecks());
      const { stack: checked } = workflowStack(nagApp, tracing ? 'Traced' : 'Plain', { tracing });
      expect(findings(checked, 'findError')).toEqual([]);
      expect(findings(checked, 'findWarning')).toEqual([]);
    });
  });
});

/** Function ARNs differ between the deployed and the tested definition (real functions vs placeholders). */
function normalizeFunctions(definition: AslDefinition): AslDefinition {
  return JSON.parse(JSON.stringify(definition).replace(/"FunctionName":"[^"]*"/g, '"FunctionName":"<function>"')) as AslDefinition;
}

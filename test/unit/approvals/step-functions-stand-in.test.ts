import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Duration } from 'aws-cdk-lib';
import { createSfnApprovalStarter, createSfnTaskResponder } from '../../../lambdas/adapters/sfn-approval-starter';
import { DENIED_ERROR } from '../../../lambdas/core/approvals/approval-item';
import { APPROVAL_STATES, synthesizeApprovalDefinition } from '../../../lib/approval-state-machine';
import { projectCdkContext } from '../../../local/local-approvals';
import { startStepFunctionsStandIn, type StepFunctionsStandIn } from '../../../local/step-functions-stand-in';

jest.setTimeout(20_000);

const CREDS = { accessKeyId: 'AKIALOCALTEST0000001', secretAccessKey: 'local-test-secret-key' };

describe('the Step Functions stand-in, driven by @aws-sdk/client-sfn', () => {
  let sfn: StepFunctionsStandIn;
  let client: SFNClient;
  const tokens = new Map<string, string>();
  const recorded: unknown[] = [];

  beforeAll(async () => {
    sfn = await startStepFunctionsStandIn({
      definition: synthesizeApprovalDefinition({ timeout: Duration.seconds(2), context: projectCdkContext() }),
      handlers: {
        [APPROVAL_STATES.notify]: (payload) => {
          const { approvalId, taskToken } = payload as { approvalId: string; taskToken: string };
          tokens.set(approvalId, taskToken);
          return { posted: true };
        },
        [APPROVAL_STATES.record]: (payload) => {
          recorded.push(payload);
          return { outcome: (payload as { decision: { outcome: string } }).decision.outcome };
        },
      },
      credentials: CREDS,
    });
    client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: CREDS });
  });
  afterAll(async () => {
    client.destroy();
    await sfn.close();
  });

  const starter = () => createSfnApprovalStarter({ client, stateMachineArn: sfn.stateMachineArn });
  const tokenOf = async (approvalId: string) => {
    for (let i = 0; i < 100 && !tokens.has(approvalId); i++) await new Promise((r) => setTimeout(r, 20));
    return tokens.get(approvalId)!;
  };
  const describe_ = async (executionArn: string) => client.send(new DescribeExecutionCommand({ executionArn }));

  it('starts an execution named after the approval and completes it on SendTaskSuccess', async () => {
    const { executionArn } = await starter().start({ approvalId: 'apr-aaaaaaaaaaaa', fingerprint: 'f', requestId: 'r' });
    expect(executionArn).toBe(sfn.stateMachineArn.replace(':stateMachine:', ':execution:') + ':apr-aaaaaaaaaaaa');
    const responder = createSfnTaskResponder({ client });
    await expect(responder.succeed(await tokenOf('apr-aaaaaaaaaaaa'), { outcome: 'approved', kind: 'one-time', approver: 'U0A' })).resolves.toBe('sent');
    await sfn.finished(executionArn);

    const described = await describe_(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toMatchObject({ approvalId: 'apr-aaaaaaaaaaaa', decision: { outcome: 'approved' }, recorded: { outcome: 'approved' } });
  });

  it('answers a second answer for the same task with TaskTimedOut, which the responder reports as gone', async () => {
    const token = await tokenOf('apr-aaaaaaaaaaaa');
    const responder = createSfnTaskResponder({ client });
    await expect(responder.succeed(token, { outcome: 'approved' })).resolves.toBe('gone');
    await expect(responder.fail(token, DENIED_ERROR, '{}')).resolves.toBe('gone');
    await expect(responder.succeed('AQnot-a-token', {})).resolves.toBe('gone');
  });

  it('routes SendTaskFailure with Gatehouse.Denied to the denial branch', async () => {
    const { executionArn } = await starter().start({ approvalId: 'apr-bbbbbbbbbbbb', fingerprint: 'f', requestId: 'r' });
    await createSfnTaskResponder({ client }).fail(await tokenOf('apr-bbbbbbbbbbbb'), DENIED_ERROR, JSON.stringify({ approver: 'U0A', reason: 'no' }));
    await sfn.finished(executionArn);
    expect(recorded).toContainEqual({ approvalId: 'apr-bbbbbbbbbbbb', decision: { outcome: 'denied', cause: JSON.stringify({ approver: 'U0A', reason: 'no' }) } });
  });

  it('expires an execution nobody answers, and refuses answers after that', async () => {
    const { executionArn } = await starter().start({ approvalId: 'apr-cccccccccccc', fingerprint: 'f', requestId: 'r' });
    const token = await tokenOf('apr-cccccccccccc');
    await sfn.finished(executionArn);
    expect(recorded).toContainEqual({ approvalId: 'apr-cccccccccccc', decision: { outcome: 'expired' } });
    await expect(createSfnTaskResponder({ client }).succeed(token, {})).resolves.toBe('gone');
  });

  it('treats a repeated start as the same execution, and refuses the name with another input', async () => {
    const first = await starter().start({ approvalId: 'apr-dddddddddddd', fingerprint: 'f', requestId: 'r' });
    const again = await starter().start({ approvalId: 'apr-dddddddddddd', fingerprint: 'f', requestId: 'r' });
    expect(again.executionArn).toBe(first.executionArn);
    await expect(starter().start({ approvalId: 'apr-dddddddddddd', fingerprint: 'other', requestId: 'r' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(sfn.executions().filter((e) => e.name === 'apr-dddddddddddd')).toHaveLength(1);
    await createSfnTaskResponder({ client }).succeed(await tokenOf('apr-dddddddddddd'), { outcome: 'expired' });
    await sfn.finished(first.executionArn);
  });

  it('refuses unsigned or wrongly signed calls, and other state machines', async () => {
    const forged = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { ...CREDS, secretAccessKey: 'wrong' } });
    await expect(forged.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'apr-eeeeeeeeeeee' }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: `${sfn.stateMachineArn}-other` }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});

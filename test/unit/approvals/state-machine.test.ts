import '../../../local/promise-with-resolvers';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { StateMachine } from 'aws-local-stepfunctions';
import { DENIED_ERROR, decisionFromWorkflow } from '../../../lambdas/core/approvals/approval-item';
import { APPROVAL_STATES, synthesizeApprovalDefinition, type AslDefinition } from '../../../lib/approval-state-machine';
import { aslProblems } from '../../support/validate-asl';
import { localTaskOverrides } from '../../../local/step-functions-stand-in';

jest.setTimeout(20_000);

const context = (JSON.parse(readFileSync(path.join(__dirname, '../../../cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const TOKEN = 'AQtask-token-from-the-context';
const INPUT = { approvalId: 'apr-0123456789ab', fingerprint: 'f'.repeat(64), requestId: 'req-1' };

/**
 * Runs the synthesized definition with aws-local-stepfunctions. The notifier and the record step are local
 * functions that note what they were given; the test plays the approver by settling the callback, exactly as
 * SendTaskSuccess / SendTaskFailure would.
 */
function runWorkflow(definition: AslDefinition, notifier: (payload: unknown) => unknown = () => ({ posted: true })) {
  const notified: unknown[] = [];
  const recorded: unknown[] = [];
  let answer!: (settle: { resolve: (output: unknown) => void; reject: (error: Error) => void }) => void;
  const callback = new Promise<{ resolve: (output: unknown) => void; reject: (error: Error) => void }>((resolve) => { answer = resolve; });
  const overrides = localTaskOverrides(definition, {
    [APPROVAL_STATES.notify]: (payload) => {
      notified.push(payload);
      return notifier(payload);
    },
    [APPROVAL_STATES.record]: (payload) => {
      recorded.push(payload);
      const { decision } = payload as { decision: unknown };
      return { outcome: decisionFromWorkflow(decision, new Date(), { maxJitMinutes: 240 }).outcome };
    },
  }, () => new Promise((resolve, reject) => answer({ resolve, reject })));
  const execution = new StateMachine(definition as never).run(INPUT, { overrides: { taskResourceLocalHandlers: overrides }, context: { Task: { Token: TOKEN } } });
  return {
    notified,
    recorded,
    result: execution.result,
    approve: async (output: unknown) => (await callback).resolve(output),
    deny: async (cause: unknown) => (await callback).reject(Object.assign(new Error(JSON.stringify(cause)), { name: DENIED_ERROR })),
  };
}

describe('the approval state machine, as synthesized', () => {
  const definition = synthesizeApprovalDefinition({ timeout: Duration.minutes(30), context });

  it('is valid Amazon States Language', () => {
    expect(aslProblems(definition)).toBe('');
  });

  it('gives the notifier the approval id and the task token, and nothing else', async () => {
    const run = runWorkflow(definition);
    await run.approve({ outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: '2026-01-01T10:00:00.000Z' });
    await run.result;
    expect(run.notified).toEqual([{ approvalId: INPUT.approvalId, taskToken: TOKEN }]);
  });

  it.each([
    ['a one-time approval', { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: '2026-01-01T10:00:00.000Z' }],
    ['a just-in-time approval', { outcome: 'approved', kind: 'just-in-time', approver: 'U0APPROVER', decidedAt: '2026-01-01T10:00:00.000Z', jit: { namespace: 'prod', minutes: 30 } }],
  ])('records %s with exactly the SendTaskSuccess output', async (_name, output) => {
    const run = runWorkflow(definition);
    await run.approve(output);
    const result = (await run.result) as Record<string, unknown>;

    expect(run.recorded).toEqual([{ approvalId: INPUT.approvalId, decision: output }]);
    expect(result).toMatchObject({ ...INPUT, decision: output, recorded: { outcome: 'approved' } });
  });

  it('records a denial (SendTaskFailure with Gatehouse.Denied) with the approver and reason from its cause', async () => {
    const run = runWorkflow(definition);
    const cause = { approver: 'U0APPROVER', decidedAt: '2026-01-01T10:00:00.000Z', reason: 'change freeze' };
    await run.deny(cause);
    const result = (await run.result) as Record<string, unknown>;

    const [{ decision }] = run.recorded as [{ decision: unknown }];
    expect(decision).toEqual({ outcome: 'denied', cause: JSON.stringify(cause) });
    expect(decisionFromWorkflow(decision, new Date(), { maxJitMinutes: 240 })).toEqual({ outcome: 'denied', ...cause });
    expect(result).toMatchObject({ recorded: { outcome: 'denied' } });
  });

  it('records an approval nobody decided as expired once the task timeout passes', async () => {
    const short = synthesizeApprovalDefinition({ timeout: Duration.seconds(1), context });
    expect(short.States[APPROVAL_STATES.notify]!.TimeoutSeconds).toBe(1);
    const run = runWorkflow(short);
    const result = (await run.result) as Record<string, unknown>;

    expect(run.recorded).toEqual([{ approvalId: INPUT.approvalId, decision: { outcome: 'expired' } }]);
    expect(result).toMatchObject({ recorded: { outcome: 'expired' } });
  });

  it('records a failure to ask (the notifier throws) with the error name only, never its message or stack', async () => {
    const run = runWorkflow(definition, () => {
      throw Object.assign(new Error('Slack chat.postMessage failed: channel_not_found at /var/task/index.js:1'), { name: 'SlackApiError' });
    });
    const result = (await run.result) as Record<string, unknown>;

    expect(run.recorded).toEqual([{ approvalId: INPUT.approvalId, decision: { outcome: 'failed', error: 'SlackApiError' } }]);
    expect(result).toMatchObject({ recorded: { outcome: 'failed' } });
  });
});

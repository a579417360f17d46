import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbApprovalStore } from '../../../lambdas/adapters/dynamodb-approval-store';
import { createDynamoDbRecordStore } from '../../../lambdas/adapters/dynamodb-record-store';
import { createSlackWebApi } from '../../../lambdas/adapters/slack-web-api';
import type { ApprovalWorkflowDependencies } from '../../../lambdas/approvals/approval-workflow-dependencies';
import type { Approval } from '../../../lambdas/core/approvals/approval-item';
import { finalizeApproval } from '../../../lambdas/approvals/finalize-approval';
import { notifyApproval } from '../../../lambdas/approvals/notify-approval';
import { startSlackStandIn, type SlackStandIn } from '../../../local/slack-stand-in';
import { pending, SETTINGS, subject } from './support/fixtures';
import { startTestTables, type TestTables } from './support/dynamodb';

jest.setTimeout(60_000);

let sequence = 0;
const fresh = () => {
  sequence += 1;
  return pending(new Date(), `apr-step${String(sequence).padStart(8, '0')}`, subject({ agent: `step-agent-${sequence}`, requestId: `req-step-${sequence}` }));
};

describe('the notify and record steps', () => {
  let tables: TestTables;
  let slack: SlackStandIn;
  let deps: ApprovalWorkflowDependencies;
  const logs: Array<[string, string, Record<string, unknown> | undefined]> = [];

  beforeAll(async () => {
    [tables, slack] = await Promise.all([startTestTables(), startSlackStandIn({ botToken: 'xoxb-steps' })]);
    deps = {
      settings: SETTINGS,
      store: createDynamoDbApprovalStore({ client: tables.documents, tableName: tables.approvalsTable, settings: SETTINGS }),
      slack: createSlackWebApi({ token: async () => 'xoxb-steps', baseUrl: slack.apiBaseUrl }),
      secrets: { read: async () => 'unused' },
      responder: { succeed: async () => 'sent', fail: async () => 'sent' },
      records: createDynamoDbRecordStore({ client: tables.documents, tableName: tables.recordsTable }),
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
      log: (level, message, fields) => void logs.push([level, message, fields]),
      metric: () => undefined,
    };
  });
  afterAll(async () => {
    await Promise.all([tables.close(), slack.close()]);
  });

  // The asking request's record, where the approval says it is (its session and start).
  const putRecord = (approval: Approval) => tables.documents.send(new PutCommand({
    TableName: tables.recordsTable, Item: { ...approval.recordKey!, requestId: approval.requestId, phase: 'complete', outcome: 'denied', status: 403, approval: { outcome: 'pending' } },
  }));
  const record = async (approval: Approval) => (await tables.documents.send(new GetCommand({ TableName: tables.recordsTable, Key: approval.recordKey! }))).Item;

  it('keeps the task token with the approval and posts the message to the configured channel', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await expect(notifyApproval({ approvalId: approval.approvalId, taskToken: 'AQtoken-1' }, deps)).resolves.toEqual({ posted: true });

    const stored = await deps.store.get(approval.approvalId);
    expect(stored).toMatchObject({ taskToken: 'AQtoken-1', slackChannel: 'C0APPROVALS', slackTs: expect.any(String) });
    const message = slack.messageFor(approval.approvalId)!;
    expect(message.channel).toBe('C0APPROVALS');
    expect(JSON.stringify(message)).not.toContain('AQtoken-1');
    expect(JSON.stringify(logs)).not.toContain('AQtoken-1');
  });

  it('updates the message instead of posting a second one when the step runs again', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await notifyApproval({ approvalId: approval.approvalId, taskToken: 'AQtoken-a' }, deps);
    await notifyApproval({ approvalId: approval.approvalId, taskToken: 'AQtoken-b' }, deps);

    expect(slack.messages().filter((m) => slack.messageFor(approval.approvalId) === m)).toHaveLength(1);
    await expect(deps.store.get(approval.approvalId)).resolves.toMatchObject({ taskToken: 'AQtoken-b' });
  });

  it('posts nothing for an approval that is no longer pending', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await deps.store.recordDecision(approval.approvalId, { outcome: 'expired', decidedAt: new Date().toISOString() });
    await expect(notifyApproval({ approvalId: approval.approvalId, taskToken: 'AQx' }, deps)).resolves.toEqual({ posted: false });
    expect(slack.messageFor(approval.approvalId)).toBeUndefined();
  });

  it('refuses malformed input', async () => {
    await expect(notifyApproval({ approvalId: '../x', taskToken: 'AQ' }, deps)).rejects.toThrow(/well-formed/);
    await expect(finalizeApproval({ approvalId: 'apr-0123456789ab', decision: { outcome: 'maybe' } }, deps)).rejects.toThrow(/unknown outcome/);
  });

  it.each([
    ['an approval', { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: new Date().toISOString() }, 'approved', /Approved once\* by <@U0APPROVER>/],
    ['a denial', { outcome: 'denied', cause: JSON.stringify({ approver: 'U0APPROVER', decidedAt: new Date().toISOString(), reason: 'change freeze' }) }, 'denied', /Denied\* by <@U0APPROVER>.*Reason: change freeze/],
    ['an expiry', { outcome: 'expired' }, 'expired', /Expired\*/],
  ])('records %s, shows it in Slack and on the record of the request that asked', async (_case, decision, outcome, shown) => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await notifyApproval({ approvalId: approval.approvalId, taskToken: 'AQt' }, deps);
    await putRecord(approval);

    await expect(finalizeApproval({ approvalId: approval.approvalId, decision }, deps)).resolves.toEqual({ outcome, result: 'recorded' });
    await expect(deps.store.get(approval.approvalId)).resolves.toMatchObject({ status: outcome });
    const message = slack.messageFor(approval.approvalId)!;
    expect(JSON.stringify(message.blocks)).toMatch(shown);
    expect(JSON.stringify(message.blocks)).not.toContain('"type":"button"');
    expect((await record(approval))!.approval).toMatchObject({ approvalId: approval.approvalId, outcome });
  });

  it('waits for the asking request record when the decision comes first', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    // The record is written while the step waits between attempts (an event, not a timer, so any machine agrees).
    let waits = 0;
    const sleep = async () => { waits += 1; if (waits === 1) await putRecord(approval); };
    await finalizeApproval({ approvalId: approval.approvalId, decision: { outcome: 'expired' } }, { ...deps, sleep });
    expect(waits).toBe(1);
    expect((await record(approval))!.approval).toMatchObject({ outcome: 'expired' });
  });

  it('is harmless when run twice (a retried step)', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await putRecord(approval);
    await finalizeApproval({ approvalId: approval.approvalId, decision: { outcome: 'expired' } }, deps);
    await expect(finalizeApproval({ approvalId: approval.approvalId, decision: { outcome: 'expired' } }, deps)).resolves.toEqual({ outcome: 'expired', result: 'already' });
  });

  it('keeps the decision of an approval that does not say where its record is, and says the record was not noted', async () => {
    // Arrange: an approval opened before records were keyed by session.
    const { recordKey: _unknown, ...older } = fresh();
    await deps.store.create(older, 1);
    // Act
    const decided = await finalizeApproval({ approvalId: older.approvalId, decision: { outcome: 'expired' } }, deps);
    // Assert
    expect(decided).toMatchObject({ outcome: 'expired' });
    expect((await deps.store.get(older.approvalId))!.status).toBe('expired');
    expect(logs).toContainEqual(['warn', expect.stringMatching(/not noted on the request record/), expect.objectContaining({ approvalId: older.approvalId })]);
  });

  it('keeps the decision when Slack cannot be updated, and logs it', async () => {
    const approval = fresh();
    await deps.store.create(approval, 1);
    await deps.store.attachSlackMessage(approval.approvalId, 'C0APPROVALS', '1.999999');
    await putRecord(approval);
    await expect(finalizeApproval({ approvalId: approval.approvalId, decision: { outcome: 'expired' } }, deps)).resolves.toMatchObject({ outcome: 'expired' });
    expect(logs).toContainEqual(['error', 'could not update the approval message in Slack', expect.objectContaining({ approvalId: approval.approvalId, error: expect.stringMatching(/message_not_found/) })]);
  });
});

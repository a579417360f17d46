import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbApprovalStore } from '../../../lambdas/adapters/dynamodb-approval-store';
import { approvalExpiresAtEpoch, linkOf, type ApprovalDecision } from '../../../lambdas/core/approvals/approval-item';
import type { ApprovalStore } from '../../../lambdas/core/approvals/approval-ports';
import { pending, SETTINGS, subject } from './support/fixtures';
import { startTestTables, type TestTables } from './support/dynamodb';

jest.setTimeout(60_000);

const T0 = new Date();
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
let sequence = 0;
/** A fresh approval (its own id and fingerprint) for each test. */
const fresh = (namespace = 'prod') => {
  sequence += 1;
  const id = `apr-${String(sequence).padStart(12, '0')}`;
  return pending(T0, id, subject({ agent: `agent-${sequence}`, namespace }));
};
const approveOnce: ApprovalDecision = { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: T0.toISOString() };

describe('the DynamoDB approval store', () => {
  let tables: TestTables;
  let store: ApprovalStore;
  beforeAll(async () => {
    tables = await startTestTables();
    store = createDynamoDbApprovalStore({ client: tables.documents, tableName: tables.approvalsTable, settings: SETTINGS });
  });
  afterAll(() => tables.close());

  it('writes an approval with its link, and reads both back consistently', async () => {
    const approval = fresh();
    await store.create(approval, approvalExpiresAtEpoch(T0, 90));
    await expect(store.get(approval.approvalId)).resolves.toEqual(approval);
    await expect(store.linksFor(approval.fingerprint)).resolves.toEqual([linkOf(approval)]);
    await expect(store.recent('demo', 50)).resolves.toContainEqual(approval);
  });

  it('never writes the same approval id twice', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await expect(store.create({ ...approval, requestId: 'other' }, 1)).rejects.toMatchObject({ name: 'TransactionCanceledException' });
  });

  it('records one decision: the same again is "already", another one is a conflict and changes nothing', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await expect(store.recordDecision(approval.approvalId, approveOnce)).resolves.toMatchObject({ result: 'recorded', approval: { status: 'approved' } });
    await expect(store.recordDecision(approval.approvalId, approveOnce)).resolves.toMatchObject({ result: 'already' });
    await expect(store.recordDecision(approval.approvalId, { outcome: 'denied', approver: 'U0B', decidedAt: T0.toISOString(), reason: 'late' }))
      .resolves.toMatchObject({ result: 'conflict', approval: { status: 'approved', approver: 'U0APPROVER' } });
    await expect(store.recordDecision(approval.approvalId, { outcome: 'expired', decidedAt: T0.toISOString() })).resolves.toMatchObject({ result: 'conflict' });
    const [link] = await store.linksFor(approval.fingerprint);
    expect(link).toMatchObject({ status: 'approved', kind: 'one-time', approver: 'U0APPROVER' });
  });

  it('lets exactly one of many concurrent requests use a one-time approval', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await store.recordDecision(approval.approvalId, approveOnce);
    const [link] = await store.linksFor(approval.fingerprint);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.consumeOneTime(link!, `req-${i}`, at(1))));

    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `req-${results.indexOf(true)}`;
    await expect(store.get(approval.approvalId)).resolves.toMatchObject({ consumedByRequestId: winner });
    await expect(store.consumeOneTime(link!, 'req-late', at(2))).resolves.toBe(false);
  });

  it('does not let a one-time approval be used after its window', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await store.recordDecision(approval.approvalId, approveOnce);
    const [link] = await store.linksFor(approval.fingerprint);
    await expect(store.consumeOneTime(link!, 'req-x', at(SETTINGS.oneTimeWindowMinutes + 1))).resolves.toBe(false);
  });

  it('opens a just-in-time window on the agent and namespace, which can be revoked early', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await store.recordDecision(approval.approvalId, { outcome: 'approved', kind: 'just-in-time', approver: 'U0APPROVER', decidedAt: T0.toISOString(), jit: { namespace: 'prod', minutes: 30 } });
    const windows = () => store.windowsFor('demo', 'demo', approval.agent, 'prod');
    await expect(windows()).resolves.toEqual([expect.objectContaining({ approvalId: approval.approvalId, namespace: 'prod', until: at(30).toISOString() })]);
    await expect(store.windowsFor('demo', 'demo', approval.agent, 'production')).resolves.toEqual([]);
    await expect(store.windowsFor('demo', 'demo', `${approval.agent}-2`, 'prod')).resolves.toEqual([]);

    await expect(store.revoke(approval.approvalId, 'operator@acme', at(5))).resolves.toMatchObject({ status: 'revoked', revokedBy: 'operator@acme' });
    await expect(windows()).resolves.toEqual([expect.objectContaining({ revokedAt: at(5).toISOString() })]);
    await expect(store.revoke(approval.approvalId, 'operator@acme', at(6))).resolves.toBeUndefined();
  });

  it('revokes nothing but just-in-time approvals', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await store.recordDecision(approval.approvalId, approveOnce);
    await expect(store.revoke(approval.approvalId, 'op', at(1))).resolves.toBeUndefined();
  });

  it('keeps the task token only while the approval is pending', async () => {
    const approval = fresh();
    await store.create(approval, 1);
    await expect(store.attachTaskToken(approval.approvalId, 'AQtoken')).resolves.toMatchObject({ taskToken: 'AQtoken' });
    await store.attachSlackMessage(approval.approvalId, 'C0APPROVALS', '1.000001');
    await store.recordDecision(approval.approvalId, { outcome: 'expired', decidedAt: T0.toISOString() });
    await expect(store.attachTaskToken(approval.approvalId, 'AQtoken2')).resolves.toBeUndefined();
    await expect(store.get(approval.approvalId)).resolves.toMatchObject({ taskToken: 'AQtoken', slackChannel: 'C0APPROVALS', slackTs: '1.000001' });
  });

  it('notices an interaction seen before', async () => {
    await expect(store.claimInteraction('hash-1', 1)).resolves.toBe(true);
    await expect(store.claimInteraction('hash-1', 1)).resolves.toBe(false);
    await expect(store.claimInteraction('hash-2', 1)).resolves.toBe(true);
  });

  it('keeps items with a TTL', async () => {
    const approval = fresh();
    await store.create(approval, approvalExpiresAtEpoch(T0, 90));
    const item = await tables.documents.send(new GetCommand({ TableName: tables.approvalsTable, Key: { pk: `approval#${approval.approvalId}`, sk: 'approval' } }));
    expect(item.Item).toMatchObject({ itemType: 'approval', connectionKey: 'conn#demo', expiresAtEpoch: Math.floor(T0.getTime() / 1000) + 90 * 86_400 });
  });
});

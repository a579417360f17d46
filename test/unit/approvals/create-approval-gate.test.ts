import { createDynamoDbApprovalStore } from '../../../lambdas/adapters/dynamodb-approval-store';
import { createApprovalGate } from '../../../lambdas/approvals/create-approval-gate';
import type { ApprovalGate, ApprovalSubject } from '../../../lambdas/core/approval';
import type { ApprovalDecision } from '../../../lambdas/core/approvals/approval-item';
import type { ApprovalStarter, ApprovalStore } from '../../../lambdas/core/approvals/approval-ports';
import { ServiceUnavailableError } from '../../../lambdas/core/errors';
import { SETTINGS, subject } from './support/fixtures';
import { startTestTables, type TestTables } from './support/dynamodb';

jest.setTimeout(60_000);

let sequence = 0;
const agent = () => `gate-agent-${++sequence}`;

describe('the approval gate, on DynamoDB Local', () => {
  let tables: TestTables;
  let store: ApprovalStore;
  let started: string[];
  let clock: Date;
  let onStart: (approvalId: string) => Promise<void>;

  beforeAll(async () => {
    tables = await startTestTables();
    store = createDynamoDbApprovalStore({ client: tables.documents, tableName: tables.approvalsTable, settings: SETTINGS });
  });
  afterAll(() => tables.close());
  beforeEach(() => {
    started = [];
    clock = new Date();
    onStart = async () => undefined;
  });

  const starter: ApprovalStarter = {
    async start(approval) {
      started.push(approval.approvalId);
      await onStart(approval.approvalId);
      return { executionArn: `arn:aws:states:us-east-1:111122223333:execution:gatehouse-approvals:${approval.approvalId}` };
    },
  };
  const gate = (overrides: Partial<Parameters<typeof createApprovalGate>[0]> = {}): ApprovalGate =>
    createApprovalGate({ store, starter, settings: SETTINGS, now: () => clock, pollIntervalMs: 20, ...overrides });
  const decide = (approvalId: string, decision: Partial<ApprovalDecision> & Pick<ApprovalDecision, 'outcome'>) =>
    store.recordDecision(approvalId, { approver: 'U0APPROVER', decidedAt: clock.toISOString(), reason: '', ...decision } as ApprovalDecision);
  const later = (minutes: number) => { clock = new Date(clock.getTime() + minutes * 60_000); };
  const ask = async (g: ApprovalGate, s: ApprovalSubject) => {
    const checked = await g.check(s);
    return checked.state === 'none' ? g.open(s) : checked;
  };

  it('opens an approval and starts the workflow when nothing covers the request', async () => {
    const s = subject({ agent: agent() });
    await expect(gate().check(s)).resolves.toEqual({ state: 'none' });
    const opened = await gate().open(s);

    expect(opened).toEqual({ state: 'pending', approvalId: started[0] });
    await expect(store.get(started[0]!)).resolves.toMatchObject({ status: 'pending', fingerprint: s.fingerprint, requestId: 'req-1', summary: 'delete deployments/api in namespace prod' });
  });

  it('answers the same request again with the pending approval instead of asking twice', async () => {
    const s = subject({ agent: agent() });
    const first = await ask(gate(), s);
    const second = await ask(gate(), { ...s, requestId: 'req-2' });
    expect(second).toEqual(first);
    expect(started).toHaveLength(1);
  });

  it('lets a one-time approval through once, then asks again', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await ask(gate(), s)) as { approvalId: string };
    await decide(approvalId, { outcome: 'approved', kind: 'one-time' });

    await expect(gate().check({ ...s, requestId: 'req-2' })).resolves.toMatchObject({ state: 'approved', approvalId, kind: 'one-time', approver: 'U0APPROVER' });
    await expect(gate().check({ ...s, requestId: 'req-3' })).resolves.toEqual({ state: 'none' });
    await expect(store.get(approvalId)).resolves.toMatchObject({ consumedByRequestId: 'req-2' });
  });

  it('does not let a one-time approval cover another request', async () => {
    const a = agent();
    const { approvalId } = (await ask(gate(), subject({ agent: a }))) as { approvalId: string };
    await decide(approvalId, { outcome: 'approved', kind: 'one-time' });
    await expect(gate().check(subject({ agent: a, name: 'web' }))).resolves.toEqual({ state: 'none' });
  });

  it('does not let a one-time approval through after its window', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await ask(gate(), s)) as { approvalId: string };
    await decide(approvalId, { outcome: 'approved', kind: 'one-time' });
    later(SETTINGS.oneTimeWindowMinutes + 1);
    await expect(gate().check(s)).resolves.toEqual({ state: 'none' });
  });

  it('lets a just-in-time approval cover the agent in that namespace until it ends', async () => {
    const a = agent();
    const { approvalId } = (await ask(gate(), subject({ agent: a }))) as { approvalId: string };
    await decide(approvalId, { outcome: 'approved', kind: 'just-in-time', jit: { namespace: 'prod', minutes: 30 } } as never);

    await expect(gate().check(subject({ agent: a, name: 'web' }))).resolves.toMatchObject({ state: 'approved', kind: 'just-in-time', approvalId });
    await expect(gate().check(subject({ agent: a, name: 'web' }))).resolves.toMatchObject({ state: 'approved', kind: 'just-in-time' });
    await expect(gate().check(subject({ agent: a, namespace: 'staging' }))).resolves.toEqual({ state: 'none' });
    await expect(gate().check(subject({ agent: `${a}-other`, name: 'web' }))).resolves.toEqual({ state: 'none' });
    later(31);
    await expect(gate().check(subject({ agent: a, name: 'web' }))).resolves.toEqual({ state: 'none' });
  });

  it('keeps refusing a denied request with the reason, until the hold ends', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await ask(gate(), s)) as { approvalId: string };
    await decide(approvalId, { outcome: 'denied', reason: 'change freeze' });
    await expect(gate().check(s)).resolves.toMatchObject({ state: 'denied', approvalId, reason: 'change freeze', approver: 'U0APPROVER' });
    later(SETTINGS.denialHoldMinutes + 1);
    await expect(gate().check(s)).resolves.toEqual({ state: 'none' });
  });

  it('treats an expired approval as none, so the agent can ask again', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await ask(gate(), s)) as { approvalId: string };
    await decide(approvalId, { outcome: 'expired' });
    await expect(gate().check(s)).resolves.toEqual({ state: 'none' });
  });

  it('answers pending at once when it opens an approval, without waiting', async () => {
    const s = subject({ agent: agent() });
    const sleeps: number[] = [];
    const opened = await gate({ sleep: async (ms) => void sleeps.push(ms) }).open(s);
    expect(opened).toMatchObject({ state: 'pending' });
    expect(sleeps).toEqual([]);
  });

  it('holds on until a person approves, and lets the request through once', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await gate().open(s)) as { approvalId: string };
    let polls = 0;
    const sleep = async () => {
      polls += 1;
      if (polls === 3) await decide(approvalId, { outcome: 'approved', kind: 'one-time' });
    };
    const held = gate({ sleep, now: () => clock, pollIntervalMs: 1000 });
    await expect(held.waitForDecision(s, approvalId, new Date(clock.getTime() + 60_000))).resolves.toMatchObject({ state: 'approved', approvalId, kind: 'one-time' });
    expect(polls).toBe(3);
    await expect(store.get(approvalId)).resolves.toMatchObject({ consumedByRequestId: 'req-1' });
  });

  it('answers the denial found while holding', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await gate().open(s)) as { approvalId: string };
    const sleep = async () => void await decide(approvalId, { outcome: 'denied', reason: 'not now' });
    await expect(gate({ sleep, now: () => clock }).waitForDecision(s, approvalId, new Date(clock.getTime() + 60_000)))
      .resolves.toMatchObject({ state: 'denied', approvalId, reason: 'not now' });
  });

  it('stops holding at the deadline and answers pending with the approval id', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await gate().open(s)) as { approvalId: string };
    let t = clock.getTime();
    const slept: number[] = [];
    const sleep = async (ms: number) => { slept.push(ms); t += ms; };
    const state = await gate({ sleep, now: () => new Date(t), pollIntervalMs: 1000 }).waitForDecision(s, approvalId, new Date(clock.getTime() + 2500));
    expect(state).toEqual({ state: 'pending', approvalId });
    expect(slept).toEqual([1000, 1000, 500]);
  });

  it('answers pending with the id when the approval expires while held', async () => {
    const s = subject({ agent: agent() });
    const { approvalId } = (await gate().open(s)) as { approvalId: string };
    const sleep = async () => void await decide(approvalId, { outcome: 'expired' });
    await expect(gate({ sleep, now: () => clock }).waitForDecision(s, approvalId, new Date(clock.getTime() + 60_000))).resolves.toEqual({ state: 'pending', approvalId });
  });

  it('answers 503 when the workflow cannot start, and marks the approval failed', async () => {
    const s = subject({ agent: agent() });
    onStart = async () => { throw Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }); };
    await expect(gate().open(s)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(store.get(started[0]!)).resolves.toMatchObject({ status: 'failed', error: 'ServiceUnavailable' });
    await expect(gate().check(s)).resolves.toEqual({ state: 'none' });
  });

  it('answers 503 when approvals cannot be read (never lets the request through)', async () => {
    const broken = { ...store, linksFor: async () => { throw new Error('ProvisionedThroughputExceededException'); } } as ApprovalStore;
    await expect(gate({ store: broken }).check(subject())).rejects.toMatchObject({ code: 503 });
  });
});

import { IndexHeads } from '../../../lambdas/core/index-heads';
import { completionAttributes, finalItem, intentItem, type RecordIntent } from '../../../lambdas/core/session-record';

const at = (iso: string) => new Date(iso);

describe('IndexHeads', () => {
  it.each<[string, [string, string, string], boolean]>([
    ['the same session, connection and hour again', ['session#ci#bot/1', 'prod', '2026-12-01T10:59:59Z'], false],
    ['the same session in the next hour', ['session#ci#bot/1', 'prod', '2026-12-01T11:00:00Z'], true],
    ['the same session on another connection', ['session#ci#bot/1', 'staging', '2026-12-01T10:30:00Z'], true],
    ['another session of the agent', ['session#ci#bot/2', 'prod', '2026-12-01T10:30:00Z'], true],
  ])('after a head at 10:00 on prod, counts %s as a head: %s', (_case, [session, connection, time], head) => {
    // Arrange
    const heads = new IndexHeads();
    heads.remember('session#ci#bot/1', 'prod', at('2026-12-01T10:00:00Z'));

    // Act / Assert
    expect(heads.isHead(session, connection, at(time))).toBe(head);
  });

  it('keeps counting a record a head until its write is remembered', () => {
    const heads = new IndexHeads();
    expect(heads.isHead('s', 'c', at('2026-12-01T10:00:00Z'))).toBe(true);
    expect(heads.isHead('s', 'c', at('2026-12-01T10:00:01Z'))).toBe(true);
  });

  it('forgets the oldest head past its capacity, which only costs writing that head again', () => {
    const heads = new IndexHeads(2);
    for (const s of ['a', 'b', 'c']) heads.remember(s, 'c', at('2026-12-01T10:00:00Z'));
    expect([heads.isHead('a', 'c', at('2026-12-01T10:00:00Z')), heads.isHead('b', 'c', at('2026-12-01T10:00:00Z')), heads.isHead('c', 'c', at('2026-12-01T10:00:00Z'))]).toEqual([true, false, false]);
  });
});

describe('intentItem index keys', () => {
  const intent = {
    requestId: 'r1', startedAt: at('2026-12-01T10:00:00Z'), identity: { issuer: 'ci', agent: 'bot', session: 'bot/1', groups: [], claims: {} }, connection: 'prod',
    method: 'GET', path: '/api', query: '', summary: 'get', decision: 'allow', bytesIn: 0, retentionDays: 30,
  } as RecordIntent;

  it('keys every record by its session and start, and gives only heads the by-agent and by-connection keys', () => {
    expect(intentItem(intent, { head: true })).toMatchObject({
      pk: 'session#ci#bot/1', startedAtId: '2026-12-01T10:00:00.000Z#r1', sessionKey: 'session#ci#bot/1', agentKey: 'agent#ci#bot', connectionKey: 'conn#prod',
    });
    const follower = intentItem(intent, { head: false });
    expect(follower).toMatchObject({ pk: 'session#ci#bot/1', startedAtId: '2026-12-01T10:00:00.000Z#r1' });
    expect(follower).not.toHaveProperty('agentKey');
    expect(follower).not.toHaveProperty('connectionKey');
  });

  it.each([
    ['denied', true], ['rejected', true], ['failed', true], ['refused-by-cluster', true], ['forwarded', false],
  ] as const)('a %s request is findable by its id alone: %s', (outcome, indexed) => {
    const item = finalItem(intent, { outcome, status: 403, latencyMs: 1, bytesOut: 0 });
    const completion = completionAttributes({ outcome, status: 403, latencyMs: 1, bytesOut: 0 }, 'r1');
    expect(item.lookupId).toBe(indexed ? 'r1' : undefined);
    expect(completion.lookupId).toBe(indexed ? 'r1' : undefined);
  });

  it('keeps the intent out of the by-request-id index (a completion adds it when the request fails)', () => {
    expect(intentItem(intent)).not.toHaveProperty('lookupId');
  });
});

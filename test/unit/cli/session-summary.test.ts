import { byStart, summarizeSessions } from '../../../cli/session-summary';
import type { RequestRecord } from '../../../cli/types';

const r = (requestId: string, startedAt: string, overrides: Partial<RequestRecord>): RequestRecord => ({
  pk: `req#${requestId}`, requestId, startedAt, issuer: 'demo', agent: 'a', session: 'a/run-1', connection: 'demo', ...overrides,
});

describe('summarizeSessions', () => {
  it('counts allowed, denied, held, failed and pending requests per session', () => {
    const records = [
      r('1', '2026-11-22T10:00:00Z', { decision: 'allow', outcome: 'forwarded' }),
      r('2', '2026-11-22T10:00:01Z', { decision: 'allow', outcome: 'forwarded', connection: 'prod' }),
      r('3', '2026-11-22T10:00:02Z', { decision: 'deny', outcome: 'denied' }),
      r('4', '2026-11-22T10:00:03Z', { decision: 'approve', outcome: 'denied' }),
      r('5', '2026-11-22T10:00:04Z', { decision: 'allow', outcome: 'failed' }),
      r('6', '2026-11-22T10:00:05Z', { decision: 'reject', outcome: 'rejected' }),
      r('7', '2026-11-22T10:00:06Z', { decision: 'allow', outcome: 'pending' }),
    ];

    const [session] = summarizeSessions(records);

    expect(session).toEqual({
      issuer: 'demo', session: 'a/run-1', agent: 'a', connections: ['demo', 'prod'], first: '2026-11-22T10:00:00Z', last: '2026-11-22T10:00:06Z',
      requests: 7, allowed: 2, denied: 2, held: 1, failed: 1, pending: 1,
    });
  });

  it('keeps sessions of different issuers apart and lists the most recently active first', () => {
    const sessions = summarizeSessions([
      r('1', '2026-11-22T10:00:00Z', { outcome: 'forwarded' }),
      r('2', '2026-11-22T11:00:00Z', { issuer: 'github', outcome: 'forwarded' }),
    ]);

    expect(sessions.map((s) => s.issuer)).toEqual(['github', 'demo']);
  });
});

describe('byStart', () => {
  it('orders by start time, then request id', () => {
    const sorted = byStart([r('b', '2026-11-22T10:00:01Z', {}), r('c', '2026-11-22T10:00:00Z', {}), r('a', '2026-11-22T10:00:01Z', {})]);

    expect(sorted.map((x) => x.requestId)).toEqual(['c', 'a', 'b']);
  });
});

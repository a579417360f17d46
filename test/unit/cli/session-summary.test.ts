import { byStart, fateOf, refusedByCluster, summarizeSessions } from '../../../cli/session-summary';
import type { RequestRecord } from '../../../cli/types';
import { recordDetails, requestsTable, sessionsTable } from '../../../cli/views';

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
      requests: 7, allowed: 2, refusedByCluster: 0, denied: 2, held: 1, failed: 1, pending: 1,
    });
  });

  it('counts requests the cluster refused apart from allowed ones, old records included', () => {
    const [session] = summarizeSessions([
      r('1', '2026-11-22T10:00:00Z', { decision: 'allow', outcome: 'forwarded', upstreamStatus: 200 }),
      r('2', '2026-11-22T10:00:01Z', { decision: 'allow', outcome: 'refused-by-cluster' as RequestRecord['outcome'], upstreamStatus: 403 }),
      r('3', '2026-11-22T10:00:02Z', { decision: 'allow', outcome: 'forwarded', upstreamStatus: 403 }),
    ]);

    expect(session).toMatchObject({ requests: 3, allowed: 1, refusedByCluster: 2, denied: 0 });
  });

  it('keeps sessions of different issuers apart and lists the most recently active first', () => {
    const sessions = summarizeSessions([
      r('1', '2026-11-22T10:00:00Z', { outcome: 'forwarded' }),
      r('2', '2026-11-22T11:00:00Z', { issuer: 'github', outcome: 'forwarded' }),
    ]);

    expect(sessions.map((s) => s.issuer)).toEqual(['github', 'demo']);
  });
});

// The outcome cli/types.ts does not list yet (written by lambdas/proxy/request-trail.ts).
const REFUSED = 'refused-by-cluster' as RequestRecord['outcome'];

describe('fateOf', () => {
  it.each<[string, Partial<RequestRecord>, ReturnType<typeof fateOf>]>([
    ['forwarded, the cluster answered 200', { decision: 'allow', outcome: 'forwarded', upstreamStatus: 200 }, 'allowed'],
    ['forwarded, the cluster answered 404 (an answer, not a refusal)', { decision: 'allow', outcome: 'forwarded', upstreamStatus: 404 }, 'allowed'],
    ['refused by the cluster', { decision: 'allow', outcome: REFUSED, upstreamStatus: 403 }, 'refusedByCluster'],
    ['an old record: forwarded with a 403 from the cluster', { decision: 'allow', outcome: 'forwarded', upstreamStatus: 403 }, 'refusedByCluster'],
    ['approved by a person, then refused by the cluster', { decision: 'approve', outcome: REFUSED, upstreamStatus: 403 }, 'refusedByCluster'],
    ['denied by policy with Gatehouse\'s own 403', { decision: 'deny', outcome: 'denied', status: 403 }, 'denied'],
    ['a 403 from Gatehouse after the intent (no cluster status)', { decision: 'allow', outcome: 'failed', status: 403 }, 'failed'],
    ['held for approval', { decision: 'approve', outcome: 'denied' }, 'held'],
    ['in flight', { decision: 'allow', outcome: 'pending' }, 'pending'],
  ])('%s', (_case, overrides, fate) => {
    const record = r('1', '2026-11-22T10:00:00Z', overrides);
    expect(fateOf(record)).toBe(fate);
    expect(refusedByCluster(record)).toBe(fate === 'refusedByCluster');
  });
});

describe('views of cluster refusals', () => {
  const refused = r('2', '2026-11-22T10:00:01Z', {
    decision: 'allow', outcome: REFUSED, status: 403, upstreamStatus: 403, method: 'DELETE', path: '/api/v1/namespaces/prod/pods/web',
    errorReason: 'Forbidden', errorMessage: 'pods "web" is forbidden: User "gatehouse:demo:a" cannot delete resource "pods" in API group "" in the namespace "prod"',
  });
  const allowed = r('1', '2026-11-22T10:00:00Z', { decision: 'allow', outcome: 'forwarded', status: 200, upstreamStatus: 200 });

  it.each<[string, RequestRecord[], RegExp, RegExp]>([
    ['with a refusal: a REFUSED BY CLUSTER column after ALLOWED', [allowed, refused],
      /^SESSION\s+AGENT\s+ISSUER\s+CONNECTIONS\s+FIRST\s+LAST\s+REQUESTS\s+ALLOWED\s+REFUSED BY CLUSTER\s+DENIED\s+HELD\s+FAILED$/m,
      /^a\/run-1\s+a\s+demo\s+demo\s+\S+Z\s+\S+Z\s+2\s+1\s+1\s+0\s+0\s+0$/m],
    ['without one: the usual columns', [allowed],
      /^SESSION\s+AGENT\s+ISSUER\s+CONNECTIONS\s+FIRST\s+LAST\s+REQUESTS\s+ALLOWED\s+DENIED\s+HELD\s+FAILED$/m,
      /^a\/run-1\s+a\s+demo\s+demo\s+\S+Z\s+\S+Z\s+1\s+1\s+0\s+0\s+0$/m],
  ])('sessions list %s', (_case, records, header, row) => {
    const table = sessionsTable(summarizeSessions(records));
    expect(table).toMatch(header);
    expect(table).toMatch(row);
  });

  it('sessions requests names the fate of each request', () => {
    const table = requestsTable([allowed, refused]);
    expect(table).toMatch(/\s1\s+a\s+demo\s+.*\sallowed\s+200\s/);
    expect(table).toMatch(/\s2\s+a\s+demo\s+.*\srefused by cluster\s+403\s/);
  });

  it('sessions show says the cluster refused it, with the cluster\'s message', () => {
    const shown = recordDetails(refused, undefined);
    expect(shown).toMatch(/^Decision:\s+allowed$/m);
    expect(shown).toMatch(/^Outcome:\s+refused by the cluster \(it answered 403 Forbidden; Gatehouse had let the request through\)$/m);
    expect(shown).toMatch(/^Cluster status:\s+403 Forbidden$/m);
    expect(shown).toMatch(/^Error:\s+Forbidden: pods "web" is forbidden: User "gatehouse:demo:a" cannot delete resource "pods"/m);
  });
});

describe('byStart', () => {
  it('orders by start time, then request id', () => {
    const sorted = byStart([r('b', '2026-11-22T10:00:01Z', {}), r('c', '2026-11-22T10:00:00Z', {}), r('a', '2026-11-22T10:00:01Z', {})]);

    expect(sorted.map((x) => x.requestId)).toEqual(['c', 'a', 'b']);
  });
});

import { gatehouse } from './support/cli-helpers';
import { demoToken, rawRequest, requestIdOf, sessionRecords, unique } from './support/local-gatehouse';

jest.setTimeout(180_000);

/**
 * A CI job's whole session, as an operator reads it afterwards: every request recorded, complete, in the order it
 * was made, with its replay blob found in the session's batches and intact, whatever its outcome.
 */
describe('a session of 200 requests', () => {
  it('is recorded complete and in order, allowed, denied and failed requests alike, each with an intact replay blob', async () => {
    // Arrange: 200 requests one after another: gets the cluster answers, requests Gatehouse denies (they try to
    // impersonate), and requests to a connection whose cluster cannot be reached.
    const runId = `long-${unique()}`;
    const session = `demo-agent/${runId}`;
    const headers = { authorization: `Bearer ${demoToken({ run_id: runId }, 900)}` };
    const plan = Array.from({ length: 200 }, (_, i) => (i % 10 === 3 ? 'denied' : i % 10 === 7 ? 'failed' : 'forwarded'));
    const sent: Array<{ requestId: string; expected: string }> = [];

    // Act
    for (const expected of plan) {
      const response = expected === 'denied'
        ? await rawRequest('/k8s/demo/api/v1/namespaces/staging/configmaps', { headers: { ...headers, 'impersonate-user': 'someone-else' } })
        : expected === 'failed'
          ? await rawRequest('/k8s/unreachable/api/v1/namespaces/prod/pods', { headers })
          : await rawRequest('/k8s/demo/apis/apps/v1/namespaces/staging/deployments/web', { headers });
      sent.push({ requestId: requestIdOf(response), expected });
    }
    const records = await sessionRecords(session, { settleMs: 20_000 });
    const exported = await gatehouse(['export', '--session', session, '--with-replay']);

    // Assert: one record per request, in the order they were sent, each complete with the outcome it had.
    expect(records.map((r) => [r.requestId, r.phase, r.outcome])).toEqual(sent.map((s) => [s.requestId, 'complete', s.expected]));
    // ...and the export finds every blob (most in the session's batches) and checks it against its record.
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; requestId: string; integrity: string; replay?: { requestId: string } });
    const requests = lines.filter((l) => l.type === 'gatehouse.request');
    expect(requests.map((l) => [l.requestId, l.integrity])).toEqual(sent.map((s) => [s.requestId, 'ok']));
    expect(requests.every((l) => l.replay?.requestId === l.requestId)).toBe(true);
    expect(records.filter((r) => r.replayVia === 'batch')).toHaveLength(200);
  });
});

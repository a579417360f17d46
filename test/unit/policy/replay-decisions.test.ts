import { decodeRequestBody } from '../../../lambdas/core/policy/decode-request-body';
import { replayDecisions, ReplayRecord } from '../../../lambdas/core/policy/replay-decisions';
import { identity, policyWithPacks, resourceRequest } from './policy-test-support';

describe('replayDecisions', () => {
  const records: ReplayRecord[] = [
    { requestId: 'r1', identity: identity(), connection: 'prod', request: resourceRequest({ verb: 'create', resource: 'pods', namespace: 'prod' }), body: { state: 'none' }, recordedDecision: 'allow' },
    { requestId: 'r2', identity: identity(), connection: 'prod', request: resourceRequest({ verb: 'list', resource: 'pods', namespace: 'prod' }), body: { state: 'none' }, recordedDecision: 'allow' },
    {
      requestId: 'r3', identity: identity(), connection: 'dev', request: resourceRequest({ verb: 'create', resource: 'pods', namespace: 'dev' }),
      body: decodeRequestBody('application/json', Buffer.from('{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}}')),
    },
  ];

  it('shows which recorded decisions a new policy would change', () => {
    const results = replayDecisions(policyWithPacks(['baseline', 'production-approval']), records);
    expect(results.map((x) => ({ id: x.requestId, before: x.before, after: x.after.effect, rule: x.after.ruleId, changed: x.changed }))).toEqual([
      { id: 'r1', before: 'allow', after: 'approve', rule: 'production-approval/writes-by-name', changed: true },
      { id: 'r2', before: 'allow', after: 'allow', rule: 'default', changed: false },
      { id: 'r3', before: undefined, after: 'deny', rule: 'baseline/no-privileged-pods', changed: false },
    ]);
  });
});

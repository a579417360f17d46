import { replayRecordOf } from '../../../cli/policy-replay';
import type { RequestRecord } from '../../../cli/types';
import { compilePolicy } from '../../../lambdas/core/policy/compile-policy';
import { replayDecisions } from '../../../lambdas/core/policy/replay-decisions';

const POLICY = compilePolicy([{
  source: 'candidate.yaml',
  text: [
    'apiVersion: gatehouse.dev/v1',
    'kind: Policy',
    'defaults: { "*": allow }',
    'rules:',
    '  - id: no-table-deletes',
    '    effect: deny',
    '    match: { aws: { actions: ["dynamodb:DeleteTable"], resources: ["arn:aws:dynamodb:*:*:table/prod-*"] } }',
    '  - id: kube-no-deletes',
    '    effect: deny',
    '    match: { verbs: [delete] }',
  ].join('\n'),
}]);

const base = { pk: 'request#x', startedAt: '2026-12-02T10:00:00Z', connection: 'prod-aws', agent: 'ci', issuer: 'gh', session: 'ci/run-1', decision: 'allow' as const, method: 'POST', path: '/' };

describe('policy test over recorded AWS calls', () => {
  it('judges a recorded AWS call by its action and resources, not as a Kubernetes request', () => {
    const records: RequestRecord[] = [
      { ...base, requestId: 'a', awsService: 'dynamodb', awsRegion: 'us-east-1', awsAction: 'DeleteTable', awsResources: ['arn:aws:dynamodb:us-east-1:1:table/prod-orders'] },
      { ...base, requestId: 'b', awsService: 'dynamodb', awsRegion: 'us-east-1', awsAction: 'DeleteTable', awsResources: ['arn:aws:dynamodb:us-east-1:1:table/dev-orders'] },
    ];
    const results = replayDecisions(POLICY, records.map((r) => replayRecordOf(r)!));
    expect(results.map((r) => [r.requestId, r.after.effect, r.after.ruleId, r.changed])).toEqual([
      ['a', 'deny', 'no-table-deletes', true],
      ['b', 'allow', 'default', false],
    ]);
  });

  it('denies a recorded call whose action was unknown, as the gateway would', () => {
    const record: RequestRecord = { ...base, requestId: 'c', decision: 'deny', awsService: 'dynamodb', awsRegion: 'us-east-1' };
    const [result] = replayDecisions(POLICY, [replayRecordOf(record)!]);
    expect(result!.after).toMatchObject({ effect: 'deny', reason: 'unknown-action' });
    expect(result!.changed).toBe(false);
  });
});

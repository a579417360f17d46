import { applyDecision, type Approval } from '../../../lambdas/core/approvals/approval-item';
import { decidedApprovalMessage, pendingApprovalMessage, type SlackBlock } from '../../../lambdas/core/approvals/approval-message';
import { SLACK_SECTION_TEXT_LIMIT } from '../../../lambdas/core/approvals/what-runs-blocks';
import { pending, SETTINGS, subject, type SubjectOverrides } from './support/fixtures';

const deploy = '/apis/apps/v1/namespaces/prod/deployments/web';
const SECRET_B64 = Buffer.from('hunter2-prod-db').toString('base64');

const approvalFor = (overrides: SubjectOverrides): Approval => pending(undefined, undefined, subject(overrides));
const sectionTexts = (blocks: readonly SlackBlock[]) => blocks.flatMap((b) => (b.type === 'section' && b.text ? [(b.text as { text: string }).text] : []));
const block = (blocks: readonly SlackBlock[], id: string) => sectionTexts(blocks.filter((b) => b.block_id === id)).join('\n');
const message = (overrides: SubjectOverrides) => pendingApprovalMessage(approvalFor(overrides), SETTINGS);

describe('what will run, in the Slack message', () => {
  const harmless = message({ method: 'PATCH', path: deploy, contentType: 'application/strategic-merge-patch+json', body: '{"metadata":{"labels":{"team":"web"}}}' });
  const swap = message({
    method: 'PATCH', path: deploy, query: 'force=true&fieldManager=kubectl&timeout=30s', contentType: 'application/apply-patch+yaml',
    body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: attacker/web:latest\n',
  });

  it('tells a harmless patch from a forced image swap', () => {
    expect(sectionTexts(harmless.blocks)).not.toEqual(sectionTexts(swap.blocks));
    expect(block(harmless.blocks, 'gatehouse_patch')).toContain('set `metadata.labels.team`');
    expect(block(harmless.blocks, 'gatehouse_what_runs')).not.toContain(':warning:');
  });

  it.each<[string, string, string]>([
    ['the request line', 'gatehouse_what_runs', `\`PATCH ${deploy}\``],
    ['the content type', 'gatehouse_what_runs', '`application/apply-patch+yaml`'],
    ['a warning about force', 'gatehouse_what_runs', ':warning: force=true'],
    ['the force flag', 'gatehouse_query', '`force=true`'],
    ['the field manager', 'gatehouse_query', '`fieldManager=kubectl`'],
    ['the timeout, as not part of the approval', 'gatehouse_query', 'Not part of the approval (they do not change what runs): `timeout`'],
    ['the patched image field', 'gatehouse_patch', 'set `spec.template.spec.containers[name=web].image`'],
    ['the body, masked', 'gatehouse_body', 'attacker/web:latest'],
  ])('shows %s', (_case, id, expected) => {
    expect(block(swap.blocks, id)).toContain(expected);
  });

  it('never shows Secret values, in the message or its fallback text', () => {
    const created = message({
      method: 'POST', path: '/api/v1/namespaces/prod/secrets', contentType: 'application/json',
      body: JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { password: SECRET_B64 }, stringData: { token: 'hunter2-prod-db' } }),
    });
    const rendered = JSON.stringify(created);
    expect(rendered).not.toContain(SECRET_B64);
    expect(rendered).not.toContain('hunter2');
    expect(block(created.blocks, 'gatehouse_body')).toContain('***MASKED***');
  });

  it('keeps every section within Slack\'s limit, however long and hostile the request', () => {
    const padding = Array.from({ length: 60 }, (_, i) => `pad${i}=${encodeURIComponent('<&>'.repeat(200))}`).join('&');
    const hostile = message({
      method: 'PATCH', path: deploy, query: `${padding}&force=true`, contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { labels: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}<&>`.repeat(10), '<!channel>'.repeat(50)])) } }),
    });
    for (const text of sectionTexts(hostile.blocks)) expect(text.length).toBeLessThanOrEqual(SLACK_SECTION_TEXT_LIMIT);
    // Padding cannot push the flags that matter out of the message: warnings and known parameters come first.
    expect(block(hostile.blocks, 'gatehouse_what_runs')).toContain('force=true');
    expect(block(hostile.blocks, 'gatehouse_query').split('\n')[1]).toBe('• `force=true`');
    expect(JSON.stringify(hostile)).not.toContain('<!channel>');
    expect(hostile.blocks.length).toBeLessThanOrEqual(50);
  });

  it('keeps a body preview inside its code block', () => {
    const sneaky = message({ method: 'PUT', path: '/api/v1/namespaces/prod/configmaps/c', contentType: 'application/json', body: '{"data":{"a":"```*approved* <@U0ADMIN>"}}' });
    const body = block(sneaky.blocks, 'gatehouse_body');
    expect(body.match(/```/g)).toHaveLength(2);
    expect(body).not.toContain('<@U0ADMIN>');
  });

  it('says why a body is not shown instead of showing it', () => {
    const hidden = message({ method: 'PATCH', path: deploy, contentType: 'application/vnd.kubernetes.protobuf', body: 'k8s\u0000binary' });
    expect(block(hidden.blocks, 'gatehouse_body')).toMatch(/^\*Body\* \(\d+ bytes\): not shown, because Gatehouse does not decode application\/vnd\.kubernetes\.protobuf\.$/);
  });

  it('still shows what ran once decided, and nothing for approvals stored before it was recorded', () => {
    const approval = applyDecision(approvalFor({ method: 'DELETE', path: deploy, query: 'gracePeriodSeconds=0' }), { outcome: 'approved', kind: 'one-time', approver: 'U0APPROVER', decidedAt: '2026-01-01T10:01:00.000Z' }, SETTINGS).approval;
    expect(block(decidedApprovalMessage(approval).blocks, 'gatehouse_query')).toContain('`gracePeriodSeconds=0`');
    const { whatRuns: _dropped, ...older } = approval;
    expect(decidedApprovalMessage(older).blocks.map((b) => b.block_id)).not.toContain('gatehouse_what_runs');
  });
});

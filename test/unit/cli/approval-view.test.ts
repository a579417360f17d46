import { approvalDetails } from '../../../cli/approval-view';
import { pending, subject, type SubjectOverrides } from '../approvals/support/fixtures';

const deploy = '/apis/apps/v1/namespaces/prod/deployments/web';
const show = (overrides: SubjectOverrides) => approvalDetails(pending(undefined, undefined, subject(overrides)));

describe('gatehouse approvals show', () => {
  const swap = show({
    method: 'PATCH', path: deploy, query: 'force=true&fieldManager=kubectl&timeout=30s', contentType: 'application/strategic-merge-patch+json',
    body: '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"attacker/web:latest"}]}}}}',
  });

  it.each<[string, RegExp]>([
    ['the request line with the covered query', /^Runs: +PATCH \/apis\/apps\/v1\/namespaces\/prod\/deployments\/web\?fieldManager=kubectl&force=true$/m],
    ['what is not covered', /^Not covered: +timeout \(they do not change what runs/m],
    ['the content type', /^Content type: +application\/strategic-merge-patch\+json$/m],
    ['the force warning', /^Warning: +force=true: server-side apply takes over/m],
    ['the patched field', /^Changes \(strategic merge patch, 1\):\n {2}set spec\.template\.spec\.containers\[name=web\]\.image$/m],
    ['the masked body', /^Body \(\d+ bytes, masked\):\n {2}\{"spec":/m],
    ['the facts it showed before', /^Rule: +production-approval\/writes-by-name: Writes to production/m],
  ])('shows %s', (_case, expected) => {
    expect(swap).toMatch(expected);
  });

  it('never prints Secret values', () => {
    const secret = Buffer.from('hunter2-prod-db').toString('base64');
    const out = show({ method: 'PATCH', path: '/api/v1/namespaces/prod/secrets/db', contentType: 'application/merge-patch+json', body: JSON.stringify({ data: { password: secret } }) });
    expect(out).not.toContain(secret);
    expect(out).toContain('{"data":{"password":"***MASKED***"}}');
  });

  it('keeps terminal escape sequences and line breaks in agent values from reaching the terminal', () => {
    const out = show({ method: 'PUT', path: '/api/v1/namespaces/prod/configmaps/c', contentType: 'application/json', body: JSON.stringify({ data: { a: '\u001b[2J\u001b]0;owned\u0007', b: 'x\ny' } }) });
    expect(out).not.toMatch(/\u001b|\u0007/);
  });

  it('says why a body is not shown, and shows only the facts for approvals recorded before', () => {
    expect(show({ method: 'PATCH', path: deploy, contentType: 'application/merge-patch+json', body: '{"a":' })).toMatch(/^Body \(5 bytes\): not shown, because it is not valid JSON\.$/m);
    const { whatRuns: _none, ...older } = pending();
    const out = approvalDetails(older);
    expect(out).toMatch(/^Approval: +apr-0123456789ab$/m);
    expect(out).not.toMatch(/^(Runs|Body)/m);
  });
});

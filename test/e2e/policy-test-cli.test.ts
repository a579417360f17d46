import fs from 'node:fs';
import path from 'node:path';
import { gatehouse } from './support/cli-helpers';
import { demoToken, kubeconfigFor, kubectl, localGatehouse, sessionRecords } from './support/local-gatehouse';

jest.setTimeout(90_000);

/** `gatehouse policy test`: a candidate policy replayed against a real recorded kubectl session. */
describe('gatehouse policy test', () => {
  const runId = `policy-test-${Date.now()}`;
  const session = `demo-agent/${runId}`;
  let candidate: string;

  beforeAll(async () => {
    const kubeconfig = kubeconfigFor(demoToken({ run_id: runId }));
    expect((await kubectl(kubeconfig, ['get', 'pods', '-n', 'prod'])).code).toBe(0);
    expect((await kubectl(kubeconfig, ['get', 'configmaps', '-n', 'staging'])).code).toBe(0);
    await sessionRecords(session);
    candidate = path.join(localGatehouse().stateDir, 'candidate-policy.yaml');
    fs.writeFileSync(candidate, [
      'apiVersion: gatehouse.dev/v1',
      'kind: Policy',
      'packs: [baseline]',
      'defaults: { "*": allow }',
      'rules:',
      '  - id: no-pods-in-prod',
      '    effect: deny',
      '    message: Pods in prod are off limits.',
      '    match: { namespaces: [prod], resources: [pods] }',
      '',
    ].join('\n'));
  });

  it('shows which recorded requests the candidate would decide differently', async () => {
    const result = await gatehouse(['policy', 'test', candidate, '--session', session]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\*\s.*demo-agent\s+list pods in namespace prod\s+allowed\s+denied\s+no-pods-in-prod$/m);
    expect(result.stdout).toMatch(/list configmaps in namespace staging\s+allowed\s+allowed/);
    expect(result.stdout).toMatch(/would be allowed, \d+ denied, 0 held for approval; 1 decision\(s\) change/);
  });

  it('fails a CI check with exit 6 when a decision would change', async () => {
    expect((await gatehouse(['policy', 'test', candidate, '--session', session, '--fail-on-change'])).code).toBe(6);
  });

  it('names the file and the rule of an invalid policy', async () => {
    const broken = path.join(localGatehouse().stateDir, 'broken-policy.yaml');
    fs.writeFileSync(broken, 'apiVersion: gatehouse.dev/v1\nkind: Policy\ndefaults: { "*": allow }\nrules:\n  - id: oops\n    effect: maybe\n    match: { verbs: [delete] }\n');
    const result = await gatehouse(['policy', 'test', broken, '--session', session]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken-policy\.yaml.*rule "oops".*effect/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lambdas/core/errors';
import { loadPolicyFiles } from '../../../lambdas/core/policy/load-policy-files';

describe('loadPolicyFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads policy files and includes the repository packs by name', () => {
    const path = write('ok.yaml', 'apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [baseline, read-only, production-approval]\ndefaults: { "*": allow }\n');
    const policy = loadPolicyFiles([path]);
    expect(policy.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['baseline/no-delete-namespaces', 'read-only/deny-writes', 'production-approval/writes-by-name']));
  });

  it('names the file and rule of every problem', () => {
    const path = write('bad.yaml', 'apiVersion: gatehouse.dev/v1\nkind: Policy\nrules:\n  - id: oops\n    effect: deny\n    match: { namespace: [x] }\n');
    try {
      loadPolicyFiles([path]);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([`${path}:4: rule "oops": match.namespace: unknown key (did you mean "namespaces"?); known keys: agents, issuers, groups, connections, verbs, apiGroups, resources, subresources, namespaces, names, nonResourceURLs, claims, namespaceLabels, body, cel, exec, ports, aws`]);
    }
  });
});

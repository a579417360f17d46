import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import nodeFs = require('node:fs');
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lambdas/core/errors';
import { compilePolicy, serializePolicy } from '../../../lambdas/core/policy/compile-policy';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { loadPolicyFiles } from '../../../lambdas/core/policy/load-policy-files';
import type { PolicySource } from '../../../lambdas/core/policy/policy-types';
import { input, resourceRequest } from './policy-test-support';

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';
const pack = (name: string, rules = '') => `apiVersion: gatehouse.dev/v1\nkind: PolicyPack\nname: ${name}\nrules:\n${rules || `  - id: ${name}/stop\n    effect: deny\n    match: { verbs: [delete] }\n`}`;

/** The ConfigError compilePolicy throws (its message and problems), or undefined when the sources compile. */
function failure(docs: PolicySource[], packs: PolicySource[] = [], serialized = false): { message: string; problems: readonly string[] } | undefined {
  try {
    compilePolicy(docs, { packs, serialized });
    return undefined;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { message: e.message.split('\n')[0], problems: e.problems };
  }
}

describe('compilePolicy: how files and packs combine', () => {
  it.each<[string, PolicySource[], PolicySource[], string, string[]]>([
    ['no files at all', [], [], 'policy (no files) is invalid:', ['policy (no files): no "kind: Policy" document (packs apply only when a Policy names them)']],
    ['only a pack', [{ source: 'p.yaml', text: pack('mine') }], [], 'p.yaml is invalid:', ['p.yaml: no "kind: Policy" document (packs apply only when a Policy names them)']],
    ['two files naming an unknown pack', [{ source: 'a.yaml', text: `${header}packs: [nope]\n` }, { source: 'b.yaml', text: header }], [], 'policy (a.yaml, b.yaml) is invalid:',
      ['a.yaml:1: packs: unknown pack "nope"; available: none']],
    ['an unknown pack among known ones', [{ source: 'a.yaml', text: `${header}packs: [stpo]\n` }], [{ source: 'stop.yaml', text: pack('stop') }, { source: 'go.yaml', text: pack('go') }], 'a.yaml is invalid:',
      ['a.yaml:1: packs: unknown pack "stpo" (did you mean "stop"?); available: stop, go']],
    ['a pack defined twice', [{ source: 'a.yaml', text: header }], [{ source: 'x.yaml', text: pack('x') }, { source: 'y.yaml', text: pack('x') }], 'a.yaml is invalid:',
      ['y.yaml:1: pack "x" is already defined at x.yaml:1']],
    ['a pack in the files and among the packs', [{ source: 'a.yaml', text: `${header}---\n${pack('x')}` }], [{ source: 'x.yaml', text: pack('x') }], 'a.yaml is invalid:',
      ['a.yaml:4: pack "x" is already defined at x.yaml:1']],
    ['a disabled rule with no close match', [{ source: 'a.yaml', text: `${header}disable: [zzz]\n` }], [], 'a.yaml is invalid:', ['a.yaml:1: disable: no rule "zzz"']],
  ])('reports %s', (_name, docs, packs, message, problems) => {
    // Act
    const error = failure(docs, packs);
    // Assert
    expect(error).toEqual({ message, problems });
  });

  it('includes a pack named by two files once', () => {
    const docs = [{ source: 'a.yaml', text: `${header}packs: [stop]\n` }, { source: 'b.yaml', text: `${header}packs: [stop]\n` }];
    const policy = compilePolicy(docs, { packs: [{ source: 'stop.yaml', text: pack('stop') }] });
    expect(policy.rules.map((r) => r.id)).toEqual(['stop/stop']);
  });

  it('includes packs in the order first named, after the policies\' own rules', () => {
    const docs = [{ source: 'a.yaml', text: `${header}packs: [go, stop]\nrules:\n  - id: mine\n    effect: allow\n    match: {}\n` }];
    const policy = compilePolicy(docs, { packs: [{ source: 'stop.yaml', text: pack('stop') }, { source: 'go.yaml', text: pack('go') }] });
    expect(policy.rules.map((r) => [r.id, r.order])).toEqual([['mine', 0], ['go/stop', 1], ['stop/stop', 2]]);
  });

  it('leaves out disabled rules, wherever they come from', () => {
    const docs = [{ source: 'a.yaml', text: `${header}packs: [stop]\n` }, { source: 'b.yaml', text: `${header}disable: [stop/stop]\n` }];
    const policy = compilePolicy(docs, { packs: [{ source: 'stop.yaml', text: pack('stop') }] });
    expect(policy.rules).toEqual([]);
    expect(evaluatePolicy(policy, input(resourceRequest({ verb: 'delete', resource: 'pods', namespace: 'a', name: 'p' }))).ruleId).toBe('default');
  });

  it('accepts the same default set in two files, and merges different connections', () => {
    const docs = [{ source: 'a.yaml', text: `${header}defaults: { "*": allow, prod: approve }\n` }, { source: 'b.yaml', text: `${header}defaults: { prod: approve, dev: deny }\n` }];
    const policy = compilePolicy(docs);
    expect(Object.fromEntries(policy.defaults)).toEqual({ '*': 'allow', prod: 'approve', dev: 'deny' });
  });

  it('reads serialized (JSON) documents, locating rules by index', () => {
    const doc = { apiVersion: 'gatehouse.dev/v1', kind: 'Policy', rules: [{ id: 'ok', effect: 'allow', match: {} }, { id: 'bad', effect: 'nope', match: {} }] };
    const error = failure([{ source: 'GATEHOUSE_POLICY', text: JSON.stringify(doc) }], [], true);
    expect(error?.problems).toEqual(['GATEHOUSE_POLICY#rules[1]: rule "bad": effect: unknown effect "nope"; use deny, approve or allow']);
  });

  it('reports a serialized policy that is not JSON with the JSON error', () => {
    // Act
    const error = failure([{ source: 'GATEHOUSE_POLICY', text: '{"apiVersion":' }], [], true);
    // Assert
    expect(error?.problems).toEqual([expect.stringMatching(/^GATEHOUSE_POLICY: .*JSON/)]);
  });

  it('reports a file with a problem once, without follow-on problems from its rules', () => {
    // Arrange: a.yaml has a misspelt key; its rule would otherwise clash with b.yaml's
    const rule = 'rules:\n  - id: no-deletes\n    effect: deny\n    match: { verbs: [delete] }\n';
    const docs = [{ source: 'a.yaml', text: `${header}descripton: typo\n${rule}` }, { source: 'b.yaml', text: `${header}${rule}` }];
    // Act
    const error = failure(docs);
    // Assert
    expect(error?.problems).toEqual([expect.stringMatching(/^a\.yaml:1: descripton: unknown key/)]);
  });

  it('round-trips a compiled policy through serializePolicy', () => {
    const policy = compilePolicy([{ source: 'a.yaml', text: `${header}defaults: { "*": deny }\nrules:\n  - id: r\n    effect: allow\n    description: Reads.\n    match: { verbs: [get] }\n` }]);
    const again = compilePolicy([{ source: 'GATEHOUSE_POLICY', text: serializePolicy(policy) }], { serialized: true });
    expect(again.document).toEqual(policy.document);
    expect(JSON.parse(serializePolicy(policy))).toEqual({ apiVersion: 'gatehouse.dev/v1', kind: 'Policy', defaults: { '*': 'deny' }, rules: [{ id: 'r', effect: 'allow', description: 'Reads.', match: { verbs: ['get'] } }] });
  });
});

describe('parsing policy documents', () => {
  const problems = (text: string) => failure([{ source: 'f.yaml', text }])?.problems ?? [];

  it.each([
    ['no apiVersion', 'kind: Policy\n', ['f.yaml:1: apiVersion: must be gatehouse.dev/v1 (got null)']],
    ['no kind', 'apiVersion: gatehouse.dev/v1\n', ['f.yaml:1: kind: must be Policy or PolicyPack (got null)']],
    ['a pack without a name', 'apiVersion: gatehouse.dev/v1\nkind: PolicyPack\nrules: []\n---\n' + header, ['f.yaml:1: name: a pack needs a kebab-case name']],
    ['a pack with a name in capitals', 'apiVersion: gatehouse.dev/v1\nkind: PolicyPack\nname: My_Pack\n---\n' + header, ['f.yaml:1: name: a pack needs a kebab-case name']],
    ['a pack name that is kebab-case only in its first letters', 'apiVersion: gatehouse.dev/v1\nkind: PolicyPack\nname: web_pack\n---\n' + header, ['f.yaml:1: name: a pack needs a kebab-case name']],
    ['an unknown key in a pack', 'apiVersion: gatehouse.dev/v1\nkind: PolicyPack\nname: p\ndefaults: {}\n---\n' + header, ['f.yaml:1: defaults: unknown key; known keys: apiVersion, kind, name, description, rules']],
    ['an unknown key in a policy', `${header}rule: []\n`, ['f.yaml:1: rule: unknown key (did you mean "rules"?); known keys: apiVersion, kind, description, packs, disable, defaults, rules']],
    ['defaults that are a list', `${header}defaults: [allow]\n`, ['f.yaml:1: defaults: must map connection names (or "*") to allow, deny or approve']],
    ['a default key with capitals', `${header}defaults: { Prod: allow }\n`, ['f.yaml:1: defaults.Prod: keys are connection names or "*" (globs are not supported here)']],
    ['a default that is not text', `${header}defaults: { prod: 1 }\n`, ['f.yaml:1: defaults.prod: unknown effect 1; use allow, deny or approve']],
    ['rules that are a mapping', `${header}rules: { id: x }\n`, ['f.yaml:1: rules: must be a list of rules']],
    ['an empty pack name in packs', `${header}packs: [""]\n`, ['f.yaml:1: packs[0]: must be a name']],
    ['a disable entry that is not text', `${header}disable: [1]\n`, ['f.yaml:1: disable[0]: must be a name']],
    ['a YAML alias bomb', `${header}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c]\n`,
      [expect.stringMatching(/^f\.yaml:1: Excessive alias count/)]],
    ['a second document with a problem, by its own line', `${header}---\n${header}rules: 1\n`, ['f.yaml:4: rules: must be a list of rules']],
  ])('reports %s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it.each([
    ['a single pack name', `${header}packs: stop\n`, ['stop/stop']],
    ['a single disabled id', `${header}packs: [stop]\ndisable: stop/stop\n`, []],
    ['an empty document besides the policy', `---\n${header}packs: [stop]\n`, ['stop/stop']],
  ])('accepts %s', (_name, text, ids) => {
    const policy = compilePolicy([{ source: 'f.yaml', text }], { packs: [{ source: 'stop.yaml', text: pack('stop') }] });
    expect(policy.rules.map((r) => r.id)).toEqual(ids);
  });
});

describe('loadPolicyFiles with a packs directory', () => {
  it('reads .yaml and .yml packs from the given directory, and nothing else there', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-packs-'));
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    writeFileSync(join(packs, 'b.yml'), pack('b'));
    writeFileSync(join(packs, 'a.yaml'), pack('a'));
    writeFileSync(join(packs, 'notes.txt'), 'not a pack');
    const policyPath = join(dir, 'policy.yaml');
    writeFileSync(policyPath, `${header}packs: [a, b]\n`);
    // Act
    const policy = loadPolicyFiles([policyPath], { packsDir: packs });
    // Assert
    expect(policy.rules.map((r) => r.id)).toEqual(['a/stop', 'b/stop']);
  });

  it('names the pack file of a pack defined twice, in file-name order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-packs-'));
    writeFileSync(join(dir, 'z.yaml'), pack('same'));
    writeFileSync(join(dir, 'm.yaml'), pack('same'));
    const policyPath = join(mkdtempSync(join(tmpdir(), 'gatehouse-policy-')), 'policy.yml');
    writeFileSync(policyPath, header);
    expect(() => loadPolicyFiles([policyPath], { packsDir: dir })).toThrow(`${join(dir, 'z.yaml')}:1: pack "same" is already defined at ${join(dir, 'm.yaml')}:1`);
  });

  it('reads the packs in file-name order whatever order the directory lists them in', () => {
    // Arrange: directory order is the file system's (ext4 lists by hash); make it the reverse of name order
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-packs-'));
    writeFileSync(join(dir, 'a.yaml'), pack('same'));
    writeFileSync(join(dir, 'b.yaml'), pack('same'));
    const policyPath = join(mkdtempSync(join(tmpdir(), 'gatehouse-policy-')), 'policy.yaml');
    writeFileSync(policyPath, header);
    const listing = jest.spyOn(nodeFs, 'readdirSync').mockImplementationOnce((() => ['b.yaml', 'a.yaml']) as unknown as typeof nodeFs.readdirSync);
    // Act
    let message = '';
    try {
      loadPolicyFiles([policyPath], { packsDir: dir });
    } catch (e) {
      message = (e as Error).message;
    } finally {
      listing.mockRestore();
    }
    // Assert
    expect(message).toContain(`${join(dir, 'b.yaml')}:1: pack "same" is already defined at ${join(dir, 'a.yaml')}:1`);
  });
});

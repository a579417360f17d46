import { compilePolicy, serializePolicy } from '../../../lambdas/core/policy/compile-policy';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { policyNeeds } from '../../../lambdas/core/policy/policy-needs';
import { replayDecisions } from '../../../lambdas/core/policy/replay-decisions';
import { portsOfQuery, representativePorts } from '../../../lambdas/core/policy/session-match';
import type { CompiledPolicy } from '../../../lambdas/core/policy/compile-policy';
import { identity, input, policyFrom, problemsOf, resourceRequest } from './policy-test-support';

/**
 * Rules on exec, attach and port-forward sessions (match.exec, match.ports), and how a WebSocket GET of
 * pods/exec is matched by `create` rules. Queries are written as the proxy hands them to policy
 * (URLSearchParams.toString(): spaces as +, / and " percent-encoded).
 */

const header = 'apiVersion: gatehouse.dev/v1\nkind: Policy\n';
const policyOf = (rules: string, defaults = '{ "*": allow }') => policyFrom(`${header}defaults: ${defaults}\nrules:\n${rules}`);
/** Query text from name/value pairs, encoded as the proxy passes it. */
const q = (...pairs: [string, string][]) => new URLSearchParams(pairs).toString();
const cmd = (...argv: string[]) => argv.map((a) => ['command', a] as [string, string]);

type Sub = 'exec' | 'attach' | 'portforward';
/** A session request on pod `web`: WebSocket GET by default, `create` for the SPDY POST. */
const session = (subresource: Sub, namespace = 'prod', verb = 'get') => resourceRequest({ verb, resource: 'pods', namespace, name: 'web', subresource });
const decide = (policy: CompiledPolicy, request: ReturnType<typeof session>, query?: string) =>
  evaluatePolicy(policy, input(request, query === undefined ? {} : { query }));
const outcome = (policy: CompiledPolicy, request: ReturnType<typeof session>, query?: string) => {
  const d = decide(policy, request, query);
  return `${d.effect} ${d.ruleId}`;
};

describe('exec commands', () => {
  const policy = policyOf([
    '  - id: no-rm-rf-in-prod',
    '    effect: deny',
    '    match: { namespaces: [prod], resources: [pods], subresources: [exec], exec: { commands: ["*rm -rf*"] } }',
    '  - id: shells-need-approval',
    '    effect: approve',
    '    match: { resources: [pods], subresources: [exec], exec: { commands: ["sh", "bash", "bash *"] } }',
    '  - id: literal-characters',
    '    effect: approve',
    '    match: { subresources: [exec], exec: { commands: ["echo $(id)*", "ls ?", "cat .*"] } }',
    '',
  ].join('\n'));

  it.each([
    ['denies an exec of rm -rf in prod given as sh -c "rm -rf /"', cmd('sh', '-c', 'rm -rf /'), 'deny no-rm-rf-in-prod'],
    ['denies rm -rf given as separate arguments', cmd('rm', '-rf', '/data'), 'deny no-rm-rf-in-prod'],
    ['denies rm -rf with the spaces inside one argument (argv joined by single spaces)', cmd('rm -rf', '/data'), 'deny no-rm-rf-in-prod'],
    ['denies rm -rf with a run of spaces or a tab, as the shell splits it', cmd('sh', '-c', 'rm  \t-rf /'), 'deny no-rm-rf-in-prod'],
    ['denies rm -rf across a newline in a script', cmd('sh', '-c', 'cd /data\nrm -rf\n.'), 'deny no-rm-rf-in-prod'],
    ['does not see rm -r -f as rm -rf (a glob is not a shell parser)', cmd('rm', '-r', '-f', '/data'), 'allow default'],
    ['holds a bare sh for approval', cmd('sh'), 'approve shells-need-approval'],
    ['does not take sh -c ls for a bare sh', cmd('sh', '-c', 'ls'), 'allow default'],
    ['does not take /bin/sh for sh (globs compare the whole command)', cmd('/bin/sh'), 'allow default'],
    ['holds bash with arguments (bash *)', cmd('bash', '-l'), 'approve shells-need-approval'],
    ['holds a bare bash (listed apart from bash *)', cmd('bash'), 'approve shells-need-approval'],
    ['ignores leading and trailing white space of the command', cmd(' bash ', ''), 'approve shells-need-approval'],
    ['reads $ ( ) as literal characters', cmd('echo', '$(id)', '>', '/tmp/x'), 'approve literal-characters'],
    ['reads ? as a literal character, not a wildcard', cmd('ls', '?'), 'approve literal-characters'],
    ['does not read ? as any one character', cmd('ls', 'a'), 'allow default'],
    ['reads .* as a dot followed by anything', cmd('cat', '.env'), 'approve literal-characters'],
    ['keeps the order of repeated command values', cmd('-rf', 'rm'), 'allow default'],
    ['allows an exec no rule names', cmd('ls', '-la'), 'allow default'],
  ])('%s', (_name, pairs, expected) => {
    expect(outcome(policy, session('exec'), q(...pairs))).toBe(expected);
  });

  it('decides the SPDY POST (create) the same as the WebSocket GET', () => {
    expect(outcome(policy, session('exec', 'prod', 'create'), q(...cmd('sh', '-c', 'rm -rf /')))).toBe('deny no-rm-rf-in-prod');
  });

  it('reads command values encoded with %20 and + alike', () => {
    expect(outcome(policy, session('exec'), 'command=sh&command=-c&command=rm%20-rf%20%2F')).toBe('deny no-rm-rf-in-prod');
    expect(outcome(policy, session('exec'), 'command=sh&command=-c&command=rm+-rf+%2F')).toBe('deny no-rm-rf-in-prod');
  });

  it.each([
    ['outside prod', session('exec', 'staging'), q(...cmd('rm', '-rf', '/')), 'allow default'],
    ['for attach, which runs no command', session('attach'), q(...cmd('rm', '-rf', '/')), 'allow default'],
    ['for port-forward', session('portforward'), q(...cmd('rm', '-rf', '/')), 'allow default'],
    ['for an exec whose query was not kept', session('exec'), undefined, 'allow default'],
  ])('does not apply a command rule %s', (_name, request, query, expected) => {
    expect(outcome(policy, request, query)).toBe(expected);
  });

  it('lets an except block allow listed commands out of a deny', () => {
    const guarded = policyOf([
      '  - id: no-exec-in-prod',
      '    effect: deny',
      '    match: { namespaces: [prod], resources: [pods], subresources: [exec, attach] }',
      '    except: { exec: { commands: ["ls", "ls *", "cat /var/log/*"] } }',
      '',
    ].join('\n'));
    expect(outcome(guarded, session('exec'), q(...cmd('ls', '-la')))).toBe('allow default');
    expect(outcome(guarded, session('exec'), q(...cmd('cat', '/var/log/app.log')))).toBe('allow default');
    expect(outcome(guarded, session('exec'), q(...cmd('sh')))).toBe('deny no-exec-in-prod');
    expect(outcome(guarded, session('attach'), '')).toBe('deny no-exec-in-prod');
  });

  it('catches kubectl cp (tar over exec) by its command', () => {
    const cp = policyOf('  - id: no-cp\n    effect: deny\n    match: { subresources: [exec], exec: { commands: ["tar *"] } }\n');
    expect(outcome(cp, session('exec'), q(...cmd('tar', 'cf', '-', '/etc/app')))).toBe('deny no-cp');
    expect(outcome(cp, session('exec'), q(...cmd('tar', 'xmf', '-', '-C', '/tmp')))).toBe('deny no-cp');
  });
});

describe('exec containers', () => {
  const policy = policyOf([
    '  - id: debug-containers',
    '    effect: deny',
    '    match: { resources: [pods], subresources: [exec, attach], exec: { containers: ["debug*"] } }',
    '  - id: default-container',
    '    effect: approve',
    '    match: { resources: [pods], subresources: [exec], exec: { containers: [""] } }',
    '',
  ].join('\n'));

  it.each([
    ['denies an exec into a container named debug-1', session('exec'), q(['container', 'debug-1'], ...cmd('sh')), 'deny debug-containers'],
    ['denies an attach to a debug container', session('attach'), q(['container', 'debugger']), 'deny debug-containers'],
    ['allows an exec into another container', session('exec'), q(['container', 'app'], ...cmd('sh')), 'allow default'],
    ['reads a request naming no container as "" (the server picks the default container)', session('exec'), q(...cmd('sh')), 'approve default-container'],
    ['reads container= (empty) as naming none', session('exec'), q(['container', ''], ...cmd('sh')), 'approve default-container'],
    ['takes the first container value, as the server does', session('exec'), q(['container', 'app'], ['container', 'debug-1']), 'allow default'],
    ['does not match a debug container glob on its middle', session('exec'), q(['container', 'app-debug']), 'allow default'],
  ])('%s', (_name, request, query, expected) => {
    expect(outcome(policy, request, query)).toBe(expected);
  });
});

describe('exec tty and stdin, as the server reads booleans', () => {
  const policy = policyOf([
    '  - id: interactive-shells',
    '    effect: approve',
    '    match: { subresources: [exec, attach], exec: { tty: true, stdin: true } }',
    '  - id: batch-without-tty',
    '    effect: deny',
    '    match: { subresources: [exec], exec: { tty: false, commands: ["*drop*"] } }',
    '',
  ].join('\n'));

  it.each([
    ['tty=true&stdin=true', 'approve interactive-shells'],
    ['tty=&stdin= (empty is true)', 'approve interactive-shells'],
    ['tty=1&stdin=1', 'approve interactive-shells'],
    ['tty=yes&stdin=on (anything but 0 and false is true)', 'approve interactive-shells'],
    ['tty=TRUE&stdin=True', 'approve interactive-shells'],
    ['tty=true&tty=false&stdin=true (the first value counts)', 'approve interactive-shells'],
    ['tty=false&stdin=true', 'allow default'],
    ['tty=FALSE&stdin=true (false in any case)', 'allow default'],
    ['tty=0&stdin=true', 'allow default'],
    ['stdin=true (tty absent is false)', 'allow default'],
    ['tty=true (stdin absent is false)', 'allow default'],
  ])('reads %s', (query, expected) => {
    expect(outcome(policy, session('exec'), query.split(' ')[0])).toBe(expected);
  });

  it.each([
    ['absent', q(...cmd('psql', '-c', 'drop table x'))],
    ['tty=0', q(['tty', '0'], ...cmd('psql', '-c', 'drop table x'))],
    ['tty=false', q(['tty', 'false'], ...cmd('psql', '-c', 'drop table x'))],
  ])('matches tty: false when tty is %s', (_name, query) => {
    expect(outcome(policy, session('exec'), query)).toBe('deny batch-without-tty');
  });

  it('does not match tty: false when tty= is given empty (the server reads it as true)', () => {
    expect(outcome(policy, session('exec'), `tty=&${q(...cmd('psql', '-c', 'drop table x'))}`)).toBe('allow default');
  });

  it('matches an attach by tty and stdin', () => {
    expect(outcome(policy, session('attach'), 'stdin=true&tty=true')).toBe('approve interactive-shells');
  });
});

describe('create rules on pods/exec, attach and portforward catch the WebSocket GET', () => {
  const policy = policyOf([
    '  - id: no-exec-create',
    '    effect: deny',
    '    match: { verbs: [create], resources: [pods], subresources: [exec, attach, portforward] }',
    '  - id: get-exec',
    '    effect: approve',
    '    match: { verbs: [get], resources: [pods], subresources: [exec] }',
    '  - id: no-create-pods-proxy',
    '    effect: deny',
    '    match: { verbs: [create], resources: [pods], subresources: [proxy] }',
    '',
  ].join('\n'));

  it.each([
    ['denies a WebSocket exec (GET) by a create rule', session('exec'), 'deny no-exec-create'],
    ['denies a WebSocket attach (GET) by a create rule', session('attach'), 'deny no-exec-create'],
    ['denies a WebSocket port-forward (GET) by a create rule', session('portforward'), 'deny no-exec-create'],
    ['denies the SPDY exec (POST, create)', session('exec', 'prod', 'create'), 'deny no-exec-create'],
    ['does not count a GET of pods/proxy as create (it is a read)', resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web', subresource: 'proxy' }), 'allow default'],
    ['does not count a GET of pods/log as create', resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web', subresource: 'log' }), 'allow default'],
    ['does not count a GET of a pod as create', resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web' }), 'allow default'],
    ['does not count a GET of another group\'s pods/exec as create (only the get rule holds)', resourceRequest({ verb: 'get', resource: 'pods', apiGroup: 'metrics.k8s.io', namespace: 'prod', name: 'web', subresource: 'exec' }), 'approve get-exec'],
  ])('%s', (_name, request, expected) => {
    expect(outcome(policy, request)).toBe(expected);
  });

  it('lists a rule that names get and create once for a WebSocket exec', () => {
    const both = policyOf('  - id: both\n    effect: approve\n    match: { verbs: [get, create], resources: [pods], subresources: [exec] }\n');
    expect(decide(both, session('exec')).matchedRuleIds).toEqual(['both']);
  });

  it('still matches get rules for the GET, and lists both in the record', () => {
    expect(decide(policy, session('exec')).matchedRuleIds).toEqual(['no-exec-create', 'get-exec']);
  });

  it('does not let a get rule catch the SPDY POST (as RBAC: the POST needs create only)', () => {
    expect(decide(policy, session('exec', 'prod', 'create')).matchedRuleIds).toEqual(['no-exec-create']);
  });

  it('finds a create rule without resources (every create in prod) for the GET', () => {
    const writes = policyOf('  - id: prod-writes\n    effect: approve\n    match: { verbs: [create, update, patch, delete], namespaces: [prod] }\n');
    expect(outcome(writes, session('exec'))).toBe('approve prod-writes');
    expect(outcome(writes, resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web' }))).toBe('allow default');
  });

  it('finds the create rule among many indexed rules (rule index)', () => {
    const filler = Array.from({ length: 50 }, (_, i) => `  - id: filler-${i}\n    effect: allow\n    match: { verbs: [get], resources: [configmaps], names: [c${i}] }\n`).join('');
    const big = policyOf(`${filler}  - id: late-deny\n    effect: deny\n    match: { verbs: [create], resources: [pods], subresources: [exec] }\n`);
    expect(outcome(big, session('exec'))).toBe('deny late-deny');
    expect(outcome(big, session('exec'))).toBe('deny late-deny');
    expect(outcome(big, resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web' }))).toBe('allow default');
  });

  it('makes the proxy read the namespace for a create rule on labels when the exec is a GET', () => {
    const labelled = policyOf('  - id: prod-exec\n    effect: approve\n    match: { verbs: [create], subresources: [exec], namespaceLabels: { environment: production } }\n');
    expect(policyNeeds(labelled, input(session('exec', 'shop')))).toEqual({ liveObject: false, namespace: true });
    expect(outcome(labelled, session('exec', 'shop'))).toBe('allow default');
    expect(decide(labelled, session('exec', 'shop')).effect).toBe('allow');
    expect(evaluatePolicy(labelled, input(session('exec', 'shop'), { namespaceLabels: { environment: 'production' } })).effect).toBe('approve');
  });
});

describe('port-forward ports', () => {
  const policy = policyOf([
    '  - id: no-ssh',
    '    effect: deny',
    '    match: { resources: [pods], subresources: [portforward], ports: [22] }',
    '  - id: databases-and-apps',
    '    effect: allow',
    '    match: { resources: [pods], subresources: [portforward], ports: [5432, "8000-8999"] }',
    '',
  ].join('\n'), '{ "*": deny }');

  it.each([
    ['allows a listed port', 'ports=5432', 'allow databases-and-apps'],
    ['allows a port inside a range', 'ports=8443', 'allow databases-and-apps'],
    ['allows the low end of a range', 'ports=8000', 'allow databases-and-apps'],
    ['allows the high end of a range', 'ports=8999', 'allow databases-and-apps'],
    ['does not allow the port past a range', 'ports=9000', 'deny default'],
    ['denies port 22', 'ports=22', 'deny no-ssh'],
    ['reads a port with leading zeros as the kubelet does', 'ports=05432', 'allow databases-and-apps'],
    ['allows two listed ports in the legacy comma form', 'ports=5432,8080', 'allow databases-and-apps'],
    ['allows two listed ports given as repeated values', 'ports=5432&ports=8080', 'allow databases-and-apps'],
    ['denies a comma list that includes 22', 'ports=5432,22', 'deny no-ssh'],
    ['denies a repeated list that includes 22', 'ports=5432&ports=22', 'deny no-ssh'],
    ['does not let a listed port carry an unlisted one along', 'ports=5432,9090', 'deny default'],
    ['judges the port the front adds to a query that named another', 'ports=5432&ports=9090', 'deny default'],
    ['lets the tunnel open when no port is named yet (some port would be allowed)', '', 'allow databases-and-apps'],
    ['reads ports the kubelet would refuse as naming none', 'ports=0&ports=70000&ports=ssh', 'allow databases-and-apps'],
  ])('%s (%s)', (_name, query, expected) => {
    expect(outcome(policy, session('portforward'), query)).toBe(expected);
  });

  it('asks again per connection: the opening is allowed, then each port is decided', () => {
    expect(outcome(policy, session('portforward'), '')).toBe('allow databases-and-apps');
    expect(outcome(policy, session('portforward'), 'ports=5432')).toBe('allow databases-and-apps');
    expect(outcome(policy, session('portforward'), 'ports=22')).toBe('deny no-ssh');
  });

  it('lists every rule any port matched when a request names several', () => {
    expect(decide(policy, session('portforward'), 'ports=5432,22').matchedRuleIds).toEqual(['no-ssh', 'databases-and-apps']);
  });

  it('does not deny or hold the opening of a tunnel by a port rule (the port is not known yet)', () => {
    const open = policyOf([
      '  - id: no-ssh',
      '    effect: deny',
      '    match: { subresources: [portforward], ports: [22] }',
      '  - id: db-needs-approval',
      '    effect: approve',
      '    match: { subresources: [portforward], ports: [5432] }',
      '',
    ].join('\n'));
    expect(outcome(open, session('portforward'), '')).toBe('allow default');
    expect(outcome(open, session('portforward'), 'ports=5432')).toBe('approve db-needs-approval');
    expect(outcome(open, session('portforward'), 'ports=22')).toBe('deny no-ssh');
  });

  it('keeps the tunnel shut when no port may be used', () => {
    const none = policyOf('  - id: no-ports\n    effect: deny\n    match: { subresources: [portforward], ports: ["1-65535"] }\n');
    expect(outcome(none, session('portforward'), '')).toBe('deny no-ports');
  });

  it('holds the opening for approval when approval is the most any port gets', () => {
    const held = policyOf('  - id: db-needs-approval\n    effect: approve\n    match: { subresources: [portforward], ports: [5432] }\n', '{ "*": deny }');
    expect(outcome(held, session('portforward'), '')).toBe('approve db-needs-approval');
    expect(outcome(held, session('portforward'), 'ports=5432')).toBe('approve db-needs-approval');
    expect(outcome(held, session('portforward'), 'ports=5433')).toBe('deny default');
  });

  it('decides the opening as the most permissive port, listing only that decision\'s rules', () => {
    expect(decide(policy, session('portforward'), '').matchedRuleIds).toEqual(['databases-and-apps']);
  });

  it('lets an except on ports lift a deny only for the ports it lists', () => {
    const only = policyOf([
      '  - id: only-postgres',
      '    effect: deny',
      '    match: { resources: [pods], subresources: [portforward] }',
      '    except: { ports: [5432] }',
      '',
    ].join('\n'));
    expect(outcome(only, session('portforward'), '')).toBe('allow default');
    expect(outcome(only, session('portforward'), 'ports=5432')).toBe('allow default');
    expect(outcome(only, session('portforward'), 'ports=6379')).toBe('deny only-postgres');
    expect(outcome(only, session('portforward'), 'ports=5432,6379')).toBe('deny only-postgres');
  });

  it('does not let an except on ports of an allow rule keep the tunnel shut', () => {
    const most = policyOf([
      '  - id: most-ports',
      '    effect: allow',
      '    match: { resources: [pods], subresources: [portforward] }',
      '    except: { ports: ["1-1023"] }',
      '',
    ].join('\n'), '{ "*": deny }');
    expect(outcome(most, session('portforward'), '')).toBe('allow most-ports');
    expect(outcome(most, session('portforward'), 'ports=8080')).toBe('allow most-ports');
    expect(outcome(most, session('portforward'), 'ports=22')).toBe('deny default');
  });

  it('does not apply a ports rule to an exec', () => {
    expect(outcome(policy, session('exec'), 'ports=5432')).toBe('deny default');
  });

  it('catches the SPDY port-forward (POST) as well', () => {
    expect(outcome(policy, session('portforward', 'prod', 'create'), 'ports=22')).toBe('deny no-ssh');
  });

  it.each([
    [[], [1]],
    [[[22, 22]], [1, 22, 23]],
    [[[5432, 5432], [8000, 8999]], [1, 5432, 5433, 8000, 9000]],
    [[[1, 65535]], [1]],
    [[[1, 1023], [1000, 2000]], [1, 1000, 1024, 2001]],
  ] as [[number, number][], number[]][])('splits the ports into stretches no condition tells apart (%j)', (ranges, expected) => {
    expect(representativePorts([{ ranges, holds: () => undefined }])).toEqual(expected);
  });

  it.each([
    ['8080', [8080]],
    ['8080,9090', [8080, 9090]],
    ['8080&ports=9090,22', [8080, 9090, 22]],
    ['8080,8080', [8080]],
    ['+80,-1,8080,', [8080]],
    ['65535,65536,00080', [65535, 80]],
  ])('reads ports=%s as the kubelet does', (value, expected) => {
    expect(portsOfQuery(new URLSearchParams(`ports=${value}`))).toEqual(expected);
  });
});

describe('session conditions survive the trip to the Lambda and into policy test', () => {
  const text = [
    '  - id: no-rm',
    '    effect: deny',
    '    match: { resources: [pods], subresources: [exec], exec: { commands: ["rm *"], containers: ["app"], tty: false, stdin: false } }',
    '  - id: ports',
    '    effect: deny',
    '    match: { resources: [pods], subresources: [portforward], ports: ["22", "6000-6010", 3306] }',
    '',
  ].join('\n');

  it('keeps ports as numbers and ranges in the serialized policy', () => {
    const policy = policyOf(text);
    expect(policy.document.rules[1].match.ports).toEqual([22, '6000-6010', 3306]);
    const lambda = compilePolicy([{ source: 'GATEHOUSE_POLICY', text: serializePolicy(policy) }]);
    expect(outcome(lambda, session('portforward'), 'ports=6005')).toBe('deny ports');
    expect(outcome(lambda, session('exec'), q(['container', 'app'], ...cmd('rm', '-f', 'x')))).toBe('deny no-rm');
  });

  it('replays recorded exec requests with their query', () => {
    const policy = policyOf(text);
    const base = { identity: identity(), connection: 'staging', body: { state: 'none' } as const };
    const results = replayDecisions(policy, [
      { ...base, requestId: 'a', request: session('exec'), query: q(['container', 'app'], ...cmd('rm', '-f', 'x')), recordedDecision: 'allow' },
      { ...base, requestId: 'b', request: session('exec'), query: q(['container', 'app'], ...cmd('ls')), recordedDecision: 'allow' },
      { ...base, requestId: 'c', request: session('portforward'), query: 'ports=22', recordedDecision: 'allow' },
    ]);
    expect(results.map((r) => [r.requestId, r.after.effect, r.changed])).toEqual([['a', 'deny', true], ['b', 'allow', false], ['c', 'deny', true]]);
  });
});

describe('validation of exec and ports', () => {
  const rule = (match: string, except = '') => `${header}rules:\n  - id: r1\n    effect: deny\n    match: ${match}\n${except}`;
  const at = (rest: string) => `team-a.yaml:4: rule "r1": ${rest}`;
  const knownMatch = 'known keys: agents, issuers, groups, connections, verbs, apiGroups, resources, subresources, namespaces, names, nonResourceURLs, claims, namespaceLabels, body, cel, exec, ports, aws';

  it.each([
    ['commands straight under match', '{ commands: [sh] }', [at(`match.commands: unknown key ("commands" belongs under match.exec:); ${knownMatch}`)]],
    ['a misspelt container under match', '{ container: [app] }', [at(`match.container: unknown key ("containers" belongs under match.exec:); ${knownMatch}`)]],
    ['port for ports', '{ port: [22] }', [at(`match.port: unknown key (did you mean "ports"?); ${knownMatch}`)]],
    ['command for commands', '{ exec: { command: [sh] } }', [at('match.exec.command: unknown key (did you mean "commands"?); known keys: commands, containers, tty, stdin')]],
    ['ports under exec', '{ exec: { ports: [22] } }', [at('match.exec.ports: unknown key ("ports" belongs under match:, beside exec); known keys: commands, containers, tty, stdin')]],
    ['an empty exec', '{ exec: {} }', [at('match.exec: must be a mapping with at least one of commands, containers, tty, stdin (e.g. { commands: ["sh", "bash *"] })')]],
    ['an exec that is a list', '{ exec: [sh] }', [at('match.exec: must be a mapping with at least one of commands, containers, tty, stdin (e.g. { commands: ["sh", "bash *"] })')]],
    ['a quoted tty', '{ exec: { tty: "true" } }', [at('match.exec.tty: must be true or false (unquoted); leave it out to match either')]],
    ['stdin as a number', '{ exec: { stdin: 1 } }', [at('match.exec.stdin: must be true or false; leave it out to match either')]],
    ['an empty command', '{ exec: { commands: ["", " "] } }', [at('match.exec.commands[0]: an empty command matches nothing (the server refuses an exec without one)'), at('match.exec.commands[1]: an empty command matches nothing (the server refuses an exec without one)')]],
    ['a double star in a command', '{ exec: { commands: ["rm **"] } }', [at('match.exec.commands[0]: bad glob "rm **": use a single * (it already matches any run of characters)')]],
    ['an empty commands list', '{ exec: { commands: [] } }', [at('match.exec.commands: an empty list matches nothing; leave the key out to match anything')]],
    ['a command that is a number', '{ exec: { commands: [7] } }', [at('match.exec.commands[0]: must be text (quote it: "7")')]],
    ['a container in capitals', '{ exec: { containers: [Debug] } }', [at('match.exec.containers[0]: "Debug": container names are lower-case')]],
    ['a container with an underscore', '{ exec: { containers: [a_b] } }', [at('match.exec.containers[0]: "a_b" is not a container name or glob ([a-z0-9-]; "" for a request naming none)')]],
    ['exec on a subresource that has no session', '{ subresources: [log], exec: { tty: true } }', [at('match.exec: applies only to exec and attach requests; subresources: [log] has neither')]],
    ['commands for attach only', '{ subresources: [attach], exec: { commands: [sh] } }', [at('match.exec.commands: applies only to exec (attach runs no command); add exec to subresources or drop commands')]],
    ['commands for exec and attach', '{ subresources: [exec, attach], exec: { commands: [sh] } }', [at('match.exec.commands: never matches attach, which runs no command; write attach in a rule of its own')]],
    ['ports without portforward', '{ subresources: [exec], ports: [22] }', [at('match.ports: applies only to port-forward requests; subresources: [exec] has no portforward')]],
    ['ports for the pod itself', '{ subresources: [""], ports: [22] }', [at('match.ports: applies only to port-forward requests; subresources: [""] has no portforward')]],
    ['exec and ports together', '{ exec: { tty: true }, ports: [22] }', [at('match: exec and ports cannot both hold: a request is an exec/attach or a port-forward; write two rules')]],
    ['exec on deployments', '{ resources: [deployments], exec: { tty: true } }', [at('match: exec can never match: only pods have exec, attach and portforward (resources: [deployments])')]],
    ['ports for delete', '{ verbs: [delete], ports: [22] }', [at('match.verbs: exec, attach and port-forward requests are get (WebSocket) or create (SPDY); verbs: [delete] never match them')]],
    ['ports with non-resource URLs', '{ nonResourceURLs: [/healthz], ports: [22] }', [at('match: nonResourceURLs cannot be combined with ports (those apply to resource requests only)')]],
    ['port 0 and 70000', '{ ports: [0, 70000] }', [at('match.ports[0]: 0 is not a port (1-65535)'), at('match.ports[1]: 70000 is not a port (1-65535)')]],
    ['a fractional port', '{ ports: 80.5 }', [at('match.ports: 80.5 is not a port (1-65535)')]],
    ['a backwards range', '{ ports: ["9000-8000"] }', [at('match.ports[0]: "9000-8000": the range runs backwards (write "8000-9000")')]],
    ['a range past 65535', '{ ports: ["60000-70000"] }', [at('match.ports[0]: "60000-70000": ports are 1-65535')]],
    ['a comma list in one entry', '{ ports: ["80,443"] }', [at('match.ports[0]: "80,443": list the ports apart ([80, 443])')]],
    ['a glob', '{ ports: ["80*"] }', [at('match.ports[0]: "80*": ports take no globs; write a range ("1-65535" for any)')]],
    ['a port name', '{ ports: [http] }', [at('match.ports[0]: "http" is not a port or range (e.g. 5432 or "8000-8999")')]],
    ['a boolean', '{ ports: [true] }', [at('match.ports[0]: must be a port (5432) or a range ("8000-8999")')]],
    ['an empty ports list', '{ ports: [] }', [at('match.ports: an empty list matches nothing; leave the key out to match any port')]],
  ])('reports %s', (_name, match, expected) => {
    expect(problemsOf(rule(match))).toEqual(expected);
  });

  it('checks exec and ports in except blocks too', () => {
    expect(problemsOf(rule('{ subresources: [exec, portforward] }', '    except: [{ exec: { tty: maybe } }, { ports: ["0-10"] }]\n'))).toEqual([
      at('except[0].exec.tty: must be true or false (unquoted); leave it out to match either'),
      at('except[1].ports[0]: "0-10": ports are 1-65535'),
    ]);
  });

  it.each([
    ['exec without subresources', '{ exec: { commands: ["sh"] } }'],
    ['exec with a subresource glob', '{ subresources: ["*"], exec: { commands: ["sh"] } }'],
    ['ports with a resource glob', '{ resources: ["pod*"], ports: [22, "1-1023"] }'],
    ['ports as numeric text', '{ subresources: [portforward], ports: ["22"] }'],
    ['exec for get and create', '{ verbs: [get, create], resources: [pods], subresources: [exec], exec: { containers: [""], tty: false } }'],
  ])('accepts %s', (_name, match) => {
    expect(problemsOf(rule(match))).toEqual([]);
  });

  it('lets a rule on pods with exec match exec without listing subresources', () => {
    const policy = policyFrom(`${header}defaults: { "*": allow }\nrules:\n  - id: r1\n    effect: deny\n    match: { resources: [pods], exec: { commands: ["sh"] } }\n`);
    expect(outcome(policy, session('exec'), q(...cmd('sh')))).toBe('deny r1');
    expect(outcome(policy, resourceRequest({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'web' }), q(...cmd('sh')))).toBe('allow default');
  });
});

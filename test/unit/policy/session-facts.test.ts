import type { RequestInfo } from '../../../lambdas/core/request-info';
import {
  compileExecCondition, compilePortsCondition, isSessionUpgradeGet, normalizeCommand, portsOfQuery, sessionFactsOf, type SessionFacts,
} from '../../../lambdas/core/policy/session-match';
import type { PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity } from './policy-test-support';

const request = (over: Partial<RequestInfo>): RequestInfo => ({
  isResourceRequest: true, path: '/api/v1/namespaces/a/pods/p/exec', verb: 'get', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1',
  namespace: 'a', resource: 'pods', subresource: 'exec', name: 'p', parts: [], ...over,
});
const facts = (over: Partial<SessionFacts>): SessionFacts => ({ subresource: 'exec', command: '', container: '', tty: false, stdin: false, ports: [], ...over });

describe('which GETs are session upgrades (authorized as create too)', () => {
  it.each<[string, Partial<RequestInfo>, boolean]>([
    ['a WebSocket GET of pods/exec', {}, true],
    ['a GET of pods/portforward', { subresource: 'portforward' }, true],
    ['a POST (SPDY) of pods/exec', { verb: 'create' }, false],
    ['a GET of a CRD called pods in another group', { apiGroup: 'example.com' }, false],
    ['a GET of services/exec', { resource: 'services' }, false],
    ['a GET of pods/log', { subresource: 'log' }, false],
    ['a non-resource request whose path looks like one', { isResourceRequest: false }, false],
  ])('%s: %s', (_label, over, expected) => {
    expect(isSessionUpgradeGet(request(over))).toBe(expected);
  });
});

describe('portsOfQuery reads ports as the kubelet does', () => {
  it.each<[string, number[]]>([
    ['ports=8080&ports=9090', [8080, 9090]],
    ['ports=8080,9090', [8080, 9090]],
    ['ports=08080', [8080]],
    ['ports=000000080', [80]],
    ['ports=0', []],
    ['ports=65536', []],
    ['ports=80x', []],
    ['ports=123456', []],
    ['ports=1a2', []],
    ['ports=80,80', [80]],
    ['ports=%2B80', []],
  ])('%s gives %j', (query, ports) => {
    expect(portsOfQuery(new URLSearchParams(query))).toEqual(ports);
  });
});

describe('normalizeCommand', () => {
  it.each([
    ['sh  -c\t"ls"\n', 'sh -c "ls"'],
    ['a\vb\fc\rd', 'a b c d'],
    ['  rm   -rf  / ', 'rm -rf /'],
  ])('reads %j as %j', (text, expected) => {
    expect(normalizeCommand(text)).toBe(expected);
  });
});

describe('session facts of an input', () => {
  it('reads the command, container and flags from the query, and no subresource for a non-resource request', () => {
    const input: PolicyInput = { identity: identity(), connection: 'c', body: { state: 'none' }, request: request({}), query: 'command=sh&command=-c&command=id&container=app&tty=1&stdin=true' };
    expect(sessionFactsOf(input)).toMatchObject({ subresource: 'exec', command: 'sh -c id', container: 'app', tty: true, stdin: true });
    const bare: PolicyInput = { identity: identity(), connection: 'c', body: { state: 'none' }, request: request({ isResourceRequest: false }) };
    expect(sessionFactsOf(bare)).toMatchObject({ subresource: '', command: '', container: '', tty: false, stdin: false, ports: [] });
  });
});

describe('exec and ports conditions', () => {
  it('holds an exec condition only on exec and attach, and a commands condition only on exec', () => {
    const any = compileExecCondition({ tty: false });
    const commands = compileExecCondition({ commands: ['sh *'] });
    expect(any(facts({ subresource: 'exec' }))).toBe(true);
    expect(any(facts({ subresource: 'attach' }))).toBe(true);
    expect(any(facts({ subresource: 'portforward' }))).toBe(false);
    expect(commands(facts({ subresource: 'exec', command: 'sh -c id' }))).toBe(true);
    expect(commands(facts({ subresource: 'attach', command: 'sh -c id' }))).toBe(false);
  });

  it('ignores a port entry it cannot read and holds only on port-forwards', () => {
    const condition = compilePortsCondition(['not-a-port' as unknown as number, 5432]);
    expect(condition.ranges).toEqual([[5432, 5432]]);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [5432] }))).toBe(true);
    expect(condition.holds(facts({ subresource: 'exec', ports: [5432] }))).toBe(false);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [] }))).toBeUndefined();
  });

  it('reads ranges and single ports written as text, and holds when any requested port is listed', () => {
    const condition = compilePortsCondition(['8000-8100', '22', 443]);
    expect(condition.ranges).toEqual([[8000, 8100], [22, 22], [443, 443]]);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [8000] }))).toBe(true);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [8100] }))).toBe(true);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [7999] }))).toBe(false);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [8101] }))).toBe(false);
    expect(condition.holds(facts({ subresource: 'portforward', ports: [9999, 22] }))).toBe(true);
  });

  it.each(['9000-8000', '0-10', '65000-70000', '0', '70000', '1.5'])('never matches with the unreadable port entry %s', (entry) => {
    expect(compilePortsCondition([entry]).ranges).toEqual([]);
  });
});

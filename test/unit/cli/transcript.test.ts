import type { ReplayBlob } from '../../../lambdas/core/session-record';
import { commandLine, entryJson, headerLine, renderBody, renderEntry } from '../../../cli/transcript';
import type { ReplayEntry, RequestRecord } from '../../../cli/types';

const record = (overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  pk: 'req#r1', requestId: 'r1', startedAt: '2026-11-22T10:00:01.123Z', issuer: 'demo', agent: 'demo-agent', session: 'demo-agent/run-1', connection: 'demo',
  method: 'GET', path: '/api/v1/namespaces/prod/pods', query: 'limit=500', verb: 'list', apiGroup: '', apiVersion: 'v1', resource: 'pods', namespace: 'prod',
  summary: 'list pods in namespace prod', decision: 'allow', ruleId: 'default', outcome: 'forwarded', status: 200, latencyMs: 12, kubectlCommand: 'kubectl get',
  phase: 'complete', replayKey: 'replay/2026/11/22/r1.json', replaySha256: 'abc', ...overrides,
});

const blob = (body: unknown, contentType = 'application/json', requestBody?: string): ReplayBlob => ({
  version: 1, requestId: 'r1', startedAt: '2026-11-22T10:00:01.123Z', agent: 'demo-agent', session: 'demo-agent/run-1', connection: 'demo',
  request: { method: 'GET', path: '/api/v1/namespaces/prod/pods', query: 'limit=500', headers: { 'content-type': 'application/json' }, ...(requestBody ? { body: { encoding: 'utf8', data: requestBody } } : {}) },
  response: { status: 200, headers: { 'content-type': contentType }, body: { encoding: 'utf8', data: typeof body === 'string' ? body : JSON.stringify(body) } },
});

const podTable = {
  kind: 'Table', apiVersion: 'meta.k8s.io/v1',
  columnDefinitions: [{ name: 'Name', priority: 0 }, { name: 'Ready', priority: 0 }, { name: 'Status', priority: 0 }, { name: 'IP', priority: 1 }, { name: 'Nominated Node', priority: 0 }],
  rows: [
    { cells: ['api-7d9f', '1/1', 'Running', '10.0.0.1', null], object: { metadata: { namespace: 'prod' } } },
    { cells: ['worker-0', '0/1', 'Pending', '10.0.0.2', null], object: { metadata: { namespace: 'staging' } } },
  ],
};

describe('commandLine', () => {
  it.each<[string, Partial<RequestRecord>, string]>([
    ['a namespaced list', {}, 'kubectl get pods -n prod'],
    ['a list across namespaces', { path: '/api/v1/pods', namespace: undefined, summary: 'list pods in all namespaces' }, 'kubectl get pods -A'],
    ['a named object in a group', { verb: 'get', apiGroup: 'apps', resource: 'deployments', name: 'api' }, 'kubectl get deployments/api -n prod'],
    ['a custom resource', { verb: 'list', apiGroup: 'example.com', resource: 'widgets', namespace: undefined, summary: 'list widgets.example.com' }, 'kubectl get widgets.example.com'],
    ['a delete', { method: 'DELETE', verb: 'delete', name: 'api-7d9f' }, 'kubectl delete pods/api-7d9f -n prod'],
    ['a patch', { method: 'PATCH', verb: 'patch', apiGroup: 'apps', resource: 'deployments', name: 'api' }, 'kubectl patch deployments/api -n prod'],
    ['container logs', { verb: 'get', name: 'api-7d9f', subresource: 'log' }, 'kubectl logs api-7d9f -n prod'],
    ['a status subresource', { verb: 'get', name: 'api-7d9f', subresource: 'status' }, 'kubectl get pods/api-7d9f --subresource=status -n prod'],
    ['a namespace object', { path: '/api/v1/namespaces/prod', verb: 'get', resource: 'namespaces', name: 'prod', namespace: 'prod' }, 'kubectl get namespaces/prod'],
    ['discovery', { path: '/apis', query: '', resource: undefined, verb: 'get' }, 'kubectl get --raw /apis'],
    ['a raw path with a query', { path: '/openapi/v3', query: 'timeout=32s', resource: undefined }, "kubectl get --raw '/openapi/v3?timeout=32s'"],
  ])('renders %s', (_case, overrides, expected) => {
    expect(commandLine(record(overrides))).toBe(expected);
  });
});

describe('headerLine', () => {
  it('reads like a terminal line with who, when, decision, status and time', () => {
    expect(headerLine(record())).toBe('$ kubectl get pods -n prod   # agent demo-agent, 2026-11-22T10:00:01Z, allowed (rule default), 200 OK, 12 ms');
  });

  it('says how many values were masked, and when policy unmasked secrets', () => {
    expect(headerLine(record({ maskedCounts: { secretData: 2 } }))).toMatch(/, 2 masked$/);
    expect(headerLine(record({ unmasked: true }))).toMatch(/, UNMASKED$/);
  });

  it('marks requests still in flight', () => {
    expect(headerLine(record({ outcome: 'pending', status: undefined, latencyMs: undefined }))).toMatch(/allowed \(rule default\), in flight$/);
  });
});

describe('renderEntry', () => {
  it('prints a Table the way kubectl get does, without wide columns', () => {
    const text = renderEntry({ record: record(), integrity: 'ok', blob: blob(podTable) });

    expect(text.split('\n')).toEqual([
      '$ kubectl get pods -n prod   # agent demo-agent, 2026-11-22T10:00:01Z, allowed (rule default), 200 OK, 12 ms',
      '> GET /api/v1/namespaces/prod/pods?limit=500   (kubectl get, request r1)',
      'NAME       READY   STATUS    NOMINATED NODE',
      'api-7d9f   1/1     Running   <none>',
      'worker-0   0/1     Pending   <none>',
      '',
      '',
    ]);
  });

  it('adds the NAMESPACE column for a list across namespaces', () => {
    const allNamespaces = record({ path: '/api/v1/pods', namespace: undefined, summary: 'list pods in all namespaces' });

    const text = renderEntry({ record: allNamespaces, integrity: 'ok', blob: blob(podTable) });

    expect(text).toMatch(/^NAMESPACE   NAME       READY/m);
    expect(text).toMatch(/^staging     worker-0/m);
  });

  it('prints a refusal as kubectl prints a failure Status', () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', message: 'Denied by Gatehouse policy rule "no-deletes": not in prod', code: 403 };
    const denied = record({ method: 'DELETE', verb: 'delete', name: 'api', decision: 'deny', ruleId: 'no-deletes', outcome: 'denied', status: 403 });

    const text = renderEntry({ record: denied, integrity: 'ok', blob: blob(status) });

    expect(text).toContain('denied (rule no-deletes), 403 Forbidden');
    expect(text).toContain('Error from server (Forbidden): Denied by Gatehouse policy rule "no-deletes": not in prod\n');
  });

  it('pretty-prints other JSON and shows the masked request body of writes', () => {
    const write = record({ method: 'PATCH', verb: 'patch', name: 'db', resource: 'secrets' });

    const text = renderEntry({ record: write, integrity: 'ok', blob: blob({ kind: 'Secret', data: { password: '***' } }, 'application/json', '{"data":{"password":"***"}}') });

    expect(text).toContain('> {\n> ');
    expect(text).toContain('  "data": {\n    "password": "***"\n  }');
  });

  it('prints text bodies (logs) as they are and binary bodies as a size', () => {
    expect(renderBody({ encoding: 'utf8', data: 'line one\nline two' }, 'text/plain', record(), true)).toBe('line one\nline two\n');
    expect(renderBody({ encoding: 'base64', data: Buffer.from([0, 1, 2]).toString('base64') }, 'application/vnd.kubernetes.protobuf', record(), true)).toBe('[binary response body, 3 bytes]\n');
  });

  it('cuts long bodies when asked and says how much was left out', () => {
    const text = renderEntry({ record: record(), integrity: 'ok', blob: blob('1\n2\n3\n4\n5', 'text/plain') }, { maxBodyLines: 2 });

    expect(text).toContain('1\n2\n… 3 more lines');
    expect(text).not.toContain('\n4\n');
  });

  it('withholds the body of a blob that fails its integrity check and says so', () => {
    const entry: ReplayEntry = { record: record({ replaySha256: 'expected' }), integrity: 'mismatch', actualSha256: 'actual' };

    const text = renderEntry(entry);

    expect(text).toContain('!! INTEGRITY FAILURE: replay blob replay/2026/11/22/r1.json has SHA-256 actual, the record says expected; body withheld');
    expect(text).not.toContain('NAME');
  });
});

describe('entryJson', () => {
  it('carries the record facts, the integrity result and the blob for machines', () => {
    const json = entryJson({ record: record(), integrity: 'ok', blob: blob('x', 'text/plain') });

    expect(json).toMatchObject({ requestId: 'r1', command: 'kubectl get pods -n prod', decision: 'allow', status: 200, integrity: 'ok', response: { status: 200 } });
  });

  it('reports both hashes of a mismatch and no blob', () => {
    const json = entryJson({ record: record({ replaySha256: 'expected' }), integrity: 'mismatch', actualSha256: 'actual' });

    expect(json).toMatchObject({ integrity: 'mismatch', expectedSha256: 'expected', actualSha256: 'actual' });
    expect(json.response).toBeUndefined();
  });
});

import { stringify } from 'yaml';
import type { ProxyResponse } from '../../../lambdas/core/api-gateway-event';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import { decodeReplayBatch, replayBatchPartition } from '../../../lambdas/core/replay-batch';
import { ForbiddenError } from '../../../lambdas/core/errors';
import { IndexHeads } from '../../../lambdas/core/index-heads';
import type { RequestInfo } from '../../../lambdas/core/request-info';
import type { RecordIntent } from '../../../lambdas/core/session-record';
import type { RequestGuard } from '../../../lambdas/proxy/request-guard';
import { RequestTrail, type TrailDependencies } from '../../../lambdas/proxy/request-trail';
import { request as resourceRequest, secret, table } from '../masking/masking-fixtures';
import { recordAt } from '../../support/record-at';

/**
 * The replay blob is masked whatever the client was allowed to see: a policy rule's `unmaskSecrets`
 * reaches the client's response only, never S3 (nor the record). Ports are in-memory fakes; masking is
 * the real one, as the proxy's guard uses it.
 */
const VALUE = 'correct-horse-battery-staple-42';
const B64 = Buffer.from(VALUE).toString('base64');
const NOW = new Date('2026-11-22T10:00:00Z');

const realMasking: RequestGuard['mask'] = ({ body, contentType, request, unmaskSecrets }) => maskResponse({ body, contentType, request, unmaskSecrets });

function fakes() {
  const blobs: Buffer[] = [];
  const records: Record<string, Record<string, unknown>> = {};
  const metrics: string[] = [];
  const deps: TrailDependencies = {
    records: {
      putIntent: async (item) => { records[item.requestId] = { ...item }; },
      complete: async (key, attrs) => { Object.assign(recordAt(records, key), attrs); },
      putFinal: async (item) => { records[item.requestId] = { ...item }; },
    },
    replay: { put: async (_key, bytes) => { blobs.push(bytes); } },
    guard: { mask: realMasking },
    now: () => NOW,
    log: () => undefined,
    metric: (name) => { metrics.push(name); },
  };
  return { deps, blobs, records, metrics };
}

function intent(request: RequestInfo): RecordIntent {
  return {
    requestId: 'req-1', startedAt: NOW, identity: { issuer: 'ci', agent: 'bot', session: 'bot/1', groups: [], claims: {} }, connection: 'prod',
    method: 'GET', path: request.path, query: '', request, summary: 'get secrets', decision: 'allow', bytesIn: 0, retentionDays: 30,
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const secretList = { kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [secret('db', { password: VALUE }), secret('api', { token: VALUE })] };

describe('RequestTrail: replay blobs are always masked', () => {
  it.each<[string, RequestInfo, string, Buffer]>([
    ['a Secret', resourceRequest('secrets', 'get', { name: 'db' }), 'application/json', json(secret('db', { password: VALUE }))],
    ['a SecretList', resourceRequest('secrets', 'list'), 'application/json', json(secretList)],
    ['a Table of Secrets with their objects', resourceRequest('secrets', 'list'), 'application/json;as=Table;v=v1;g=meta.k8s.io', json(table([secret('db', { password: VALUE })], [['db', 'Opaque']]))],
    ['a Secret in YAML', resourceRequest('secrets', 'get', { name: 'db' }), 'application/yaml', Buffer.from(stringify(secret('db', { password: VALUE })))],
    ['a Secret found by kind in another response', resourceRequest('configmaps', 'list'), 'application/json', json({ kind: 'List', items: [secret('db', { password: VALUE })] })],
  ])('keeps %s out of the blob in clear when policy unmasked it for the client', async (_case, request, contentType, clear) => {
    const f = fakes();
    const trail = new RequestTrail(f.deps, intent(request));
    const response: ProxyResponse = { status: 200, headers: { 'content-type': contentType }, body: clear };

    await trail.completed(response, {}, true);

    expect(f.blobs).toHaveLength(1);
    const blob = f.blobs[0]!.toString();
    expect(blob).not.toContain(B64);
    expect(blob).not.toContain(VALUE);
    expect(JSON.parse(blob).response.body).toBeDefined();
    expect(f.records['req-1']).toMatchObject({ unmasked: true, bytesOut: clear.length });
    expect(JSON.stringify(f.records)).not.toContain(B64);
  });

  it('leaves the body out, saying why, when it cannot be masked with Secrets masked', async () => {
    const f = fakes();
    const trail = new RequestTrail(f.deps, intent(resourceRequest('secrets', 'get', { name: 'db' })));
    const broken = Buffer.from(`{"kind":"Secret","data":{"password":"${B64}"`);

    await trail.completed({ status: 200, headers: { 'content-type': 'application/json' }, body: broken }, {}, true);

    const blob = JSON.parse(f.blobs[0]!.toString());
    expect(JSON.stringify(blob)).not.toContain(B64);
    expect(blob.response.body).toBeUndefined();
    expect(blob.response.bodyOmitted).toMatch(/could not be masked/);
    expect(f.metrics).toContain('replay_body_omitted');
  });

  it('stores the client\'s (already masked) body as it is when nothing was unmasked', async () => {
    const f = fakes();
    const trail = new RequestTrail(f.deps, intent(resourceRequest('pods', 'list')));
    const body = json({ kind: 'PodList', items: [] });

    await trail.completed({ status: 200, headers: { 'content-type': 'application/json' }, body }, {}, false);

    expect(JSON.parse(f.blobs[0]!.toString()).response.body).toEqual({ encoding: 'utf8', data: body.toString() });
  });
});

describe('RequestTrail: what the cluster answered decides the outcome', () => {
  const forbidden = {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, details: { name: 'web', kind: 'pods' },
    message: 'pods "web" is forbidden: User "gatehouse:ci:bot" cannot delete resource "pods" in API group "" in the namespace "prod"',
  };

  it.each<[string, number, string, Buffer, Record<string, unknown>]>([
    ['a 200 is forwarded', 200, 'application/json', json({ kind: 'Pod', metadata: { name: 'web' } }), { outcome: 'forwarded', status: 200, upstreamStatus: 200 }],
    ['a 404 is an answer, forwarded', 404, 'application/json', json({ ...forbidden, reason: 'NotFound', code: 404, message: 'pods "web" not found' }), { outcome: 'forwarded', upstreamStatus: 404 }],
    ['a 403 from RBAC is refused by the cluster, with its reason and message', 403, 'application/json', json(forbidden),
      { outcome: 'refused-by-cluster', status: 403, upstreamStatus: 403, errorReason: 'Forbidden', errorMessage: forbidden.message }],
    ['a 403 from admission (namespace terminating) too', 403, 'application/json', json({ ...forbidden, message: 'pods "web" is forbidden: unable to create new content in namespace prod because it is being terminated' }),
      { outcome: 'refused-by-cluster', errorMessage: 'pods "web" is forbidden: unable to create new content in namespace prod because it is being terminated' }],
    ['a 403 whose body is not a Status is still a refusal', 403, 'text/plain', Buffer.from('Forbidden'), { outcome: 'refused-by-cluster', upstreamStatus: 403 }],
    ['a long message is kept to 1024 characters', 403, 'application/json', json({ ...forbidden, message: 'x'.repeat(5000) }), { outcome: 'refused-by-cluster', errorMessage: 'x'.repeat(1024) }],
  ])('%s', async (_case, status, contentType, body, expected) => {
    // Arrange
    const f = fakes();
    const trail = new RequestTrail(f.deps, intent(resourceRequest('pods', 'delete', { name: 'web' })));
    await trail.writeIntent();
    trail.upstreamAnswered(status, 12);

    // Act
    await trail.completed({ status, headers: { 'content-type': contentType }, body }, {}, false);

    // Assert
    expect(f.records['req-1']).toMatchObject({ phase: 'complete', decision: 'allow', ...expected });
    if (expected.outcome === 'forwarded') expect(f.records['req-1']).not.toHaveProperty('errorReason');
    if (contentType === 'text/plain') expect(f.records['req-1']).not.toHaveProperty('errorMessage');
    expect(f.metrics).toContain(expected.outcome === 'forwarded' ? 'outcome_forwarded' : 'outcome_refused_by_cluster');
    expect(f.metrics).not.toContain('outcome_refused-by-cluster');
  });
});

describe('RequestTrail: replay blobs go in the session\'s batches', () => {
  const podList = json({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: Array.from({ length: 100 }, (_, i) => ({ metadata: { name: `pod-${i}`, namespace: 'prod' } })) });

  function withBatches(send: (line: Buffer) => Promise<void>) {
    const f = fakes();
    const lines: Buffer[] = [];
    const deps: TrailDependencies = { ...f.deps, replayBatches: { send: async (line) => { await send(line); lines.push(line); } } };
    return { ...f, deps, lines };
  }

  it('sends the blob as one line of its session\'s partition instead of an object, and says so on the record', async () => {
    // Arrange
    const f = withBatches(async () => undefined);
    const trail = new RequestTrail(f.deps, intent(resourceRequest('pods', 'list')));
    await trail.writeIntent();

    // Act
    await trail.completed({ status: 200, headers: { 'content-type': 'application/json' }, body: podList }, {}, false);

    // Assert
    expect(f.blobs).toHaveLength(0);
    expect(f.lines).toHaveLength(1);
    const { entries, problems } = decodeReplayBatch(f.lines[0]!);
    expect(problems).toEqual([]);
    const record = f.records['req-1']!;
    expect(record).toMatchObject({ phase: 'complete', replayVia: 'batch' });
    const [copy] = entries.get(String(record.replayKey))!;
    expect(copy!.sha256).toBe(record.replaySha256);
    expect(JSON.parse(f.lines[0]!.toString()).p).toBe(replayBatchPartition(String(record.sessionKey)));
    expect(JSON.parse(copy!.bytes.toString()).response.status).toBe(200);
  });

  it('writes the blob as an object when the delivery stream refuses it, so nothing is lost', async () => {
    // Arrange
    const f = withBatches(async () => { throw Object.assign(new Error('slow down'), { name: 'ServiceUnavailableException' }); });
    const trail = new RequestTrail(f.deps, intent(resourceRequest('pods', 'list')));
    await trail.writeIntent();

    // Act
    await trail.completed({ status: 200, headers: { 'content-type': 'application/json' }, body: podList }, {}, false);

    // Assert: the reader looks at the record's replayKey when the batches do not hold it.
    expect(f.blobs).toHaveLength(1);
    expect(f.metrics).toContain('replay_batch_fallback');
    expect(f.records['req-1']).not.toHaveProperty('replayMissing');
  });

  it('marks the blob missing on the record when neither the stream nor the object store takes it', async () => {
    // Arrange
    const f = withBatches(async () => { throw new Error('down'); });
    const deps: TrailDependencies = { ...f.deps, replay: { put: async () => { throw new Error('down too'); } } };
    const trail = new RequestTrail(deps, intent(resourceRequest('pods', 'list')));
    await trail.writeIntent();

    // Act
    await trail.completed({ status: 200, headers: { 'content-type': 'application/json' }, body: podList }, {}, false);

    // Assert
    expect(f.records['req-1']).toMatchObject({ phase: 'complete', replayMissing: true });
    expect(f.metrics).toEqual(expect.arrayContaining(['replay_batch_fallback', 'replay_write_failed']));
  });
});

describe('RequestTrail: index heads', () => {
  it('gives only the first record of a session on a connection in an hour the by-agent and by-connection keys', async () => {
    // Arrange: one container's heads, three requests of one session.
    const f = fakes();
    const deps: TrailDependencies = { ...f.deps, indexHeads: new IndexHeads() };
    const ids = ['req-a', 'req-b'];

    // Act: two forwarded requests and one refused (recorded once, complete).
    for (const id of ids) await new RequestTrail(deps, { ...intent(resourceRequest('pods', 'list')), requestId: id }).writeIntent();
    await new RequestTrail(deps, { ...intent(resourceRequest('pods', 'list')), requestId: 'req-c' }).refused(new ForbiddenError('no'));

    // Assert
    expect(f.records['req-a']).toMatchObject({ agentKey: 'agent#ci#bot', connectionKey: 'conn#prod', sessionKey: 'session#ci#bot/1' });
    for (const id of ['req-b', 'req-c']) {
      expect(f.records[id]).toMatchObject({ sessionKey: 'session#ci#bot/1' });
      expect(f.records[id]).not.toHaveProperty('agentKey');
    }
  });

  it('makes the next record the head when the head\'s write failed', async () => {
    const f = fakes();
    let fail = true;
    const deps: TrailDependencies = {
      ...f.deps, indexHeads: new IndexHeads(),
      records: { ...f.deps.records, putIntent: async (item) => { if (fail) throw new Error('throttled'); await f.deps.records.putIntent(item); } },
    };
    await expect(new RequestTrail(deps, intent(resourceRequest('pods', 'list'))).writeIntent()).rejects.toThrow();
    fail = false;

    await new RequestTrail(deps, { ...intent(resourceRequest('pods', 'list')), requestId: 'req-2' }).writeIntent();

    expect(f.records['req-2']).toMatchObject({ agentKey: 'agent#ci#bot' });
  });
});

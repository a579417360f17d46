import { createHash } from 'node:crypto';
import { awsCalls, demoToken, kubeconfigFor, kubectl, ownSession, rawRequest, refuseFirehosePuts, replayBlobOf, sessionRecords, unique, withIsolatedGatehouse } from './support/local-gatehouse';

jest.setTimeout(60_000);

const MASKED = '***MASKED***';
const MASKED_B64 = Buffer.from(MASKED).toString('base64');

describe('session records and replay blobs', () => {
  const runId = `records-${Date.now()}`;
  const session = `demo-agent/${runId}`;
  let kubeconfig: string;
  beforeAll(async () => {
    kubeconfig = kubeconfigFor(demoToken({ run_id: runId }));
    expect((await kubectl(kubeconfig, ['get', 'pods', '-n', 'prod'])).code).toBe(0);
    expect((await kubectl(kubeconfig, ['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json'])).code).toBe(0);
  });

  it('records every request of a session in time order with its classification and outcome', async () => {
    const records = await sessionRecords(session);
    const lists = records.filter((r) => r.resource === 'pods' && r.verb === 'list');
    expect(lists[0]).toMatchObject({
      phase: 'complete', outcome: 'forwarded', decision: 'allow', agent: 'demo-agent', issuer: 'demo', connection: 'demo',
      namespace: 'prod', status: 200, upstreamStatus: 200, method: 'GET',
    });
    expect(lists[0]!.latencyMs).toEqual(expect.any(Number));
    expect(lists[0]!.bytesOut).toBeGreaterThan(0);
    expect(lists[0]!.kubectlCommand).toMatch(/kubectl get/);
    const times = records.map((r) => String(r.startedAtId));
    expect(times).toEqual([...times].sort());
  });

  it('stores a replay blob whose hash matches the record and which holds no token', async () => {
    const [record] = (await sessionRecords(session)).filter((r) => r.resource === 'pods');
    const bytes = await replayBlobOf(record!);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record!.replaySha256);
    const blob = JSON.parse(bytes.toString('utf8')) as { request: { method: string; path: string; headers: Record<string, string> }; response: { status: number; body: { data: string } } };
    expect(blob.request).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/prod/pods' });
    expect(blob.response.status).toBe(200);
    expect(JSON.parse(blob.response.body.data)).toMatchObject({ kind: 'Table', rows: expect.any(Array) });
    expect(bytes.toString('utf8')).not.toMatch(/eyJ[\w-]+\.|k8s-aws-v1\.|authorization/i);
  });

  it('makes two DynamoDB writes, one Firehose record, no S3 put and no STS call per request on the warm path', async () => {
    // The counters are per local mode, so this runs on the isolated instance while no other test uses it.
    await withIsolatedGatehouse(async () => {
      const warm = `records-aws-${unique()}`;
      const headers = { authorization: `Bearer ${demoToken({ run_id: warm }, 600, 'isolated')}` };
      const get = () => rawRequest('/k8s/demo/apis/apps/v1/namespaces/staging/deployments/web', { headers, instance: 'isolated' });
      // A request's completion and replay blob are written just after its response has gone out, so each count
      // is read once sessionRecords has seen every record complete and every blob present (the test's own
      // reads go to DynamoDB Local and the S3 server directly, not through the gateway's counted clients).
      const settled = async (count: number) => {
        const records = await sessionRecords(`demo-agent/${warm}`, { instance: 'isolated' });
        expect(records.map((r) => r.phase)).toEqual(Array(count).fill('complete'));
        return awsCalls('isolated');
      };
      expect((await get()).status).toBe(200);
      const before = await settled(1);
      const n = 5;
      for (let i = 0; i < n; i += 1) expect((await get()).status).toBe(200);
      const after = await settled(n + 1);
      expect(after.assumeRoleCalls - before.assumeRoleCalls).toBe(0);
      // Intent put + completion update per request; grants are re-read at most once per 5 s.
      expect(after.dynamodbCalls - before.dynamodbCalls).toBeGreaterThanOrEqual(2 * n);
      expect(after.dynamodbCalls - before.dynamodbCalls).toBeLessThanOrEqual(2 * n + 2);
      expect(after.firehoseCalls - before.firehoseCalls).toBe(n);
      expect(after.s3Calls - before.s3Calls).toBe(0);
      // And those calls were these requests' records and blobs.
      const records = await sessionRecords(`demo-agent/${warm}`, { instance: 'isolated' });
      expect(records).toHaveLength(n + 1);
      expect(records.every((r) => r.phase === 'complete' && r.outcome === 'forwarded' && r.replayVia === 'batch')).toBe(true);
      for (const record of records) expect(createHash('sha256').update(await replayBlobOf(record, 'isolated')).digest('hex')).toBe(record.replaySha256);
    });
  });

  it('keeps every blob while the replay delivery stream refuses them, as objects the reader still finds', async () => {
    await withIsolatedGatehouse(async () => {
      // Arrange: Firehose throttles (the stand-in answers 503 ServiceUnavailableException) for a few requests.
      const run = `records-fallback-${unique()}`;
      const headers = { authorization: `Bearer ${demoToken({ run_id: run }, 600, 'isolated')}` };
      const get = () => rawRequest('/k8s/demo/apis/apps/v1/namespaces/staging/deployments/web', { headers, instance: 'isolated' });
      expect((await get()).status).toBe(200);
      await sessionRecords(`demo-agent/${run}`, { instance: 'isolated' });
      const before = await awsCalls('isolated');
      await refuseFirehosePuts(true);
      try {
        // Act
        for (let i = 0; i < 3; i += 1) expect((await get()).status).toBe(200);
        const records = await sessionRecords(`demo-agent/${run}`, { instance: 'isolated' });

        // Assert: the client never noticed; each blob became an object of its own, intact, and none is marked missing.
        const after = await awsCalls('isolated');
        expect(after.s3Calls - before.s3Calls).toBe(3);
        expect(after.firehoseCalls - before.firehoseCalls).toBeGreaterThanOrEqual(3);
        expect(records).toHaveLength(4);
        for (const record of records) {
          expect(record).toMatchObject({ phase: 'complete', outcome: 'forwarded' });
          expect(record).not.toHaveProperty('replayMissing');
          expect(createHash('sha256').update(await replayBlobOf(record, 'isolated')).digest('hex')).toBe(record.replaySha256);
        }
      } finally {
        await refuseFirehosePuts(false);
      }
    });
  });

  it('keeps the values of a Secret made with kubectl apply out of its replay blobs, masked', async () => {
    // Arrange: a Secret with one value in stringData and one in data; kubectl apply also copies both into
    // its last-applied annotation.
    const own = ownSession('records-secret');
    const name = `e2e-applied-${unique()}`;
    const password = `hunter2-${own.runId}`;
    const token = `t0ken-${own.runId}`;
    const manifest = JSON.stringify({
      apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'prod' }, type: 'Opaque',
      stringData: { password }, data: { token: Buffer.from(token).toString('base64') },
    });
    // Act
    const applied = await kubectl(own.kubeconfig(), ['apply', '-f', '-'], manifest);
    // Assert: it was created with the real values (a rotator-* agent may read them, see approvals-policy.yaml)...
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(new RegExp(`^secret/${name} created`, 'm'));
    const rotator = ownSession('records-secret-read', { agent: `rotator-records-${unique()}` });
    const stored = JSON.parse((await kubectl(rotator.kubeconfig(), ['get', 'secret', name, '-n', 'prod', '-o', 'json'])).stdout) as { data: Record<string, string> };
    expect(stored.data).toEqual({ password: Buffer.from(password).toString('base64'), token: Buffer.from(token).toString('base64') });
    // ...and the create request's blob holds the body with every value masked.
    const records = await sessionRecords(own.session);
    const create = records.find((r) => r.verb === 'create' && r.resource === 'secrets')!;
    expect(create).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/prod/secrets', outcome: 'forwarded', status: 201 });
    const bytes = await replayBlobOf(create);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(create.replaySha256);
    const blob = JSON.parse(bytes.toString('utf8')) as { request: { headers: Record<string, string>; body?: { data: string } }; response: { body?: { data: string } } };
    expect(blob.request.headers['content-type']).toMatch(/^application\/json/);
    const sentBody = JSON.parse(blob.request.body!.data) as { stringData: Record<string, string>; data: Record<string, string>; metadata: { annotations: Record<string, string> } };
    expect(sentBody).toMatchObject({ stringData: { password: MASKED }, data: { token: MASKED_B64 } });
    const lastApplied = JSON.parse(sentBody.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']!) as { stringData: Record<string, string>; data: Record<string, string> };
    expect(lastApplied).toMatchObject({ stringData: { password: MASKED }, data: { token: MASKED_B64 } });
    expect(JSON.parse(blob.response.body!.data)).toMatchObject({ kind: 'Secret', data: { password: MASKED_B64, token: MASKED_B64 } });
    // kubectl create secret sends protobuf, which masking cannot read: refused by rule, and recorded without the value.
    const created = await kubectl(own.kubeconfig(), ['create', 'secret', 'generic', `${name}-pb`, '-n', 'prod', `--from-literal=password=${password}`]);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toMatch(/application\/vnd\.kubernetes\.protobuf.*policy rule "baseline\/no-masked-secret-writeback" must inspect it/);
    const all = await sessionRecords(own.session);
    expect(all.filter((r) => r.verb === 'create')).toEqual([
      expect.objectContaining({ outcome: 'forwarded', status: 201 }),
      expect.objectContaining({ outcome: 'denied', status: 415 }),
    ]);
    // No blob of the session (kubectl's GET first, the create, the refused create) holds a value in any encoding.
    for (const record of all) {
      const text = (await replayBlobOf(record)).toString('utf8');
      for (const value of [password, token]) {
        expect(text).not.toContain(value);
        expect(text).not.toContain(Buffer.from(value).toString('base64'));
      }
    }
  });
});

import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { awsCalls, demoToken, documents, kubeconfigFor, kubectl, rawRequest, s3 } from './support/local-gatehouse';

jest.setTimeout(60_000);

async function sessionRecords(session: string): Promise<Array<Record<string, unknown>>> {
  const out = await documents().send(new QueryCommand({
    TableName: 'gatehouse-records', IndexName: 'by-session', KeyConditionExpression: 'sessionKey = :s',
    ExpressionAttributeValues: { ':s': `session#demo#${session}` },
  }));
  return out.Items ?? [];
}

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
    const object = await s3().send(new GetObjectCommand({ Bucket: 'gatehouse-replay', Key: String(record!.replayKey) }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record!.replaySha256);
    const blob = JSON.parse(bytes.toString('utf8')) as { request: { method: string; path: string; headers: Record<string, string> }; response: { status: number; body: { data: string } } };
    expect(blob.request).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/prod/pods' });
    expect(blob.response.status).toBe(200);
    expect(JSON.parse(blob.response.body.data)).toMatchObject({ kind: 'Table', rows: expect.any(Array) });
    expect(bytes.toString('utf8')).not.toMatch(/eyJ[\w-]+\.|k8s-aws-v1\.|authorization/i);
  });

  it('makes two DynamoDB writes, one S3 put and no STS call per request on the warm path', async () => {
    const headers = { authorization: `Bearer ${demoToken({ run_id: runId })}` };
    await rawRequest('/k8s/demo/apis/apps/v1/namespaces/staging/deployments/web', { headers });
    const before = await awsCalls();
    const n = 5;
    for (let i = 0; i < n; i += 1) expect((await rawRequest('/k8s/demo/apis/apps/v1/namespaces/staging/deployments/web', { headers })).status).toBe(200);
    const after = await awsCalls();
    expect(after.assumeRoleCalls - before.assumeRoleCalls).toBe(0);
    // Intent put + completion update per request; grants are re-read at most once per 5 s.
    expect(after.dynamodbCalls - before.dynamodbCalls).toBeGreaterThanOrEqual(2 * n);
    expect(after.dynamodbCalls - before.dynamodbCalls).toBeLessThanOrEqual(2 * n + 2);
    expect(after.s3Calls - before.s3Calls).toBe(n);
  });
});

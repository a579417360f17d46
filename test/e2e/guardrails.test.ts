import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { demoToken, documents, kubeconfigFor, kubectl, rawRequest, upstreamCount } from './support/local-gatehouse';

jest.setTimeout(60_000);

/** Local mode runs the default policy: the baseline pack, everything else granted allowed. */
describe('guardrails and masking through kubectl', () => {
  const runId = `guardrails-${Date.now()}`;
  let kubeconfig: string;
  beforeAll(() => {
    kubeconfig = kubeconfigFor(demoToken({ run_id: runId }));
  });

  it('masks Secret values in kubectl get secret -o yaml but keeps the keys', async () => {
    const result = await kubectl(kubeconfig, ['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
    expect(result.code).toBe(0);
    const secret = JSON.parse(result.stdout) as { data: Record<string, string> };
    expect(Object.keys(secret.data).length).toBeGreaterThan(0);
    for (const value of Object.values(secret.data)) expect(Buffer.from(value, 'base64').toString()).toBe('***MASKED***');
  });

  it('masks Secret values in a table and in lists', async () => {
    const list = await kubectl(kubeconfig, ['get', 'secrets', '-n', 'prod', '-o', 'yaml']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('KioqTUFTS0VEKioq');
    const direct = await rawRequest('/k8s/demo/api/v1/namespaces/prod/secrets', { headers: { authorization: `Bearer ${demoToken({ run_id: runId })}` } });
    const items = (JSON.parse(direct.body) as { items: Array<{ data?: Record<string, string> }> }).items;
    for (const item of items) for (const value of Object.values(item.data ?? {})) expect(value).toBe('KioqTUFTS0VEKioq');
  });

  it('masks credential-looking values in container logs', async () => {
    const pods = JSON.parse((await kubectl(kubeconfig, ['get', 'pods', '-n', 'prod', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string } }> };
    const logs = await kubectl(kubeconfig, ['logs', pods.items[0]!.metadata.name, '-n', 'prod']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses kubectl delete ns kube-system with the rule message and forwards nothing', async () => {
    const before = await upstreamCount();
    const result = await kubectl(kubeconfig, ['delete', 'namespace', 'kube-system']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Error from server \(Forbidden\): .*baseline\/no-delete-namespaces.*Deleting namespaces is not allowed/);
    expect((await upstreamCount()) - before).toBeLessThanOrEqual(1); // kubectl may GET the namespace first
    const records = await documents().send(new QueryCommand({
      TableName: 'gatehouse-records', IndexName: 'by-session', KeyConditionExpression: 'sessionKey = :s',
      ExpressionAttributeValues: { ':s': `session#demo#demo-agent/${runId}` },
    }));
    expect(records.Items?.find((r) => r.verb === 'delete')).toMatchObject({ decision: 'deny', ruleId: 'baseline/no-delete-namespaces', outcome: 'denied' });
  });

  it('refuses kubectl run --privileged under the baseline pack', async () => {
    const before = await upstreamCount();
    const result = await kubectl(kubeconfig, ['run', 'root-shell', '-n', 'default', '--image=busybox', '--privileged']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/privileged/i);
    const creates = (await upstreamCount()) - before;
    expect(creates).toBe(0);
  });

  it('refuses reading Secrets in kube-system', async () => {
    const result = await kubectl(kubeconfig, ['get', 'secrets', '-n', 'kube-system']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Forbidden/);
  });
});

import { kubectl, ownSession, rawRequest, replayBlobOf, requestIdOf, sessionRecords, sessionUpstreamRequests, upstreamRequestsFor } from './support/local-gatehouse';

jest.setTimeout(60_000);

/** The marker masking puts in place of a Secret value, base64-encoded as Secret `data` holds it. */
const MASKED_B64 = Buffer.from('***MASKED***').toString('base64');
/** prod/db-credentials' password as the simulated cluster stores it: it must never come out. */
const PASSWORD = 'pr0d-Sup3r-S3cret!';
const PASSWORD_B64 = Buffer.from(PASSWORD).toString('base64');
/** The Accept kubectl get sends: a Table, else the object. */
const KUBECTL_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

async function replayTextOf(record: Record<string, unknown>): Promise<string> {
  return (await replayBlobOf(record)).toString('utf8');
}

/**
 * Local mode runs the default policy: the baseline pack, everything else granted allowed. Each test runs in
 * a session of its own and reads only that session's records and cluster requests.
 */
describe('guardrails and masking through kubectl', () => {
  it('masks Secret values in kubectl get secret -o json but keeps the keys', async () => {
    const own = ownSession('guardrails-get');
    const result = await kubectl(own.kubeconfig(), ['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
    expect(result.code).toBe(0);
    const secret = JSON.parse(result.stdout) as { data: Record<string, string> };
    expect(Object.keys(secret.data).sort()).toEqual(['host', 'password', 'username']);
    for (const value of Object.values(secret.data)) expect(Buffer.from(value, 'base64').toString()).toBe('***MASKED***');
  });

  it('masks Secret values in lists', async () => {
    const own = ownSession('guardrails-list');
    const list = await kubectl(own.kubeconfig(), ['get', 'secrets', '-n', 'prod', '-o', 'yaml']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(MASKED_B64);
    expect(list.stdout).not.toContain(PASSWORD_B64);
    const direct = await rawRequest('/k8s/demo/api/v1/namespaces/prod/secrets', { headers: own.headers });
    const items = (JSON.parse(direct.body) as { items: Array<{ data?: Record<string, string> }> }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) for (const value of Object.values(item.data ?? {})) expect(value).toBe(MASKED_B64);
  });

  it('asks the cluster for the Table kubectl get secrets prints, and masks the objects in its rows', async () => {
    // Arrange
    const own = ownSession('guardrails-table');
    // Act: plain kubectl get (-o wide prints from the same Table), and the same Table with whole objects in its rows.
    const printed = await kubectl(own.kubeconfig(), ['get', 'secrets', '-n', 'prod', '-o', 'wide']);
    const withObjects = await rawRequest('/k8s/demo/api/v1/namespaces/prod/secrets?includeObject=Object', { headers: { ...own.headers, accept: KUBECTL_TABLE_ACCEPT } });
    // Assert: kubectl printed the Table, and the Table is what reached the cluster.
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/m);
    expect(printed.stdout).toMatch(/^db-credentials\s+Opaque\s+3\s+/m);
    const records = await sessionRecords(own.session);
    const kubectlList = records.find((r) => r.kubectlCommand && r.path === '/api/v1/namespaces/prod/secrets')!;
    expect(kubectlList).toMatchObject({ verb: 'list', resource: 'secrets', outcome: 'forwarded', status: 200 });
    const [sent] = await upstreamRequestsFor([kubectlList.requestId]);
    expect(sent).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/prod/secrets', code: 200 });
    expect(String(sent!.headers.accept)).toMatch(/^application\/json;as=Table;v=v1;g=meta\.k8s\.io,/);
    // What kubectl got back (the replay blob holds the response as the client received it): a Table whose
    // rows' objects (metadata by default) hold no value.
    const blob = await replayTextOf(kubectlList);
    const table = JSON.parse((JSON.parse(blob) as { response: { body: { data: string } } }).response.body.data) as { kind: string; rows: Array<{ cells: unknown[]; object?: Record<string, unknown> }> };
    expect(table.kind).toBe('Table');
    expect(table.rows.map((r) => r.cells[0])).toContain('db-credentials');
    expect(blob).not.toContain(PASSWORD_B64);
    expect(blob).not.toContain(PASSWORD);
    // Rows that carry the whole Secret carry it masked.
    expect(withObjects.status).toBe(200);
    const [sentWithObjects] = await upstreamRequestsFor([requestIdOf(withObjects)]);
    expect(String(sentWithObjects!.headers.accept)).toMatch(/^application\/json;as=Table;v=v1;g=meta\.k8s\.io,/);
    expect(sentWithObjects!.query).toBe('includeObject=Object');
    const full = JSON.parse(withObjects.body) as { kind: string; rows: Array<{ object: { kind: string; metadata: { name: string }; data?: Record<string, string> } }> };
    expect(full.kind).toBe('Table');
    const rowSecret = full.rows.find((r) => r.object.metadata.name === 'db-credentials')!.object;
    expect(rowSecret.kind).toBe('Secret');
    expect(Object.keys(rowSecret.data ?? {}).sort()).toEqual(['host', 'password', 'username']);
    for (const row of full.rows) for (const value of Object.values(row.object.data ?? {})) expect(value).toBe(MASKED_B64);
    expect(withObjects.body).not.toContain(PASSWORD_B64);
  });

  it('masks credential-looking values in container logs', async () => {
    const own = ownSession('guardrails-logs');
    // batch-worker is no Deployment's: nothing deletes it while this runs.
    const logs = await kubectl(own.kubeconfig(), ['logs', 'batch-worker', '-n', 'prod']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/aws credentials loaded/);
    expect(logs.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses kubectl delete ns kube-system with the rule message, records it and forwards no delete', async () => {
    const own = ownSession('guardrails-delete-ns');
    const result = await kubectl(own.kubeconfig(), ['delete', 'namespace', 'kube-system']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Error from server \(Forbidden\): .*baseline\/no-delete-namespaces.*Deleting namespaces is not allowed/);
    // kubectl may GET the namespace first; the DELETE itself never reaches the cluster.
    const sent = await sessionUpstreamRequests(own.session);
    expect(sent.filter((r) => r.method !== 'GET')).toEqual([]);
    const records = await sessionRecords(own.session);
    expect(records.filter((r) => r.verb === 'delete')).toEqual([
      expect.objectContaining({ decision: 'deny', ruleId: 'baseline/no-delete-namespaces', outcome: 'denied', status: 403 }),
    ]);
  });

  it('refuses kubectl run --privileged under the baseline pack and creates nothing', async () => {
    const own = ownSession('guardrails-privileged');
    const result = await kubectl(own.kubeconfig(), ['run', 'root-shell', '-n', 'default', '--image=busybox', '--privileged']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Error from server \(Forbidden\): .*"baseline\/no-privileged-pods"/);
    expect((await sessionUpstreamRequests(own.session)).filter((r) => r.method !== 'GET')).toEqual([]);
    const records = await sessionRecords(own.session);
    expect(records.filter((r) => r.verb === 'create')).toEqual([
      expect.objectContaining({ resource: 'pods', decision: 'deny', ruleId: 'baseline/no-privileged-pods', outcome: 'denied', status: 403 }),
    ]);
  });

  it('refuses reading Secrets in kube-system with the rule, and forwards nothing for them', async () => {
    const own = ownSession('guardrails-kube-system');
    const result = await kubectl(own.kubeconfig(), ['get', 'secrets', '-n', 'kube-system']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Error from server \(Forbidden\): .*"baseline\/no-kube-system-secrets".*Reading Secrets in kube-system is not allowed/);
    expect((await sessionUpstreamRequests(own.session)).filter((r) => r.path.includes('/secrets'))).toEqual([]);
    const records = await sessionRecords(own.session);
    expect(records.filter((r) => r.resource === 'secrets')).toEqual([
      expect.objectContaining({ verb: 'list', namespace: 'kube-system', decision: 'deny', ruleId: 'baseline/no-kube-system-secrets', outcome: 'denied', status: 403 }),
    ]);
  });
});

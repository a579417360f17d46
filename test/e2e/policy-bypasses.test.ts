import { demoToken, kubectl, kubeconfigFor, rawRequest } from './support/local-gatehouse';

jest.setTimeout(60_000);

/**
 * Each way an agent with a valid grant once got a forbidden write past the baseline pack, sent through the real
 * request path (local gateway → handler → simulator). Every test reads only the objects it made.
 */
const run = Date.now().toString(36);
const token = (sub = 'demo-agent') => demoToken({ sub, run_id: `bypass-${run}`, groups: ['gatehouse-demo-ops'] });
const auth = (sub?: string) => ({ authorization: `Bearer ${token(sub)}` });

async function send(method: string, path: string, body: unknown, contentType = 'application/json', sub?: string) {
  const res = await rawRequest(`/k8s/demo${path}`, { method, headers: { ...auth(sub), 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: JSON.parse(res.body) as Record<string, any> };
}

const deployment = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: {
    replicas: 1, selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'side', image: 'busybox:1.36' }], volumes: [{ name: 'cache', emptyDir: {} }], ...extra },
    },
  },
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

describe('policy judges a patch by what the API server would write', () => {
  it.each([
    ['a privileged container at index -1', [{ op: 'add', path: '/spec/template/spec/containers/-1/securityContext', value: { privileged: true } }], 'baseline/no-privileged-pods'],
    ['a privileged container at index +0', [{ op: 'add', path: '/spec/template/spec/containers/+0/securityContext', value: { privileged: true } }], 'baseline/no-privileged-pods'],
    ['a hostPath volume at index 00', [{ op: 'add', path: '/spec/template/spec/volumes/00', value: { name: 'root', hostPath: { path: '/' } } }], 'baseline/no-host-path'],
    // evanphx/json-patch v4 drops a pointer's first segment unchecked: "x/spec" is "/spec".
    ['hostNetwork at a pointer without its leading slash', [{ op: 'add', path: 'x/spec/template/spec/hostNetwork', value: true }], 'baseline/no-host-namespaces'],
  ])('refuses %s and the deployment stays as it was', async (_name, patch, ruleId) => {
    // Arrange
    const name = `patch-${run}-${Math.random().toString(36).slice(2, 7)}`;
    expect((await send('POST', DEPLOYMENTS, deployment(name))).status).toBe(201);
    // Act
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}`, patch, 'application/json-patch+json');
    // Assert
    expect(res.status).toBe(403);
    expect(res.json.message).toContain(`"${ruleId}"`);
    const stored = (await send('GET', `${DEPLOYMENTS}/${name}`, '')).json;
    expect(JSON.stringify(stored.spec.template.spec)).not.toMatch(/privileged|hostPath|hostNetwork/);
  });

  it('lets a harmless JSON patch at index -1 through, and it lands on the last container', async () => {
    const name = `patch-ok-${run}`;
    expect((await send('POST', DEPLOYMENTS, deployment(name))).status).toBe(201);
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}`, [{ op: 'replace', path: '/spec/template/spec/containers/-1/image', value: 'busybox:1.37' }], 'application/json-patch+json');
    expect(res.status).toBe(200);
    expect(res.json.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual(['nginx:1.27', 'busybox:1.37']);
  });

  it('refuses a strategic merge patch that makes an existing container privileged by name', async () => {
    const name = `smp-${run}`;
    expect((await send('POST', DEPLOYMENTS, deployment(name))).status).toBe(201);
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}`, { spec: { template: { spec: { containers: [{ name: 'side', securityContext: { privileged: true } }] } } } }, 'application/strategic-merge-patch+json');
    expect(res.status).toBe(403);
    expect(res.json.message).toContain('"baseline/no-privileged-pods"');
  });

  it('refuses a CEL rule\'s violation written by a JSON patch at a negative index (the stored object is judged)', async () => {
    const name = `cel-${run}`;
    expect((await send('POST', DEPLOYMENTS, deployment(name), 'application/json', `cel-${run}`)).status).toBe(201);
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}`, [{ op: 'replace', path: '/spec/template/spec/containers/-2/image', value: 'nginx:latest' }], 'application/json-patch+json', `cel-${run}`);
    expect(res.status).toBe(403);
    expect(res.json.message).toContain('"e2e/cel-no-latest-images"');
  });
});

describe('RBAC roles that grant escalation through wildcards', () => {
  const ROLES = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles';
  it.each([
    ['"*" verbs on roles (includes escalate and bind)', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['*'] }], 'baseline/no-escalation-verbs'],
    ['"*" verbs on serviceaccounts (includes impersonate)', [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['*'] }], 'baseline/no-escalation-verbs'],
    ['all eight ordinary verbs on "*"', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] }], 'baseline/no-wildcard-roles'],
  ])('refuses a Role granting %s', async (_name, rules, ruleId) => {
    const res = await send('POST', ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `r-${run}-${ruleId.length}-${rules.length}` }, rules });
    expect(res.status).toBe(403);
    expect(res.json.message).toContain(`"${ruleId}"`);
  });

  it('refuses an escalate verb added to a Role with a JSON patch at index 01', async () => {
    const name = `role-${run}`;
    const created = await send('POST', ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] });
    expect(created.status).toBe(201);
    const res = await send('PATCH', `${ROLES}/${name}`, [{ op: 'add', path: '/rules/01', value: { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] } }], 'application/json-patch+json');
    expect(res.status).toBe(403);
    expect(res.json.message).toContain('"baseline/no-escalation-verbs"');
  });
});

describe('namespace labels', () => {
  it('applies a rule on namespace labels: a labelled namespace refuses the write, an unlabelled one allows it', async () => {
    // Arrange: two namespaces made through Gatehouse, one labelled environment=production.
    const prod = `labelled-${run}`;
    const plain = `plain-${run}`;
    expect((await send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: prod, labels: { environment: 'production' } } })).status).toBe(201);
    expect((await send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: plain } })).status).toBe(201);
    const kubeconfig = kubeconfigFor(token(`labels-${run}`));
    // Act
    const refused = await kubectl(kubeconfig, ['create', 'configmap', 'c1', '-n', prod, '--from-literal=a=b']);
    const allowed = await kubectl(kubeconfig, ['create', 'configmap', 'c1', '-n', plain, '--from-literal=a=b']);
    // Assert
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('e2e/labelled-production-writes');
    expect(allowed.code).toBe(0);
  });
});

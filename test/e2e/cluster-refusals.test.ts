import fs from 'node:fs';
import path from 'node:path';
import { MASKED_VALUE } from '../../lambdas/core/masking/credential-patterns';
import { MASKED_BASE64 } from '../../lambdas/core/masking/mask-json-value';
import { simulatorDenialsDir } from '../../local/local-stack';
import { gatehouse } from './support/cli-helpers';
import { kubectl, localGatehouse, ownSession, rawRequest, sessionRecords, unique, upstreamRequestsFor, type OwnSession, type UpstreamRequest } from './support/local-gatehouse';

/**
 * What the cluster itself refuses, and what the gateway must never let the cluster answer in a form it
 * cannot read. The simulated cluster is switched to refuse one thing (RBAC-style, with the real
 * apiserver's 403) by a denial file in local mode's state dir; it answers protobuf and gzip whenever it
 * is asked to, as the real apiserver does, so these tests fail if the gateway stopped rewriting
 * `Accept` to JSON or `Accept-Encoding` to identity. Each test reads only its own session's records and
 * the upstream requests carrying its records' request ids.
 */

jest.setTimeout(120_000);

const ns = `refusals-${unique()}`;
const USER = 'gatehouse:demo:demo-agent';
const PASSWORD = 'Refusal-Test-Passw0rd-7f3a';

type Row = Record<string, any>;

let own: OwnSession;

/** The last complete record of this session's requests matching `match`. */
async function recordOf(match: (r: Row) => boolean): Promise<Row> {
  const found = (await sessionRecords(own.session)).filter((r) => match(r) && r.phase === 'complete');
  if (!found.length) throw new Error('no complete record for the request in this session');
  return found[found.length - 1]!;
}

/** What reached the simulated cluster for one of this session's requests (Gatehouse sends its request id as Audit-ID). */
async function upstreamOf(record: Row): Promise<UpstreamRequest[]> {
  return (await upstreamRequestsFor([String(record.requestId)])).filter((r) => r.headers['audit-id'] === record.requestId);
}

/**
 * The headers of the last request and response kubectl -v=8 logged (client-go's round_trippers:
 * `"Request" verb=... headers=<` ... `>`), one `Name: value` per line.
 */
function loggedHeaders(stderr: string, which: 'Request' | 'Response'): string[] {
  const blocks = [...stderr.matchAll(new RegExp(`"${which}" [^\\n]*headers=<\\n([\\s\\S]*?)\\n\\s*>`, 'g'))];
  return (blocks[blocks.length - 1]?.[1] ?? '').split('\n').map((line) => line.trim());
}

let kubeconfig: string;
let denialFile: string;

beforeAll(async () => {
  own = ownSession('cluster-refusals');
  kubeconfig = own.kubeconfig();
  // Set up with plain JSON requests, so that each test below is what fails if the gateway breaks.
  const post = (path: string, body: unknown) => rawRequest(`/k8s/demo${path}`, { method: 'POST', headers: { ...own.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { run: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
  expect((await post(`/api/v1/namespaces/${ns}/pods`, pod)).status).toBe(201);
  const dir = simulatorDenialsDir(localGatehouse().stateDir);
  fs.mkdirSync(dir, { recursive: true });
  denialFile = path.join(dir, `${own.runId}.json`);
  // Written under another name and renamed, so the simulator never reads half a file.
  fs.writeFileSync(`${denialFile}.tmp`, JSON.stringify([{ user: USER, verbs: ['delete'], resources: ['pods'], namespace: ns }]));
  fs.renameSync(`${denialFile}.tmp`, denialFile);
});

afterAll(() => {
  if (denialFile) fs.rmSync(denialFile, { force: true });
});

describe('a request the cluster refuses (RBAC)', () => {
  const forbidden = `pods "web" is forbidden: User "${USER}" cannot delete resource "pods" in API group "" in the namespace "${ns}"`;
  let deleted: Awaited<ReturnType<typeof kubectl>>;

  beforeAll(async () => {
    deleted = await kubectl(kubeconfig, ['delete', 'pod', 'web', '-n', ns, '--wait=false']);
  });

  it('makes kubectl print the cluster\'s Forbidden, and the pod stays', async () => {
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain(`Error from server (Forbidden): ${forbidden}`);
    expect((await kubectl(kubeconfig, ['get', 'pod', 'web', '-n', ns, '-o', 'name'])).stdout.trim()).toBe('pod/web');
  });

  it('is recorded as refused by the cluster, with the cluster\'s reason and message, not as forwarded', async () => {
    const record = await recordOf((r) => r.verb === 'delete' && r.resource === 'pods' && r.name === 'web');

    expect(record).toMatchObject({
      outcome: 'refused-by-cluster', decision: 'allow', status: 403, upstreamStatus: 403, namespace: ns,
      errorReason: 'Forbidden', errorMessage: forbidden,
    });
    const upstream = await upstreamOf(record);
    expect(upstream).toEqual([expect.objectContaining({ method: 'DELETE', impersonatedUser: USER, code: 403 })]);
  });

  it('makes kubectl auth can-i say no, as the cluster\'s SelfSubjectAccessReview does', async () => {
    const canI = await kubectl(kubeconfig, ['auth', 'can-i', 'delete', 'pods', '-n', ns]);
    expect(canI.stdout.trim()).toBe('no');
    expect((await kubectl(kubeconfig, ['auth', 'can-i', 'get', 'pods', '-n', ns])).stdout.trim()).toBe('yes');
  });

  it('shows in gatehouse sessions as refused by the cluster, counted apart from allowed', async () => {
    const record = await recordOf((r) => r.verb === 'delete' && r.resource === 'pods' && r.name === 'web');
    const records = await sessionRecords(own.session);
    const session = own.session;
    const refusals = records.filter((r) => r.outcome === 'refused-by-cluster').length;
    const allowed = records.filter((r) => r.outcome === 'forwarded' && r.upstreamStatus !== 403).length;

    const json = await gatehouse(['sessions', 'list', '--session', session, '--json']);
    const table = await gatehouse(['sessions', 'list', '--session', session]);
    const requests = await gatehouse(['sessions', 'requests', '--session', session]);
    const shown = await gatehouse(['sessions', 'show', String(record.requestId)]);

    expect(json.code).toBe(0);
    const [summary] = JSON.parse(json.stdout) as Row[];
    expect(summary).toMatchObject({ session, refusedByCluster: refusals, allowed });
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(table.stdout).toMatch(/^SESSION\s+AGENT\s+ISSUER\s+CONNECTIONS\s+FIRST\s+LAST\s+REQUESTS\s+ALLOWED\s+REFUSED BY CLUSTER\s+DENIED\s+HELD\s+FAILED$/m);
    expect(table.stdout).toMatch(new RegExp(`^${session}\\s+demo-agent\\s+demo\\s+demo\\s+\\S+Z\\s+\\S+Z\\s+${records.length}\\s+${allowed}\\s+${refusals}\\s`, 'm'));
    expect(requests.stdout).toMatch(new RegExp(`\\s${record.requestId}\\s+demo-agent\\s+demo\\s+kubectl delete .*\\srefused by cluster\\s+403\\s`));
    expect(shown.stdout).toMatch(/^Outcome:\s+refused by the cluster \(it answered 403 Forbidden; Gatehouse had let the request through\)$/m);
    expect(shown.stdout).toContain(`Error:            Forbidden: ${forbidden}`);
  });
});

describe('the gateway answers kubectl in JSON, uncompressed, whatever kubectl asks the cluster for', () => {
  it('answers kubectl\'s typed client (create configmap), which asks for protobuf, in JSON', async () => {
    // kubectl's typed clients ask for protobuf; -v=8 logs what kubectl sent and what came back.
    const created = await kubectl(kubeconfig, ['create', 'configmap', 'typed', '-n', ns, '--from-literal=level=debug', '-o', 'json', '-v=8']);

    expect(created.code).toBe(0);
    expect(loggedHeaders(created.stderr, 'Request')).toContain('Accept: application/vnd.kubernetes.protobuf,application/json');
    const response = loggedHeaders(created.stderr, 'Response');
    expect(response).toContain('Content-Type: application/json');
    expect(response.filter((h) => /^Content-Encoding:/i.test(h))).toEqual([]);
    expect(JSON.parse(created.stdout)).toMatchObject({ kind: 'ConfigMap', data: { level: 'debug' } });
    const record = await recordOf((r) => r.verb === 'create' && r.resource === 'configmaps' && r.outcome === 'forwarded');
    const [upstream] = await upstreamOf(record);
    expect(upstream!.headers).toMatchObject({ accept: 'application/json', 'accept-encoding': 'identity' });
  });

  it('masks a Secret that kubectl reads with a typed client (describe secret), which asks for protobuf', async () => {
    // Created as JSON: Gatehouse refuses Secret bodies it cannot read, and kubectl create secret sends protobuf.
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'typed' }, data: { password: Buffer.from(PASSWORD).toString('base64') } };
    const posted = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/secrets`, { method: 'POST', headers: { ...own.headers, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(secret) });
    expect(posted.status).toBe(201);

    const described = await kubectl(kubeconfig, ['describe', 'secret', 'typed', '-n', ns, '-v=8']);

    expect(described.code).toBe(0);
    expect(loggedHeaders(described.stderr, 'Request')).toContain('Accept: application/vnd.kubernetes.protobuf,application/json');
    expect(loggedHeaders(described.stderr, 'Response')).toContain('Content-Type: application/json');
    // describe prints sizes: the masked value's, not the password's.
    expect(described.stdout).toMatch(new RegExp(`^password:\\s+${MASKED_VALUE.length} bytes$`, 'm'));
    expect(`${described.stdout}${described.stderr}`).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });

  it('answers kubectl describe, whose typed reads ask for protobuf', async () => {
    const described = await kubectl(kubeconfig, ['describe', 'pod', 'web', '-n', ns]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+web$/m);
    expect(described.stdout).toMatch(/^Namespace:\s+/m);
  });

  describe('a large list (over the apiserver\'s 128 KiB gzip threshold) asked for as protobuf and gzip', () => {
    const blob = (i: number) => Buffer.alloc(90_000, `${PASSWORD}-${i}`).toString('base64');
    const text = (i: number) => `line ${i} of a large configuration file\n`.repeat(2_500);

    beforeAll(async () => {
      for (const i of [1, 2]) {
        const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `big-${i}`, labels: { size: 'big' } }, data: { blob: blob(i) } };
        const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, labels: { size: 'big' } }, data: { text: text(i) } };
        for (const [resource, body] of [['secrets', secret], ['configmaps', configMap]] as const) {
          const res = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/${resource}`, { method: 'POST', headers: { ...own.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          expect(res.status).toBe(201);
        }
      }
    });

    it.each([
      ['client-go\'s default for protobuf clients', 'application/vnd.kubernetes.protobuf, */*'],
      ['kubectl\'s typed clients', 'application/vnd.kubernetes.protobuf,application/json'],
    ])('answers %s in JSON, not gzip, with every Secret value masked', async (_name, accept) => {
      const res = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/secrets?labelSelector=size%3Dbig`, { headers: { ...own.headers, accept, 'accept-encoding': 'gzip' } });

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['content-encoding']).toBeUndefined();
      const list = JSON.parse(res.body) as { kind: string; items: Array<{ data: Record<string, string> }> };
      expect(list.kind).toBe('SecretList');
      expect(list.items.map((s) => s.data.blob)).toEqual([MASKED_BASE64, MASKED_BASE64]);
    });

    it('answers a large ConfigMap list asked for with gzip as plain JSON, and asked the cluster for identity', async () => {
      const res = await rawRequest(`/k8s/demo/api/v1/namespaces/${ns}/configmaps?labelSelector=size%3Dbig`, { headers: { ...own.headers, accept: 'application/vnd.kubernetes.protobuf, */*', 'accept-encoding': 'gzip' } });

      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.length).toBeGreaterThan(128 * 1024);
      const list = JSON.parse(res.body) as { items: Array<{ data: Record<string, string> }> };
      expect(list.items.map((c) => c.data.text)).toEqual([text(1), text(2)]);
      const record = await recordOf((r) => r.verb === 'list' && r.resource === 'configmaps' && String(r.query).includes('size'));
      const [upstream] = await upstreamOf(record);
      expect(upstream!.headers).toMatchObject({ accept: 'application/json', 'accept-encoding': 'identity' });
    });
  });
});

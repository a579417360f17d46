import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixture, TOKENS, type SimulatorFixture } from './simulator-fixture';

// Real kubectl 1.35 against the simulator: exec, cp and attach over WebSocket (v5.channel.k8s.io).
const { kubectlPath } = require('../../../scripts/prepare-kubectl.js') as { kubectlPath: () => string };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

jest.setTimeout(60_000);

let f: SimulatorFixture;
let dir: string;
let kubectl: string;

function kubeconfig(token: string): string {
  const path = join(dir, `kubeconfig-${token}`);
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: sim', '  cluster:', `    server: ${f.sim.url}`, `    certificate-authority-data: ${Buffer.from(f.ca.certPem).toString('base64')}`,
    'users:', '- name: agent', '  user:', `    token: ${token}`,
    'contexts:', '- name: sim', '  context: {cluster: sim, user: agent, namespace: default}',
    'current-context: sim', '',
  ].join('\n'));
  return path;
}

function env(token: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig(token) };
}

/** Runs kubectl to the end, optionally feeding stdin. */
function run(args: readonly string[], options: { stdin?: string | Buffer; token?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(kubectl, [...args], { env: env(options.token ?? TOKENS.alice), timeout: 20_000, encoding: 'buffer' }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: stdout.toString(), stderr: stderr.toString() }));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  });
}

/** Resolves when `text` has appeared in a stream. */
function waitFor(stream: NodeJS.ReadableStream, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(text)) {
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended before ${JSON.stringify(text)}; saw ${JSON.stringify(seen)}`)));
  });
}

beforeAll(async () => {
  kubectl = kubectlPath();
  dir = mkdtempSync(join(tmpdir(), 'kubectl-exec-'));
  f = await startFixture({
    rbacDenials: () => [{ user: 'gatehouse-proxy', verbs: ['create'], resources: ['pods/exec'] }],
  });
  const created = await f.request('POST', '/api/v1/namespaces/default/pods', {
    body: {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'two', annotations: { 'kubectl.kubernetes.io/default-container': 'sidecar' } },
      spec: { containers: [{ name: 'main', image: 'busybox', env: [{ name: 'ROLE', value: 'main' }] }, { name: 'sidecar', image: 'busybox', env: [{ name: 'ROLE', value: 'sidecar' }] }] },
    },
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await f.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl exec', () => {
  it('runs a command over the v5 WebSocket protocol and prints its output', async () => {
    const mark = f.sim.requests.length;
    const r = await run(['exec', 'nginx', '--', 'echo', 'hi']);
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' });
    const upgrade = f.sim.requests.slice(mark).find((q) => q.path.endsWith('/exec'))!;
    expect(upgrade).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/default/pods/nginx/exec', code: 101, user: 'alice' });
    expect(upgrade.query).toBe('command=echo&command=hi&container=nginx&stderr=true&stdout=true');
    // kubectl 1.35 offers v5 only; anything but a 101 sends it to the SPDY fallback.
    expect(upgrade.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io');
  });

  it('exits with the command exit code, as the kubelet reports it', async () => {
    const r = await run(['exec', 'nginx', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it('keeps stdout and stderr apart and reads the seeded files', async () => {
    const r = await run(['exec', '-n', 'prod', 'api-6d4b8c7f9-m4n8q', '--', 'sh', '-c', 'cat /etc/hostname && cat /nope || echo fallback']);
    expect(r).toMatchObject({ code: 0, stdout: 'api-6d4b8c7f9-m4n8q\nfallback\n', stderr: 'cat: /nope: No such file or directory\n' });
  });

  it('passes stdin with -i until EOF (cat)', async () => {
    const r = await run(['exec', '-i', 'nginx', '--', 'cat'], { stdin: 'line one\nline two\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
  });

  it('reports a shell\'s unknown command with 127 and a missing executable as the runtime does', async () => {
    const inShell = await run(['exec', 'nginx', '--', 'sh', '-c', 'frobnicate']);
    expect(inShell.code).toBe(127);
    expect(inShell.stderr).toContain('sh: frobnicate: not found');
    const bare = await run(['exec', 'nginx', '--', 'frobnicate']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('exec: "frobnicate": executable file not found in $PATH');
  });

  it('uses the container kubectl picks: the default-container annotation, or -c', async () => {
    const byAnnotation = await run(['exec', 'two', '--', 'printenv', 'ROLE']);
    expect(byAnnotation).toMatchObject({ code: 0, stdout: 'sidecar\n' });
    const named = await run(['exec', 'two', '-c', 'main', '--', 'printenv', 'ROLE']);
    expect(named).toMatchObject({ code: 0, stdout: 'main\n' });
  });

  it('prints the 404 for a missing pod and kubectl\'s refusal of a container the pod lacks', async () => {
    const missing = await run(['exec', 'ghost', '--', 'true']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "ghost" not found');
    const container = await run(['exec', 'nginx', '-c', 'nope', '--', 'true']);
    expect(container.code).toBe(1);
    expect(container.stderr).toContain('container nope is not valid for pod nginx');
  });

  it('is refused with 403 when RBAC denies create on pods/exec (the WebSocket GET, then the SPDY POST)', async () => {
    const mark = f.sim.requests.length;
    const r = await run(['exec', 'nginx', '--', 'echo', 'hi'], { token: TOKENS.gateway });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pods "nginx" is forbidden: User "gatehouse-proxy" cannot create resource "pods/exec" in API group "" in the namespace "default"');
    const tried = f.sim.requests.slice(mark).filter((q) => q.path.endsWith('/exec')).map((q) => `${q.method} ${q.code}`);
    expect(tried).toEqual(['GET 403', 'POST 403']);
  });
});

describe('kubectl cp', () => {
  it('copies a file into the pod and back, byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    const local = join(dir, 'blob.bin');
    writeFileSync(local, bytes);
    const into = await run(['cp', local, 'nginx:/tmp/blob.bin']);
    expect(into).toMatchObject({ code: 0 });
    const size = await run(['exec', 'nginx', '--', 'wc', '-c', '/tmp/blob.bin']);
    expect(size.stdout).toBe('70000\n');
    const back = join(dir, 'blob-back.bin');
    const out = await run(['cp', 'nginx:/tmp/blob.bin', back]);
    expect(out.code).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
  });

  it('copies a directory in and out, keeping its tree', async () => {
    const local = join(dir, 'tree');
    mkdirSync(join(local, 'sub'), { recursive: true });
    writeFileSync(join(local, 'a.txt'), 'A\n');
    writeFileSync(join(local, 'sub', 'b.txt'), 'B\n');
    expect((await run(['cp', local, 'nginx:/srv'])).code).toBe(0);
    const listed = await run(['exec', 'nginx', '--', 'sh', '-c', 'ls /srv /srv/sub && cat /srv/sub/b.txt']);
    expect(listed.stdout).toBe('/srv:\na.txt\nsub\n/srv/sub:\nb.txt\nB\n');
    const back = join(dir, 'tree-back');
    expect((await run(['cp', 'nginx:/srv', back])).code).toBe(0);
    expect(readFileSync(join(back, 'sub', 'b.txt'), 'utf8')).toBe('B\n');
    expect(readFileSync(join(back, 'a.txt'), 'utf8')).toBe('A\n');
  });

  it('copies a seeded file out of the pod', async () => {
    const target = join(dir, 'config.yaml');
    const r = await run(['cp', 'prod/api-6d4b8c7f9-x7k2p:/app/config.yaml', target]);
    expect(r.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toContain('pod: api-6d4b8c7f9-x7k2p\n');
  });
});

describe('kubectl attach', () => {
  it('attaches to the main process: banner, then each stdin line echoed, until the client leaves', async () => {
    const child = spawn(kubectl, ['attach', '-i', '-n', 'staging', 'web-7c5d4f8b9-h2j4k'], { env: env(TOKENS.alice) });
    try {
      await waitFor(child.stdout, 'main process of pod staging/web-7c5d4f8b9-h2j4k');
      child.stdin.write('hello attach\n');
      await waitFor(child.stdout, 'hello attach\n');
    } finally {
      child.kill();
    }
    const attach = f.sim.requests.find((q) => q.path.endsWith('/attach'))!;
    expect(attach).toMatchObject({ method: 'GET', code: 101 });
    expect(attach.query).toContain('stdin=true');
  });
});

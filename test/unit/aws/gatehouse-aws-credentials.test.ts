import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFrontCertificates } from '../../../lambdas/session-front-ca/front-certificates';

const SCRIPT = resolve(__dirname, '../../../bin/gatehouse-aws-credentials.js');
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJl';
const CREDENTIAL = {
  Version: 1, AccessKeyId: 'GHAKABCDEFGHIJKLMNOP', SecretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I',
  SessionToken: 'ghs1.eyJ2IjoxfQ.bWFj', Expiration: '2026-12-02T15:00:00.000Z',
};

interface Seen { method?: string; url?: string; authorization?: string }
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
let tokenFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-aws-credentials-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${JWT}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

/** A local Gatehouse stand-in answering with `handler` (over https when given a key and certificate); resolves once it listens. */
async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = tls ? createHttpsServer(tls) : createHttpServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    handler(req, res);
  });
  servers.push(server);
  // The certificate names localhost, so the https stand-in is reached by that name.
  const host = tls ? 'localhost' : '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `${tls ? 'https' : 'http'}://${host}:${port}/prod`, seen };
}

const json = (status: number, body: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** Runs the credential process to its exit; resolves on the child's close event. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const flags = (url: string, connection = 'prod-aws'): string[] => ['--endpoint', url, '--connection', connection, '--token-file', tokenFile];

describe('gatehouse-aws-credentials', () => {
  it('posts the token to /aws-credentials/<connection> and prints exactly the credential_process JSON', async () => {
    const { url, seen } = await serve(json(200, { ...CREDENTIAL, Extra: 'not for the SDK' }));

    const result = await run(flags(url));

    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(CREDENTIAL)}\n`, stderr: '' });
    expect(seen).toEqual([{ method: 'POST', url: '/prod/aws-credentials/prod-aws', authorization: `Bearer ${JWT}` }]);
  });

  it('takes endpoint, connection and token file from the environment', async () => {
    const { url, seen } = await serve(json(200, CREDENTIAL));

    const result = await run([], { GATEHOUSE_ENDPOINT: `${url}/`, GATEHOUSE_AWS_CONNECTION: 'staging-aws', GATEHOUSE_TOKEN_FILE: tokenFile });

    expect(result.code).toBe(0);
    expect(seen[0].url).toBe('/prod/aws-credentials/staging-aws');
  });

  it('reads the token from the variable --token-env names', async () => {
    const { url, seen } = await serve(json(200, CREDENTIAL));

    const result = await run(['--endpoint', url, '--connection', 'prod-aws', '--token-env', 'AGENT_TOKEN'], { AGENT_TOKEN: 'a.b.c' });

    expect(result.code).toBe(0);
    expect(seen[0].authorization).toBe('Bearer a.b.c');
  });

  it.each([
    ['a Kubernetes-like Status message', 403, { kind: 'Status', status: 'Failure', message: 'no grant for repo:acme/app on prod-aws', reason: 'Forbidden', code: 403 }, 'no grant for repo:acme/app on prod-aws'],
    ['an AWS-style Message', 401, { Message: 'the token has expired; get a new one' }, 'the token has expired; get a new one'],
    ['a page that is not JSON', 502, '<html>Bad Gateway</html>', 'Gatehouse answered HTTP 502'],
  ])('prints %s of a refusal on one stderr line and exits 1', async (_name, status, body, message) => {
    const { url } = await serve(json(status, body));

    const result = await run(flags(url));

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`HTTP ${status}`);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(JWT);
  });

  it.each([
    ['not JSON', 'hello', 'is not JSON'],
    ['missing the session token', { ...CREDENTIAL, SessionToken: undefined }, 'is not a credential_process credential'],
    ['of another version', { ...CREDENTIAL, Version: 2 }, 'is not a credential_process credential'],
    ['with an Expiration that is no date', { ...CREDENTIAL, Expiration: 'soon' }, 'is not a credential_process credential'],
  ])('refuses a 200 answer %s', async (_name, body, message) => {
    const { url } = await serve(json(200, body));

    const result = await run(flags(url));

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it.each([
    ['no endpoint', ['--connection', 'prod-aws', '--token-file', '/nonexistent'], 'no Gatehouse endpoint'],
    ['no connection', ['--endpoint', 'http://127.0.0.1:1/prod', '--token-file', '/nonexistent'], 'no AWS connection'],
    ['no token source', ['--endpoint', 'http://127.0.0.1:1/prod', '--connection', 'prod-aws'], 'no token'],
    ['a missing token file', ['--endpoint', 'http://127.0.0.1:1/prod', '--connection', 'prod-aws', '--token-file', '/nonexistent/token'], 'cannot read the token file'],
    ['an empty token variable', ['--endpoint', 'http://127.0.0.1:1/prod', '--connection', 'prod-aws', '--token-env', 'UNSET_TOKEN'], 'is empty'],
    ['an unknown option', ['--profile', 'x'], 'unknown argument --profile'],
    ['an endpoint that is no URL', ['--endpoint', 'gatehouse', '--connection', 'prod-aws', '--token-env', 'T'], 'is not a URL'],
  ])('explains %s before calling anyone', async (_name, args, message) => {
    const result = await run(args, { T: 'x' });

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(new RegExp(`^gatehouse-aws-credentials: .*${message}`));
  });

  it('gives up when Gatehouse does not answer in time', async () => {
    const { url } = await serve(() => undefined);

    const result = await run([...flags(url), '--timeout', '0.3']);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('did not answer within 0.3 s');
  });

  it('says when Gatehouse cannot be reached', async () => {
    const server = createHttpServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');

    const result = await run(flags(`http://127.0.0.1:${port}/prod`));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Gatehouse');
  });

  describe('over https with a private CA', () => {
    let caFile: string;
    let tls: { key: string; cert: string };
    beforeAll(() => {
      const issued = createFrontCertificates({ dnsName: 'localhost' });
      caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, issued.caPem);
      tls = { key: issued.keyPem, cert: issued.certPem };
    });

    it('trusts the CA given with --ca-file', async () => {
      const { url } = await serve(json(200, CREDENTIAL), tls);

      const result = await run([...flags(url), '--ca-file', caFile]);

      expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(CREDENTIAL)}\n`, stderr: '' });
    });

    it('trusts the CA given with NODE_EXTRA_CA_CERTS', async () => {
      const { url } = await serve(json(200, CREDENTIAL), tls);

      const result = await run(flags(url), { NODE_EXTRA_CA_CERTS: caFile });

      expect(result.code).toBe(0);
    });

    it('refuses the certificate without the CA and says how to trust it', async () => {
      const { url, seen } = await serve(json(200, CREDENTIAL), tls);

      const result = await run(flags(url));

      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toContain('--ca-file');
      expect(seen).toEqual([]);
    });
  });
});

describe('gatehouse-aws-credentials --github-actions', () => {
  it('asks the Actions runner for a token with Gatehouse\'s audience and trades it for a credential', async () => {
    // Arrange: the runner's token service and Gatehouse.
    const runner = await serve((req, res) => json(200, { value: JWT })(req, res));
    const gatehouse = await serve(json(200, CREDENTIAL));
    // Act
    const result = await run(['--endpoint', gatehouse.url, '--connection', 'prod-aws', '--github-actions', '--audience', 'gatehouse-prod'], {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${runner.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret',
    });
    // Assert
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(CREDENTIAL)}\n`, stderr: '' });
    expect(runner.seen[0]).toMatchObject({ authorization: 'bearer runner-secret' });
    expect(new URL(runner.seen[0]!.url!, 'http://x').searchParams.get('audience')).toBe('gatehouse-prod');
    expect(gatehouse.seen[0]).toMatchObject({ method: 'POST', authorization: `Bearer ${JWT}` });
  });

  it('says what the job lacks when the runner offers no token', async () => {
    const result = await run(['--endpoint', 'https://gatehouse.example/prod', '--connection', 'prod-aws', '--github-actions']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/permissions: id-token: write/);
    expect(result.stdout).toBe('');
  });

  it('refuses a token file beside --github-actions rather than guess which one is meant', async () => {
    const result = await run(['--endpoint', 'https://gatehouse.example/prod', '--connection', 'prod-aws', '--github-actions', '--token-file', tokenFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/leave out --token-file/);
  });
});

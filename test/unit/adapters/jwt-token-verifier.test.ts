import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { createLocalCa, issueServerCertificate } from '../../../local/local-ca';
import { createJwtTokenVerifier } from '../../../lambdas/adapters/jwt-token-verifier';
import type { IssuerConfig } from '../../../lambdas/core/gateway-config';
import { GatehouseError } from '../../../lambdas/core/errors';
import { toKubeStatus } from '../../../lambdas/core/kube-status';

/**
 * The token verifier with several issuers at once and with JWKS endpoints that fail, against real JWKS
 * served over https from a local CA. The adapter fetches with node's https global agent (aws-jwt-verify), so
 * for this file that agent trusts the local CA (restored afterwards); Lambda trusts the public CAs the same way.
 */

interface SigningKey { readonly kid: string; readonly privateKey: KeyObject; readonly jwk: Record<string, unknown> }

function signingKey(kid: string): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

function jwt(key: SigningKey, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256', typ: 'JWT', kid: key.kid })}.${part({ aud: 'gatehouse', iat: now, exp: now + 600, ...claims })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

type Route = (res: ServerResponse) => void;

/** A local https JWKS host: each path answers as its route says; every request is counted per path. */
async function startJwksHost(caPem: { certPem: string; keyPem: string }) {
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const waiters: { path: string; n: number; resolve: () => void }[] = [];
  const certificate = issueServerCertificate(caPem, ['127.0.0.1']);
  const server = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    const path = req.url ?? '';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    for (const w of waiters.filter((x) => x.path === path && (counts.get(path) ?? 0) >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const route = routes.get(path);
    if (route) route(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    routes,
    requests: (path?: string) => (path === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : counts.get(path) ?? 0),
    /** Resolves once `path` has been asked `n` times. */
    asked: (path: string, n: number) => new Promise<void>((resolve) => {
      if ((counts.get(path) ?? 0) >= n) resolve();
      else waiters.push({ path, n, resolve });
    }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const serveJwks = (...keys: SigningKey[]): Route => (res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
};

async function failureOf(promise: Promise<unknown>): Promise<GatehouseError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof GatehouseError)) throw new Error(`expected a Status error, got ${outcome === undefined ? 'a verified token' : String(outcome)}`);
  return outcome;
}

describe('the JWT token verifier', () => {
  const github = signingKey('github-key-1');
  const gitlab = signingKey('gitlab-key-1');
  const GITHUB_ISS = 'https://token.actions.githubusercontent.com';
  const GITLAB_ISS = 'https://gitlab.example.com';
  let host: Awaited<ReturnType<typeof startJwksHost>>;
  let originalCa: unknown;
  let hadCa = false;
  const issuer = (name: string, iss: string, path: string): IssuerConfig => ({ name, issuer: iss, audience: ['gatehouse'], jwksUri: `${host.url}${path}` });
  const bothIssuers = () => [issuer('github', GITHUB_ISS, '/github/jwks'), issuer('gitlab', GITLAB_ISS, '/gitlab/jwks')];

  beforeAll(async () => {
    const ca = createLocalCa('JWKS test CA');
    host = await startJwksHost(ca);
    hadCa = Object.prototype.hasOwnProperty.call(https.globalAgent.options, 'ca');
    originalCa = https.globalAgent.options.ca;
    https.globalAgent.options.ca = ca.certPem;
  });
  afterAll(async () => {
    // Node's Agent lets its own options override each request's, so a left-behind `ca: undefined` would make
    // every later https request in this jest worker (other files, other projects) ignore its own `ca`.
    if (hadCa) https.globalAgent.options.ca = originalCa as never;
    else delete https.globalAgent.options.ca;
    https.globalAgent.destroy();
    await host.close();
  });
  beforeEach(() => {
    host.routes.clear();
    host.routes.set('/github/jwks', serveJwks(github));
    host.routes.set('/gitlab/jwks', serveJwks(gitlab));
  });
  afterEach(() => jest.useRealTimers());

  describe('with several issuers at once', () => {
    it('verifies a token from each configured issuer to that issuer', async () => {
      // Arrange
      const verifier = createJwtTokenVerifier(bothIssuers());
      // Act
      const fromGithub = await verifier.verify(jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app:ref:refs/heads/main' }));
      const fromGitlab = await verifier.verify(jwt(gitlab, { iss: GITLAB_ISS, sub: 'project_path:acme/app' }));
      // Assert
      expect(fromGithub.issuer.name).toBe('github');
      expect(fromGithub.claims.sub).toBe('repo:acme/app:ref:refs/heads/main');
      expect(fromGitlab.issuer.name).toBe('gitlab');
      expect(fromGitlab.claims.sub).toBe('project_path:acme/app');
    });

    it('refuses a token that names one issuer but is signed with the other issuer\'s key', async () => {
      // Arrange: gitlab's key signs a token claiming to come from GitHub.
      const verifier = createJwtTokenVerifier(bothIssuers());
      // Act
      const error = await failureOf(verifier.verify(jwt(gitlab, { iss: GITHUB_ISS, sub: 'repo:acme/prod' })));
      // Assert
      expect(error.code).toBe(401);
      expect(error.message).toMatch(/signed with a key its issuer does not publish/);
    });

    it.each([
      ['two issuers', () => bothIssuers()],
      ['one issuer', () => [issuer('github', GITHUB_ISS, '/github/jwks')]],
    ])('refuses a token from an unknown issuer without fetching any JWKS (%s configured)', async (_case, issuers) => {
      // Arrange: the token is signed with GitHub's real key, but names an issuer nobody configured.
      const verifier = createJwtTokenVerifier(issuers());
      const before = host.requests();
      // Act
      const error = await failureOf(verifier.verify(jwt(github, { iss: 'https://evil.example', sub: 'repo:acme/app' })));
      // Assert
      expect(error.code).toBe(401);
      expect(error.message).toBe('The token issuer is not trusted by this Gatehouse; use a token from a configured issuer.');
      expect(host.requests() - before).toBe(0);
    });
  });

  describe('when the JWKS endpoint fails', () => {
    const retryable = (error: GatehouseError) => {
      const status = toKubeStatus(error, 'req-1');
      expect(status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', details: { retryAfterSeconds: 5 } });
      expect(status.message).toMatch(/could not fetch the issuer's signing keys to verify the token; retry shortly/);
    };

    it('answers 503, retry shortly, when the endpoint answers 500', async () => {
      // Arrange
      host.routes.set('/github/jwks', (res) => res.writeHead(500).end('oops'));
      const verifier = createJwtTokenVerifier(bothIssuers());
      // Act
      const error = await failureOf(verifier.verify(jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' })));
      // Assert
      retryable(error);
    });

    it('answers 503, retry shortly, when the endpoint cannot be reached', async () => {
      // Arrange: a port that was just free, so nothing listens there.
      const gone = await startJwksHost(createLocalCa('gone'));
      await gone.close();
      const verifier = createJwtTokenVerifier([{ name: 'github', issuer: GITHUB_ISS, audience: ['gatehouse'], jwksUri: `${gone.url}/github/jwks` }]);
      // Act
      const error = await failureOf(verifier.verify(jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' })));
      // Assert
      retryable(error);
    });

    it('answers 503, retry shortly, when the endpoint does not answer in time', async () => {
      // Arrange: the endpoint takes every request and never answers.
      host.routes.set('/github/jwks', () => undefined);
      const verifier = createJwtTokenVerifier(bothIssuers());
      const token = jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' });
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
      const before = host.requests('/github/jwks');
      // Act: let each attempt (the library tries twice) run into its response time-out.
      const verifying = failureOf(verifier.verify(token));
      await host.asked('/github/jwks', before + 1);
      jest.advanceTimersByTime(3_000);
      await host.asked('/github/jwks', before + 2);
      jest.advanceTimersByTime(3_000);
      const error = await verifying;
      // Assert
      retryable(error);
    });

    it('answers 503, retry shortly, when the endpoint answers something that is not a JWKS', async () => {
      // Arrange: a proxy or an outage page answering in the issuer's place.
      host.routes.set('/github/jwks', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Service temporarily unavailable</html>'));
      const verifier = createJwtTokenVerifier(bothIssuers());
      // Act
      const error = await failureOf(verifier.verify(jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' })));
      // Assert: the agent's token is not at fault, so it is not told to get a new one.
      expect(error.code).toBe(503);
      expect(error.message).toMatch(/retry shortly/);
      expect(error.message).not.toMatch(/fresh/);
    });

    it('does not remember the failure: the next request verifies once the endpoint is back', async () => {
      // Arrange
      host.routes.set('/github/jwks', (res) => res.writeHead(500).end());
      const verifier = createJwtTokenVerifier(bothIssuers());
      const token = jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' });
      await failureOf(verifier.verify(token));
      host.routes.set('/github/jwks', serveJwks(github));
      // Act
      const verified = await verifier.verify(token);
      // Assert
      expect(verified.issuer.name).toBe('github');
    });

    it('keeps verifying the other issuer\'s tokens while one issuer\'s JWKS is down', async () => {
      // Arrange
      host.routes.set('/github/jwks', (res) => res.writeHead(503).end());
      const verifier = createJwtTokenVerifier(bothIssuers());
      // Act
      const githubError = await failureOf(verifier.verify(jwt(github, { iss: GITHUB_ISS, sub: 'repo:acme/app' })));
      const fromGitlab = await verifier.verify(jwt(gitlab, { iss: GITLAB_ISS, sub: 'project_path:acme/app' }));
      // Assert
      expect(githubError.code).toBe(503);
      expect(fromGitlab.issuer.name).toBe('gitlab');
    });
  });
});

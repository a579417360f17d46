import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { listenOn } from './listen-on';
import { signJwt } from './sign-jwt';

/** Options of the demo issuer. */
export interface DemoIssuerOptions {
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly host?: string;
  readonly port?: number;
  /** Where the signing key is kept, so tokens stay valid across restarts. */
  readonly stateDir: string;
}

/** A running demo issuer. */
export interface DemoIssuer {
  /** The `iss` of its tokens, e.g. `https://127.0.0.1:9444`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** The private key, for tests that need to sign unusual tokens. */
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly kid: string;
  /** Mints a token; `claims` override the defaults (iss, iat, exp in 1 hour, nbf). */
  mint(claims: Readonly<Record<string, unknown>>, ttlSeconds?: number): string;
  close(): Promise<void>;
}

/**
 * LOCAL MODE ONLY: a tiny OIDC issuer standing in for GitHub Actions, GitLab or Okta, so local mode can
 * verify real RS256 JWTs through the same aws-jwt-verify code path as production. It serves discovery and
 * JWKS over https (aws-jwt-verify fetches JWKS over https only).
 */
export async function startDemoIssuer(options: DemoIssuerOptions): Promise<DemoIssuer> {
  const privateKey = loadOrCreateKey(path.join(options.stateDir, 'demo-issuer-key.pem'));
  const publicKey = createPublicKey(privateKey);
  const kid = 'gatehouse-demo-1';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, { issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (url.pathname === '/.well-known/jwks.json') return json(res, { keys: [jwk] });
    res.writeHead(404).end();
  });
  await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1', { service: 'demo OIDC issuer', option: '--issuer-port' });
  const { port } = server.address() as AddressInfo;
  issuer = `https://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kid,
    mint(claims, ttlSeconds = 3600) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt({ iss: issuer, iat: now, nbf: now - 5, exp: now + ttlSeconds, ...claims }, { alg: 'RS256', key: privateKey, kid });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function loadOrCreateKey(file: string): KeyObject {
  if (fs.existsSync(file)) return createPrivateKey(fs.readFileSync(file));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return privateKey;
}

function json(res: import('node:http').ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

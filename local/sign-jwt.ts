import { createHmac, createSign, type KeyObject } from 'node:crypto';

/** How a JWT is signed: RS256 with a private key for real tokens; HS256 and `none` exist to build hostile tokens in tests. */
export type JwtSigning =
  | { readonly alg: 'RS256'; readonly key: KeyObject | string; readonly kid: string }
  | { readonly alg: 'HS256'; readonly secret: string | Buffer; readonly kid?: string }
  | { readonly alg: 'none' };

/** Signs a JWT (compact serialisation). Local mode's demo issuer and the tests use it; the proxy never signs. */
export function signJwt(payload: Readonly<Record<string, unknown>>, signing: JwtSigning): string {
  const header = { alg: signing.alg, typ: 'JWT', ...('kid' in signing && signing.kid ? { kid: signing.kid } : {}) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  switch (signing.alg) {
    case 'RS256':
      return `${input}.${createSign('RSA-SHA256').update(input).sign(signing.key).toString('base64url')}`;
    case 'HS256':
      return `${input}.${createHmac('sha256', signing.secret).update(input).digest('base64url')}`;
    default:
      return `${input}.`;
  }
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

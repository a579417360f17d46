import { JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError, JwksValidationError, JwtExpiredError, JwtInvalidSignatureError, KidNotFoundInJwksError, JwtInvalidAudienceError, JwtInvalidIssuerError, JwtInvalidSignatureAlgorithmError,
  JwtNotBeforeError, JwtParseError, ParameterValidationError,
} from 'aws-jwt-verify/error';
import type { IssuerConfig } from '../core/gateway-config';
import type { TokenVerifier } from '../core/ports';
import { GatehouseError, ServiceUnavailableError, UnauthenticatedError } from '../core/errors';

/** Clock skew tolerated on exp and nbf. */
const GRACE_SECONDS = 30;

/**
 * Verifies agent JWTs with aws-jwt-verify against every configured issuer at once (the `iss` claim picks
 * the issuer). Signatures are checked against the issuer's JWKS; `alg: none` and HMAC algorithms are
 * refused by the library, which only accepts asymmetric algorithms. Failures become 401 Status messages
 * that tell the agent what to fix without echoing the token.
 */
export function createJwtTokenVerifier(issuers: readonly IssuerConfig[]): TokenVerifier {
  const verifier = JwtVerifier.create(
    issuers.map((i) => ({
      issuer: i.issuer,
      audience: [...i.audience],
      jwksUri: i.jwksUri ?? `${i.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      graceSeconds: GRACE_SECONDS,
    })),
  );
  const byIssuer = new Map(issuers.map((i) => [i.issuer, i]));
  return {
    async verify(token) {
      // Refuse a foreign issuer before any key lookup: the message is clearer, and an attacker cannot make
      // Gatehouse fetch a configured issuer's JWKS for a token that issuer never signed.
      if (!byIssuer.has(unverifiedIssuer(token) ?? '')) {
        throw new UnauthenticatedError('The token issuer is not trusted by this Gatehouse; use a token from a configured issuer.');
      }
      try {
        const claims = (await verifier.verify(token)) as Record<string, unknown>;
        const issuer = byIssuer.get(String(claims.iss));
        if (!issuer) throw new UnauthenticatedError('The token issuer is not trusted by this Gatehouse.');
        return { claims, issuer };
      } catch (error) {
        throw toGatehouseError(error);
      }
    },
  };
}

/** The `iss` claim of a token whose signature has not been checked yet; only used to pick the issuer. */
function unverifiedIssuer(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

function toGatehouseError(error: unknown): GatehouseError {
  if (error instanceof GatehouseError) return error;
  const fix = 'Request a fresh OIDC token for the audience this Gatehouse expects and retry.';
  if (error instanceof JwtExpiredError) return new UnauthenticatedError(`The token has expired. ${fix}`);
  if (error instanceof JwtNotBeforeError) return new UnauthenticatedError(`The token is not valid yet (nbf is in the future); check the clock of the machine that issued it.`);
  if (error instanceof JwtInvalidIssuerError) return new UnauthenticatedError('The token issuer is not trusted by this Gatehouse; use a token from a configured issuer.');
  if (error instanceof JwtInvalidAudienceError) return new UnauthenticatedError(`The token audience is not accepted by this Gatehouse. ${fix}`);
  if (error instanceof JwtInvalidSignatureAlgorithmError) return new UnauthenticatedError('The token is signed with an algorithm Gatehouse does not accept (RS/ES/EdDSA only).');
  if (error instanceof JwtInvalidSignatureError) return new UnauthenticatedError('The token signature does not verify against its issuer\'s published keys; request a fresh token.');
  if (error instanceof KidNotFoundInJwksError) return new UnauthenticatedError('The token is signed with a key its issuer does not publish; request a fresh token.');
  if (error instanceof JwtParseError) return new UnauthenticatedError('The bearer token is not a well-formed JWT.');
  if (error instanceof FetchError) return new ServiceUnavailableError('Gatehouse could not fetch the issuer\'s signing keys to verify the token; retry shortly.', 5);
  // The issuer's endpoint answered 200 with something that is not a JWKS (an outage page, a proxy): the
  // token is not at fault, so the agent is told to retry, not to fetch a new token.
  if (error instanceof JwksValidationError) return new ServiceUnavailableError('Gatehouse could not read the issuer\'s signing keys (its JWKS endpoint did not answer with a JWKS) to verify the token; retry shortly.', 5);
  if (error instanceof ParameterValidationError) return new UnauthenticatedError('The token issuer is not trusted by this Gatehouse; use a token from a configured issuer.');
  return new UnauthenticatedError(`The token could not be verified. ${fix}`);
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AgentIdentity } from '../agent-identity';
import { ConfigError } from '../errors';

/**
 * Gatehouse session credentials (docs/AWS.md): what `POST /aws-credentials/<connection>` hands an agent in place
 * of an AWS credential, and how a call's session token is opened again. Nothing is stored: the token carries the
 * identity and expiry under a MAC, and the secret access key is a MAC of the token's payload, so Gatehouse can
 * recompute the secret of any token it issued while only the agent that received the answer holds it.
 *
 * Token: `ghs1.<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, 'ghs1.' + <base64url payload>))>`.
 * Secret: `base64url(HMAC-SHA256(key, 'secret|' + <access key id> + '|' + <base64url payload>))`. The two MAC
 * inputs start differently, so neither can stand in for the other.
 */

/** Token format version prefix. */
export const SESSION_TOKEN_PREFIX = 'ghs1';
/** Access key ids Gatehouse issues: `GHAK` + 16 base32 characters (20 in all, like AWS's `ASIA...`). */
export const SESSION_ACCESS_KEY_ID = /^GHAK[A-Z2-7]{16}$/;
/** Bounds the work done on a hostile header before any MAC is computed; S3 caps all headers at 8 KB anyway. */
export const MAX_SESSION_TOKEN_LENGTH = 16 * 1024;
/** Shortest credential key accepted: HMAC-SHA256 gains nothing past its block, loses strength below 32 bytes. */
export const MIN_CREDENTIAL_KEY_BYTES = 32;
/** Longest lifetime, STS's own ceiling for a role session. */
export const MAX_SESSION_LIFETIME_SECONDS = 43_200;

/** The credential key: an id (rotation) and the secret bytes. */
export interface CredentialKey {
  readonly id: string;
  readonly key: Buffer;
}

/** The identity as carried in a token: AgentIdentity's fields under short names, to keep the header small. */
export interface SessionIdentityPayload {
  readonly iss: string;
  readonly agent: string;
  readonly session: string;
  readonly groups: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  /** AgentIdentity.tokenExpiresAtMs, when the JWT had one. */
  readonly tokenExp?: number;
}

/** What a session token says, once its MAC has been checked. */
export interface SessionTokenPayload {
  readonly v: 1;
  /** Id of the credential key that MACed the token. */
  readonly kid: string;
  /** The access key id issued with the token. */
  readonly akid: string;
  /** The AWS connection the credential is for. */
  readonly conn: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issue time, seconds since the epoch. */
  readonly iat: number;
  readonly id: SessionIdentityPayload;
}

/** What `mintSessionCredential` needs. */
export interface MintSessionCredentialInput {
  readonly key: CredentialKey;
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly now: Date;
  /** How long the credential is good for (`awsCredentials.lifetimeSeconds`), 1 to 43200. */
  readonly lifetimeSeconds: number;
}

/** A Gatehouse session credential, the fields of the `credential_process` answer. */
export interface SessionCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Why a token did not open. `ExpiredToken` is the code the SDKs and AWS use for an expired session token. */
export type SessionTokenFailureCode = 'MalformedToken' | 'UnknownKey' | 'BadMac' | 'ExpiredToken';

/** The outcome of `openSessionToken`. */
export type OpenSessionTokenResult =
  | { readonly ok: true; readonly payload: SessionTokenPayload; readonly secretAccessKey: string; readonly identity: AgentIdentity; readonly expiresAt: Date }
  | { readonly ok: false; readonly code: SessionTokenFailureCode; readonly message: string };

/** What `openSessionToken` needs: the keys by id (current and previous ones during a rotation) and the clock. */
export interface OpenSessionTokenOptions {
  readonly keys: (kid: string) => Buffer | undefined;
  readonly now: Date;
}

const RENEW = 'Run gatehouse-aws-credentials again (the SDK and CLI do when they start) to get a new credential.';
const NOT_OURS = `The security token included in the request is invalid: it is not a Gatehouse session token, or it was altered. Use the credential_process gatehouse-aws-credentials, not an AWS credential. ${RENEW}`;

/** Mints a session credential for `identity` on `connection`. Throws ConfigError on a short key or a bad lifetime. */
export function mintSessionCredential(input: MintSessionCredentialInput): SessionCredential {
  const { key, identity, connection, now, lifetimeSeconds } = input;
  if (key.key.length < MIN_CREDENTIAL_KEY_BYTES || key.id === '') {
    throw new ConfigError('AWS credential key', [`key: needs an id and at least ${MIN_CREDENTIAL_KEY_BYTES} bytes`]);
  }
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > MAX_SESSION_LIFETIME_SECONDS) {
    throw new ConfigError('awsCredentials', [`lifetimeSeconds: must be an integer from 1 to ${MAX_SESSION_LIFETIME_SECONDS}`]);
  }
  const accessKeyId = `GHAK${base32(randomBytes(10))}`;
  const iat = Math.floor(now.getTime() / 1000);
  const payload: SessionTokenPayload = {
    v: 1, kid: key.id, akid: accessKeyId, conn: connection, exp: iat + lifetimeSeconds, iat, id: identityPayload(identity),
  };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return {
    accessKeyId,
    secretAccessKey: sessionSecretFor(key.key, accessKeyId, encoded),
    sessionToken: `${SESSION_TOKEN_PREFIX}.${encoded}.${tokenMac(key.key, encoded).toString('base64url')}`,
    expiration: new Date(payload.exp * 1000),
  };
}

/**
 * The secret access key of a token: HMAC-SHA256(key, `secret|<akid>|<base64url payload>`), base64url (43
 * characters). `encodedPayload` is the token's middle part exactly as sent, so no re-serialisation is involved.
 */
export function sessionSecretFor(key: Buffer, accessKeyId: string, encodedPayload: string): string {
  return createHmac('sha256', key).update(`secret|${accessKeyId}|${encodedPayload}`, 'utf8').digest('base64url');
}

/**
 * Opens a session token: shape, key id, MAC (constant time), payload fields, expiry, in that order. The key id is
 * the only field read before the MAC is checked. Whether the token's access key id is the one the request was
 * signed with is the caller's check (`verifyAwsCall`).
 */
export function openSessionToken(token: string, options: OpenSessionTokenOptions): OpenSessionTokenResult {
  const parts = token.length <= MAX_SESSION_TOKEN_LENGTH ? token.split('.') : [];
  if (parts.length !== 3 || parts[0] !== SESSION_TOKEN_PREFIX || !BASE64URL.test(parts[1]) || !BASE64URL.test(parts[2])) {
    return { ok: false, code: 'MalformedToken', message: NOT_OURS };
  }
  const [, encoded, mac] = parts;
  const kid = readKid(encoded);
  if (kid === undefined) return { ok: false, code: 'MalformedToken', message: NOT_OURS };
  const key = options.keys(kid);
  if (!key) {
    return {
      ok: false, code: 'UnknownKey',
      message: `The security token included in the request is invalid: it was signed with a Gatehouse credential key that is no longer in use (rotated or a local mode restart). ${RENEW}`,
    };
  }
  // Compared as text, not decoded bytes: base64url's last character has unused bits, so decoding would accept
  // several spellings of one MAC.
  const expected = Buffer.from(tokenMac(key, encoded).toString('base64url'), 'ascii');
  const provided = Buffer.from(mac, 'ascii');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return { ok: false, code: 'BadMac', message: NOT_OURS };
  const payload = parsePayload(encoded);
  // A MACed payload Gatehouse cannot read was minted by another version: the same advice applies.
  if (!payload) return { ok: false, code: 'MalformedToken', message: NOT_OURS };
  const expiresAt = new Date(payload.exp * 1000);
  if (options.now.getTime() >= expiresAt.getTime()) {
    return { ok: false, code: 'ExpiredToken', message: `The security token included in the request is expired: the Gatehouse session credential expired at ${expiresAt.toISOString()}. ${RENEW}` };
  }
  return { ok: true, payload, secretAccessKey: sessionSecretFor(key, payload.akid, encoded), identity: identityFromPayload(payload.id), expiresAt };
}

/** Rebuilds the AgentIdentity a token was minted for. */
export function identityFromPayload(id: SessionIdentityPayload): AgentIdentity {
  return {
    issuer: id.iss, agent: id.agent, session: id.session, groups: [...id.groups], claims: { ...id.claims },
    ...(id.tokenExp !== undefined ? { tokenExpiresAtMs: id.tokenExp } : {}),
  };
}

function identityPayload(identity: AgentIdentity): SessionIdentityPayload {
  return {
    iss: identity.issuer, agent: identity.agent, session: identity.session, groups: [...identity.groups], claims: { ...identity.claims },
    ...(identity.tokenExpiresAtMs !== undefined ? { tokenExp: identity.tokenExpiresAtMs } : {}),
  };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (10 bytes -> 16 characters). */
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}

function tokenMac(key: Buffer, encodedPayload: string): Buffer {
  return createHmac('sha256', key).update(`${SESSION_TOKEN_PREFIX}.${encodedPayload}`, 'utf8').digest();
}

function decodeJson(encoded: string): unknown {
  try {
    return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function readKid(encoded: string): string | undefined {
  const json = decodeJson(encoded);
  const kid = isObject(json) ? json.kid : undefined;
  return typeof kid === 'string' && kid !== '' ? kid : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isEpochSeconds = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The payload, only if every field has the type Gatehouse wrote; extra fields are dropped. */
function parsePayload(encoded: string): SessionTokenPayload | undefined {
  const p = decodeJson(encoded);
  if (!isObject(p) || p.v !== 1 || !isString(p.kid) || !isString(p.akid) || !SESSION_ACCESS_KEY_ID.test(p.akid) || !isString(p.conn)) return undefined;
  if (!isEpochSeconds(p.exp) || !isEpochSeconds(p.iat) || !isObject(p.id)) return undefined;
  const { iss, agent, session, groups, claims, tokenExp } = p.id;
  if (!isString(iss) || !isString(agent) || !isString(session)) return undefined;
  if (!Array.isArray(groups) || !groups.every(isString)) return undefined;
  if (!isObject(claims) || !Object.values(claims).every(isString)) return undefined;
  if (tokenExp !== undefined && !Number.isFinite(tokenExp)) return undefined;
  return {
    v: 1, kid: p.kid, akid: p.akid, conn: p.conn, exp: p.exp, iat: p.iat,
    id: { iss, agent, session, groups, claims: claims as Record<string, string>, ...(tokenExp !== undefined ? { tokenExp: tokenExp as number } : {}) },
  };
}

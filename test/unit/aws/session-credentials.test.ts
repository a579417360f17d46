import { createHmac } from 'node:crypto';
import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import {
  SESSION_ACCESS_KEY_ID, mintSessionCredential, openSessionToken, sessionSecretFor, type MintSessionCredentialInput,
} from '../../../lambdas/core/aws/session-credentials';
import { ConfigError } from '../../../lambdas/core/errors';

const KEY = { id: 'k-2026-01', key: Buffer.alloc(32, 9) };
const OTHER_KEY = Buffer.alloc(32, 8);
const NOW = new Date('2026-03-04T05:06:07.890Z');
const IDENTITY: AgentIdentity = {
  issuer: 'github', agent: 'repo:acme/app:ref:refs/heads/main', session: 'repo:acme/app:ref:refs/heads/main#42',
  groups: ['deployers', 'oncall'], claims: { repository: 'acme/app', run_id: '42' }, tokenExpiresAtMs: 1_772_600_000_000,
};
const input = (over: Partial<MintSessionCredentialInput> = {}): MintSessionCredentialInput => ({
  key: KEY, identity: IDENTITY, connection: 'prod-aws', now: NOW, lifetimeSeconds: 3600, ...over,
});
const keys = (kid: string): Buffer | undefined => (kid === KEY.id ? KEY.key : undefined);
const at = (offsetSeconds: number): Date => new Date(NOW.getTime() + offsetSeconds * 1000);

/** A token with the given payload, MACed correctly under `key`: what only a holder of the key could make. */
function tokenWith(payload: unknown, key = KEY.key): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `ghs1.${encoded}.${createHmac('sha256', key).update(`ghs1.${encoded}`).digest('base64url')}`;
}
const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

describe('mintSessionCredential', () => {
  it('issues a GHAK access key id of 20 characters, fresh each time', () => {
    const first = mintSessionCredential(input());
    const second = mintSessionCredential(input());

    expect(first.accessKeyId).toMatch(SESSION_ACCESS_KEY_ID);
    expect(first.accessKeyId).toHaveLength(20);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
  });

  it('expires lifetimeSeconds after now, in whole seconds', () => {
    const credential = mintSessionCredential(input({ lifetimeSeconds: 900 }));

    expect(credential.expiration.toISOString()).toBe('2026-03-04T05:21:07.000Z');
  });

  it('writes a ghs1 token whose payload names the key, access key id, connection, times and identity', () => {
    const credential = mintSessionCredential(input());

    expect(credential.sessionToken).toMatch(/^ghs1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(payloadOf(credential.sessionToken)).toEqual({
      v: 1, kid: KEY.id, akid: credential.accessKeyId, conn: 'prod-aws', exp: 1772604367, iat: 1772600767,
      id: { iss: 'github', agent: IDENTITY.agent, session: IDENTITY.session, groups: ['deployers', 'oncall'], claims: IDENTITY.claims, tokenExp: IDENTITY.tokenExpiresAtMs },
    });
  });

  it('derives the secret as HMAC(key, secret|akid|payload), base64url', () => {
    const credential = mintSessionCredential(input());
    const encoded = credential.sessionToken.split('.')[1];

    expect(credential.secretAccessKey).toBe(createHmac('sha256', KEY.key).update(`secret|${credential.accessKeyId}|${encoded}`).digest('base64url'));
    expect(credential.secretAccessKey).toBe(sessionSecretFor(KEY.key, credential.accessKeyId, encoded));
    expect(credential.secretAccessKey).toHaveLength(43);
  });

  it.each([
    ['a key shorter than 32 bytes', { key: { id: 'k', key: Buffer.alloc(31) } }],
    ['a key without an id', { key: { id: '', key: Buffer.alloc(32) } }],
    ['a lifetime of 0', { lifetimeSeconds: 0 }],
    ['a lifetime past 12 hours', { lifetimeSeconds: 43_201 }],
    ['a fractional lifetime', { lifetimeSeconds: 1.5 }],
  ])('refuses %s', (_name, over) => {
    expect(() => mintSessionCredential(input(over))).toThrow(ConfigError);
  });
});

describe('openSessionToken', () => {
  it('opens its own token: payload, the same secret, the identity rebuilt, the expiry', () => {
    const credential = mintSessionCredential(input());

    const opened = openSessionToken(credential.sessionToken, { keys, now: at(10) });

    expect(opened).toMatchObject({ ok: true, secretAccessKey: credential.secretAccessKey, identity: IDENTITY, expiresAt: credential.expiration });
    expect(opened.ok && opened.payload).toMatchObject({ akid: credential.accessKeyId, conn: 'prod-aws', kid: KEY.id });
  });

  it('rebuilds an identity that had no token expiry without inventing one', () => {
    const { tokenExpiresAtMs: _none, ...withoutExpiry } = IDENTITY;
    const credential = mintSessionCredential(input({ identity: withoutExpiry }));

    const opened = openSessionToken(credential.sessionToken, { keys, now: NOW });

    expect(opened.ok && opened.identity).toEqual(withoutExpiry);
  });

  it.each([
    ['a millisecond before its expiry', -1, true],
    ['at its expiry', 0, false],
  ])('is good until its expiry: %s', (_name, offsetMs, ok) => {
    const credential = mintSessionCredential(input());

    expect(openSessionToken(credential.sessionToken, { keys, now: new Date(credential.expiration.getTime() + offsetMs) }).ok).toBe(ok);
  });

  it('answers ExpiredToken after the expiry, saying to run gatehouse-aws-credentials again', () => {
    const credential = mintSessionCredential(input());

    const opened = openSessionToken(credential.sessionToken, { keys, now: at(3601) });

    expect(opened).toMatchObject({ ok: false, code: 'ExpiredToken' });
    expect(opened.ok ? '' : opened.message).toContain('Run gatehouse-aws-credentials again');
    expect(opened.ok ? '' : opened.message).toContain('2026-03-04T06:06:07.000Z');
  });

  it('answers UnknownKey for a key id it does not hold (rotated, or a restarted local mode)', () => {
    const credential = mintSessionCredential(input({ key: { id: 'old', key: OTHER_KEY } }));

    expect(openSessionToken(credential.sessionToken, { keys, now: NOW })).toMatchObject({ ok: false, code: 'UnknownKey' });
  });

  it('opens a token of a previous key while it is still offered', () => {
    const credential = mintSessionCredential(input({ key: { id: 'old', key: OTHER_KEY } }));

    const opened = openSessionToken(credential.sessionToken, { keys: (kid) => (kid === 'old' ? OTHER_KEY : keys(kid)), now: NOW });

    expect(opened).toMatchObject({ ok: true, secretAccessKey: credential.secretAccessKey });
  });

  it('refuses a token MACed under another key that claims this key id', () => {
    const credential = mintSessionCredential(input({ key: { id: KEY.id, key: OTHER_KEY } }));

    expect(openSessionToken(credential.sessionToken, { keys, now: NOW })).toMatchObject({ ok: false, code: 'BadMac' });
  });

  it.each([
    ['connection', (p: Record<string, unknown>) => ({ ...p, conn: 'admin-aws' })],
    ['expiry', (p: Record<string, unknown>) => ({ ...p, exp: (p.exp as number) + 86_400 })],
    ['agent', (p: Record<string, unknown>) => ({ ...p, id: { ...(p.id as object), agent: 'someone-else' } })],
  ])('refuses a payload whose %s was changed (the MAC no longer matches)', (_name, change) => {
    const token = mintSessionCredential(input()).sessionToken;
    const [prefix, , mac] = token.split('.');
    const changed = Buffer.from(JSON.stringify(change(payloadOf(token)))).toString('base64url');

    expect(openSessionToken(`${prefix}.${changed}.${mac}`, { keys, now: NOW })).toMatchObject({ ok: false, code: 'BadMac' });
  });

  it.each([
    ['an empty string', ''],
    ['an AWS session token', 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ'],
    ['another version', 'ghs2.e30.AAAA'],
    ['two parts', 'ghs1.e30'],
    ['four parts', 'ghs1.e30.AAAA.AAAA'],
    ['a payload that is not JSON', `ghs1.${Buffer.from('nope').toString('base64url')}.AAAA`],
    ['a payload without a key id', `ghs1.${Buffer.from('{"v":1}').toString('base64url')}.AAAA`],
    ['characters outside base64url', 'ghs1.e30=.AAAA'],
    ['a token past 16 KiB', `ghs1.${'A'.repeat(16 * 1024)}.AAAA`],
  ])('answers MalformedToken for %s', (_name, token) => {
    expect(openSessionToken(token, { keys, now: NOW })).toMatchObject({ ok: false, code: 'MalformedToken' });
  });

  it.each([
    ['a version other than 1', { v: 2 }],
    ['an access key id that is not a GHAK one', { akid: 'ASIAAAAAAAAAAAAAAAAA' }],
    ['a string expiry', { exp: '1772604367' }],
    ['groups that are not strings', { id: { iss: 'github', agent: 'a', session: 's', groups: [1], claims: {} } }],
    ['claims that are not strings', { id: { iss: 'github', agent: 'a', session: 's', groups: [], claims: { n: 1 } } }],
    ['no identity', { id: undefined }],
  ])('answers MalformedToken for a correctly MACed payload with %s', (_name, change) => {
    const base = payloadOf(mintSessionCredential(input()).sessionToken);

    expect(openSessionToken(tokenWith({ ...base, ...change }), { keys, now: NOW })).toMatchObject({ ok: false, code: 'MalformedToken' });
  });

  it('tells the user what to do in every refusal', () => {
    const messages = ['', 'ghs1.e30.AAAA', mintSessionCredential(input({ key: { id: 'gone', key: OTHER_KEY } })).sessionToken]
      .map((token) => openSessionToken(token, { keys, now: NOW }))
      .map((r) => (r.ok ? '' : r.message));

    for (const message of messages) expect(message).toContain('gatehouse-aws-credentials');
  });
});

import { slackSignature, verifySlackSignature } from '../../../lambdas/core/approvals/slack-signature';

// The worked example of Slack's "Verifying requests from Slack" documentation.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar'
  + '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J'
  + '%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = new Date(Number(TIMESTAMP) * 1000);

describe('slackSignature', () => {
  it("reproduces the example of Slack's documentation", () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });

  it('signs bytes and the same text alike', () => {
    expect(slackSignature(SECRET, TIMESTAMP, Buffer.from(BODY))).toBe(SIGNATURE);
  });
});

describe('verifySlackSignature', () => {
  const check = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({ signingSecret: SECRET, timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY, now: AT, ...overrides });

  it.each<[string, Partial<Parameters<typeof verifySlackSignature>[0]>, string]>([
    ['the genuine request', {}, 'ok'],
    ['the genuine request 299 s later', { now: new Date(AT.getTime() + 299_000) }, 'ok'],
    ['a request with a clock 299 s ahead', { now: new Date(AT.getTime() - 299_000) }, 'ok'],
    ['a request 301 s old (replay window passed)', { now: new Date(AT.getTime() + 301_000) }, 'stale'],
    ['a request from 301 s in the future', { now: new Date(AT.getTime() - 301_000) }, 'stale'],
    ['a changed body', { rawBody: BODY.replace('roadrunner', 'coyote') }, 'mismatch'],
    ['a body re-encoded after parsing (spaces as +)', { rawBody: BODY.replace('text=', 'text=+') }, 'mismatch'],
    ['another signing secret', { signingSecret: 'another-secret' }, 'mismatch'],
    ['a timestamp changed to match the clock', { timestamp: '1531420700', now: new Date(1531420700 * 1000) }, 'mismatch'],
    ['an upper-case signature', { signature: SIGNATURE.toUpperCase() }, 'malformed-signature'],
    ['a truncated signature', { signature: SIGNATURE.slice(0, -2) }, 'malformed-signature'],
    ['a v1 signature', { signature: SIGNATURE.replace('v0=', 'v1=') }, 'malformed-signature'],
    ['no signature header', { signature: undefined }, 'missing-headers'],
    ['no timestamp header', { timestamp: undefined }, 'missing-headers'],
    ['a timestamp that is not a number', { timestamp: '1531420618.5' }, 'malformed-timestamp'],
  ])('%s: %s', (_case, overrides, expected) => {
    const result = check(overrides);
    expect(result.ok ? 'ok' : result.reason).toBe(expected);
  });
});

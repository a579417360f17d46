import { InternalError } from '../../../lambdas/core/errors';
import { buildUpstreamHeaders, type UpstreamHeaderOptions } from '../../../lambdas/core/upstream-headers';

const TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20v';
const options = (overrides: Partial<UpstreamHeaderOptions> = {}): UpstreamHeaderOptions => ({ bearerToken: TOKEN, forceJsonAccept: false, ...overrides });

function internalErrorOf(overrides: Partial<UpstreamHeaderOptions>): InternalError {
  try {
    buildUpstreamHeaders({}, options(overrides));
  } catch (error) {
    if (error instanceof InternalError) return error;
    throw error;
  }
  throw new Error('expected an internal error');
}

describe('upstream header edges', () => {
  it('adds no header the client did not send', () => {
    // Arrange: curl with nothing but its user agent.
    const incoming = { 'user-agent': ['curl/8.5.0'] };

    // Act
    const headers = buildUpstreamHeaders(incoming, options());

    // Assert
    expect(headers).toEqual({ 'user-agent': 'curl/8.5.0', 'accept-encoding': 'identity', authorization: `Bearer ${TOKEN}` });
  });

  it('escapes a control byte in an extra key as two hex digits, as client-go does', () => {
    const headers = buildUpstreamHeaders({}, options({ impersonate: { user: 'u', groups: [], extra: { 'a\tb': ['v'] } } }));

    expect(headers['impersonate-extra-a%09b']).toEqual(['v']);
  });

  it.each<[string, Partial<UpstreamHeaderOptions>, string]>([
    ['the audit id', { auditId: '' }, 'the audit id'],
    ['the impersonated user', { impersonate: { user: 'bad\nuser', groups: [] } }, 'the impersonated user'],
    ['the impersonated uid', { impersonate: { user: 'u', uid: '', groups: [] } }, 'the impersonated uid'],
    ['an impersonated group', { impersonate: { user: 'u', groups: ['a\nb'] } }, 'an impersonated group'],
    ['an impersonation extra', { impersonate: { user: 'u', groups: [], extra: { scopes: ['x\ny'] } } }, 'the impersonation extra "scopes"'],
  ])('tells the administrator that %s was unusable, and forwards nothing', (_case, overrides, what) => {
    const error = internalErrorOf(overrides);

    expect(error.message).toBe(
      `Gatehouse could not build the request for the cluster: ${what} is empty or contains characters HTTP does not allow. The request was not forwarded; report this to the Gatehouse administrator.`,
    );
  });
});

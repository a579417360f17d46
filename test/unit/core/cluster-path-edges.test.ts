import { BadRequestError } from '../../../lambdas/core/errors';
import { parseClusterPath } from '../../../lambdas/core/safe-cluster-path';

/**
 * Edges of the path and query rules where Gatehouse must read a request exactly as the API server will:
 * a byte-order mark inside a name, empty and key-less query parameters, and strings that are not valid
 * Unicode (API Gateway hands the proxy JavaScript strings, which can hold lone surrogates).
 */
function refusalOf(rawPath: string, rawQuery: string): BadRequestError {
  try {
    parseClusterPath(rawPath, rawQuery);
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(rawQuery)} to be refused`);
}

describe('cluster path edges', () => {
  it('keeps a byte-order mark at the start of a name, as the API server does', () => {
    // Arrange
    const rawPath = '/api/v1/namespaces/prod/configmaps/%EF%BB%BFsettings';

    // Act
    const result = parseClusterPath(rawPath, '');

    // Assert
    expect(result.path).toBe('/api/v1/namespaces/prod/configmaps/\uFEFFsettings');
    expect(result.encodedPath).toBe('/api/v1/namespaces/prod/configmaps/%EF%BB%BFsettings');
  });

  it('treats a missing query as no query', () => {
    const result = parseClusterPath('/version');

    expect(result.target).toBe('/version');
    expect([...result.query]).toEqual([]);
  });

  it.each([
    ['a doubled "&"', 'limit=500&&watch=true', 'limit=500&watch=true'],
    ['a trailing "&"', 'limit=500&', 'limit=500'],
    ['a lone "&"', '&', ''],
  ])('skips the empty parameters of %s, as Go does', (_case, rawQuery, forwarded) => {
    const result = parseClusterPath('/api/v1/pods', rawQuery);

    expect(result.query.toString()).toBe(forwarded);
    expect(result.target).toBe(forwarded ? `/api/v1/pods?${forwarded}` : '/api/v1/pods');
  });

  it('reads "=x" as an empty key with value x, as Go does', () => {
    const result = parseClusterPath('/api/v1/pods', '=x');

    expect([...result.query]).toEqual([['', 'x']]);
    expect(result.target).toBe('/api/v1/pods?=x');
  });

  it.each([
    ['a lone high surrogate before a letter', 'labelSelector=app%3Dweb\ud800a'],
    ['a lone high surrogate at the end', 'labelSelector=\ud800'],
    ['a lone low surrogate after a letter', 'labelSelector=a\udc00'],
    ['a lone low surrogate at the start', '\udc00=x'],
  ])('refuses a query with %s', (_case, rawQuery) => {
    const error = refusalOf('/api/v1/pods', rawQuery);

    expect(error.code).toBe(400);
    expect(error.message).toMatch(/query string: it is not valid Unicode/);
  });

  it('accepts a character outside the BMP written as a surrogate pair', () => {
    const result = parseClusterPath('/api/v1/pods', 'labelSelector=note%3D\ud83d\ude00');

    expect(result.query.get('labelSelector')).toBe('note=\ud83d\ude00');
  });
});

import { BadRequestError } from '../../../lambdas/core/errors';
import { MAX_CLUSTER_PATH_LENGTH, parseClusterPath } from '../../../lambdas/core/safe-cluster-path';

function refusal(rawPath: string, rawQuery = ''): BadRequestError {
  try {
    parseClusterPath(rawPath, rawQuery);
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(rawPath)} ? ${JSON.stringify(rawQuery)} to be refused`);
}

describe('parseClusterPath', () => {
  it.each([
    ['pod list as kubectl get pods sends it', '/api/v1/namespaces/prod/pods', 'limit=500', '/api/v1/namespaces/prod/pods', 'limit=500'],
    ['scale subresource', '/apis/apps/v1/namespaces/prod/deployments/api/scale', '', '/apis/apps/v1/namespaces/prod/deployments/api/scale', ''],
    ['pod log with container', '/api/v1/namespaces/prod/pods/p/log', 'container=c', '/api/v1/namespaces/prod/pods/p/log', 'container=c'],
    ['RBAC name with colons', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user', '', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user', ''],
    ['service proxy with scheme and port name', '/api/v1/namespaces/prod/services/https:web:443/proxy/healthz', '', '/api/v1/namespaces/prod/services/https:web:443/proxy/healthz', ''],
    ['version discovery', '/version', '', '/version', ''],
    ['aggregated discovery root', '/apis', '', '/apis', ''],
    ['openapi v3 with hash', '/openapi/v3/apis/apps/v1', 'hash=4F9A0C', '/openapi/v3/apis/apps/v1', 'hash=4F9A0C'],
    ['watch with bookmarks', '/api/v1/namespaces/prod/pods', 'watch=true&resourceVersion=123&allowWatchBookmarks=true', '/api/v1/namespaces/prod/pods', 'watch=true&resourceVersion=123&allowWatchBookmarks=true'],
    ['server-side apply', '/apis/apps/v1/namespaces/prod/deployments/api', 'fieldManager=kubectl&fieldValidation=Strict&force=false', '/apis/apps/v1/namespaces/prod/deployments/api', 'fieldManager=kubectl&fieldValidation=Strict&force=false'],
    ['dots inside a name', '/api/v1/namespaces/prod/configmaps/kube-root-ca.crt', '', '/api/v1/namespaces/prod/configmaps/kube-root-ca.crt', ''],
  ])('accepts %s', (_case, rawPath, rawQuery, path, query) => {
    const result = parseClusterPath(rawPath, rawQuery);

    expect(result.path).toBe(path);
    expect(result.encodedPath).toBe(path);
    expect(result.query.toString()).toBe(query);
    expect(result.target).toBe(query ? `${path}?${query}` : path);
  });

  it.each([
    ['an empty path as the root', '', '/'],
    ['the root', '/', '/'],
    ['one trailing slash, which proxy paths need', '/api/v1/namespaces/prod/pods/web:8080/proxy/', '/api/v1/namespaces/prod/pods/web:8080/proxy/'],
  ])('accepts %s', (_case, rawPath, path) => {
    expect(parseClusterPath(rawPath, '').path).toBe(path);
  });

  it.each([
    ['an encoded colon, forwarded raw as kubectl sends it', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acontroller%3Ajob-controller', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:controller:job-controller', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:controller:job-controller'],
    ['an encoded ordinary letter, so rules cannot be dodged with pr%6Fd', '/api/v1/namespaces/pr%6Fd/secrets', '/api/v1/namespaces/prod/secrets', '/api/v1/namespaces/prod/secrets'],
    ['encoded UTF-8, re-encoded canonically', '/api/v1/namespaces/prod/configmaps/caf%c3%a9', '/api/v1/namespaces/prod/configmaps/café', '/api/v1/namespaces/prod/configmaps/caf%C3%A9'],
    ['an encoded space', '/api/v1/namespaces/prod/services/web/proxy/a%20b', '/api/v1/namespaces/prod/services/web/proxy/a b', '/api/v1/namespaces/prod/services/web/proxy/a%20b'],
  ])('decodes %s', (_case, rawPath, path, encodedPath) => {
    const result = parseClusterPath(rawPath, '');

    expect(result.path).toBe(path);
    expect(result.encodedPath).toBe(encodedPath);
  });

  it.each([
    ['field selectors, decoded', 'fieldSelector=metadata.name%3Dweb-0', 'fieldSelector', ['metadata.name=web-0']],
    ['"+" as a space, as Go reads queries', 'labelSelector=app+in+(web,api)', 'labelSelector', ['app in (web,api)']],
    ['repeated exec commands, in order', 'command=sh&command=-c&command=echo%20hi&stdout=true', 'command', ['sh', '-c', 'echo hi']],
    ['a leading "?"', '?limit=500', 'limit', ['500']],
    ['a key without "="', 'watch', 'watch', ['']],
    ['empty pairs, skipped', 'limit=1&&', 'limit', ['1']],
    ['an encoded "+" as a plus', 'continue=eyJ2Ijoi%2B%3D', 'continue', ['eyJ2Ijoi+=']],
  ])('parses queries with %s', (_case, rawQuery, key, values) => {
    expect(parseClusterPath('/api/v1/pods', rawQuery).query.getAll(key)).toEqual(values);
  });

  it('re-serializes the query so the cluster decodes the same values', () => {
    const { target } = parseClusterPath('/api/v1/namespaces/prod/pods', 'labelSelector=app+in+(web)&fieldSelector=metadata.name%3Dweb-0');

    const forwarded = new URLSearchParams(target.split('?')[1]);
    expect(forwarded.get('labelSelector')).toBe('app in (web)');
    expect(forwarded.get('fieldSelector')).toBe('metadata.name=web-0');
  });

  it.each([
    ['a path without a leading slash', 'api/v1/pods', /must start with "\/"/],
    ['an absolute http URL', 'http://evil.example/api/v1/pods', /absolute URLs/],
    ['an absolute https URL', 'https://kubernetes.default.svc/api', /absolute URLs/],
    ['a scheme-relative URL', '//evil.example/api/v1/pods', /names another host/],
    ['a ".." segment', '/api/v1/namespaces/prod/../../version', /"\." or "\.\." segment/],
    ['a trailing ".." segment', '/api/v1/namespaces/..', /"\." or "\.\." segment/],
    ['a "." segment', '/api/./v1/pods', /"\." or "\.\." segment/],
    ['an encoded dot', '/api/v1/%2e%2e/secrets', /percent-encoded dot/],
    ['an encoded dot in upper case', '/api/v1/%2E%2E/secrets', /percent-encoded dot/],
    ['an encoded dot in mixed case', '/api/v1/namespaces/prod/pods/%2E./x', /percent-encoded dot/],
    ['an encoded dot inside a name', '/api/v1/namespaces/prod/pods/a%2eb', /percent-encoded dot/],
    ['a double-encoded dot', '/api/v1/%252e%252e/secrets', /double encoding/],
    ['a double-encoded slash', '/api/v1/namespaces/prod%252fsecrets', /double encoding/],
    ['an encoded slash', '/api/v1/namespaces/prod%2fsecrets', /encoded slash/],
    ['an encoded slash in upper case', '/api/v1/namespaces/prod%2Fsecrets', /encoded slash/],
    ['an encoded backslash', '/api/v1/namespaces/prod%5csecrets', /encoded backslash/],
    ['an encoded backslash in upper case', '/api/v1/namespaces/prod%5Csecrets', /encoded backslash/],
    ['a raw backslash', '/api/v1\\..\\version', /backslash/],
    ['a raw NUL', '/api/v1/pods\u0000', /control character/],
    ['a raw newline', '/api/v1/pods\nHost: evil', /control character/],
    ['a raw tab', '/api/v1/\tpods', /control character/],
    ['an encoded NUL', '/api/v1/pods%00', /encoded control character/],
    ['an encoded line feed', '/api/v1/pods%0a', /encoded control character/],
    ['an encoded DEL', '/api/v1/pods%7F', /encoded control character/],
    ['an encoded C1 control', '/api/v1/pods%C2%85', /encoded control character/],
    ['an empty segment', '/api//v1/pods', /empty segment/],
    ['two trailing slashes', '/api/v1/pods//', /empty segment/],
    ['a "%" without two hex digits', '/api/v1/pods%zz', /two hex digits/],
    ['a truncated escape', '/api/v1/pods%2', /two hex digits/],
    ['invalid UTF-8', '/api/v1/namespaces/prod/configmaps/%C3%28', /not valid UTF-8/],
    ['a stray continuation byte', '/api/v1/namespaces/prod/configmaps/%80', /not valid UTF-8/],
    ['an encoded "?"', '/api/v1/namespaces/prod/secrets%3F', /encoded "\?" or "#"/],
    ['an encoded "#"', '/api/v1/namespaces/prod/secrets%23x', /encoded "\?" or "#"/],
    ['a raw space', '/api/v1/namespaces/prod/pods/a b', /must be percent-encoded/],
    ['a raw "?"', '/api/v1/pods?watch=1', /must be percent-encoded/],
    ['raw non-ASCII', '/api/v1/namespaces/prod/configmaps/café', /must be percent-encoded/],
    ['a path one character over the limit', `/${'a'.repeat(MAX_CLUSTER_PATH_LENGTH)}`, /over the limit of 4096/],
  ])('refuses %s', (_case, rawPath, message) => {
    const error = refusal(rawPath);

    expect(error.code).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('accepts a path exactly at the length limit', () => {
    const rawPath = `/${'a'.repeat(MAX_CLUSTER_PATH_LENGTH - 1)}`;

    expect(parseClusterPath(rawPath, '').path).toBe(rawPath);
  });

  it.each([
    ['";" separators, which the API server drops', 'watch=true;limit=1', /";"/],
    ['a "%" without two hex digits', 'fieldSelector=a%zz', /two hex digits/],
    ['invalid UTF-8', 'labelSelector=%FF', /not valid UTF-8/],
    ['a raw control character', 'limit=1\r\nX: y', /control character/],
    ['a fragment marker', 'limit=1#x', /"#"/],
  ])('refuses a query with %s', (_case, rawQuery, message) => {
    expect(refusal('/api/v1/pods', rawQuery).message).toMatch(message);
  });

  it('tells the user what a valid path looks like', () => {
    expect(refusal('/api/../version').message).toMatch(/Send the path as kubectl does/);
  });
});

import { BadRequestError, InternalError } from '../../../lambdas/core/errors';
import {
  buildUpstreamHeaders,
  findClientImpersonation,
  responseHeadersForClient,
  type IncomingHeaders,
  type UpstreamHeaderOptions,
} from '../../../lambdas/core/upstream-headers';
import { DISCOVERY_ACCEPT, PLAIN_JSON_ACCEPT, TABLE_ACCEPT, WATCH_STREAM_ACCEPT } from '../../../lambdas/core/upstream-accept';

const KUBECTL_GET_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const TOKEN = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20v';
const options = (overrides: Partial<UpstreamHeaderOptions> = {}): UpstreamHeaderOptions => ({ bearerToken: TOKEN, forceJsonAccept: false, ...overrides });

/** Headers as API Gateway hands a kubectl 1.35 request to the proxy. */
const kubectlRequest = (): Record<string, string[]> => ({
  accept: ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'],
  'content-type': ['application/apply-patch+yaml'],
  'user-agent': ['kubectl/v1.35.0 (linux/amd64) kubernetes/66452049'],
  'kubectl-command': ['kubectl apply'],
  'kubectl-session': ['5a8c2f1e-0b7d-4b1e-9f3a-2d6c1e8b7a90'],
  'accept-encoding': ['gzip'],
  authorization: ['Bearer eyJhbGciOiJSUzI1NiJ9.agent.jwt'],
  host: ['abc123.execute-api.eu-west-1.amazonaws.com'],
  'x-forwarded-for': ['203.0.113.7'],
  'x-amzn-trace-id': ['Root=1-67891233-abcdef012345678912345678'],
});

describe('buildUpstreamHeaders', () => {
  it('forwards only the allowlisted kubectl headers and adds Gatehouse credentials', () => {
    const headers = buildUpstreamHeaders(kubectlRequest(), options({ contentLength: 42, auditId: 'req-123' }));

    expect(headers).toEqual({
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      'content-type': 'application/apply-patch+yaml',
      'user-agent': 'kubectl/v1.35.0 (linux/amd64) kubernetes/66452049',
      'kubectl-command': 'kubectl apply',
      'kubectl-session': '5a8c2f1e-0b7d-4b1e-9f3a-2d6c1e8b7a90',
      'accept-encoding': 'identity',
      'content-length': '42',
      'audit-id': 'req-123',
      authorization: `Bearer ${TOKEN}`,
    });
  });

  it.each([
    'accept-encoding', 'cookie', 'authorization', 'proxy-authorization', 'impersonate-user', 'impersonate-group',
    'impersonate-uid', 'impersonate-extra-scopes', 'x-remote-user', 'x-remote-group', 'x-forwarded-for',
    'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-host', 'x-amz-date', 'x-amz-security-token',
    'x-amzn-trace-id', 'x-amz-cf-id', 'host', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding',
    'upgrade', 'forwarded', 'via', 'audit-id', 'content-length', 'content-encoding', 'sec-websocket-protocol',
    'sec-websocket-key', 'x-stream-protocol-version', 'if-none-match', 'origin',
  ])('never forwards the client\'s %s header', (name) => {
    const headers = buildUpstreamHeaders({ [name]: ['client-value'] }, options());

    expect(Object.entries(headers).filter(([, value]) => value === 'client-value' || (Array.isArray(value) && value.includes('client-value')))).toEqual([]);
  });

  it('drops an allowlisted header that the Connection header names as hop-by-hop', () => {
    const headers = buildUpstreamHeaders({ connection: ['keep-alive, Kubectl-Command'], 'kubectl-command': ['kubectl delete'] }, options());

    expect(headers['kubectl-command']).toBeUndefined();
  });

  it('reads header names case-insensitively', () => {
    const headers = buildUpstreamHeaders({ 'Content-Type': ['application/json'] }, options());

    expect(headers['content-type']).toBe('application/json');
  });

  it('joins repeated Accept headers, which HTTP allows for list headers', () => {
    const headers = buildUpstreamHeaders({ accept: ['application/json', 'application/yaml'] }, options());

    expect(headers['accept']).toBe('application/json, application/yaml');
  });

  it.each([
    ['two Content-Type headers', { 'content-type': ['application/json', 'application/vnd.kubernetes.protobuf'] }, /2 content-type headers/],
    ['two User-Agent headers', { 'user-agent': ['kubectl', 'curl'] }, /2 user-agent headers/],
    ['a control character in a value', { 'kubectl-command': ['kubectl get\r\nx-evil: 1'] }, /characters HTTP does not allow/],
  ])('refuses %s', (_case, incoming, message) => {
    expect(() => buildUpstreamHeaders(incoming as IncomingHeaders, options())).toThrow(BadRequestError);
    expect(() => buildUpstreamHeaders(incoming as IncomingHeaders, options())).toThrow(message);
  });

  it.each<[string, string | undefined, string]>([
    ['keeps kubectl get\'s Table Accept', KUBECTL_GET_ACCEPT, TABLE_ACCEPT],
    ['asks for plain JSON instead of the protobuf a typed client prefers', 'application/vnd.kubernetes.protobuf,application/json', PLAIN_JSON_ACCEPT],
    ['asks for a JSON Table when the client wanted a protobuf Table first',
      'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io,application/json', TABLE_ACCEPT],
    ['asks for aggregated discovery when kubectl does',
      'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json;q=0.9',
      DISCOVERY_ACCEPT],
    ['replaces the OpenAPI v2 protobuf type', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', PLAIN_JSON_ACCEPT],
    ['replaces a protobuf-only Accept', 'application/vnd.kubernetes.protobuf', PLAIN_JSON_ACCEPT],
    ['keeps the watch framing, as JSON', 'application/vnd.kubernetes.protobuf;stream=watch,application/json;stream=watch', WATCH_STREAM_ACCEPT],
    ['replaces CBOR', 'application/cbor;q=1,application/json;q=0.5', PLAIN_JSON_ACCEPT],
    ['replaces CBOR sequences', 'application/cbor-seq', PLAIN_JSON_ACCEPT],
    ['replaces YAML', 'application/yaml', PLAIN_JSON_ACCEPT],
    ['replaces a wildcard', '*/*', PLAIN_JSON_ACCEPT],
    ['replaces JSON marked not acceptable (q=0), which the server still serves', 'application/json;q=0,application/vnd.kubernetes.protobuf', PLAIN_JSON_ACCEPT],
    ['replaces +json media types', 'application/jwk-set+json', PLAIN_JSON_ACCEPT],
    ['does not forward a parameter smuggled in a quoted comma',
      'application/json;profile="a,application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1"', PLAIN_JSON_ACCEPT],
    ['sets JSON when the client sent no Accept', undefined, PLAIN_JSON_ACCEPT],
  ])('when forcing JSON, %s', (_case, accept, expected) => {
    const headers = buildUpstreamHeaders(accept === undefined ? {} : { accept: [accept] }, options({ forceJsonAccept: true }));

    expect(headers['accept']).toBe(expected);
  });

  it('reads only the first of several Accept headers when forcing JSON, as the server does (Header.Get)', () => {
    const incoming = { accept: ['application/vnd.kubernetes.protobuf', 'application/json;as=Table;v=v1;g=meta.k8s.io'] };

    expect(buildUpstreamHeaders(incoming, options({ forceJsonAccept: true }))['accept']).toBe(PLAIN_JSON_ACCEPT);
  });

  it('passes Accept through untouched when not forcing JSON', () => {
    const headers = buildUpstreamHeaders({ accept: ['application/vnd.kubernetes.protobuf,application/json'] }, options());

    expect(headers['accept']).toBe('application/vnd.kubernetes.protobuf,application/json');
  });

  it('impersonates the user, every group and the extras, escaping extra keys as client-go does', () => {
    const headers = buildUpstreamHeaders({}, options({
      impersonate: {
        user: 'gatehouse:acme/deployer',
        uid: 'agent-7',
        groups: ['gatehouse:agents', 'sre'],
        extra: { sessionName: ['run-42'], 'example.com/team': ['payments', 'platform'], 'naïve key%': ['v'], unused: [] },
      },
    }));

    expect(headers).toMatchObject({
      'impersonate-user': 'gatehouse:acme/deployer',
      'impersonate-uid': 'agent-7',
      'impersonate-group': ['gatehouse:agents', 'sre'],
      'impersonate-extra-sessionname': ['run-42'],
      'impersonate-extra-example.com%2fteam': ['payments', 'platform'],
      'impersonate-extra-na%c3%afve%20key%25': ['v'],
    });
    expect(headers['impersonate-extra-unused']).toBeUndefined();
  });

  it('sends no group header when impersonating without groups', () => {
    const headers = buildUpstreamHeaders({}, options({ impersonate: { user: 'gatehouse:ci', groups: [] } }));

    expect(headers['impersonate-user']).toBe('gatehouse:ci');
    expect(headers['impersonate-group']).toBeUndefined();
  });

  it('sends no impersonation headers when not impersonating', () => {
    const headers = buildUpstreamHeaders({ 'impersonate-user': ['system:admin'] }, options());

    expect(Object.keys(headers).filter((name) => name.startsWith('impersonate'))).toEqual([]);
  });

  it.each<[string, Partial<UpstreamHeaderOptions>]>([
    ['a token with a space', { bearerToken: 'k8s-aws-v1.abc def' }],
    ['an empty token', { bearerToken: '' }],
    ['a negative content length', { contentLength: -1 }],
    ['a fractional content length', { contentLength: 1.5 }],
    ['an empty impersonated user', { impersonate: { user: '', groups: [] } }],
    ['a newline in an impersonated group', { impersonate: { user: 'u', groups: ['a\nb'] } }],
    ['an empty extra key', { impersonate: { user: 'u', groups: [], extra: { '': ['v'] } } }],
  ])('fails closed with an internal error on %s', (_case, overrides) => {
    expect(() => buildUpstreamHeaders({}, options(overrides))).toThrow(InternalError);
  });

  it('never puts the token in an error message', () => {
    const secret = 'k8s-aws-v1.secret value';

    expect(() => buildUpstreamHeaders({}, options({ bearerToken: secret }))).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secret') }));
  });
});

describe('findClientImpersonation', () => {
  it.each<[string, IncomingHeaders, string[]]>([
    ['nothing for plain kubectl traffic', kubectlRequest(), []],
    ['kubectl --as and --as-group', { 'impersonate-user': ['admin'], 'impersonate-group': ['system:masters', 'sre'] }, ['impersonate-user', 'impersonate-group']],
    ['uid and extra headers', { 'impersonate-uid': ['1'], 'impersonate-extra-scopes': ['view'] }, ['impersonate-uid', 'impersonate-extra-scopes']],
    ['mixed-case names, lower-cased', { 'Impersonate-User': ['admin'] }, ['impersonate-user']],
    ['underscore look-alikes', { impersonate_user: ['admin'] }, ['impersonate_user']],
    ['a header sent with no value', { 'impersonate-group': [] }, ['impersonate-group']],
    ['nothing for names that only contain the word', { 'x-impersonate-user': ['admin'] }, []],
  ])('finds %s', (_case, incoming, expected) => {
    expect(findClientImpersonation(incoming)).toEqual(expected);
  });
});

describe('responseHeadersForClient', () => {
  it('returns the allowlisted headers of a real API server answer', () => {
    const upstream = {
      'content-type': 'application/json',
      'audit-id': '0d7b1c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e',
      'cache-control': 'no-cache, private',
      warning: ['299 - "spec.template.spec.containers[0].env[1]: hides previous definition"', '299 - "unknown field \\"spec.foo\\""'],
      'x-kubernetes-pf-flowschema-uid': 'f1',
      'x-kubernetes-pf-prioritylevel-uid': 'p1',
      'x-content-type-options': 'nosniff',
      etag: '"6E8F"',
      'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
      expires: 'Wed, 02 Dec 2026 10:00:00 GMT',
      'retry-after': '1',
      date: 'Tue, 01 Dec 2026 10:00:00 GMT',
    };

    expect(responseHeadersForClient(upstream)).toEqual({
      'content-type': 'application/json',
      'audit-id': '0d7b1c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e',
      'cache-control': 'no-cache, private',
      warning: '299 - "spec.template.spec.containers[0].env[1]: hides previous definition", 299 - "unknown field \\"spec.foo\\""',
      'x-kubernetes-pf-flowschema-uid': 'f1',
      'x-kubernetes-pf-prioritylevel-uid': 'p1',
      'x-content-type-options': 'nosniff',
      etag: '"6E8F"',
      'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
      expires: 'Wed, 02 Dec 2026 10:00:00 GMT',
      'retry-after': '1',
    });
  });

  it.each([
    'set-cookie', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade',
    'trailer', 'te', 'proxy-authenticate', 'location', 'www-authenticate', 'strict-transport-security', 'vary',
    'x-amzn-requestid', 'server',
  ])('never returns the upstream %s header', (name) => {
    expect(responseHeadersForClient({ [name]: 'upstream-value' })).toEqual({});
  });

  it.each<[string, Record<string, string | string[] | undefined>, Record<string, string>]>([
    ['the first of a repeated single-valued header', { 'content-type': ['application/json', 'text/html'] }, { 'content-type': 'application/json' }],
    ['mixed-case names, lower-cased', { 'Content-Type': 'application/json' }, { 'content-type': 'application/json' }],
    ['no undefined values', { 'audit-id': undefined }, {}],
    ['no value carrying a line break', { warning: '299 - "x"\r\nset-cookie: a=b', 'audit-id': 'a1' }, { 'audit-id': 'a1' }],
    ['no header the Connection header names', { connection: 'warning', warning: '299 - "x"' }, {}],
  ])('returns %s', (_case, upstream, expected) => {
    expect(responseHeadersForClient(upstream)).toEqual(expected);
  });
});

import { UpstreamResponseError } from '../../../lambdas/core/errors';
import { MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { LAST_APPLIED_ANNOTATION, MASKED_ANNOTATION, MASKED_BASE64 } from '../../../lambdas/core/masking/mask-json-value';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import type { RequestInfo } from '../../../lambdas/core/request-info';
import { deployment, pod, request, secret, table } from './masking-fixtures';

const VALUE = 'correct-horse-battery-staple-42';
const B64 = Buffer.from(VALUE).toString('base64');
const mask = (body: unknown, req: RequestInfo, opts: { contentType?: string; unmaskSecrets?: boolean } = {}) =>
  maskResponse({ body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), contentType: opts.contentType ?? 'application/json', request: req, unmaskSecrets: opts.unmaskSecrets ?? false });
const watchLines = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('maskResponse: Secret values in every shape', () => {
  it.each<[string, unknown, RequestInfo, string]>([
    ['a single Secret', secret('db', { password: VALUE }), request('secrets'), 'application/json'],
    ['a SecretList (items carry no kind)', { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [secret('db', { password: VALUE }, false)] }, request('secrets', 'list'), 'application/json'],
    ['a List kubectl assembled', { kind: 'List', apiVersion: 'v1', items: [secret('db', { password: VALUE })] }, request('secrets', 'list'), 'application/json'],
    ['a Table with full objects', table([secret('db', { password: VALUE }, true)], [['db', 'Opaque', '1', '5d']]), request('secrets', 'list'), 'application/json'],
    ['a Table whose row objects lack kind', table([secret('db', { password: VALUE }, false)], [['db', 'Opaque', '1', '5d']]), request('secrets', 'list'), 'application/json'],
    ['a watch stream', watchLines([{ type: 'ADDED', object: secret('db', { password: VALUE }) }, { type: 'MODIFIED', object: secret('db', { password: `${VALUE}-2` }) }]), request('secrets', 'watch'), 'application/json;stream=watch'],
    ['a watch stream of Tables', watchLines([{ type: 'ADDED', object: table([secret('db', { password: VALUE }, false)], [['db']]) }]), request('secrets', 'watch'), 'application/json;stream=watch'],
    ['a watch stream announced only by its shape', watchLines([{ type: 'ADDED', object: secret('a', { k: VALUE }, false) }, { type: 'ADDED', object: secret('b', { k: VALUE }, false) }]), request('secrets', 'list'), 'application/json'],
    ['a Secret in YAML', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ${B64}\n`, request('secrets'), 'application/yaml'],
  ])('masks %s', (_name, body, req, contentType) => {
    const out = mask(body, req, { contentType });
    const text = out.body.toString();
    expect(out.changed).toBe(true);
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain(B64);
    expect(text).toContain(MASKED_BASE64);
    expect(out.counts['secret-data']).toBeGreaterThan(0);
  });

  it('keeps keys, writes valid base64 and marks the Secret', () => {
    const out = JSON.parse(mask(secret('db', { username: 'app', password: VALUE }), request('secrets')).body.toString());
    expect(Object.keys(out.data)).toEqual(['username', 'password']);
    expect(Buffer.from(out.data.password, 'base64').toString()).toBe(MASKED_VALUE);
    expect(out.metadata.annotations[MASKED_ANNOTATION]).toBe('true');
    expect(out.metadata.name).toBe('db');
    expect(out.metadata.managedFields[0].fieldsV1['f:data']).toEqual({ 'f:username': {}, 'f:password': {} });
  });

  it('parses, masks and re-serializes the last-applied annotation', () => {
    const out = JSON.parse(mask(secret('db', { password: VALUE }), request('secrets')).body.toString());
    const annotation: string = out.metadata.annotations[LAST_APPLIED_ANNOTATION];
    expect(annotation.endsWith('\n')).toBe(true);
    expect(JSON.parse(annotation).stringData).toEqual({ password: MASKED_VALUE });
  });

  it.each([true, false])('masks last-applied values in Table rows that carry only metadata (last-applied has kind: %s)', (withKind) => {
    const s = secret('db', { password: VALUE }) as { metadata: Record<string, unknown> };
    const annotations = s.metadata.annotations as Record<string, string>;
    if (!withKind) annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify({ metadata: { name: 'db' }, data: { password: B64 } });
    const row = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: s.metadata };
    const text = mask(table([row], [['db', 'Opaque', '1', '5d']]), request('secrets', 'list')).body.toString();
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain(B64);
  });

  it('masks a Secret found by kind in a response that is not about secrets', () => {
    const out = mask({ kind: 'List', apiVersion: 'v1', items: [deployment('web'), secret('db', { password: VALUE })] }, request('deployments', 'list'));
    expect(out.body.toString()).not.toContain(B64);
  });

  it('passes Secret values when unmaskSecrets, and still masks credentials elsewhere', () => {
    const s = secret('db', { password: VALUE });
    (s.metadata as { annotations: Record<string, string> }).annotations['ci/token'] = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const out = mask(s, request('secrets'), { unmaskSecrets: true });
    const text = out.body.toString();
    expect(text).toContain(B64);
    expect(text).toContain(VALUE); // in last-applied stringData
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(text).not.toContain(MASKED_ANNOTATION);
  });

  it('masks the token of a TokenRequest (kubectl create token) unless unmasked', () => {
    const token = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDp3ZWIifQ.c2lnbmF0dXJlLWJ5dGVz';
    const body = { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: 'web' }, spec: { audiences: ['https://kubernetes.default.svc'] }, status: { token, expirationTimestamp: '2025-01-01T01:00:00Z' } };
    const req = request('serviceaccounts', 'create', { subresource: 'token', name: 'web' });
    const masked = mask(body, req);
    expect(masked.body.toString()).not.toContain(token);
    expect(masked.counts).toEqual({ 'service-account-token': 1 });
    expect(mask(body, req, { unmaskSecrets: true }).body.toString()).toContain(token);
  });
});

describe('maskResponse: no false positives on ordinary objects', () => {
  const caPem = '-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n';
  it.each<[string, unknown, RequestInfo]>([
    ['a Deployment', deployment('web'), request('deployments')],
    ['a PodList', { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [pod('web'), pod('api')] }, request('pods', 'list')],
    ['a Table of pods', table([pod('web')], [['web-7d9f8c6b5d-x2b7q', '1/1', 'Running', '0', '5d']]), request('pods', 'list')],
    ['kube-root-ca.crt (a certificate is not a private key)', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': caPem } }, request('configmaps')],
    ['aws-auth', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: '- rolearn: arn:aws:iam::123456789012:role/gatehouse-shop\n  username: gatehouse:{{SessionName}}\n  groups:\n  - shop-editors\n' } }, request('configmaps')],
    ['an Event', { kind: 'Event', apiVersion: 'v1', metadata: { name: 'web.17a' }, reason: 'Pulled', message: 'Successfully pulled image "shop/web:1.4.2" in 1.2s', involvedObject: { kind: 'Pod', name: 'web' } }, request('events')],
    ['a ServiceAccount', { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'web-sa', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' } }, secrets: [{ name: 'web-sa-token-abcde' }], imagePullSecrets: [{ name: 'ecr' }] }, request('serviceaccounts')],
  ])('leaves %s byte-for-byte unchanged', (_name, body, req) => {
    const bytes = Buffer.from(JSON.stringify(body));
    const out = maskResponse({ body: bytes, contentType: 'application/json', request: req, unmaskSecrets: false });
    expect(out.counts).toEqual({});
    expect(out.changed).toBe(false);
    expect(out.body).toBe(bytes);
  });
});

describe('maskResponse: failing closed', () => {
  it('refuses a protobuf response to a resource request', () => {
    expect(() => mask('k8s\u0000', request('pods'), { contentType: 'application/vnd.kubernetes.protobuf' })).toThrow(UpstreamResponseError);
  });

  const OPENAPI: RequestInfo = { ...request('pods'), isResourceRequest: false, path: '/openapi/v2', resource: '' };
  const PROXIED: RequestInfo = request('services', 'get', { name: 'web', subresource: 'proxy' });
  const CBOR_SECRET = Buffer.concat([Buffer.from([0xd9, 0xd9, 0xf7, 0xa1, 0x64]), Buffer.from('data'), Buffer.from(B64)]);
  it.each<[string, string, Buffer, RequestInfo]>([
    ['CBOR', 'application/cbor', CBOR_SECRET, request('configmaps')],
    ['a CBOR sequence', 'application/cbor-seq', CBOR_SECRET, request('configmaps', 'watch')],
    ['CBOR to a non-resource request', 'application/cbor', CBOR_SECRET, OPENAPI],
    ['CBOR with parameters', 'application/cbor; charset=utf-8', CBOR_SECRET, request('pods')],
    ['protobuf OpenAPI (a non-resource request)', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', Buffer.from('\u0001\u0002'), OPENAPI],
    ['protobuf to a Secret request with unmaskSecrets too', 'application/vnd.kubernetes.protobuf', Buffer.from('k8s\u0000'), request('secrets')],
    ['a protobuf watch stream', 'application/vnd.kubernetes.protobuf;stream=watch', Buffer.from('k8s\u0000'), request('pods', 'watch')],
    ['an octet stream from a proxied service', 'application/octet-stream', Buffer.from(`token=${B64}`), PROXIED],
    ['an image from a proxied service', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), PROXIED],
    ['a made-up type', 'application/x-gatehouse-unknown', Buffer.from('AKIAIOSFODNN7EXAMPLE'), request('pods')],
    ['a type that only ends like JSON', 'application/jsonx', Buffer.from('{"a":"AKIAIOSFODNN7EXAMPLE"}'), request('pods')],
    ['text in UTF-16, which the patterns cannot read', 'text/plain; charset=utf-16le', Buffer.from('AKIAIOSFODNN7EXAMPLE', 'utf16le'), request('pods', 'get', { name: 'web', subresource: 'log' })],
    ['JSON in Latin-1', 'application/json; charset=iso-8859-1', Buffer.from('{}'), request('pods')],
    ['an unlabelled CBOR body (sniffed: not UTF-8)', '', CBOR_SECRET, request('configmaps')],
    ['an unlabelled protobuf body (sniffed: NUL bytes)', '', Buffer.from('k8s\u0000\u000a\u0002v1'), request('configmaps')],
  ])('refuses %s for every request (fails closed)', (_case, contentType, body, req) => {
    for (const unmaskSecrets of [false, true]) {
      expect(() => maskResponse({ body, contentType, request: req, unmaskSecrets })).toThrow(UpstreamResponseError);
    }
  });

  it.each<[string, string, string]>([
    ['JSON', 'application/json', '{"key":"AKIAIOSFODNN7EXAMPLE"}'],
    ['JSON with a UTF-8 charset', 'application/json; charset=utf-8', '{"key":"AKIAIOSFODNN7EXAMPLE"}'],
    ['a +json type', 'application/merge-patch+json', '{"key":"AKIAIOSFODNN7EXAMPLE"}'],
    ['upper-case JSON', 'Application/JSON', '{"key":"AKIAIOSFODNN7EXAMPLE"}'],
    ['YAML', 'application/yaml', 'key: AKIAIOSFODNN7EXAMPLE\n'],
    ['a +yaml type (server-side apply bodies)', 'application/apply-patch+yaml', 'key: AKIAIOSFODNN7EXAMPLE\n'],
    ['plain text', 'text/plain', 'key=AKIAIOSFODNN7EXAMPLE'],
    ['HTML from a proxied service', 'text/html; charset="UTF-8"', '<p>AKIAIOSFODNN7EXAMPLE</p>'],
    ['unlabelled JSON (sniffed)', '', '{"key":"AKIAIOSFODNN7EXAMPLE"}'],
    ['unlabelled text (sniffed)', '', 'key=AKIAIOSFODNN7EXAMPLE'],
  ])('reads and masks %s', (_case, contentType, body) => {
    const out = mask(body, request('configmaps'), { contentType });
    expect(out.body.toString()).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(out.body.toString()).toContain(MASKED_VALUE);
  });

  it('refuses a Secret response it cannot parse', () => {
    expect(() => mask('{"kind":"Secret","data":{"password":"', request('secrets'))).toThrow(UpstreamResponseError);
  });

  it('drops a cut-off last line of a Secret watch stream', () => {
    const body = `${JSON.stringify({ type: 'ADDED', object: secret('db', { password: VALUE }) })}\n{"type":"ADDED","object":{"data":{"password":"${B64}`;
    const out = mask(body, request('secrets', 'watch'), { contentType: 'application/json;stream=watch' });
    expect(out.body.toString()).not.toContain(B64);
    expect(out.counts['unparseable-dropped']).toBe(1);
  });

  it('masks credentials in an unparseable non-Secret response as text', () => {
    const out = mask('{"broken": "AKIAIOSFODNN7EXAMPLE', request('configmaps'));
    expect(out.body.toString()).toBe(`{"broken": "${MASKED_VALUE}`);
  });

  it('returns an empty body untouched', () => {
    expect(mask('', request('secrets')).changed).toBe(false);
  });
});

import { parseAllDocuments } from 'yaml';
import { UpstreamResponseError } from '../../../lambdas/core/errors';
import { MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { LAST_APPLIED_ANNOTATION, MASKED_ANNOTATION, MASKED_BASE64 } from '../../../lambdas/core/masking/mask-json-value';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import type { RequestInfo } from '../../../lambdas/core/request-info';
import { request } from './masking-fixtures';

// Values no credential pattern recognises and keys no key-name pattern announces: only Secret handling masks them.
const PLAIN = 'listen 8080; workers 4';
const B64 = Buffer.from(PLAIN).toString('base64');
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

type Json = Record<string, unknown>;
const bodyOf = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
function mask(body: unknown, req: RequestInfo, opts: { contentType?: string; unmaskSecrets?: boolean } = {}) {
  return maskResponse({ body: bodyOf(body), contentType: opts.contentType ?? 'application/json', request: req, unmaskSecrets: opts.unmaskSecrets ?? false });
}
const json = (out: { body: Buffer }) => JSON.parse(out.body.toString()) as Json;
const secretItem = (extra: Json = {}) => ({ metadata: { name: 'cfg', namespace: 'shop' }, data: { 'nginx.conf': B64 }, ...extra });
const nonSecretRequest = request('widgets', 'get', { apiGroup: 'example.com', apiPrefix: 'apis' });

describe('maskResponse: where Secrets are recognised', () => {
  it('masks a list without a kind answered to a secrets request', () => {
    const out = json(mask({ items: [secretItem()] }, request('secrets', 'list')));
    expect((out.items as Json[])[0].data).toEqual({ 'nginx.conf': MASKED_BASE64 });
  });

  it('masks the items of a SecretList even when the request was not for secrets (an aggregated API)', () => {
    const out = json(mask({ kind: 'SecretList', apiVersion: 'v1', items: [secretItem()] }, nonSecretRequest));
    expect((out.items as Json[])[0].data).toEqual({ 'nginx.conf': MASKED_BASE64 });
  });

  it('leaves the data of ConfigMapList items (no kind on items) alone', () => {
    const list = { kind: 'ConfigMapList', apiVersion: 'v1', items: [{ metadata: { name: 'cfg' }, data: { 'nginx.conf': PLAIN } }] };
    const out = mask(list, request('configmaps', 'list'));
    expect(out.changed).toBe(false);
    expect(json(out)).toEqual(list);
  });

  it.each([
    ['data', { data: { config: B64 } }, 'data', MASKED_BASE64],
    ['stringData only', { stringData: { config: PLAIN } }, 'stringData', MASKED_VALUE],
  ])('masks a Secret embedded in a custom resource (%s) and marks it', (_name, fields, field, marker) => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Bundle', metadata: { name: 'b' }, spec: { template: { kind: 'Secret', metadata: { name: 's' }, ...fields } } };
    const template = (json(mask(cr, nonSecretRequest)).spec as Json).template as Json;
    expect(template[field]).toEqual({ config: marker });
    expect((template.metadata as Json).annotations).toEqual({ [MASKED_ANNOTATION]: 'true' });
  });

  it('leaves a nested data mapping that is not a Secret alone', () => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Bundle', metadata: { name: 'b' }, spec: { data: { config: PLAIN } } };
    const out = mask(cr, nonSecretRequest);
    expect(out.changed).toBe(false);
  });

  it('masks the token of a TokenRequest embedded in a custom resource, and still scans the rest', () => {
    const cr = { kind: 'Bundle', spec: { issued: { kind: 'TokenRequest', status: { token: 'not-a-jwt-but-a-token', expirationTimestamp: 'x' } }, note: `uses ${AWS_KEY}` } };
    const spec = json(mask(cr, nonSecretRequest)).spec as Json;
    expect(((spec.issued as Json).status as Json).token).toBe(MASKED_VALUE);
    expect(spec.note).toBe(`uses ${MASKED_VALUE}`);
  });

  it('passes the token of an embedded TokenRequest when the policy unmasks Secrets, as for a top-level one', () => {
    const cr = { kind: 'Bundle', spec: { issued: { kind: 'TokenRequest', status: { token: 'not-a-jwt-but-a-token' } } } };
    const out = mask(cr, nonSecretRequest, { unmaskSecrets: true });
    expect(out.changed).toBe(false);
  });

  it('scans the status of embedded objects that are not TokenRequests', () => {
    const cr = { kind: 'Bundle', spec: { member: { kind: 'Job', status: { message: `failed with ${AWS_KEY}` } } } };
    const spec = json(mask(cr, nonSecretRequest)).spec as Json;
    expect(((spec.member as Json).status as Json).message).toBe(`failed with ${MASKED_VALUE}`);
  });

  it('leaves an empty TokenRequest token alone and counts nothing', () => {
    const out = mask({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', status: { token: '' } }, request('serviceaccounts', 'create', { subresource: 'token' }));
    expect(out.changed).toBe(false);
    expect(out.counts).toEqual({});
  });
});

describe('maskResponse: Secret values', () => {
  it('masks only non-empty values not masked yet, and counts those', () => {
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { empty: '', done: MASKED_BASE64, real: B64, gone: null } };
    const out = mask(s, request('secrets'));
    expect(json(out).data).toEqual({ empty: '', done: MASKED_BASE64, real: MASKED_BASE64, gone: null });
    expect(out.counts).toEqual({ 'secret-data': 1 });
  });

  it('changes and marks nothing in a Secret without values', () => {
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: {}, type: 'Opaque' };
    const out = mask(s, request('secrets'));
    expect(out.changed).toBe(false);
    expect(out.counts).toEqual({});
  });

  it('still scans the other fields of a Secret', () => {
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { config: B64 }, notes: `rotated from ${AWS_KEY}` };
    expect(json(mask(s, request('secrets'))).notes).toBe(`rotated from ${MASKED_VALUE}`);
  });

  it.each([
    [false, MASKED_VALUE, { 'secret-data': 1 }],
    [true, 'not json {', {}],
  ])('a Secret whose last-applied annotation cannot be parsed (unmaskSecrets: %s)', (unmaskSecrets, expected, counts) => {
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', annotations: { [LAST_APPLIED_ANNOTATION]: 'not json {' } } };
    const out = mask(s, request('secrets'), { unmaskSecrets });
    expect(((json(out).metadata as Json).annotations as Json)[LAST_APPLIED_ANNOTATION]).toBe(expected);
    expect(out.counts).toEqual(counts);
  });

  it('keeps a last-applied annotation without a trailing newline without one', () => {
    const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { config: B64 } });
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', annotations: { [LAST_APPLIED_ANNOTATION]: applied } }, data: { config: B64 } };
    const annotation = ((json(mask(s, request('secrets'))).metadata as Json).annotations as Json)[LAST_APPLIED_ANNOTATION] as string;
    expect(annotation.endsWith('}')).toBe(true);
    expect(JSON.parse(annotation).data).toEqual({ config: MASKED_BASE64 });
  });

  it('masks last-applied values of Secret rows that carry only metadata, whatever the keys are called', () => {
    const applied = `${JSON.stringify({ metadata: { name: 's' }, data: { config: B64 } })}\n`;
    const row = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 's', annotations: { [LAST_APPLIED_ANNOTATION]: applied } } };
    const tableBody = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['s'], object: row }] };
    expect(mask(tableBody, request('secrets', 'list')).body.toString()).not.toContain(B64);
  });
});

describe('maskResponse: objects that are not Secrets', () => {
  it('keeps a pretty-printed last-applied annotation byte for byte when nothing in it is a credential', () => {
    const applied = `${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, null, 2)}\n`;
    const cm = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', annotations: { [LAST_APPLIED_ANNOTATION]: applied } }, data: { a: '1' } };
    const out = mask(cm, request('configmaps'));
    expect(out.changed).toBe(false);
    expect(out.body.toString()).toBe(JSON.stringify(cm));
  });

  it('keeps an unparseable last-applied annotation of a ConfigMap (it is not a Secret)', () => {
    const cm = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', annotations: { [LAST_APPLIED_ANNOTATION]: 'not json {' } } };
    expect(mask(cm, request('configmaps')).changed).toBe(false);
  });

  it('masks a credential in a label value', () => {
    const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: { app: 'web', key: AWS_KEY } } };
    const out = mask(pod, request('pods'));
    expect((json(out).metadata as Json).labels).toEqual({ app: 'web', key: MASKED_VALUE });
    expect(out.changed).toBe(true);
  });

  it('masks a credential that only appears in a list of strings (container args)', () => {
    const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', args: ['--verbose', '--db-password=hunter2'] }] } };
    const out = mask(pod, request('pods'));
    expect(out.changed).toBe(true);
    expect(out.body.toString()).toContain(`"--db-password=${MASKED_VALUE}"`);
  });

  it('walks a custom resource with a top-level rows list like any object', () => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Report', rows: [{ password: 'hunter2' }] };
    expect(json(mask(cr, nonSecretRequest)).rows).toEqual([{ password: MASKED_VALUE }]);
  });

  it('walks an object with type and object fields plus others (not a watch event) entirely', () => {
    const cr = { kind: 'Link', type: 'mirror', object: { name: 'x' }, token: 'hunter2-is-weak' };
    expect(json(mask(cr, nonSecretRequest)).token).toBe(MASKED_VALUE);
  });

  it('walks a two-field object that is not a watch event (no type) entirely', () => {
    expect(json(mask({ object: { name: 'x' }, token: 'hunter2-is-weak' }, nonSecretRequest)).token).toBe(MASKED_VALUE);
  });

  it('masks Table cells as well as the row object', () => {
    const tableBody = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['p', AWS_KEY], object: { kind: 'PartialObjectMetadata', metadata: { name: 'p' } } }] };
    expect((json(mask(tableBody, request('pods', 'list'))).rows as Json[])[0].cells).toEqual(['p', MASKED_VALUE]);
  });

  it('masks the rest of a Table that has a malformed (null) row', () => {
    const tableBody = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [null, { cells: [AWS_KEY] }] };
    expect(json(mask(tableBody, request('pods', 'list'))).rows).toEqual([null, { cells: [MASKED_VALUE] }]);
  });
});

describe('maskResponse: content types, sniffing and errors', () => {
  it.each(['app@lication/foo+json', 'application/foo+json/x', 'application/foo+yaml/x', 'x@y/foo+yaml', 'context/plain', 'text/plain/x'])(
    'refuses a malformed media type %s',
    (contentType) => {
      expect(() => mask('hello', request('pods'), { contentType })).toThrow(UpstreamResponseError);
    },
  );

  it.each([' ', '\n', '\r\n', '\t'])('sniffs JSON after leading whitespace %j when there is no content type', (lead) => {
    const s = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { config: B64 } };
    expect(json(mask(`${lead}${JSON.stringify(s)}`, request('secrets'), { contentType: '' })).data).toEqual({ config: MASKED_BASE64 });
  });

  it('sniffs a JSON array when there is no content type', () => {
    const out = mask(JSON.stringify([{ kind: 'Secret', data: { config: B64 } }]), request('secrets'), { contentType: '' });
    expect(out.body.toString()).not.toContain(B64);
  });

  it('keeps the trailing newline of a masked JSON body, and adds none', () => {
    const pod = (n: string) => `${JSON.stringify({ kind: 'Pod', metadata: { name: 'p', labels: { key: AWS_KEY } } })}${n}`;
    expect(mask(pod('\n'), request('pods')).body.toString().endsWith('}\n')).toBe(true);
    expect(mask(pod(''), request('pods')).body.toString().endsWith('}')).toBe(true);
  });

  it('refuses invalid JSON about Secrets even with a trailing newline', () => {
    expect(() => mask('oops {\n', request('secrets'))).toThrow(/invalid JSON/);
  });

  it.each([
    ['names the content type, trimmed', ' application/vnd.kubernetes.protobuf ', Buffer.from('k8s\0proto'), '(application/vnd.kubernetes.protobuf)'],
    ['says when there is no content type', '', Buffer.from([0x6b, 0x38, 0x73, 0x00]), '(no content type)'],
    ['cuts a long content type to 100 characters', `application/${'x'.repeat(200)}`, Buffer.from('x'), `(application/${'x'.repeat(88)})`],
    ['says what to do', 'application/cbor', Buffer.from([0xa0]), 'request JSON (e.g. kubectl -o json)'],
  ])('the refusal %s', (_name, contentType, body, expected) => {
    expect(() => maskResponse({ body, contentType, request: request('pods'), unmaskSecrets: false })).toThrow(expected);
  });
});

describe('maskResponse: watch streams and YAML', () => {
  const secretEvent = (value: string) => JSON.stringify({ type: 'ADDED', object: { kind: 'Secret', metadata: { name: 's' }, data: { config: value } } });

  it('drops a cut-off Secret event announced only by stream=watch in the content type', () => {
    const out = mask('{"type":"ADDED","object":{"kind":"Secret"', request('secrets'), { contentType: 'application/json;stream=watch' });
    expect(out.body.toString()).toBe('');
    expect(out.counts).toEqual({ 'unparseable-dropped': 1 });
  });

  it('keeps blank lines of a Secret watch stream', () => {
    const stream = `${secretEvent(B64)}\n  \n${secretEvent(B64)}\n`;
    const out = mask(stream, request('secrets', 'watch'));
    expect(out.counts).toEqual({ 'secret-data': 2 });
    expect(out.body.toString().split('\n')[1]).toBe('  ');
  });

  it('passes a watch stream with nothing to mask byte for byte, reporting no change', () => {
    const stream = '{ "type": "ADDED", "object": { "kind": "Pod", "metadata": { "name": "p" } } }\n';
    const out = mask(stream, request('pods', 'watch'));
    expect(out.changed).toBe(false);
    expect(out.body.toString()).toBe(stream);
  });

  it('keeps and masks a cut-off last event of a watch that is not about Secrets', () => {
    const stream = `{"type":"ADDED","object":{"kind":"Pod"}}\n{"type":"ADDED","object":{"kind":"Pod","note":"${AWS_KEY}`;
    const out = mask(stream, request('pods', 'watch'));
    expect(out.changed).toBe(true);
    expect(out.body.toString()).toBe(`{"type":"ADDED","object":{"kind":"Pod"}}\n{"type":"ADDED","object":{"kind":"Pod","note":"${MASKED_VALUE}`);
  });

  it('reports no change for a cut-off last event with nothing to mask in a watch that is not about Secrets', () => {
    const stream = '{"type":"ADDED","object":{"kind":"Pod"}}\n{"type":"ADDED","object":{"kind":"Pod"';
    const out = mask(stream, request('pods', 'watch'));
    expect(out.changed).toBe(false);
    expect(out.body.toString()).toBe(stream);
  });

  it('refuses invalid YAML about Secrets, whichever document is broken', () => {
    expect(() => mask('kind: Secret\n---\ndata: [\n', request('secrets'), { contentType: 'application/yaml' })).toThrow(/invalid YAML/);
  });

  it('masks invalid YAML that is not about Secrets as text', () => {
    const out = mask(`note: ${AWS_KEY}\nbad: [\n`, request('configmaps'), { contentType: 'application/yaml' });
    expect(out.body.toString()).toBe(`note: ${MASKED_VALUE}\nbad: [\n`);
  });

  it('keeps the documents of a multi-document YAML answer apart', () => {
    const text = `kind: ConfigMap\ndata:\n  a: "1"\n---\nkind: Secret\ndata:\n  config: ${B64}\n`;
    const out = mask(text, request('secrets', 'list'), { contentType: 'application/yaml' });
    const docs = parseAllDocuments(out.body.toString()) as ReturnType<typeof parseAllDocuments> & unknown[];
    expect(docs.map((d) => (d as { toJS(): Json }).toJS().kind)).toEqual(['ConfigMap', 'Secret']);
  });
});

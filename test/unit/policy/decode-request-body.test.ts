import { decodeRequestBody } from '../../../lambdas/core/policy/decode-request-body';
import { jsonPatchToSparse } from '../../../lambdas/core/policy/json-patch-to-sparse';

const buf = (text: string) => Buffer.from(text);

describe('decodeRequestBody', () => {
  it.each([
    ['JSON', 'application/json', '{"kind":"Pod"}', { state: 'decoded', value: { kind: 'Pod' } }],
    ['JSON with a charset', 'application/json; charset=utf-8', '{"a":1}', { state: 'decoded', value: { a: 1 } }],
    ['JSON with a space before its charset, as Go reads media types', 'application/json ; charset=utf-8', '{"a":1}', { state: 'decoded', value: { a: 1 } }],
    ['a merge patch', 'application/merge-patch+json', '{"spec":{"replicas":3}}', { state: 'decoded', value: { spec: { replicas: 3 } }, patchType: 'merge', patch: { spec: { replicas: 3 } } }],
    ['a strategic merge patch', 'application/strategic-merge-patch+json', '{"spec":{"hostNetwork":true}}', { state: 'decoded', value: { spec: { hostNetwork: true } }, patchType: 'strategic', patch: { spec: { hostNetwork: true } } }],
    ['a JSON patch', 'application/json-patch+json', '[{"op":"replace","path":"/spec/replicas","value":0}]', { state: 'decoded', value: { spec: { replicas: 0 } }, patchType: 'json', patch: [{ op: 'replace', path: '/spec/replicas', value: 0 }] }],
    ['server-side apply YAML', 'application/apply-patch+yaml', 'kind: Pod\nspec:\n  hostPID: true\n', { state: 'decoded', value: { kind: 'Pod', spec: { hostPID: true } }, patchType: 'apply', patch: { kind: 'Pod', spec: { hostPID: true } } }],
    ['server-side apply sent as JSON', 'application/apply-patch+yaml', '{"kind":"Pod"}', { state: 'decoded', value: { kind: 'Pod' }, patchType: 'apply', patch: { kind: 'Pod' } }],
    ['an unquoted YAML timestamp as a string, as go-yaml decodes it', 'application/yaml', 'since: 2001-12-14\n', { state: 'decoded', value: { since: '2001-12-14' } }],
    ['YAML 1.1 booleans, as the API server reads them', 'application/yaml', 'privileged: yes\nhostIPC: on\n', { state: 'decoded', value: { privileged: true, hostIPC: true } }],
    ['protobuf', 'application/vnd.kubernetes.protobuf', 'k8s\u0000', { state: 'undecodable', contentType: 'application/vnd.kubernetes.protobuf' }],
    ['CBOR', 'application/cbor', '\u00a1', { state: 'undecodable', contentType: 'application/cbor' }],
    ['an unknown type', 'text/plain', 'hello', { state: 'undecodable', contentType: 'text/plain' }],
    ['no content type', '', '{"a":1}', { state: 'undecodable', contentType: '' }],
    ['invalid JSON', 'application/json', '{"a":', { state: 'undecodable', contentType: 'application/json' }],
    ['several YAML documents', 'application/apply-patch+yaml', 'kind: Pod\n---\nkind: Pod\nspec: {hostPID: true}\n', { state: 'undecodable', contentType: 'application/apply-patch+yaml' }],
    ['YAML with duplicate keys', 'application/yaml', 'hostPID: true\nhostPID: false\n', { state: 'undecodable', contentType: 'application/yaml' }],
    ['JSON with a repeated key (Go would merge both)', 'application/json', '{"spec":{"hostNetwork":true},"spec":{"containers":[]}}', { state: 'undecodable', contentType: 'application/json' }],
    ['JSON repeating a key after a list value', 'application/json', '{"spec":{"containers":[{"name":"a"}]},"spec":{"hostNetwork":true}}', { state: 'undecodable', contentType: 'application/json' }],
    ['JSON repeating a key through an escape', 'application/merge-patch+json', '{"spec":{"hostPID":true,"host\\u0050ID":false}}', { state: 'undecodable', contentType: 'application/merge-patch+json' }],
    // Judged only against the live object (the proxy reads it): there is no sparse view of copied state.
    ['a JSON patch copying existing state', 'application/json-patch+json', '[{"op":"copy","from":"/spec/a","path":"/spec/b"}]', { state: 'decoded', value: undefined, patchType: 'json', patch: [{ op: 'copy', from: '/spec/a', path: '/spec/b' }] }],
    ['a JSON patch that is not a list', 'application/json-patch+json', '{"op":"add"}', { state: 'undecodable', contentType: 'application/json-patch+json' }],
  ])('decodes %s', (_name, contentType, text, expected) => {
    expect(decodeRequestBody(contentType, buf(text))).toEqual(expected);
  });

  it('accepts the same key in different objects and strings that look like keys', () => {
    const text = '{"a":{"name":"x"},"b":{"name":"y"},"list":[{"name":"z"},{"name":"z"}],"s":"\\"name\\":"}';
    expect(decodeRequestBody('application/json', buf(text)).state).toBe('decoded');
  });

  it('reports an empty body as none', () => {
    expect(decodeRequestBody('application/json', Buffer.alloc(0))).toEqual({ state: 'none' });
  });
});

describe('jsonPatchToSparse', () => {
  it.each([
    ['an add deep into a container', [{ op: 'add', path: '/spec/containers/0/securityContext/privileged', value: true }], { spec: { containers: [{ securityContext: { privileged: true } }] } }],
    ['two writes to the same element', [{ op: 'add', path: '/spec/containers/3/name', value: 'a' }, { op: 'add', path: '/spec/containers/3/image', value: 'b' }], { spec: { containers: [{ name: 'a', image: 'b' }] } }],
    ['an append with -', [{ op: 'add', path: '/spec/volumes/-', value: { name: 'h', hostPath: { path: '/' } } }], { spec: { volumes: [{ name: 'h', hostPath: { path: '/' } }] } }],
    ['escaped pointer segments', [{ op: 'add', path: '/metadata/annotations/a~1b~0c', value: 'x' }], { metadata: { annotations: { 'a/b~c': 'x' } } }],
    ['a whole-document replace', [{ op: 'replace', path: '', value: { kind: 'Pod' } }], { kind: 'Pod' }],
    ['removes and tests, which write nothing', [{ op: 'remove', path: '/spec/x' }, { op: 'test', path: '/spec/y', value: 1 }], {}],
    ['a move from a value written earlier', [{ op: 'add', path: '/tmp', value: { hostNetwork: true } }, { op: 'move', from: '/tmp', path: '/spec' }], { tmp: { hostNetwork: true }, spec: { hostNetwork: true } }],
    ['a negative index (the last element, for the API server)', [{ op: 'add', path: '/spec/containers/-1/securityContext/privileged', value: true }], { spec: { containers: [{ securityContext: { privileged: true } }] } }],
    ['indices spelled as Go\'s Atoi reads them', [{ op: 'add', path: '/spec/volumes/00', value: { hostPath: { path: '/' } } }, { op: 'add', path: '/rules/+1', value: { verbs: ['bind'] } }], { spec: { volumes: [{ hostPath: { path: '/' } }] }, rules: [{ verbs: ['bind'] }] }],
    ['a huge index without a huge array', [{ op: 'add', path: '/spec/containers/99999999/securityContext/privileged', value: true }], { spec: { containers: [{ securityContext: { privileged: true } }] } }],
  ])('converts %s', (_name, ops, expected) => {
    expect(jsonPatchToSparse(ops)).toEqual({ value: expected });
  });

  it('does not let a __proto__ segment touch the prototype', () => {
    const result = jsonPatchToSparse([{ op: 'add', path: '/__proto__/polluted', value: true }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call((result as { value: object }).value, '__proto__')).toBe(true);
  });
});

import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';
import { applyStrategicMergePatch } from '../../../local/kube-api-simulator/strategic-merge-patch';
import type { JsonObject, JsonValue } from '../../../local/kube-api-simulator/types';

// Expected results follow k8s.io/apimachinery/pkg/util/strategicpatch/patch.go with the apiserver's
// merge options, and the patch tags of k8s.io/api core/v1 types.go.

const pod = (spec: JsonObject): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'a' } }, spec });
const base = (): JsonObject =>
  pod({
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, name: 'http' }], volumeMounts: [{ mountPath: '/data', name: 'data' }], args: ['--a'], securityContext: { runAsNonRoot: true } },
      { name: 'sidecar', image: 'envoy:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    imagePullSecrets: [{ name: 'reg' }],
    tolerations: [{ key: 'x', operator: 'Exists' }],
    hostAliases: [],
    securityContext: { runAsUser: 1000, fsGroup: 2000 },
  });

const spec = (r: JsonObject): JsonObject => r.spec as JsonObject;
const containers = (r: JsonObject): JsonObject[] => spec(r).containers as JsonObject[];
const names = (l: unknown): unknown[] => (l as JsonObject[]).map((x) => x.name);

function failure(run: () => unknown): KubeApiError {
  try {
    run();
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected the patch to fail');
}

describe('strategic merge patch on the pod-spec lists a policy reads', () => {
  it.each<[string, JsonObject, (r: JsonObject) => unknown, unknown]>([
    ['containers merge by name', { spec: { containers: [{ name: 'app', image: 'app:2' }] } }, (r) => containers(r).map((c) => [c.name, c.image]), [['app', 'app:2'], ['sidecar', 'envoy:1']]],
    ['a new container goes where the patch order puts it', { spec: { containers: [{ name: 'new', image: 'n' }, { name: 'app' }] } }, (r) => names(containers(r)), ['new', 'app', 'sidecar']],
    ['a new container after the patched ones is appended', { spec: { containers: [{ name: 'app' }, { name: 'new', image: 'n' }] } }, (r) => names(containers(r)), ['app', 'new', 'sidecar']],
    ['initContainers merge by name', { spec: { initContainers: [{ name: 'init', image: 'i' }] } }, (r) => names(spec(r).initContainers), ['init']],
    ['ephemeralContainers merge by name', { spec: { ephemeralContainers: [{ name: 'debug', image: 'busybox' }] } }, (r) => names(spec(r).ephemeralContainers), ['debug']],
    ['volumes merge by name, a patch of only new items putting them first', { spec: { volumes: [{ name: 'host', hostPath: { path: '/' } }] } }, (r) => names(spec(r).volumes), ['host', 'data']],
    ['env merges by name', { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }] } }, (r) => names(containers(r)[0]!.env), ['B', 'A']],
    ['ports merge by containerPort', { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, hostPort: 80 }] }] } }, (r) => containers(r)[0]!.ports, [{ containerPort: 80, name: 'http', hostPort: 80 }]],
    ['volumeMounts merge by mountPath', { spec: { containers: [{ name: 'app', volumeMounts: [{ mountPath: '/host', name: 'host' }] }] } }, (r) => (containers(r)[0]!.volumeMounts as JsonObject[]).map((m) => m.mountPath), ['/host', '/data']],
    ['imagePullSecrets merge by name', { spec: { imagePullSecrets: [{ name: 'other' }] } }, (r) => names(spec(r).imagePullSecrets), ['other', 'reg']],
    ['tolerations are replaced whole', { spec: { tolerations: [{ key: 'y' }] } }, (r) => spec(r).tolerations, [{ key: 'y' }]],
    ['args are replaced whole', { spec: { containers: [{ name: 'app', args: ['--b'] }] } }, (r) => containers(r)[0]!.args, ['--b']],
    ['command is replaced whole', { spec: { containers: [{ name: 'app', command: ['sh'] }] } }, (r) => containers(r)[0]!.command, ['sh']],
    ['the pod securityContext merges', { spec: { securityContext: { runAsUser: 0 } } }, (r) => spec(r).securityContext, { runAsUser: 0, fsGroup: 2000 }],
    ['a container securityContext merges', { spec: { containers: [{ name: 'app', securityContext: { privileged: true } }] } }, (r) => containers(r)[0]!.securityContext, { runAsNonRoot: true, privileged: true }],
    ['null deletes a key', { spec: { securityContext: { runAsUser: null } } }, (r) => spec(r).securityContext, { fsGroup: 2000 }],
    ['a value of another type replaces the live one', { spec: { securityContext: ['x'] } }, (r) => spec(r).securityContext, ['x']],
  ])('%s', (_name, patch, pick, expected) => {
    expect(pick(applyStrategicMergePatch(base(), patch))).toEqual(expected);
  });
});

describe('strategic merge patch directives', () => {
  it.each<[string, JsonObject, (r: JsonObject) => unknown, unknown]>([
    ['$patch: delete removes a list item by merge key', { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } }, (r) => names(containers(r)), ['app']],
    ['$patch: replace replaces a list', { spec: { volumes: [{ name: 'x', emptyDir: {} }, { $patch: 'replace' }] } }, (r) => spec(r).volumes, [{ name: 'x', emptyDir: {} }]],
    ['$patch: replace replaces a map', { spec: { securityContext: { runAsUser: 0, $patch: 'replace' } } }, (r) => spec(r).securityContext, { runAsUser: 0 }],
    ['$patch: delete leaves an empty map', { spec: { securityContext: { $patch: 'delete' } } }, (r) => spec(r).securityContext, {}],
    ['a new key carrying $patch is dropped entirely', { spec: { dnsConfig: { $patch: 'replace', nameservers: ['1.1.1.1'] } } }, (r) => 'dnsConfig' in spec(r), false],
    ['a new subtree loses its nulls', { spec: { dnsConfig: { nameservers: ['1.1.1.1'], searches: null } } }, (r) => spec(r).dnsConfig, { nameservers: ['1.1.1.1'] }],
    ['$retainKeys clears live keys it does not list', { spec: { securityContext: { $retainKeys: ['runAsUser'], runAsUser: 5 } } }, (r) => spec(r).securityContext, { runAsUser: 5 }],
    ['$setElementOrder orders a merged list', { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } }, (r) => names(containers(r)), ['sidecar', 'app']],
    ['$setElementOrder merges the list it names', { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }], containers: [{ name: 'app', image: 'app:9' }] } }, (r) => containers(r).map((c) => c.image), ['envoy:1', 'app:9']],
    ['$deleteFromPrimitiveList removes values', { metadata: { finalizers: ['a', 'b'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, (r) => (r.metadata as JsonObject).finalizers, ['b']],
    ['$deleteFromPrimitiveList works on atomic lists too', { spec: { containers: [{ name: 'app', '$deleteFromPrimitiveList/args': ['--a'] }] } }, (r) => containers(r)[0]!.args, []],
    ['a directive key left in an appended item is dropped', { spec: { containers: [{ name: 'new', securityContext: { $patch: 'replace', privileged: true } }] } }, (r) => containers(r).find((c) => c.name === 'new')!.securityContext, { privileged: true }],
    ['a null patch changes nothing', {}, (r) => names(containers(r)), ['app', 'sidecar']],
  ])('%s', (_name, patch, pick, expected) => {
    expect(pick(applyStrategicMergePatch(base(), patch))).toEqual(expected);
  });

  it.each<[string, number, RegExp, JsonValue]>([
    ['a merge-list item without its merge key', 500, /^map: map\[image:x\] does not contain declared merge key: name$/, { spec: { containers: [{ image: 'x' }] } }],
    ['$patch: merge on a map', 500, /^unknown patch type: merge in map/, { spec: { securityContext: { $patch: 'merge' } } }],
    ['$patch: merge in a list', 500, /merging lists cannot yet be specified/, { spec: { containers: [{ $patch: 'merge' }] } }],
    ['an unknown $patch in a list', 500, /^unknown patch type: drop/, { spec: { containers: [{ name: 'app', $patch: 'drop' }] } }],
    ['$patch: delete without the merge key', 500, /does not contain declared merge key: name/, { spec: { containers: [{ $patch: 'delete' }] } }],
    ['$retainKeys that is not a list', 400, /^invalid patch format of retainKeys$/, { spec: { securityContext: { $retainKeys: 'runAsUser' } } }],
    ['a patch key $retainKeys does not list', 400, /^invalid patch format of retainKeys$/, { spec: { securityContext: { $retainKeys: ['fsGroup'], runAsUser: 0 } } }],
    ['a malformed $setElementOrder key', 400, /^invalid patch format of setElementOrder list$/, { spec: { $setElementOrderX: [] } }],
    ['a malformed $deleteFromPrimitiveList key', 400, /^invalid patch format of primitive list$/, { metadata: { $deleteFromPrimitiveList: ['a'] } }],
    ['a list of lists in a merged list', 422, /rejected our request/, { spec: { hostAliases: [['x']] } }],
    ['mixed element types in a merged list', 500, /list element types are not identical/, { spec: { containers: ['x'] } }],
    ['a patch that is not an object', 400, /cannot unmarshal array/, ['x']],
  ])('refuses %s with %d', (_name, code, message, patch) => {
    // Act
    const err = failure(() => applyStrategicMergePatch(base(), patch));

    // Assert
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('sends no reason for the 500s, as the real server does for plain errors', () => {
    // Act
    const status = failure(() => applyStrategicMergePatch(base(), { spec: { containers: [{ image: 'x' }] } })).toStatus();

    // Assert
    expect(status).not.toHaveProperty('reason');
    expect(status.code).toBe(500);
  });

  it('does not modify its inputs', () => {
    // Arrange
    const original = base();
    const patch = { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } };

    // Act
    applyStrategicMergePatch(original, patch);

    // Assert
    expect(original).toEqual(base());
    expect(patch).toEqual({ spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
  });
});

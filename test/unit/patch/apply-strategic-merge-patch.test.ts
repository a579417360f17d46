import type { Json } from '../../../lambdas/core/patch/apply-json-patch';
import { applyStrategicMergePatch } from '../../../lambdas/core/patch/apply-strategic-merge-patch';
import type { PatchSchema } from '../../../lambdas/core/patch/patch-strategy';
import { deepFreeze, errorOf, expectOutcome, json, valueOf, type Outcome } from './support';

/**
 * Expected behaviour is k8s.io/apimachinery `strategicpatch.StrategicMergeMapPatch` (patch.go: mergeMap,
 * mergeSlice, normalizeElementOrder...) with the struct tags of k8s.io/api core/v1, apps/v1, policy/v1 and
 * meta/v1 ObjectMeta, as the apiserver's `strategicPatchObject` calls it.
 */

type Obj = { [key: string]: Json };

const pod = (spec: Obj, metadata: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec });
const c = (name: string, extra: Obj = {}): Obj => ({ name, ...extra });
const specOf = (result: Json): Obj => (result as Obj).spec as Obj;

/** The pod every case starts from. */
const live = (): Obj =>
  pod(
    {
      containers: [
        c('web', { image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, hostPort: 8443 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], volumeMounts: [{ name: 'data', mountPath: '/data' }], securityContext: { runAsNonRoot: true } }),
        c('side', { image: 'busybox', args: ['a', 'b'] }),
      ],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
      hostNetwork: false,
      imagePullSecrets: [{ name: 'reg' }],
    },
    { finalizers: ['a', 'b'], labels: { app: 'web' } },
  );

const run = (patch: Json, document: Json = live()): ReturnType<typeof applyStrategicMergePatch> => applyStrategicMergePatch(deepFreeze(document), deepFreeze(patch));
const spec = (patch: Obj): Json => ({ spec: patch });

describe('applyStrategicMergePatch: lists merged by their merge key', () => {
  it.each<[string, Json, (result: Obj) => Json, Json]>([
    ['containers by name: only the named container changes', spec({ containers: [c('side', { image: 'evil' })] }), (r) => specOf(r).containers!, [((live().spec as Obj).containers as Obj[])[0]!, c('side', { image: 'evil', args: ['a', 'b'] })]],
    ['a new container goes first (patch items, then the others as they were)', spec({ containers: [c('extra', { image: 'x' })] }), (r) => (specOf(r).containers as Obj[]).map((x) => x.name!), ['extra', 'web', 'side']],
    ['the patch order wins for the items it names', spec({ containers: [c('side'), c('web')] }), (r) => (specOf(r).containers as Obj[]).map((x) => x.name!), ['side', 'web']],
    ['an unnamed server item keeps its place before a later patch item', spec({ containers: [c('side', { image: 'i' })] }), (r) => (specOf(r).containers as Obj[]).map((x) => x.name!), ['web', 'side']],
    ['ports by containerPort: a hostPort lands on port 80 only', spec({ containers: [c('web', { ports: [{ containerPort: 80, hostPort: 80 }] })] }), (r) => (specOf(r).containers as Obj[])[0]!.ports!, [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }, { containerPort: 443, hostPort: 8443 }]],
    ['env by name: B changes, A stays', spec({ containers: [c('web', { env: [{ name: 'B', value: 'x' }] })] }), (r) => (specOf(r).containers as Obj[])[0]!.env!, [{ name: 'A', value: '1' }, { name: 'B', value: 'x' }]],
    ['env by name: a new variable goes first', spec({ containers: [c('web', { env: [{ name: 'C', value: '3' }] })] }), (r) => (specOf(r).containers as Obj[])[0]!.env!, [{ name: 'C', value: '3' }, { name: 'A', value: '1' }, { name: 'B', value: '2' }]],
    ['volumeMounts by mountPath', spec({ containers: [c('web', { volumeMounts: [{ name: 'other', mountPath: '/data', readOnly: true }] })] }), (r) => (specOf(r).containers as Obj[])[0]!.volumeMounts!, [{ name: 'other', mountPath: '/data', readOnly: true }]],
    ['volumes by name: a hostPath volume is added', spec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }), (r) => specOf(r).volumes!, [{ name: 'root', hostPath: { path: '/' } }, { name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }]],
    ['volumes by name: a merged volume keeps its old source too', spec({ volumes: [{ name: 'data', hostPath: { path: '/' } }] }), (r) => (specOf(r).volumes as Obj[])[0]!, { name: 'data', emptyDir: {}, hostPath: { path: '/' } }],
    ['volumes with $retainKeys: the old source is dropped (kubectl sends this)', spec({ volumes: [{ name: 'data', hostPath: { path: '/' }, $retainKeys: ['hostPath', 'name'] }] }), (r) => (specOf(r).volumes as Obj[])[0]!, { name: 'data', hostPath: { path: '/' } }],
    ['imagePullSecrets of a pod spec by name', spec({ imagePullSecrets: [{ name: 'other' }] }), (r) => specOf(r).imagePullSecrets!, [{ name: 'other' }, { name: 'reg' }]],
    ['finalizers are a merged set: a new one goes first', { metadata: { finalizers: ['c', 'a'] } }, (r) => (r.metadata as Obj).finalizers!, ['c', 'a', 'b']],
    ['finalizers are a merged set: duplicates collapse', { metadata: { finalizers: ['b', 'b'] } }, (r) => (r.metadata as Obj).finalizers!, ['a', 'b']],
  ])('%s', (_case, patch, pick, expected) => {
    // Act
    const result = valueOf(run(patch)) as Obj;
    // Assert
    expect(pick(result)).toEqual(expected);
  });

  it.each<[string, Json, (r: Obj) => Json, Json]>([
    ['tolerations', spec({ tolerations: [{ key: 'x', operator: 'Exists' }] }), (r) => specOf(r).tolerations!, [{ key: 'x', operator: 'Exists' }]],
    ['args', spec({ containers: [c('side', { args: ['c'] })] }), (r) => (specOf(r).containers as Obj[])[1]!.args!, ['c']],
    ['tolerations, keeping a $patch item as sent when the object has the list', spec({ tolerations: [{ $patch: 'replace' }, { key: 'x' }] }), (r) => specOf(r).tolerations!, [{ $patch: 'replace' }, { key: 'x' }]],
  ])('replaces %s whole (no patch strategy)', (_case, patch, pick, expected) => {
    expect(pick(valueOf(run(patch)) as Obj)).toEqual(expected);
  });

  it('refuses a null first item of a merged list (sliceElementType calls Kind() on a nil type: the server panics)', () => {
    expect(errorOf(run(spec({ initContainers: [null, c('i')] }), pod({ containers: [c('a')], initContainers: [] })))).toMatch(/null item/);
  });

  it('merges initContainers and ephemeralContainers by name as well', () => {
    const doc = pod({ containers: [c('a')], initContainers: [c('i1', { image: 'x' }), c('i2')], ephemeralContainers: [c('e1', { image: 'y' })] });
    const result = valueOf(run(spec({ initContainers: [c('i2', { image: 'z' })], ephemeralContainers: [c('e1', { tty: true })] }), doc));
    expect(specOf(result).initContainers).toEqual([c('i1', { image: 'x' }), c('i2', { image: 'z' })]);
    expect(specOf(result).ephemeralContainers).toEqual([c('e1', { image: 'y', tty: true })]);
  });

  it('merges a deployment\'s pod template the same way', () => {
    const deployment = { kind: 'Deployment', spec: { template: { spec: { containers: [c('web', { image: 'a' }), c('side')] } } } };
    const result = valueOf(run({ spec: { template: { spec: { containers: [c('web', { securityContext: { privileged: true } })] } } } }, deployment)) as Obj;
    expect(json(JSON.stringify(result))).toEqual({ kind: 'Deployment', spec: { template: { spec: { containers: [c('web', { image: 'a', securityContext: { privileged: true } }), c('side')] } } } });
  });

  it.each<[string, Json, Outcome]>([
    ['an item without the merge key', spec({ containers: [{ image: 'x' }] }), { error: /merge key "name"/ }],
    ['a scalar where maps are merged', spec({ containers: ['web'] }), { error: /types are not identical/ }],
    ['a null item among maps', spec({ containers: [null] }), { error: /types are not identical/ }],
    ['a null item after a map', spec({ containers: [c('web'), null] }), { error: /types are not identical/ }],
    ['a list of lists', { metadata: { finalizers: [['x']] } }, { error: /types are not identical/ }],
    ['a map as merge key value (Go == panics)', spec({ containers: [{ name: { a: 1 } }] }), { error: /uncomparable/ }],
  ])('refuses %s', (_case, patch, expected) => {
    expectOutcome(run(patch), expected);
  });
});

describe('applyStrategicMergePatch: $patch in lists', () => {
  it.each<[string, Json, Json]>([
    ['delete removes the named container', [{ name: 'web', $patch: 'delete' }], [c('side', { image: 'busybox', args: ['a', 'b'] })]],
    ['delete of a missing name changes nothing', [{ name: 'nope', $patch: 'delete' }], ['web', 'side']],
    ['replace replaces the list with the other items', [{ $patch: 'replace' }, c('only', { image: 'x' })], [c('only', { image: 'x' })]],
    ['replace alone empties the list', [{ $patch: 'replace' }], []],
    ['delete and add in one patch', [c('new'), { name: 'side', $patch: 'delete' }], ['new', 'web']],
  ])('%s', (_case, containers, expected) => {
    const result = specOf(valueOf(run(spec({ containers }))));
    const got = result.containers as Obj[];
    expect(Array.isArray(expected) && typeof expected[0] === 'string' ? got.map((x) => x.name) : got).toEqual(expected);
  });

  it('delete removes every item with that key', () => {
    const doc = pod({ containers: [c('a'), c('b'), c('a', { image: 'dup' })] });
    expect(specOf(valueOf(run(spec({ containers: [{ name: 'a', $patch: 'delete' }] }), doc))).containers).toEqual([c('b')]);
  });

  it.each<[string, Json, RegExp]>([
    ['delete without the merge key', [{ $patch: 'delete', image: 'x' }], /merge key "name"/],
    ['merge (not supported in lists)', [{ name: 'web', $patch: 'merge' }], /cannot yet be specified/],
    ['an unknown directive', [{ name: 'web', $patch: 'drop' }], /Unknown patch type/],
    ['replace with an item lacking the merge key', [{ $patch: 'replace' }, { image: 'x' }], /merge key "name"/],
  ])('refuses %s', (_case, containers, expected) => {
    expect(errorOf(run(spec({ containers })))).toMatch(expected);
  });
});

describe('applyStrategicMergePatch: maps, nulls and $patch on maps', () => {
  it.each<[string, Json, (r: Obj) => Json, Json, Obj?]>([
    ['null deletes a key', spec({ hostNetwork: null }), (r) => Object.keys(specOf(r)).includes('hostNetwork'), false],
    ['null deletes a merged list', spec({ tolerations: null }), (r) => specOf(r).tolerations ?? 'absent', 'absent'],
    ['null for a missing key changes nothing', spec({ hostPID: null }), (r) => Object.keys(specOf(r)).includes('hostPID'), false],
    ['nulls inside a new map are dropped', spec({ securityContext: { runAsUser: null, fsGroup: 1 } }), (r) => specOf(r).securityContext!, { fsGroup: 1 }],
    ['nulls inside a new container are kept (mergeSlice appends it as sent)', spec({ containers: [c('new', { securityContext: null })] }), (r) => (specOf(r).containers as Obj[])[0]!, c('new', { securityContext: null })],
    ['null inside a merged container deletes its key', spec({ containers: [c('web', { securityContext: null })] }), (r) => Object.keys((specOf(r).containers as Obj[])[0]!).includes('securityContext'), false],
    ['$patch: replace takes the map as sent', spec({ containers: [c('web', { securityContext: { $patch: 'replace', privileged: true } })] }), (r) => (specOf(r).containers as Obj[])[0]!.securityContext!, { privileged: true }],
    ['$patch: replace keeps nulls and nested directives as sent', spec({ containers: [c('web', { securityContext: { $patch: 'replace', runAsUser: null, x: { $patch: 'delete' } } })] }), (r) => (specOf(r).containers as Obj[])[0]!.securityContext!, { runAsUser: null, x: { $patch: 'delete' } }],
    ['$patch: delete empties the map (it stays, as {})', spec({ containers: [c('web', { securityContext: { $patch: 'delete' } })] }), (r) => (specOf(r).containers as Obj[])[0]!.securityContext!, {}],
    ['$patch: delete on a map the object lacks adds nothing', spec({ securityContext: { $patch: 'delete' } }), (r) => Object.keys(specOf(r)).includes('securityContext'), false],
    ['$patch: replace on a map the object lacks adds nothing (removeDirectives drops it)', spec({ securityContext: { $patch: 'replace', runAsUser: 0 } }), (r) => Object.keys(specOf(r)).includes('securityContext'), false],
    ['$patch items inside a list the object lacks are dropped', spec({ initContainers: [c('i'), { name: 'j', $patch: 'delete' }] }), (r) => specOf(r).initContainers!, [c('i')]],
    ['a list the object lacks is taken as sent, duplicates and all', spec({ initContainers: [c('i'), c('i', { image: 'x' })] }), (r) => specOf(r).initContainers!, [c('i'), c('i', { image: 'x' })]],
    ['a map over a list replaces it', spec({ tolerations: { key: 'x', y: null } }), (r) => specOf(r).tolerations!, { key: 'x' }],
    ['a list over a scalar replaces it', spec({ hostNetwork: [1, null] }), (r) => specOf(r).hostNetwork!, [1, null]],
    ['a list over null replaces it', spec({ containers: [c('x'), { name: 'y', $patch: 'delete' }] }), (r) => specOf(r).containers!, [c('x')], pod({ containers: null })],
  ])('%s', (_case, patch, pick, expected, doc = live()) => {
    expect(pick(valueOf(run(patch, doc)) as Obj)).toEqual(expected);
  });

  it('replaces the whole object for $patch: replace at the root', () => {
    expect(valueOf(run({ $patch: 'replace', kind: 'Pod', metadata: { name: 'p' } }))).toEqual({ kind: 'Pod', metadata: { name: 'p' } });
  });

  it('empties the whole object for $patch: delete at the root', () => {
    expect(valueOf(run({ $patch: 'delete' }))).toEqual({});
  });

  it.each<[string, Json]>([
    ['merge', { $patch: 'merge' }],
    ['an unknown word', { $patch: 'keep' }],
    ['null', { $patch: null }],
  ])('refuses $patch: %s on a map', (_case, securityContext) => {
    expect(errorOf(run(spec({ containers: [c('web', { securityContext })] })))).toMatch(/Unknown patch type/);
  });
});

describe('applyStrategicMergePatch: $retainKeys', () => {
  const deployment = (): Obj => ({ kind: 'Deployment', spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, replicas: 1 } });

  it.each<[string, Json, Outcome]>([
    ['drops the keys it does not list', { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, { value: { kind: 'Deployment', spec: { strategy: { type: 'Recreate' }, replicas: 1 } } }],
    ['keeps listed keys the patch does not set', { spec: { strategy: { $retainKeys: ['type', 'rollingUpdate'] } } }, { value: deployment() }],
    ['lets a null for an unlisted key through (nulls are not checked)', { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } }, { value: { kind: 'Deployment', spec: { strategy: { type: 'Recreate' }, replicas: 1 } } }],
    ['refuses a patch key it does not list', { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 2 } } } }, { error: /not in \$retainKeys/ }],
    ['refuses a non-list', { spec: { strategy: { $retainKeys: 'type' } } }, { error: /must be a list/ }],
    ['refuses a map in the list (the server panics)', { spec: { strategy: { $retainKeys: [{}] } } }, { error: /map or list/ }],
    ['works on any map, also without the retainKeys strategy', { spec: { $retainKeys: ['strategy'] } }, { value: { kind: 'Deployment', spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } } }],
  ])('%s', (_case, patch, expected) => {
    expectOutcome(run(patch, deployment()), expected);
  });
});

describe('applyStrategicMergePatch: $setElementOrder', () => {
  const names = (result: Json): Json => (specOf(result).containers as Obj[]).map((x) => x.name!);

  it.each<[string, Obj, Outcome]>([
    ['reorders without changing items', { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] }, { value: ['side', 'web'] }],
    ['places a new item where the order says', { '$setElementOrder/containers': [{ name: 'web' }, { name: 'new' }, { name: 'side' }], containers: [c('new')] }, { value: ['web', 'new', 'side'] }],
    ['keeps server-only items by their old order', { '$setElementOrder/containers': [{ name: 'side' }] }, { value: ['web', 'side'] }],
    ['refuses a patch list in another order than the directive', { '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }], containers: [c('side'), c('web')] }, { error: /doesn't match/ }],
    ['refuses a patch item the directive does not list', { '$setElementOrder/containers': [{ name: 'web' }], containers: [c('new')] }, { error: /doesn't match/ }],
    ['refuses a directive that is not a list', { '$setElementOrder/containers': { name: 'web' } }, { error: /must be a list/ }],
    ['refuses a malformed directive key', { $setElementOrderX: [] }, { error: /not of the form/ }],
    ['refuses an order item without the merge key', { '$setElementOrder/containers': [{ image: 'x' }], containers: [c('web')] }, { error: /merge key "name"/ }],
  ])('%s', (_case, patch, expected) => {
    const result = run(spec(patch));
    if ('error' in expected) expect(errorOf(result)).toMatch(expected.error);
    else expect(names(valueOf(result))).toEqual(expected.value);
  });

  it('orders by the object\'s list as Go left it after deleting in place (the deleted slot holds the first new item)', () => {
    // apimachinery patch_test.go "add map and delete map from merging list": 4 stays before the new 3.
    const doc = pod({ containers: [c('1'), c('2', { image: 'b' }), c('4', { image: 'c' })] });
    const patch = spec({ '$setElementOrder/containers': [{ name: '2' }, { name: '3' }], containers: [c('3'), { name: '1', $patch: 'delete' }] });
    expect(specOf(valueOf(run(patch, doc))).containers).toEqual([c('2', { image: 'b' }), c('4', { image: 'c' }), c('3')]);
  });

  it('orders primitive lists too', () => {
    expect((valueOf(run({ metadata: { '$setElementOrder/finalizers': ['b', 'a'] } })) as Obj).metadata).toEqual({ name: 'p', finalizers: ['b', 'a'], labels: { app: 'web' } });
  });

  it('does nothing for a list neither side has', () => {
    expect(valueOf(run(spec({ '$setElementOrder/initContainers': [{ name: 'x' }] })))).toEqual(live());
  });
});

describe('applyStrategicMergePatch: $deleteFromPrimitiveList', () => {
  it.each<[string, Json, (r: Obj) => Json, Json]>([
    ['removes values from a merged primitive list', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, (r) => (r.metadata as Obj).finalizers!, ['b']],
    ['ignores values the list does not have', { metadata: { '$deleteFromPrimitiveList/finalizers': ['z'] } }, (r) => (r.metadata as Obj).finalizers!, ['a', 'b']],
    ['works on atomic primitive lists too (delete lists ignore the strategy)', spec({ containers: [c('side', { '$deleteFromPrimitiveList/args': ['a'] })] }), (r) => (specOf(r).containers as Obj[])[1]!.args!, ['b']],
    ['adds nothing for a missing list', { metadata: { '$deleteFromPrimitiveList/other': ['a'] } }, (r) => Object.keys(r.metadata as Obj), ['name', 'finalizers', 'labels']],
    ['with null deletes the whole list (the key is rewritten before the null check)', { metadata: { '$deleteFromPrimitiveList/finalizers': null } }, (r) => Object.keys(r.metadata as Obj), ['name', 'labels']],
    // Not only lists: for a field the object has, the directive merges like the field itself.
    ['on a map the object has, merges into it', spec({ containers: [c('web', { '$deleteFromPrimitiveList/securityContext': { privileged: true } })] }), (r) => (specOf(r).containers as Obj[])[0]!.securityContext!, { runAsNonRoot: true, privileged: true }],
    ['on a scalar the object has, replaces it', spec({ '$deleteFromPrimitiveList/hostNetwork': true }), (r) => specOf(r).hostNetwork!, true],
    ['on a list of maps, merges on the merge key', spec({ '$deleteFromPrimitiveList/containers': [c('web', { image: 'evil' })] }), (r) => (specOf(r).containers as Obj[])[0]!.image!, 'evil'],
    ['on a field the object lacks, does nothing', spec({ '$deleteFromPrimitiveList/hostPID': true }), (r) => Object.keys(specOf(r)).includes('hostPID'), false],
    ['on a field of another type, does nothing', spec({ '$deleteFromPrimitiveList/hostNetwork': 'yes' }), (r) => specOf(r).hostNetwork!, false],
  ])('%s', (_case, patch, pick, expected) => {
    expect(pick(valueOf(run(patch)) as Obj)).toEqual(expected);
  });

  it.each<[string, Json, Outcome]>([
    ['adding and deleting different values agree in both orders', { metadata: { finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, { value: ['c', 'b'] }],
    ['adding and deleting the same value depend on Go map order: refused', { metadata: { finalizers: ['a'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, { error: /depending on the order/ }],
    ['a field and its alias with different values: refused', spec({ hostNetwork: false, '$deleteFromPrimitiveList/hostNetwork': true }), { error: /depending on the order/ }],
  ])('%s', (_case, patch, expected) => {
    const result = run(patch);
    if ('error' in expected) expect(errorOf(result)).toMatch(expected.error);
    else expect(((valueOf(result) as Obj).metadata as Obj).finalizers).toEqual(expected.value);
  });

  it.each<[string, Json, RegExp]>([
    ['a malformed key', { metadata: { $deleteFromPrimitiveListX: ['a'] } }, /not of the form/],
    ['a delete list on an atomic list of maps', spec({ '$deleteFromPrimitiveList/tolerations': [{ key: 'k' }] }), /without merge key/],
  ])('refuses %s', (_case, patch, expected) => {
    expect(errorOf(run(patch))).toMatch(expected);
  });
});

describe('applyStrategicMergePatch: the schema by kind and path', () => {
  const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] };
  const patch = { spec: { selector: { matchLabels: { app: 'other' } } } };

  it('replaces a PodDisruptionBudget selector whole (patchStrategy:"replace")', () => {
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { selector, minAvailable: 1 } };
    expect(valueOf(run(patch, pdb))).toEqual({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { selector: { matchLabels: { app: 'other' } }, minAvailable: 1 } });
  });

  it('merges a Deployment selector', () => {
    const deployment = { kind: 'Deployment', spec: { selector } };
    expect(valueOf(run(patch, deployment))).toEqual({ kind: 'Deployment', spec: { selector: { matchLabels: { app: 'other' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] } } });
  });

  it.each<[string, Obj, Json, Json]>([
    ['ServiceAccount secrets merge by name', { kind: 'ServiceAccount', secrets: [{ name: 'a' }] }, { secrets: [{ name: 'b' }] }, { kind: 'ServiceAccount', secrets: [{ name: 'b' }, { name: 'a' }] }],
    ['ServiceAccount imagePullSecrets are atomic', { kind: 'ServiceAccount', imagePullSecrets: [{ name: 'a' }] }, { imagePullSecrets: [{ name: 'b' }] }, { kind: 'ServiceAccount', imagePullSecrets: [{ name: 'b' }] }],
    ['Service ports merge by port', { kind: 'Service', spec: { ports: [{ port: 80, name: 'http' }, { port: 443 }] } }, { spec: { ports: [{ port: 80, nodePort: 30080 }] } }, { kind: 'Service', spec: { ports: [{ port: 80, name: 'http', nodePort: 30080 }, { port: 443 }] } }],
    ['webhooks merge by name', { kind: 'ValidatingWebhookConfiguration', webhooks: [{ name: 'a', failurePolicy: 'Fail' }] }, { webhooks: [{ name: 'a', failurePolicy: 'Ignore' }] }, { kind: 'ValidatingWebhookConfiguration', webhooks: [{ name: 'a', failurePolicy: 'Ignore' }] }],
  ])('%s', (_case, doc, p, expected) => {
    expect(valueOf(run(p, doc))).toEqual(expected);
  });

  it('uses a schema given by the caller', () => {
    const everythingAtomic: PatchSchema = { list: () => ({ merge: false }), map: () => 'merge' };
    const result = applyStrategicMergePatch(live(), spec({ containers: [c('x')] }), everythingAtomic);
    expect(specOf(valueOf(result)).containers).toEqual([c('x')]);
  });
});

describe('applyStrategicMergePatch: the body and the input', () => {
  it('treats a null body as an empty patch (it decodes to a nil map)', () => {
    expect(valueOf(run(null))).toEqual(live());
  });

  it.each<[string, unknown]>([
    ['a list', [{ op: 'add' }]],
    ['a string', 'x'],
    ['a number', 3],
  ])('refuses %s', (_case, patch) => {
    expect(errorOf(applyStrategicMergePatch(live(), patch))).toMatch(/must be a JSON object/);
  });

  it('treats __proto__ as a plain key', () => {
    const result = valueOf(run(json('{"__proto__":{"polluted":true},"spec":{"__proto__":1,"containers":[{"name":"web","__proto__":{"x":1}}]}}'))) as Obj;
    expect(JSON.stringify(result)).toContain('"__proto__":{"polluted":true}');
    expect(JSON.stringify(specOf(result))).toContain('"__proto__":1');
    expect(JSON.stringify((specOf(result).containers as Obj[])[0])).toContain('"__proto__":{"x":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('never changes the document or the patch', () => {
    // Arrange: deepFreeze makes every write throw
    const doc = deepFreeze(live());
    const patch = deepFreeze({
      metadata: { finalizers: ['z'], '$deleteFromPrimitiveList/finalizers': ['a'], labels: { app: null } },
      spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'new' }, { name: 'web' }], containers: [c('new', { x: null }), c('web', { securityContext: { $patch: 'replace', privileged: true }, env: [{ name: 'A', $patch: 'delete' }] })], volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/' } }], tolerations: null },
    });
    const before = JSON.stringify([doc, patch]);
    // Act
    const result = applyStrategicMergePatch(doc, patch);
    // Assert
    expect((specOf(valueOf(result)).containers as Obj[]).map((x) => x.name)).toEqual(['side', 'new', 'web']);
    expect(JSON.stringify([doc, patch])).toBe(before);
  });
});

/**
 * Vectors from apimachinery's strategicpatch patch_test.go, with its MergeItem test struct as the schema
 * (mergingList/retainKeysMergingList/mergeItemPtr merge on name, mergingIntList is a merged set,
 * replacingItem has patchStrategy:"replace", everything else atomic).
 */
describe('applyStrategicMergePatch: apimachinery test vectors', () => {
  const mergeItem: PatchSchema = {
    list: (path) => {
      const field = path[path.length - 1];
      if (field === 'mergingList' || field === 'retainKeysMergingList' || field === 'mergeItemPtr') return { merge: true, mergeKey: 'name' };
      return field === 'mergingIntList' ? { merge: true } : { merge: false };
    },
    map: (path) => (path[path.length - 1] === 'replacingItem' ? 'replace' : 'merge'),
  };

  it.each<[string, Obj, Obj, Outcome]>([
    ['preserve the order from the patch in a merging list 2', { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] }, { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }] }, { value: { mergingList: [{ name: 2, value: 'b' }, { name: 3, value: 'c' }, { name: 1, value: 'a' }] } }],
    ['preserve the order from the patch in a merging int list', { mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, { value: { mergingIntList: [2, 3, 1] } }],
    ['unique scalars when merging lists', { mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, { value: { mergingIntList: [1, 2, 3] } }],
    ['delete map from nested map', { simpleMap: { key1: 1, key2: 1 } }, { simpleMap: { $patch: 'delete' } }, { value: { simpleMap: {} } }],
    ['delete all items from merging list', { mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ $patch: 'replace' }] }, { value: { mergingList: [] } }],
    ['merge empty merging lists', { mergingList: [] }, { mergingList: [] }, { value: { mergingList: [] } }],
    ['delete all keys from map', { name: 1, value: 1 }, { $patch: 'replace' }, { value: {} }],
    ['add key and delete all keys from map', { name: 1, value: 1 }, { other: 'a', $patch: 'replace' }, { value: { other: 'a' } }],
    ['delete all duplicate entries in a merging list', { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] }, { mergingList: [{ name: 1, $patch: 'delete' }, { name: 3, $patch: 'delete' }] }, { value: { mergingList: [{ name: 2, value: 'a' }] } }],
    ['retainKeys list can delete a field when no retainKeys directive present', { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'a' }] }, { retainKeysMergingList: [{ name: 'foo', value: null }] }, { value: { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo' }] } }],
    ['$setElementOrder contains item that is not present in the list to be merged', { mergingList: [{ name: 1 }, { name: 3 }] }, { '$setElementOrder/mergingList': [{ name: 3 }, { name: 2 }, { name: 1 }], mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] }, { value: { mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] } }],
    ['$setElementOrder contains item that is not present in the int list to be merged', { mergingIntList: [1, 3] }, { '$setElementOrder/mergingIntList': [3, 2, 1] }, { value: { mergingIntList: [3, 1] } }],
    ['should check if order in $setElementOrder and patch list match', { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] }, { '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }], mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] }, { error: /doesn't match/ }],
    ['missing merge key should error out', { mergingList: [{ name: 1, value: 'a' }] }, { mergingList: [{ value: 'b' }] }, { error: /merge key/ }],
    ['$deleteFromPrimitiveList of nonexistent item', { mergingIntList: [1, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { value: { mergingIntList: [1, 2] } }],
    ['$deleteFromPrimitiveList on empty primitive list', { mergingIntList: null }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { value: { mergingIntList: null } }],
    ['$deleteFromPrimitiveList on nonexistent primitive list', { foo: ['bar'] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, { value: { foo: ['bar'] } }],
    ['$deleteFromPrimitiveList with merge patch strategy', { mergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/mergingIntList': [2] }, { value: { mergingIntList: [1, 3] } }],
    ['$deleteFromPrimitiveList without merge patch strategy', { nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] }, { value: { nonMergingIntList: [1, 3] } }],
    ['add and delete an item in a list and preserve order', { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }] }, { '$setElementOrder/mergingList': [{ name: 4 }, { name: 2 }, { name: 1 }], mergingList: [{ name: 4, value: 4 }, { name: 3, $patch: 'delete' }] }, { value: { mergingList: [{ name: 4, value: 4 }, { name: 2, value: 2, other: 'b' }, { name: 1, other: 'a' }] } }],
    ['add map and delete map from merging list (three-way result)', { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] }, { '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }], mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }] }, { value: { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] } }],
    ['set elements order in a list with server-only items 3', { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2 }, { name: 7 }, { name: 9 }, { name: 8 }, { name: 3, value: 3 }, { name: 4, value: 4 }] }, { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] }, { value: { mergingList: [{ name: 2, value: 2 }, { name: 1, other: 'a' }, { name: 7 }, { name: 9 }, { name: 8 }, { name: 4, value: 4 }, { name: 3, value: 3 }] } }],
    ['behavior of set element order for a merging list with duplicate', { mergingList: [{ name: 1 }, { name: 2, value: 'dup1' }, { name: 3 }, { name: 2, value: 'dup2' }, { name: 4 }] }, { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }, { name: 2 }] }, { value: { mergingList: [{ name: 2, value: 'dup1' }, { name: 2, value: 'dup2' }, { name: 1 }, { name: 4 }, { name: 3 }] } }],
    ['delete and reorder in one list, reorder in another', { mergingList: [{ name: 'a', value: 'a' }, { name: 'b', value: 'b' }], mergeItemPtr: [{ name: 'c', value: 'c' }, { name: 'd', value: 'd' }] }, { '$setElementOrder/mergingList': [{ name: 'b' }], '$setElementOrder/mergeItemPtr': [{ name: 'd' }, { name: 'c' }], mergingList: [{ $patch: 'delete', name: 'a' }] }, { value: { mergingList: [{ name: 'b', value: 'b' }], mergeItemPtr: [{ name: 'd', value: 'd' }, { name: 'c', value: 'c' }] } }],
    ['replace RawExtension field, rest unchanged', { name: 'my-object', value: 'some-value', other: 'current-other', mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }], replacingItem: { Some: 'Generic', Yaml: 'Inside', The: 'RawExtension', Field: 'Period' } }, { replacingItem: { Newly: 'Modified', Yaml: 'Inside', The: 'RawExtension' } }, { value: { name: 'my-object', value: 'some-value', other: 'current-other', mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }], replacingItem: { Newly: 'Modified', Yaml: 'Inside', The: 'RawExtension' } } }],
  ])('%s', (_case, original, patch, expected) => {
    expectOutcome(applyStrategicMergePatch(deepFreeze(original), deepFreeze(patch), mergeItem), expected);
  });
});

import { builtInSchema, listStrategy, mapStrategy, type ListStrategy } from '../../../lambdas/core/patch/patch-strategy';

/** Expected values are the struct tags in k8s.io/api (core/v1, apps/v1, policy/v1, admissionregistration/v1, storage/v1) and apimachinery meta/v1. */

const byName: ListStrategy = { merge: true, mergeKey: 'name' };
const atomic: ListStrategy = { merge: false };
const podSpecs = [['spec'], ['template', 'spec'], ['spec', 'template', 'spec'], ['spec', 'jobTemplate', 'spec', 'template', 'spec']];

describe('listStrategy', () => {
  it.each(podSpecs.flatMap((at) => [
    [[...at, 'containers'], byName],
    [[...at, 'initContainers'], byName],
    [[...at, 'ephemeralContainers'], byName],
    [[...at, 'volumes'], byName],
    [[...at, 'imagePullSecrets'], byName],
    [[...at, 'resourceClaims'], byName],
    [[...at, 'schedulingGates'], byName],
    [[...at, 'hostAliases'], { merge: true, mergeKey: 'ip' }],
    [[...at, 'topologySpreadConstraints'], { merge: true, mergeKey: 'topologyKey' }],
    [[...at, 'containers', 'env'], byName],
    [[...at, 'initContainers', 'env'], byName],
    [[...at, 'ephemeralContainers', 'env'], byName],
    [[...at, 'containers', 'ports'], { merge: true, mergeKey: 'containerPort' }],
    [[...at, 'initContainers', 'ports'], { merge: true, mergeKey: 'containerPort' }],
    [[...at, 'containers', 'volumeMounts'], { merge: true, mergeKey: 'mountPath' }],
    [[...at, 'containers', 'volumeDevices'], { merge: true, mergeKey: 'devicePath' }],
    [[...at, 'tolerations'], atomic],
    [[...at, 'readinessGates'], atomic],
    [[...at, 'containers', 'args'], atomic],
    [[...at, 'containers', 'command'], atomic],
    [[...at, 'containers', 'envFrom'], atomic],
    [[...at, 'containers', 'resizePolicy'], atomic],
    [[...at, 'containers', 'resources', 'claims'], atomic],
  ] as [string[], ListStrategy][]))('%j is %j', (path, expected) => {
    expect(listStrategy(path)).toEqual(expected);
  });

  it.each<[string[], ListStrategy]>([
    [['metadata', 'finalizers'], { merge: true }],
    [['metadata', 'ownerReferences'], { merge: true, mergeKey: 'uid' }],
    [['metadata', 'managedFields'], atomic],
    [['spec', 'template', 'metadata', 'finalizers'], { merge: true }],
    [['spec', 'finalizers'], atomic], // Namespace spec.finalizers has no patch tags
    [['spec', 'ports'], { merge: true, mergeKey: 'port' }], // ServiceSpec
    [['subsets', 'ports'], atomic], // Endpoints
    [['ports'], atomic], // EndpointSlice
    [['spec', 'podCIDRs'], { merge: true }], // NodeSpec
    [['spec', 'taints'], atomic],
    [['status', 'conditions'], { merge: true, mergeKey: 'type' }],
    [['status', 'addresses'], { merge: true, mergeKey: 'type' }],
    [['status', 'podIPs'], { merge: true, mergeKey: 'ip' }],
    [['status', 'hostIPs'], { merge: true, mergeKey: 'ip' }],
    [['status', 'containerStatuses', 'volumeMounts'], { merge: true, mergeKey: 'mountPath' }],
    [['status', 'containerStatuses', 'allocatedResourcesStatus'], byName],
    [['status', 'reservedFor'], { merge: true, mergeKey: 'uid' }],
    [['secrets'], byName], // ServiceAccount
    [['imagePullSecrets'], atomic], // ServiceAccount: no patch tags
    [['webhooks'], byName],
    [['webhooks', 'matchConditions'], byName],
    [['spec', 'matchConditions'], byName], // ValidatingAdmissionPolicy
    [['spec', 'variables'], byName],
    [['spec', 'drivers'], byName], // CSINode
    [['rules'], atomic], // Role
    [['subjects'], atomic], // RoleBinding
    [['data', 'volumes'], atomic], // only a pod spec's volumes merge
    [[], atomic],
  ])('%j is %j', (path, expected) => {
    expect(listStrategy(path)).toEqual(expected);
  });
});

describe('mapStrategy', () => {
  it.each<[string[], string | undefined, string]>([
    [['spec', 'selector'], 'PodDisruptionBudget', 'replace'],
    [['spec', 'selector'], 'Deployment', 'merge'],
    [['spec', 'selector'], undefined, 'merge'],
    [['spec', 'template', 'spec', 'selector'], 'PodDisruptionBudget', 'merge'],
    [['spec', 'strategy'], 'Deployment', 'merge'], // patchStrategy:"retainKeys" alone merges on the server
    [['metadata', 'labels'], 'Pod', 'merge'],
  ])('%j of a %s is %s', (path, kind, expected) => {
    expect(mapStrategy(path, kind)).toBe(expected);
  });
});

describe('builtInSchema', () => {
  it('answers both lookups for its kind', () => {
    const schema = builtInSchema('PodDisruptionBudget');
    expect(schema.map(['spec', 'selector'])).toBe('replace');
    expect(schema.list(['spec', 'containers'])).toEqual(byName);
    expect(builtInSchema().map(['spec', 'selector'])).toBe('merge');
  });
});

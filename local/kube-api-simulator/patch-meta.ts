/**
 * Strategic-merge metadata for the built-in types: which lists merge, and by which key. The real server
 * reads this from Go struct tags (`patchStrategy:"merge" patchMergeKey:"name"`); the simulator has no
 * schemas, so it keeps the table for the lists that matter in practice, checked against the tags in
 * k8s.io/api core/v1, apps/v1, batch/v1 and apimachinery meta/v1 types.go. Lists not named here are
 * atomic (replaced whole), which is also the real default: tolerations, args, command, envFrom,
 * readinessGates, securityContext capabilities.
 */

/** How a list field merges. `mergeKey` undefined with `merge` true: a set of primitives (finalizers). */
export interface ListStrategy {
  readonly merge: boolean;
  readonly mergeKey?: string;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/**
 * The strategy for a list at `path` (the field names from the root, array positions omitted:
 * `['spec', 'template', 'spec', 'containers', 'ports']`).
 */
export function listStrategy(path: readonly string[]): ListStrategy {
  const field = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
    case 'env':
      return { merge: true, mergeKey: 'name' };
    case 'volumeMounts':
      return { merge: true, mergeKey: 'mountPath' };
    case 'volumeDevices':
      return { merge: true, mergeKey: 'devicePath' };
    case 'ports':
      // Container ports merge on containerPort; Service ports on port.
      if (CONTAINER_LISTS.has(parent)) return { merge: true, mergeKey: 'containerPort' };
      if (parent === 'spec') return { merge: true, mergeKey: 'port' };
      return { merge: false };
    case 'schedulingGates':
    case 'allocatedResourcesStatus':
      return { merge: true, mergeKey: 'name' };
    case 'secrets':
      // ServiceAccount.secrets; the field exists nowhere else at the top level.
      return path.length === 1 ? { merge: true, mergeKey: 'name' } : { merge: false };
    case 'hostAliases':
      return { merge: true, mergeKey: 'ip' };
    case 'podIPs':
    case 'hostIPs':
      return parent === 'status' ? { merge: true, mergeKey: 'ip' } : { merge: false };
    case 'addresses':
      // NodeStatus.addresses merges by type; EndpointSubset.addresses is atomic.
      return parent === 'status' ? { merge: true, mergeKey: 'type' } : { merge: false };
    case 'podCIDRs':
      return parent === 'spec' ? { merge: true } : { merge: false };
    case 'topologySpreadConstraints':
      return { merge: true, mergeKey: 'topologyKey' };
    case 'ownerReferences':
      return { merge: true, mergeKey: 'uid' };
    case 'conditions':
      return { merge: true, mergeKey: 'type' };
    case 'finalizers':
      return parent === 'metadata' ? { merge: true } : { merge: false };
    default:
      return { merge: false };
  }
}

/** The key server-side apply uses to identify list items (`k:{"name":"x"}`), when the list is keyed. */
export function listMapKey(path: readonly string[]): string | undefined {
  const s = listStrategy(path);
  return s.merge ? s.mergeKey : undefined;
}

/** Whether a list holds a set of primitives that merges (SSA `v:` entries) rather than replaces. */
export function isMergedPrimitiveSet(path: readonly string[]): boolean {
  const s = listStrategy(path);
  return s.merge && s.mergeKey === undefined;
}

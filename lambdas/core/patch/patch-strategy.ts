/**
 * Strategic-merge metadata of the built-in types, as the API server reads it from Go struct tags
 * (`patchStrategy:"merge" patchMergeKey:"name"`): which lists merge, and on which key. Lists not named are
 * atomic (replaced whole), which is also the server's default. Only lists whose merging changes what a policy
 * can see need to be exact; the table covers pod specs (every workload embeds one), metadata and Services.
 */

/** How a list field merges. `merge` with no `mergeKey` is a merged set of primitives (finalizers). */
export interface ListStrategy {
  readonly merge: boolean;
  readonly mergeKey?: string;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const ATOMIC: ListStrategy = { merge: false };

/**
 * The strategy for a list at `path` (field names from the root, list positions left out, e.g.
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
      return { merge: true, mergeKey: 'name' };
    case 'env':
      return CONTAINER_LISTS.has(parent) ? { merge: true, mergeKey: 'name' } : ATOMIC;
    case 'volumeMounts':
      return { merge: true, mergeKey: 'mountPath' };
    case 'volumeDevices':
      return { merge: true, mergeKey: 'devicePath' };
    case 'ports':
      if (CONTAINER_LISTS.has(parent)) return { merge: true, mergeKey: 'containerPort' };
      return parent === 'spec' ? { merge: true, mergeKey: 'port' } : ATOMIC;
    case 'hostAliases':
      return { merge: true, mergeKey: 'ip' };
    case 'topologySpreadConstraints':
      return { merge: true, mergeKey: 'topologyKey' };
    case 'ownerReferences':
      return parent === 'metadata' ? { merge: true, mergeKey: 'uid' } : ATOMIC;
    case 'finalizers':
      return parent === 'metadata' ? { merge: true } : ATOMIC;
    case 'conditions':
      return parent === 'status' ? { merge: true, mergeKey: 'type' } : ATOMIC;
    default:
      return ATOMIC;
  }
}

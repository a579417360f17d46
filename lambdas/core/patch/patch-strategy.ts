/**
 * Strategic-merge metadata of the built-in types, as the API server reads it from Go struct tags
 * (`patchStrategy:"merge" patchMergeKey:"name"`, k8s.io/api and k8s.io/apimachinery `types.go`): which lists
 * merge, on which key, and which maps are replaced whole. Lists not named are atomic (replaced whole), which
 * is also the server's default. The table is keyed by field path (list positions left out) and, where the same
 * path means different things in different kinds, by the object's `kind`.
 *
 * Only fields whose merging changes what a policy can see need to be exact; the table covers pod specs (every
 * workload embeds one, at `spec`, `template.spec`, `spec.template.spec` or `spec.jobTemplate.spec.template.spec`),
 * metadata, Services, ServiceAccounts, Nodes, webhook and admission-policy configurations, CSINodes and the
 * status lists the server merges.
 */

/** How a list field merges. `merge` with no `mergeKey` is a merged set of primitives (finalizers). */
export interface ListStrategy {
  readonly merge: boolean;
  readonly mergeKey?: string;
}

/** How a map (struct) field merges: key by key, or replaced by the patch's map (`patchStrategy:"replace"`). */
export type MapStrategy = 'merge' | 'replace';

/** The lookups the strategic merge needs (apimachinery's `LookupPatchMeta`), by field path. */
export interface PatchSchema {
  list(path: readonly string[]): ListStrategy;
  map(path: readonly string[]): MapStrategy;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const ATOMIC: ListStrategy = { merge: false };
const byName: ListStrategy = { merge: true, mergeKey: 'name' };
const by = (mergeKey: string): ListStrategy => ({ merge: true, mergeKey });

/**
 * The strategy for a list at `path` (field names from the root, list positions left out, e.g.
 * `['spec', 'template', 'spec', 'containers', 'ports']`). `kind` is the object's kind, when known.
 */
// No list differs by kind among the types covered; `_kind` is there for symmetry with mapStrategy.
export function listStrategy(path: readonly string[], _kind?: string): ListStrategy {
  const field = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  const topLevel = path.length === 1;
  switch (field) {
    // core/v1 PodSpec, EphemeralContainers
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'resourceClaims': // PodSpec (merge,retainKeys), batch/v1
    case 'schedulingGates':
    case 'evictionResponders':
      return byName;
    case 'volumes': // PodSpec (merge,retainKeys)
      return parent === 'spec' ? byName : ATOMIC;
    case 'imagePullSecrets': // PodSpec merges; ServiceAccount.imagePullSecrets has no patch tags
      return parent === 'spec' ? byName : ATOMIC;
    case 'secrets': // ServiceAccount
      return topLevel ? byName : ATOMIC;
    case 'hostAliases':
      return by('ip');
    case 'topologySpreadConstraints':
      return by('topologyKey');
    // core/v1 Container, EphemeralContainerCommon, ContainerStatus
    case 'env':
      return CONTAINER_LISTS.has(parent) ? byName : ATOMIC;
    case 'volumeMounts':
      return by('mountPath');
    case 'volumeDevices':
      return by('devicePath');
    case 'allocatedResourcesStatus':
      return byName;
    case 'ports':
      if (CONTAINER_LISTS.has(parent)) return by('containerPort');
      return parent === 'spec' ? by('port') : ATOMIC; // ServiceSpec.ports
    // core/v1 NodeSpec, statuses
    case 'podCIDRs':
      return parent === 'spec' ? { merge: true } : ATOMIC;
    case 'podIPs':
    case 'hostIPs':
      return parent === 'status' ? by('ip') : ATOMIC;
    case 'addresses':
      return parent === 'status' ? by('type') : ATOMIC;
    case 'conditions':
      return parent === 'status' ? by('type') : ATOMIC;
    case 'resourceClaimStatuses':
      return parent === 'status' ? byName : ATOMIC;
    case 'reservedFor': // resource.k8s.io ResourceClaimStatus
      return parent === 'status' ? by('uid') : ATOMIC;
    // meta/v1 ObjectMeta
    case 'ownerReferences':
      return parent === 'metadata' ? by('uid') : ATOMIC;
    case 'finalizers':
      return parent === 'metadata' ? { merge: true } : ATOMIC;
    // admissionregistration/v1
    case 'webhooks':
      return topLevel ? byName : ATOMIC;
    case 'matchConditions':
    case 'variables':
      return byName;
    // storage/v1 CSINodeSpec
    case 'drivers':
      return parent === 'spec' ? byName : ATOMIC;
    default:
      return ATOMIC;
  }
}

/** The strategy for a map at `path`: only policy/v1 PodDisruptionBudgetSpec.selector is `replace`. */
export function mapStrategy(path: readonly string[], kind?: string): MapStrategy {
  return kind === 'PodDisruptionBudget' && path.length === 2 && path[0] === 'spec' && path[1] === 'selector' ? 'replace' : 'merge';
}

/** The built-in schema for an object of `kind`. */
export function builtInSchema(kind?: string): PatchSchema {
  return { list: (path) => listStrategy(path, kind), map: (path) => mapStrategy(path, kind) };
}

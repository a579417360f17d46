import type { ResourceType, SubresourceType } from './resource-type';

/** The verbs of an ordinary stored resource, sorted as the real discovery lists them. */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const SUB_RW = ['get', 'patch', 'update'] as const;

const META_FIELDS = ['apiVersion', 'kind', 'metadata'];
const SPEC_STATUS = [...META_FIELDS, 'spec', 'status'];

interface Def {
  readonly group?: string;
  readonly version?: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly string[];
  /** Subresource names; `status` and `scale` get their usual kinds and verbs. */
  readonly sub?: readonly string[];
  readonly generation?: boolean;
  readonly returnDeleted?: boolean;
  readonly fields?: readonly string[];
  readonly virtual?: boolean;
}

function subresource(def: Def, name: string): SubresourceType {
  const group = def.group ?? '';
  const version = def.version ?? 'v1';
  switch (name) {
    case 'scale':
      return { name, kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: SUB_RW };
    case 'status':
      return { name, kind: def.kind, group, version, verbs: SUB_RW };
    case 'log':
      return { name, kind: def.kind, group, version, verbs: ['get'] };
    case 'finalize':
      return { name, kind: def.kind, group, version, verbs: ['update'] };
    case 'exec':
    case 'attach':
    case 'portforward':
      return { name, kind: name === 'exec' ? 'PodExecOptions' : name === 'attach' ? 'PodAttachOptions' : 'PodPortForwardOptions', group, version, verbs: ['create', 'get'] };
    default:
      return { name, kind: def.kind, group, version, verbs: ['get'] };
  }
}

function build(def: Def): ResourceType {
  return {
    group: def.group ?? '',
    version: def.version ?? 'v1',
    resource: def.resource,
    kind: def.kind,
    listKind: `${def.kind}List`,
    singular: def.kind.toLowerCase(),
    namespaced: def.namespaced,
    shortNames: def.shortNames ?? [],
    categories: def.categories ?? [],
    verbs: def.verbs ?? ALL_VERBS,
    subresources: (def.sub ?? []).map((s) => subresource(def, s)),
    tracksGeneration: def.generation ?? false,
    returnDeletedObject: def.returnDeleted ?? false,
    topLevelFields: def.fields ?? SPEC_STATUS,
    custom: false,
    virtual: def.virtual,
  };
}

const WORKLOAD = { namespaced: true, categories: ['all'], generation: true } as const;
const RBAC = 'rbac.authorization.k8s.io';

/**
 * The built-in resources the simulator serves. Names, short names, categories, scopes and subresources
 * are those of a real 1.35 cluster, since kubectl resolves `po`, `deploy`, `all` from discovery.
 */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  { resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], sub: ['finalize', 'status'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], returnDeleted: true },
  { resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], sub: ['attach', 'exec', 'log', 'portforward', 'status'], generation: true, returnDeleted: true },
  { resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], sub: ['status'], returnDeleted: true },
  { resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], fields: [...META_FIELDS, 'data', 'binaryData', 'immutable'] },
  { resource: 'secrets', kind: 'Secret', namespaced: true, fields: [...META_FIELDS, 'data', 'stringData', 'type', 'immutable'] },
  { resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], fields: [...META_FIELDS, 'secrets', 'imagePullSecrets', 'automountServiceAccountToken'] },
  {
    resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
    fields: [...META_FIELDS, 'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
  },
  { resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], sub: ['proxy', 'status'] },
  { resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, shortNames: ['pvc'], sub: ['status'] },
  { group: 'apps', resource: 'deployments', kind: 'Deployment', ...WORKLOAD, shortNames: ['deploy'], sub: ['scale', 'status'] },
  { group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', ...WORKLOAD, shortNames: ['rs'], sub: ['scale', 'status'] },
  { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', ...WORKLOAD, shortNames: ['sts'], sub: ['scale', 'status'] },
  { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet', ...WORKLOAD, shortNames: ['ds'], sub: ['status'] },
  { group: 'batch', resource: 'jobs', kind: 'Job', ...WORKLOAD, sub: ['status'] },
  { group: 'batch', resource: 'cronjobs', kind: 'CronJob', ...WORKLOAD, shortNames: ['cj'], sub: ['status'] },
  { group: RBAC, resource: 'roles', kind: 'Role', namespaced: true, fields: [...META_FIELDS, 'rules'] },
  { group: RBAC, resource: 'rolebindings', kind: 'RoleBinding', namespaced: true, fields: [...META_FIELDS, 'subjects', 'roleRef'] },
  { group: RBAC, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, fields: [...META_FIELDS, 'rules', 'aggregationRule'] },
  { group: RBAC, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, fields: [...META_FIELDS, 'subjects', 'roleRef'] },
  {
    group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false,
    shortNames: ['crd', 'crds'], categories: ['api-extensions'], sub: ['status'], generation: true,
  },
  // Create-only reviews: `kubectl auth whoami` and `kubectl auth can-i` work, and tests can see who a
  // request really acted as after impersonation.
  { group: 'authentication.k8s.io', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'], virtual: true },
].map((d) => build(d as Def));

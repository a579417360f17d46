import { didYouMean } from './closest-match';
import { globProblem } from './glob';

/**
 * The words policy files may use, and the checks on each kind of value. Kept apart from the structural
 * validation so the error texts stay in one place.
 */

/** Kubernetes request verbs (and RBAC verbs, and the lower-cased HTTP methods of non-resource requests). */
export const KNOWN_VERBS: readonly string[] = [
  'get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection',
  'post', 'put', 'head', 'options',
  'escalate', 'bind', 'impersonate', 'approve', 'sign', 'use',
];

/** Verbs whose requests carry a body a rule can read. */
export const BODY_VERBS: readonly string[] = ['create', 'update', 'patch', 'post', 'put'];

/** Resources common enough that a singular or a kind name is surely a typo for them. */
const WELL_KNOWN_RESOURCES = [
  'pods', 'services', 'configmaps', 'secrets', 'namespaces', 'nodes', 'persistentvolumes', 'persistentvolumeclaims',
  'serviceaccounts', 'events', 'endpoints', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs',
  'cronjobs', 'ingresses', 'networkpolicies', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings',
  'customresourcedefinitions', 'podtemplates', 'replicationcontrollers', 'horizontalpodautoscalers', 'leases',
];

/** The kinds of value a match list can hold; each has its own syntax check. */
export type ValueKind = 'glob' | 'namespace' | 'resource' | 'subresource' | 'apiGroup' | 'verb' | 'connection' | 'url' | 'command' | 'container';

/** What is wrong with one entry of a match list, or undefined. */
export function valueProblem(kind: ValueKind, value: string): string | undefined {
  if (kind === 'verb') return verbProblem(value);
  if (kind === 'command') return commandProblem(value);
  if (value === '' && kind !== 'namespace' && kind !== 'subresource' && kind !== 'apiGroup' && kind !== 'container') {
    return 'empty string matches nothing';
  }
  const glob = globProblem(value);
  if (glob) return glob;
  switch (kind) {
    case 'namespace':
      if (/[A-Z]/.test(value)) return `"${value}": namespace names are lower-case`;
      return /^[a-z0-9*-]*$/.test(value) ? undefined : `"${value}" is not a namespace name or glob`;
    case 'resource':
      return resourceProblem(value);
    case 'subresource':
      return /^[a-z*]*$/.test(value) ? undefined : `"${value}" is not a subresource (e.g. exec, log, status, ephemeralcontainers)`;
    case 'apiGroup':
      if (value === 'core' || value === 'v1') return `"${value}": the core API group is written "" (an empty string)`;
      if (value.includes('/')) return `"${value}": write the group without its version ("${value.split('/')[0]}")`;
      return /^[a-z0-9.*-]*$/.test(value) ? undefined : `"${value}" is not an API group`;
    case 'container':
      if (/[A-Z]/.test(value)) return `"${value}": container names are lower-case`;
      return /^[a-z0-9*-]*$/.test(value) ? undefined : `"${value}" is not a container name or glob ([a-z0-9-]; "" for a request naming none)`;
    case 'connection':
      return /^[a-z0-9*-]+$/.test(value) ? undefined : `"${value}" is not a connection name or glob ([a-z0-9-])`;
    case 'url':
      return value.startsWith('/') || value === '*' ? undefined : `"${value}": non-resource URLs start with /`;
    default:
      return undefined;
  }
}

/**
 * A command glob: `*` is the only wildcard and everything else is literal, including the characters other globs
 * refuse as regular-expression-looking (`?`, `|`, `(`, `.*`), which commands contain as themselves.
 */
function commandProblem(value: string): string | undefined {
  if (value.trim() === '') return 'an empty command matches nothing (the server refuses an exec without one)';
  if (value.includes('**')) return `bad glob "${value}": use a single * (it already matches any run of characters)`;
  return undefined;
}

function verbProblem(value: string): string | undefined {
  if (value === '*' || KNOWN_VERBS.includes(value)) return undefined;
  if (value.includes('*')) return `"${value}": verbs take no globs; list them, or write "*" for all`;
  return `unknown verb "${value}"${didYouMean(value, KNOWN_VERBS)}`;
}

function resourceProblem(value: string): string | undefined {
  if (value.includes('/')) {
    const [resource, sub] = value.split('/');
    return `"${value}": list the subresource apart (resources: [${resource}], subresources: [${sub}])`;
  }
  const lower = value.toLowerCase();
  if (value !== lower || !WELL_KNOWN_RESOURCES.includes(value)) {
    const plural = [`${lower}s`, `${lower}es`, lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : '', lower]
      .find((p) => WELL_KNOWN_RESOURCES.includes(p));
    if (plural && plural !== value) return `"${value}" is not a resource name; resources are lower-case plurals ("${plural}")`;
  }
  if (/[A-Z]/.test(value)) return `"${value}": resources are lower-case plurals (e.g. "pods"), not kinds`;
  return /^[a-z0-9*.-]+$/.test(value) ? undefined : `"${value}" is not a resource name or glob`;
}

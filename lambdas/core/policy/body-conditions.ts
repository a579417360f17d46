import { compileGlobSet, globSetMatches, GlobSet } from './glob';
import { FieldPath, parseFieldPath, valuesAtPath } from './field-path';
import type { PatchType, PolicyBodySpec, PolicyFieldSpec } from './policy-types';

type Obj = Record<string, unknown>;

/**
 * Where built-in workloads embed their pod (template): its `metadata` and `spec` sit under this path. The
 * request's resource (from the URL) decides, not the body's `kind`, because that is what the API server goes by
 * and a patch has no kind at all.
 */
const POD_PATHS: Readonly<Record<string, readonly string[]>> = {
  pods: [],
  podtemplates: ['template'],
  deployments: ['spec', 'template'],
  replicasets: ['spec', 'template'],
  statefulsets: ['spec', 'template'],
  daemonsets: ['spec', 'template'],
  jobs: ['spec', 'template'],
  replicationcontrollers: ['spec', 'template'],
  cronjobs: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Keys only a pod spec has; used to find pod specs inside custom resources whose layout we cannot know. */
const POD_SPEC_KEYS = ['containers', 'initContainers', 'ephemeralContainers', 'volumes', 'hostNetwork', 'hostPID', 'hostIPC'];
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** A pod or pod template found in a body. */
export interface PodView {
  readonly metadata: Obj;
  readonly spec: Obj;
}

/**
 * What body conditions look at, computed lazily and once per evaluation (several rules may ask for pod specs).
 */
export class BodyFacts {
  private found?: PodView[];
  private containerList?: Obj[];

  constructor(
    public readonly value: unknown,
    private readonly resource: string,
    public readonly patchType: PatchType | undefined,
  ) {}

  /** True for partial bodies (json/merge/strategic patches), where an absent field means "unchanged". */
  get isPartial(): boolean {
    return this.patchType === 'json' || this.patchType === 'merge' || this.patchType === 'strategic';
  }

  /** Every pod (template) in the body: at the resource's known place, or any pod spec for other resources. */
  pods(): PodView[] {
    if (this.found) return this.found;
    const known = POD_PATHS[this.resource];
    if (known) {
      const pod = at(this.value, known);
      this.found = isObj(pod) && isObj(pod.spec) ? [{ metadata: isObj(pod.metadata) ? pod.metadata : {}, spec: pod.spec }] : [];
    } else {
      this.found = findPodSpecs(this.value).map((spec) => ({ metadata: {}, spec }));
    }
    return this.found;
  }

  /** Every pod spec in the body. */
  podSpecs(): Obj[] {
    return this.pods().map((p) => p.spec);
  }

  /** Every container, init container and ephemeral container of every pod spec. */
  containers(): Obj[] {
    this.containerList ??= this.podSpecs().flatMap((spec) => CONTAINER_LISTS.flatMap((list) => objects(spec[list])));
    return this.containerList;
  }
}

/** A compiled `body:` block. */
export type BodyCondition = (facts: BodyFacts) => boolean;

/** Compiles a validated body block; every condition must hold. */
export function compileBodyCondition(spec: PolicyBodySpec): BodyCondition {
  const tests: BodyCondition[] = [];
  if (spec.privileged) tests.push((f) => f.podSpecs().some(hasPrivilegedContainer));
  if (spec.hostPath) tests.push((f) => f.podSpecs().some(hasHostPathVolume));
  if (spec.hostNamespaces) tests.push((f) => f.podSpecs().some((s) => s.hostNetwork === true || s.hostPID === true || s.hostIPC === true));
  if (spec.roleRef) {
    const names = compileGlobSet(spec.roleRef);
    tests.push((f) => {
      const name = at(f.value, ['roleRef', 'name']);
      return typeof name === 'string' && globSetMatches(names, name);
    });
  }
  if (spec.rbacWildcard) tests.push((f) => rbacRules(f.value).some((r) => grantsEverything(r, f.isPartial)));
  if (spec.rbacVerbs) {
    const verbs = spec.rbacVerbs;
    tests.push((f) => rbacRules(f.value).some((r) => verbs.some((v) => grantsVerb(r, v, f.isPartial))));
  }
  for (const field of spec.fields ?? []) tests.push(compileField(field));
  return (facts) => tests.every((t) => t(facts));
}

function compileField(spec: PolicyFieldSpec): BodyCondition {
  // Validation guarantees exactly one of path/podSpecPath and that it parses.
  const parsed = parseFieldPath(spec.path ?? spec.podSpecPath ?? '');
  const path: FieldPath = 'path' in parsed ? parsed.path : [];
  const fromPodSpecs = spec.podSpecPath !== undefined;
  const accept = spec.values ? compileValues(spec.values) : (v: unknown) => v !== undefined && v !== null;
  return (facts) => {
    const roots = fromPodSpecs ? facts.podSpecs() : [facts.value];
    return roots.some((root) => valuesAtPath(root, path).some(accept));
  };
}

function compileValues(values: readonly (string | number | boolean)[]): (v: unknown) => boolean {
  const globs: GlobSet = compileGlobSet(values.filter((v): v is string => typeof v === 'string'));
  const scalars = new Set(values.filter((v) => typeof v !== 'string'));
  return (v) => (typeof v === 'string' ? globSetMatches(globs, v) : scalars.has(v as number | boolean));
}

function hasPrivilegedContainer(spec: Obj): boolean {
  return CONTAINER_LISTS.some((list) => objects(spec[list]).some((c) => isObj(c.securityContext) && c.securityContext.privileged === true));
}

function hasHostPathVolume(spec: Obj): boolean {
  return objects(spec.volumes).some((v) => v.hostPath !== undefined && v.hostPath !== null);
}

/** The verbs RBAC's `*` stands for in ordinary use; a rule listing all of them on `*` is a wildcard role too. */
const ORDINARY_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * The resources each escalation verb acts on (the API server's RBAC checks): `escalate` and `bind` on roles,
 * `impersonate` on users, groups, service accounts, uids and user extras.
 */
const VERB_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  escalate: ['roles', 'clusterroles'],
  bind: ['roles', 'clusterroles'],
  impersonate: ['users', 'groups', 'serviceaccounts', 'uids', 'userextras'],
};

/**
 * A rule granting every verb on `*` resources: `*` verbs, or all ordinary verbs spelled out. In a patch an
 * absent list is unchanged and may already be `*`, so a patch that makes either list "everything" counts (a
 * stricter reading could be dodged one field at a time).
 */
function grantsEverything(rule: Obj, partial: boolean): boolean {
  const verbs = rule.verbs === undefined ? undefined : coversAllVerbs(strings(rule.verbs));
  const resources = rule.resources === undefined ? undefined : strings(rule.resources).includes('*');
  if (verbs === true && resources === true) return true;
  return partial && ((verbs === true && resources === undefined) || (verbs === undefined && resources === true));
}

function coversAllVerbs(verbs: string[]): boolean {
  return verbs.includes('*') || ORDINARY_VERBS.every((v) => verbs.includes(v));
}

/**
 * A rule granting `verb`: named outright (on any resource: the role is suspicious either way), or through `*`
 * on a resource the verb acts on (or `*`; resources absent in a patch may already be anything).
 */
function grantsVerb(rule: Obj, verb: string, partial: boolean): boolean {
  const verbs = strings(rule.verbs);
  if (verbs.includes(verb)) return true;
  if (!verbs.includes('*')) return false;
  if (rule.resources === undefined) return partial;
  const targets = VERB_RESOURCES[verb];
  return strings(rule.resources).some((r) => {
    const resource = r.split('/')[0]!;
    return resource === '*' || (targets === undefined ? true : targets.includes(resource));
  });
}

function rbacRules(value: unknown): Obj[] {
  return isObj(value) ? objects(value.rules) : [];
}

/** Depth-first search for objects that look like pod specs, iterative so deep bodies cannot overflow the stack. */
function findPodSpecs(root: unknown): Obj[] {
  const found: Obj[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push(item);
    } else if (isObj(v)) {
      if (POD_SPEC_KEYS.some((k) => Object.prototype.hasOwnProperty.call(v, k))) found.push(v);
      for (const key of Object.keys(v)) {
        const child = v[key];
        if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
  return found;
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (!isObj(v) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

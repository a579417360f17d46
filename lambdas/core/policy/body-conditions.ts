import { compileGlobSet, globSetMatches, GlobSet } from './glob';
import { FieldPath, parseFieldPath, valuesAtPath } from './field-path';
import type { PatchType, PolicyBodySpec, PolicyFieldSpec } from './policy-types';

type Obj = Record<string, unknown>;

/**
 * Where built-in workloads embed their pod spec. The request's resource (from the URL) decides, not the body's
 * `kind`, because that is what the API server goes by and a patch has no kind at all.
 */
const POD_SPEC_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  pods: [['spec']],
  podtemplates: [['template', 'spec']],
  deployments: [['spec', 'template', 'spec']],
  replicasets: [['spec', 'template', 'spec']],
  statefulsets: [['spec', 'template', 'spec']],
  daemonsets: [['spec', 'template', 'spec']],
  jobs: [['spec', 'template', 'spec']],
  replicationcontrollers: [['spec', 'template', 'spec']],
  cronjobs: [['spec', 'jobTemplate', 'spec', 'template', 'spec']],
};

/** Keys only a pod spec has; used to find pod specs inside custom resources whose layout we cannot know. */
const POD_SPEC_KEYS = ['containers', 'initContainers', 'ephemeralContainers', 'volumes', 'hostNetwork', 'hostPID', 'hostIPC'];
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/**
 * What body conditions look at, computed lazily and once per evaluation (several rules may ask for pod specs).
 */
export class BodyFacts {
  private specs?: Obj[];

  constructor(
    public readonly value: unknown,
    private readonly resource: string,
    public readonly patchType: PatchType | undefined,
  ) {}

  /** True for partial bodies (json/merge/strategic patches), where an absent field means "unchanged". */
  get isPartial(): boolean {
    return this.patchType === 'json' || this.patchType === 'merge' || this.patchType === 'strategic';
  }

  /** Every pod spec in the body: at the resource's known place, or anywhere for other resources. */
  podSpecs(): Obj[] {
    if (this.specs) return this.specs;
    const known = POD_SPEC_PATHS[this.resource];
    this.specs = known ? known.map((p) => at(this.value, p)).filter(isObj) : findPodSpecs(this.value);
    return this.specs;
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
    const verbs = compileGlobSet(spec.rbacVerbs);
    tests.push((f) => rbacRules(f.value).some((r) => strings(r.verbs).some((v) => globSetMatches(verbs, v))));
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
  for (const list of CONTAINER_LISTS) {
    for (const c of objects(spec[list])) {
      if (isObj(c.securityContext) && c.securityContext.privileged === true) return true;
    }
  }
  return false;
}

function hasHostPathVolume(spec: Obj): boolean {
  return objects(spec.volumes).some((v) => v.hostPath !== undefined && v.hostPath !== null);
}

/**
 * A rule granting `*` verbs on `*` resources. In a patch an absent list is unchanged and may already be `*`,
 * so a patch that makes either list `*` counts (a stricter reading could be dodged one field at a time).
 */
function grantsEverything(rule: Obj, partial: boolean): boolean {
  const verbs = rule.verbs === undefined ? undefined : strings(rule.verbs).includes('*');
  const resources = rule.resources === undefined ? undefined : strings(rule.resources).includes('*');
  if (verbs === true && resources === true) return true;
  return partial && ((verbs === true && resources === undefined) || (verbs === undefined && resources === true));
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

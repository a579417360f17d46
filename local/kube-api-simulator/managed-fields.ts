import { isMergedPrimitiveSet, listMapKey } from './patch-meta';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types';

/**
 * Field ownership in the `FieldsV1` format the real server writes under `metadata.managedFields`.
 * A field path is a list of path elements (`f:spec`, `k:{"name":"app"}`, `v:"finalizer"`); a set of
 * them is kept as strings joined by newlines (element text never contains a raw newline).
 */
export type FieldSet = Set<string>;

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry extends JsonObject {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

// Fields the server owns itself; real managedFields never list them.
const SERVER_OWNED_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink',
]);

/** Which part of an object a write manages: the main resource excludes `status`, the status subresource is only it. */
export type FieldScope = 'all' | 'main' | 'status';

function inScope(key: string, scope: FieldScope): boolean {
  if (key === 'apiVersion' || key === 'kind') return false;
  if (scope === 'status') return key === 'status';
  if (scope === 'main') return key !== 'status';
  return true;
}

/** Every leaf field path of an object, with the JSON of the value found there. */
export function leafValues(obj: JsonObject, scope: FieldScope): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: JsonValue | undefined, elements: string[], fieldPath: string[]): void => {
    if (value === undefined) return;
    if (isJsonObject(value) && Object.keys(value).some((k) => value[k] !== undefined)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...elements, `f:${k}`], [...fieldPath, k]);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const key = listMapKey(fieldPath);
      if (key && value.every((item) => isJsonObject(item) && item[key] !== undefined)) {
        for (const item of value as JsonObject[]) {
          const element = `k:${JSON.stringify({ [key]: item[key] })}`;
          out.set([...elements, element].join('\n'), '{}');
          for (const [k, v] of Object.entries(item)) walk(v, [...elements, element, `f:${k}`], [...fieldPath, k]);
        }
        return;
      }
      if (isMergedPrimitiveSet(fieldPath)) {
        for (const item of value) out.set([...elements, `v:${JSON.stringify(item)}`].join('\n'), 'true');
        return;
      }
    }
    out.set(elements.join('\n'), JSON.stringify(value));
  };
  for (const [k, v] of Object.entries(obj)) {
    if (!inScope(k, scope)) continue;
    if (k === 'metadata' && isJsonObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!SERVER_OWNED_METADATA.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], ['metadata', mk]);
      }
      continue;
    }
    walk(v, [`f:${k}`], [k]);
  }
  return out;
}

/** Builds the nested `fieldsV1` object from a set of paths. */
export function toFieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  const sorted = [...paths].sort();
  for (const path of sorted) {
    let node = root;
    const elements = path.split('\n');
    elements.forEach((el, i) => {
      const existing = node[el];
      const child: JsonObject = isJsonObject(existing) ? existing : {};
      node[el] = child;
      node = child;
      if (i === elements.length - 1 && sorted.some((p) => p.startsWith(`${path}\n`))) node['.'] = {};
    });
  }
  return root;
}

/** Reads a `fieldsV1` object back into a set of paths. */
export function fromFieldsV1(fieldsV1: JsonValue | undefined): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: JsonObject, prefix: string[]): void => {
    const children = Object.keys(node).filter((k) => k !== '.');
    if (prefix.length > 0 && (children.length === 0 || isJsonObject(node['.']))) out.add(prefix.join('\n'));
    for (const k of children) {
      const child = node[k];
      walk(isJsonObject(child) ? child : {}, [...prefix, k]);
    }
  };
  if (isJsonObject(fieldsV1)) walk(fieldsV1, []);
  return out;
}

/** The managedFields entries of an object (invalid ones dropped). */
export function managedFieldsOf(obj: KubeObject): ManagedFieldsEntry[] {
  const raw = obj.metadata.managedFields;
  return Array.isArray(raw) ? raw.filter((e): e is ManagedFieldsEntry => isJsonObject(e) && typeof e.manager === 'string') : [];
}

/** Current time with second precision, the way `metav1.Time` serializes. */
export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sameEntry(e: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/** Parameters of one recorded write. */
export interface OwnershipChange {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource?: string;
  /** The paths the manager owns after the write (for Update: added to what it had). */
  readonly owned: FieldSet;
  /** Paths taken away from every other manager. */
  readonly takenFromOthers: FieldSet;
  /** Paths that exist in the new object; ownership of anything else is dropped. */
  readonly existing: ReadonlySet<string>;
}

/** Rewrites `metadata.managedFields` of `obj` for one write. */
export function recordOwnership(obj: KubeObject, change: OwnershipChange): void {
  const entries = managedFieldsOf(obj);
  const result: ManagedFieldsEntry[] = [];
  let mine: FieldSet = new Set(change.owned);
  for (const e of entries) {
    const set = fromFieldsV1(e.fieldsV1);
    if (sameEntry(e, change.manager, change.operation, change.subresource)) {
      if (change.operation === 'Update') for (const p of set) mine.add(p);
      continue;
    }
    const kept = [...set].filter((p) => !change.takenFromOthers.has(p) && change.existing.has(p));
    if (kept.length > 0) result.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  mine = new Set([...mine].filter((p) => change.existing.has(p)));
  if (mine.size > 0) {
    const entry: ManagedFieldsEntry = {
      manager: change.manager,
      operation: change.operation,
      apiVersion: change.apiVersion,
      time: nowTimestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(mine),
    };
    if (change.subresource) entry.subresource = change.subresource;
    result.push(entry);
  }
  obj.metadata.managedFields = result;
}

/**
 * Records a non-apply write (create, update, patch): the manager takes ownership of every leaf it
 * changed, and other managers lose those leaves, as the real server's Update operation does.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  apiVersion: string,
  scope: FieldScope,
  subresource?: string,
): void {
  const oldValues = before ? leafValues(before, scope) : new Map<string, string>();
  const newValues = leafValues(after, scope);
  const changed: FieldSet = new Set([...newValues].filter(([p, v]) => oldValues.get(p) !== v).map(([p]) => p));
  const everything = leafValues(after, 'all');
  const existing = new Set<string>([...everything.keys()].flatMap(prefixesOf));
  recordOwnership(after, { manager, operation: 'Update', apiVersion, subresource, owned: changed, takenFromOthers: changed, existing });
}

/** A path and every ancestor of it (ownership of `.` nodes survives while any child exists). */
export function prefixesOf(path: string): string[] {
  const elements = path.split('\n');
  return elements.map((_, i) => elements.slice(0, i + 1).join('\n'));
}

import { fromFieldsV1, leafValues, managedFieldsOf, prefixesOf, recordOwnership, type FieldScope, type FieldSet } from './managed-fields';
import { conflict, type QualifiedResource } from './status-errors';
import { mergeAppliedConfiguration } from './apply-merge';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types';

/** Inputs of one server-side apply (`PATCH` with `application/apply-patch+yaml`). */
export interface ApplyRequest {
  /** The stored object, or undefined when the apply creates it. */
  readonly live: KubeObject | undefined;
  /** The configuration sent, already parsed from YAML and checked for apiVersion/kind/name. */
  readonly applied: KubeObject;
  readonly manager: string;
  readonly force: boolean;
  readonly apiVersion: string;
  readonly scope: FieldScope;
  readonly subresource?: string;
  readonly qualifiedResource: QualifiedResource;
}

/** `.spec.template.spec.containers[name="app"].image`, the way SSA conflict messages name fields. */
export function describeFieldPath(path: string): string {
  return path
    .split('\n')
    .map((el) => {
      if (el.startsWith('f:')) return `.${el.slice(2)}`;
      if (el.startsWith('v:')) return `[=${el.slice(2)}]`;
      if (el.startsWith('i:')) return `[${el.slice(2)}]`;
      if (el.startsWith('k:')) {
        const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      return el;
    })
    .join('');
}

/** Deletes the field at a managed-fields path, if it exists. */
function removePath(obj: JsonObject, path: string): void {
  const elements = path.split('\n');
  let node: JsonValue | undefined = obj;
  for (let i = 0; i < elements.length; i += 1) {
    const el = elements[i]!;
    const last = i === elements.length - 1;
    if (el.startsWith('f:') && isJsonObject(node)) {
      const key = el.slice(2);
      if (last) delete node[key];
      node = node[key];
      continue;
    }
    if (!Array.isArray(node)) return;
    const list: JsonValue[] = node;
    let index = -1;
    if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Record<string, JsonValue>;
      index = list.findIndex((item) => isJsonObject(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)));
    } else if (el.startsWith('v:')) {
      index = list.findIndex((item) => JSON.stringify(item) === el.slice(2));
    }
    if (index < 0) return;
    if (last) {
      list.splice(index, 1);
      return;
    }
    node = list[index];
  }
}

function ownersOf(live: KubeObject, exceptManager: string): { manager: string; apiVersion: string; set: FieldSet }[] {
  return managedFieldsOf(live)
    .filter((e) => !(e.manager === exceptManager && e.operation === 'Apply'))
    .map((e) => ({ manager: e.manager, apiVersion: e.apiVersion, set: fromFieldsV1(e.fieldsV1) }));
}

/**
 * Server-side apply: merges the applied configuration into the live object, raising a 409 Conflict
 * (unless `force`) when it changes a field another manager owns, removes fields this manager applied
 * before and no longer applies (when nobody else owns them), and records ownership as an `Apply`
 * managedFields entry. Returns the new object (not yet defaulted or stored).
 */
export function serverSideApply(req: ApplyRequest): KubeObject {
  const appliedValues = leafValues(req.applied, req.scope);
  const appliedSet: FieldSet = new Set(appliedValues.keys());
  const live = req.live ? cloneJson(req.live) : undefined;
  let result: KubeObject;
  const takenFromOthers: FieldSet = new Set();
  if (!live) {
    result = cloneJson(req.applied);
    result.metadata.managedFields = [];
  } else {
    const liveValues = leafValues(live, req.scope);
    const others = ownersOf(live, req.manager);
    const conflicts: { manager: string; apiVersion: string; path: string }[] = [];
    for (const [path, value] of appliedValues) {
      if (!liveValues.has(path) || liveValues.get(path) === value) continue;
      for (const owner of others) {
        if (!owner.set.has(path)) continue;
        if (req.force) takenFromOthers.add(path);
        else conflicts.push({ manager: owner.manager, apiVersion: owner.apiVersion, path });
      }
    }
    if (conflicts.length > 0) throw applyConflict(req, conflicts);
    const previous = managedFieldsOf(live).find((e) => e.manager === req.manager && e.operation === 'Apply' && (e.subresource ?? '') === (req.subresource ?? ''));
    const previouslyApplied = previous ? fromFieldsV1(previous.fieldsV1) : new Set<string>();
    const { managedFields, ...appliedMeta } = req.applied.metadata;
    void managedFields;
    result = mergeAppliedConfiguration(live, { ...req.applied, metadata: appliedMeta }) as KubeObject;
    const ownedByOthers = new Set(others.flatMap((o) => [...o.set].filter((p) => !takenFromOthers.has(p))));
    const removed = [...previouslyApplied].filter((p) => !appliedSet.has(p) && !ownedByOthers.has(p));
    // Deepest first, so removing a list item does not shift the paths of its own fields.
    for (const path of removed.sort((a, b) => b.length - a.length)) removePath(result, path);
    result.metadata.managedFields = live.metadata.managedFields;
  }
  const existing = new Set([...leafValues(result, 'all').keys()].flatMap(prefixesOf));
  recordOwnership(result, {
    manager: req.manager,
    operation: 'Apply',
    apiVersion: req.apiVersion,
    subresource: req.subresource,
    owned: appliedSet,
    takenFromOthers,
    existing,
  });
  return result;
}

function applyConflict(req: ApplyRequest, conflicts: readonly { manager: string; apiVersion: string; path: string }[]): Error {
  const n = conflicts.length;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const key = `"${c.manager}" using ${c.apiVersion}`;
    byManager.set(key, [...(byManager.get(key) ?? []), describeFieldPath(c.path)]);
  }
  const parts = [...byManager].map(([who, fields]) =>
    fields.length === 1 ? `conflict with ${who}: ${fields[0]}` : `conflicts with ${who}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
  );
  const why = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with "${c.manager}" using ${c.apiVersion}`,
    field: describeFieldPath(c.path),
  }));
  const err = conflict(req.qualifiedResource, req.applied.metadata.name ?? '', why, causes);
  // The real message is the bare conflict text, not "Operation cannot be fulfilled on ...".
  return Object.assign(err, { message: why });
}

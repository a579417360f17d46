import type { Json } from './apply-json-patch';
import { jsonEqual } from './apply-json-patch';
import { isObject } from './apply-merge-patch';

type Tree = { [key: string]: Tree };
type Obj = { [key: string]: Json };

/**
 * Server-side apply's removal of fields a manager gives up: a field that `manager` applied before (its
 * `managedFields` entry with operation Apply), that the new configuration leaves out, and that no other
 * manager owns, is removed from the stored object. Without this, a rule that requires a field (for example
 * `runAsNonRoot: true`) would see the old value on an apply that in fact removes it.
 *
 * `merged` (the configuration merged into the live object) is changed in place and returned.
 */
export function releaseAppliedFields(merged: Json, applied: Json, live: Json, manager: string | undefined): Json {
  if (!manager || !isObject(live) || !isObject(live.metadata) || !Array.isArray(live.metadata.managedFields)) return merged;
  const entries = live.metadata.managedFields.filter(isObject);
  const isMine = (e: Obj) => e.manager === manager && e.operation === 'Apply' && (e.subresource === undefined || e.subresource === '');
  const mine = entries.filter(isMine).map((e) => tree(e.fieldsV1));
  if (mine.length === 0) return merged;
  const others = entries.filter((e) => !isMine(e)).map((e) => tree(e.fieldsV1));
  for (const owned of mine) release(merged, applied, owned, others);
  return merged;
}

function release(node: Json | undefined, applied: Json | undefined, owned: Tree, others: Tree[]): void {
  for (const key of Object.keys(owned)) {
    if (key === '.') continue;
    const child = owned[key]!;
    const otherChildren = others.map((o) => o[key]).filter((t): t is Tree => t !== undefined);
    if (key.startsWith('f:') && isObject(node)) {
      const field = key.slice(2);
      const inApplied = isObject(applied) && Object.prototype.hasOwnProperty.call(applied, field);
      if (!inApplied) {
        if (otherChildren.length === 0) delete node[field];
        else release(node[field], undefined, child, otherChildren);
      } else if (hasChildren(child)) release(node[field], (applied as Obj)[field], child, otherChildren);
    } else if ((key.startsWith('k:') || key.startsWith('v:')) && Array.isArray(node)) {
      const id = parse(key.slice(2));
      if (id === undefined) continue;
      const matches = key.startsWith('k:') ? (item: Json) => isObject(item) && isObject(id) && Object.keys(id).every((k) => jsonEqual(item[k], id[k])) : (item: Json) => jsonEqual(item, id);
      const at = node.findIndex(matches);
      if (at < 0) continue;
      const appliedItem = Array.isArray(applied) ? applied.find(matches) : undefined;
      if (appliedItem === undefined) {
        if (otherChildren.length === 0) node.splice(at, 1);
        else release(node[at], undefined, child, otherChildren);
      } else if (hasChildren(child)) release(node[at], appliedItem, child, otherChildren);
    }
  }
}

function hasChildren(t: Tree): boolean {
  return Object.keys(t).some((k) => k !== '.');
}

function tree(v: Json | undefined): Tree {
  return isObject(v) ? (v as unknown as Tree) : {};
}

function parse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/**
 * What a patch changes, as a list an approver can read: `set spec.template.spec.containers[name=web].image`,
 * `remove metadata.labels.old`, `replace /spec/replicas`. Field paths only, never values (values go through
 * masking in the body preview); keys that an agent controls still pass through the caller's text masking.
 */

/** The four patch types the API server accepts. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The patch type of a media type, if it is one. */
export const PATCH_TYPES: ReadonlyMap<string, PatchType> = new Map([
  ['application/json-patch+json', 'json'],
  ['application/merge-patch+json', 'merge'],
  ['application/strategic-merge-patch+json', 'strategic'],
  ['application/apply-patch+yaml', 'apply'],
]);

/**
 * One change. `op` is `set`, `remove`, `replace` (a whole map or list, strategic `$patch: replace`) or
 * `retainKeys` for object patches, and the RFC 6902 op (`add`, `remove`, `replace`, `move`, `copy`, `test`)
 * for JSON patches, whose `path` and `from` are the JSON pointers as sent.
 */
export interface FieldChange {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
}

/** The changes found (at most `max`) and how many there are in all. */
export interface PatchChanges {
  readonly changes: readonly FieldChange[];
  readonly total: number;
}

// Keys by which strategic merge and server-side apply match list items, in the order Kubernetes' own types
// use them: containers, volumes, env by name; volumeMounts by mountPath; ports by containerPort or port; ...
const MERGE_KEYS = ['name', 'mountPath', 'devicePath', 'containerPort', 'port', 'ip', 'type'] as const;
// Server-side apply names the object it applies to; these fields say which object, not what is set.
const APPLY_IDENTITY = new Set(['apiVersion', 'kind', 'metadata.name', 'metadata.namespace']);
const MAX_DEPTH = 64;

/** A key of an object, or a list item matched by its merge key (`name=web`). */
type Segment = string | { readonly item: string };

/**
 * Lists what a decoded patch sets and removes. Arrays in a merge patch replace the whole list (RFC 7386), so they
 * are one `set`; in strategic and apply patches list items are matched by their merge key (`[name=web]`) and
 * walked into; lists without a recognisable key are one `set`. Strategic directives become `remove` (`$patch:
 * delete`, `$deleteFromPrimitiveList`), `replace` (`$patch: replace`) and `retainKeys`; `$setElementOrder` only
 * orders and is left out. For apply, `apiVersion`, `kind` and `metadata.name/namespace` are left out.
 * @returns undefined when a JSON patch is not a list of `{op, path}` operations
 */
export function patchChanges(patchType: PatchType, patch: unknown, max = 40): PatchChanges | undefined {
  const changes: FieldChange[] = [];
  let total = 0;
  const add = (change: FieldChange) => {
    total++;
    if (changes.length < max) changes.push(change);
  };
  if (patchType === 'json') {
    if (!Array.isArray(patch)) return undefined;
    for (const op of patch) {
      if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') return undefined;
      add({ op: op.op, path: op.path, ...(typeof op.from === 'string' ? { from: op.from } : {}) });
    }
    return { changes, total };
  }
  walk(patchType, patch, [], add, 0);
  return { changes, total };
}

function walk(type: Exclude<PatchType, 'json'>, value: unknown, path: readonly Segment[], add: (c: FieldChange) => void, depth: number): void {
  const here = renderPath(path);
  if (type === 'apply' && APPLY_IDENTITY.has(here)) return;
  if (value === null) {
    add({ op: type === 'apply' ? 'set' : 'remove', path: type === 'apply' ? `${here} (null)` : here });
    return;
  }
  if (Array.isArray(value)) {
    if (type === 'merge' || depth >= MAX_DEPTH) add({ op: 'set', path: here });
    else walkList(type, value, path, add, depth);
    return;
  }
  if (!isObject(value) || depth >= MAX_DEPTH) {
    add({ op: 'set', path: here });
    return;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    add({ op: 'set', path: here });
    return;
  }
  if (type === 'strategic') {
    if (value.$patch === 'delete') return add({ op: 'remove', path: here });
    if (value.$patch === 'replace') add({ op: 'replace', path: here });
    if (value.$retainKeys !== undefined) add({ op: 'retainKeys', path: here });
  }
  for (const key of keys) {
    if (type === 'strategic' && key.startsWith('$')) {
      const [directive, field] = splitDirective(key);
      if (directive === '$deleteFromPrimitiveList' && field && Array.isArray(value[key])) {
        for (const item of value[key] as unknown[]) add({ op: 'remove', path: `${renderPath([...path, field])}[=${scalarText(item)}]` });
      }
      // $patch and $retainKeys are handled above; $setElementOrder/<field> orders items without changing them.
      continue;
    }
    walk(type, value[key], [...path, key], add, depth + 1);
  }
}

function walkList(type: 'strategic' | 'apply', items: readonly unknown[], path: readonly Segment[], add: (c: FieldChange) => void, depth: number): void {
  const here = renderPath(path);
  const keyed = items.map((item) => (isObject(item) ? mergeKeyOf(item) : undefined));
  // No item can be matched to one in the live list: the list is taken as a whole.
  if (items.length === 0 || keyed.some((k) => k === undefined)) {
    if (type === 'strategic' && items.some((i) => isObject(i) && i.$patch === 'replace')) add({ op: 'replace', path: here });
    else add({ op: 'set', path: here });
    return;
  }
  items.forEach((item, i) => {
    const [key, keyValue] = keyed[i]!;
    const itemPath: Segment[] = [...path, { item: `${key}=${keyValue}` }];
    const object = item as Record<string, unknown>;
    if (type === 'strategic' && object.$patch === 'delete') return add({ op: 'remove', path: renderPath(itemPath) });
    const rest = Object.keys(object).filter((k) => k !== key);
    // An item that only names itself adds (or keeps) that item.
    if (rest.length === 0) return add({ op: 'set', path: renderPath(itemPath) });
    walk(type, Object.fromEntries(rest.map((k) => [k, object[k]])), itemPath, add, depth + 1);
  });
}

function mergeKeyOf(item: Record<string, unknown>): readonly [string, string] | undefined {
  for (const key of MERGE_KEYS) {
    const v = item[key];
    if (typeof v === 'string' || typeof v === 'number') return [key, String(v)];
  }
  return undefined;
}

function splitDirective(key: string): [string, string | undefined] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, undefined] : [key.slice(0, slash), key.slice(slash + 1)];
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * `['metadata', 'labels', 'app.kubernetes.io/name']` -> `metadata.labels["app.kubernetes.io/name"]`, the
 * notation policy field paths use; a list item renders as `containers[name=web]`. The empty path is the whole
 * object.
 */
function renderPath(path: readonly Segment[]): string {
  if (path.length === 0) return '(the whole object)';
  let out = '';
  for (const segment of path) {
    if (typeof segment !== 'string') out += `[${segment.item}]`;
    else if (!PLAIN_KEY.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

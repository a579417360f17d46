import { goAtoi } from '../patch/apply-json-patch';

/**
 * Turns an RFC 6902 JSON patch into the sparse object of the values it writes, so body rules can judge a patch
 * the way they judge a full object: `[{op:'add', path:'/spec/containers/0/securityContext/privileged', value:true}]`
 * becomes `{spec:{containers:[{securityContext:{privileged:true}}]}}`.
 *
 * `remove` and `test` write nothing. `copy`/`move` write a value taken from the object's current state, which a
 * gateway cannot see; unless the source was itself written earlier in the same patch, the patch is reported as
 * not judgeable (the caller treats it as an undecodable body, so a body rule refuses it instead of guessing).
 */
export function jsonPatchToSparse(ops: unknown): { readonly value: unknown } | { readonly error: string } {
  if (!Array.isArray(ops)) return { error: 'a JSON patch must be a list of operations' };
  const root: { value: unknown } = { value: undefined };
  // Patch array indices are positions in the live object; in the sparse object we only need two writes to the
  // same index to land in the same element, so each array remembers which patch index went where.
  const slots = new WeakMap<unknown[], Map<string, number>>();
  for (const [i, op] of ops.entries()) {
    if (op === null || typeof op !== 'object' || typeof op.op !== 'string' || typeof op.path !== 'string') {
      return { error: `operation ${i} needs string "op" and "path"` };
    }
    const path = parsePointer(op.path);
    if (!path) return { error: `operation ${i}: bad JSON pointer "${op.path}"` };
    switch (op.op) {
      case 'add':
      case 'replace':
        if (!('value' in op)) return { error: `operation ${i}: ${op.op} needs a value` };
        write(root, path, op.value, slots);
        break;
      case 'copy':
      case 'move': {
        const from = typeof op.from === 'string' ? parsePointer(op.from) : undefined;
        const value = from ? read(root.value, from, slots) : undefined;
        if (value === undefined) return { error: `operation ${i}: ${op.op} from existing state cannot be judged` };
        write(root, path, structuredClone(value), slots);
        break;
      }
      case 'remove':
      case 'test':
        break;
      default:
        return { error: `operation ${i}: unknown op "${String(op.op)}"` };
    }
  }
  return { value: root.value ?? {} };
}

function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

// Indices as the API server's JSON patch library reads them: Go's strconv.Atoi (`00`, `+1`) and negatives.
const isIndex = (segment: string) => segment === '-' || goAtoi(segment) !== undefined;

function write(root: { value: unknown }, path: string[], value: unknown, slots: WeakMap<unknown[], Map<string, number>>): void {
  if (path.length === 0) {
    root.value = value;
    return;
  }
  if (!isContainer(root.value)) root.value = isIndex(path[0]) ? [] : {};
  let container = root.value as Record<string, unknown> | unknown[];
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    const key = path[i];
    let child = last ? value : undefined;
    if (!last) {
      const existing = get(container, key, slots);
      child = isContainer(existing) ? existing : isIndex(path[i + 1]) ? [] : {};
    }
    set(container, key, child, slots);
    if (!last) container = child as Record<string, unknown> | unknown[];
  }
}

function read(value: unknown, path: string[], slots: WeakMap<unknown[], Map<string, number>>): unknown {
  let current = value;
  for (const key of path) {
    if (!isContainer(current)) return undefined;
    current = get(current, key, slots);
  }
  return current;
}

function get(container: Record<string, unknown> | unknown[], key: string, slots: WeakMap<unknown[], Map<string, number>>): unknown {
  if (Array.isArray(container)) {
    const slot = slots.get(container)?.get(key);
    return slot === undefined ? undefined : container[slot];
  }
  return Object.prototype.hasOwnProperty.call(container, key) ? container[key] : undefined;
}

function set(container: Record<string, unknown> | unknown[], key: string, value: unknown, slots: WeakMap<unknown[], Map<string, number>>): void {
  if (Array.isArray(container)) {
    let map = slots.get(container);
    if (!map) slots.set(container, (map = new Map()));
    const slot = key === '-' ? undefined : map.get(key);
    if (slot !== undefined) container[slot] = value;
    else {
      container.push(value);
      if (key !== '-') map.set(key, container.length - 1);
    }
    return;
  }
  // defineProperty, not assignment: a "__proto__" segment must create a key, not change the prototype.
  Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object';
}

import { badRequest, unprocessable } from './status-errors';
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './types';

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: JsonValue;
  readonly hasValue: boolean;
}

/** Splits an RFC 6901 JSON pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`JSON pointer ${JSON.stringify(pointer)} must start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decode(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return patch.map((raw) => {
    if (!isJsonObject(raw)) throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const op = typeof raw.op === 'string' ? raw.op : '';
    const path = typeof raw.path === 'string' ? raw.path : undefined;
    if (path === undefined) throw unprocessable(`doc is missing path field`);
    return {
      op,
      path,
      from: typeof raw.from === 'string' ? raw.from : undefined,
      value: raw.value as JsonValue,
      hasValue: Object.prototype.hasOwnProperty.call(raw, 'value'),
    };
  });
}

type Container = JsonObject | JsonValue[];

/** Walks to the parent of the pointer's last token. */
function parentOf(doc: JsonValue, tokens: readonly string[], path: string, op: string): { parent: Container; last: string } {
  let node: JsonValue | undefined = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = /^\d+$/.test(t) ? node[Number(t)] : undefined;
    else if (isJsonObject(node)) node = node[t];
    else node = undefined;
    if (node === undefined || node === null) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(node) && !isJsonObject(node)) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: readonly JsonValue[], token: string, allowEnd: boolean, path: string, op: string): number {
  if (token === '-' && allowEnd) return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": invalid index`);
  const i = Number(token);
  if (i > arr.length || (!allowEnd && i === arr.length)) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": index out of bounds`);
  return i;
}

function getAt(doc: JsonValue, path: string, op: string): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path, op);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, last, false, path, op)] : parent[last];
  if (value === undefined) throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return value;
}

function removeAt(doc: JsonValue, path: string, op: string): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw unprocessable(`${op} operation does not apply: cannot remove the whole document`);
  const { parent, last } = parentOf(doc, tokens, path, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path, op), 1)[0]!;
  if (!(last in parent) || parent[last] === undefined) {
    throw unprocessable(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  }
  const value = parent[last]!;
  delete parent[last];
  return value;
}

function addAt(doc: JsonValue, path: string, value: JsonValue, op: string, replace: boolean): JsonValue {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path, op);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, path, op);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && parent[last] === undefined) {
      throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[last] = value;
  }
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Applies an RFC 6902 JSON Patch (add, remove, replace, move, copy, test). A malformed patch is a 400;
 * an operation that does not apply is a 422, as on the real server (evanphx/json-patch messages).
 */
export function applyJsonPatch(document: JsonValue, patch: unknown): JsonValue {
  let doc = cloneJson(document);
  for (const o of decode(patch)) {
    const needsValue = o.op === 'add' || o.op === 'replace' || o.op === 'test';
    if (needsValue && !o.hasValue) throw unprocessable(`${o.op} operation does not apply: doc is missing value`);
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, cloneJson(o.value as JsonValue), 'add', false);
        break;
      case 'remove':
        removeAt(doc, o.path, 'remove');
        break;
      case 'replace':
        doc = addAt(doc, o.path, cloneJson(o.value as JsonValue), 'replace', true);
        break;
      case 'move': {
        if (o.from === undefined) throw unprocessable('move operation does not apply: doc is missing from path');
        if (o.path.startsWith(`${o.from}/`)) throw unprocessable('move operation does not apply: cannot move into a child of itself');
        const value = removeAt(doc, o.from, 'move');
        doc = addAt(doc, o.path, value, 'move', false);
        break;
      }
      case 'copy': {
        if (o.from === undefined) throw unprocessable('copy operation does not apply: doc is missing from path');
        doc = addAt(doc, o.path, cloneJson(getAt(doc, o.from, 'copy')), 'copy', false);
        break;
      }
      case 'test': {
        let actual: JsonValue | undefined;
        try {
          actual = getAt(doc, o.path, 'test');
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, o.value)) throw unprocessable(`testing value ${o.path} failed: test failed`);
        break;
      }
      default:
        throw unprocessable(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}

import { badRequest } from './status-errors';
import type { ResourceType } from './resource-type';
import { isJsonObject, type KubeObject } from './types';

/** One `field=value` / `field!=value` term. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** Reads the selectable value of a field; fields the kind does not support are absent from the map. */
type FieldGetter = (obj: KubeObject) => string;

function path(...keys: string[]): FieldGetter {
  return (obj) => {
    let v: unknown = obj;
    for (const k of keys) v = isJsonObject(v) ? v[k] : undefined;
    return v === undefined || v === null ? '' : String(v);
  };
}

function flag(...keys: string[]): FieldGetter {
  const get = path(...keys);
  return (obj) => (get(obj) === 'true' ? 'true' : 'false');
}

const COMMON: Record<string, FieldGetter> = {
  'metadata.name': path('metadata', 'name'),
  'metadata.namespace': path('metadata', 'namespace'),
};

// The field selectors each built-in kind registers on the real server (pkg/apis/*/v1/conversion.go);
// everything else is a 400 there too.
const BY_RESOURCE: Record<string, Record<string, FieldGetter>> = {
  '/pods': {
    'spec.nodeName': path('spec', 'nodeName'),
    'spec.restartPolicy': path('spec', 'restartPolicy'),
    'spec.schedulerName': path('spec', 'schedulerName'),
    'spec.serviceAccountName': path('spec', 'serviceAccountName'),
    'spec.hostNetwork': flag('spec', 'hostNetwork'),
    'status.phase': path('status', 'phase'),
    'status.podIP': path('status', 'podIP'),
    'status.nominatedNodeName': path('status', 'nominatedNodeName'),
  },
  '/events': {
    'involvedObject.kind': path('involvedObject', 'kind'),
    'involvedObject.namespace': path('involvedObject', 'namespace'),
    'involvedObject.name': path('involvedObject', 'name'),
    'involvedObject.uid': path('involvedObject', 'uid'),
    'involvedObject.apiVersion': path('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': path('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': path('involvedObject', 'fieldPath'),
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: path('source', 'component'),
    type: path('type'),
  },
  '/secrets': { type: path('type') },
  '/namespaces': { 'status.phase': path('status', 'phase') },
  '/nodes': { 'spec.unschedulable': flag('spec', 'unschedulable') },
  'apps/replicasets': { 'status.replicas': path('status', 'replicas') },
  'batch/jobs': { 'status.successful': path('status', 'successful') },
};

function gettersFor(type: ResourceType): Record<string, FieldGetter> {
  return { ...COMMON, ...(BY_RESOURCE[`${type.group}/${type.resource}`] ?? {}) };
}

/** Splits on unescaped commas, keeping `\,` escapes for the term parser. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i += 1) {
    const ch = selector[i]!;
    if (ch === '\\' && i + 1 < selector.length) {
      current += ch + selector[i + 1];
      i += 1;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Parses a field selector (`a=b,c!=d`, `==` allowed) and checks every field is one the kind supports,
 * with the real server's messages: unsupported fields are a 400 BadRequest.
 */
export function parseFieldSelector(selector: string | undefined, type: ResourceType): FieldRequirement[] {
  if (!selector || !selector.trim()) return [];
  const getters = gettersFor(type);
  return splitTerms(selector).map((term) => {
    const m = /^([^=!]*?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m || !m[1]!.trim()) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!getters[field]) {
      throw badRequest(
        type.custom
          ? `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`,
      );
    }
    return { field, operator: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!.trim()) };
  });
}

/** Whether an object satisfies every field requirement. */
export function matchesFields(requirements: readonly FieldRequirement[], type: ResourceType, obj: KubeObject): boolean {
  if (requirements.length === 0) return true;
  const getters = gettersFor(type);
  return requirements.every((r) => {
    const actual = getters[r.field]!(obj);
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}

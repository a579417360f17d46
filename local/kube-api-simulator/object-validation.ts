import { isValidLabelKey, isValidLabelValue, matchesLabelSelectorObject } from './label-selector';
import type { ResourceType } from './resource-type';
import { badRequest, invalid, type FieldError } from './status-errors';
import { isJsonObject, type JsonObject, type KubeObject } from './types';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function nameError(type: ResourceType, name: string): FieldError | undefined {
  const field = 'metadata.name';
  if (type.group === 'rbac.authorization.k8s.io') {
    // RBAC names are path segments: anything but '/', '%', '.' and '..'.
    return /[/%]/.test(name) || name === '.' || name === '..' ? { type: 'FieldValueInvalid', field, value: name, detail: `may not contain '/' or '%'` } : undefined;
  }
  if (type.resource === 'namespaces') return DNS1123_LABEL.test(name) && name.length <= 63 ? undefined : { type: 'FieldValueInvalid', field, value: name, detail: LABEL_MSG };
  if (type.resource === 'services') return DNS1035_LABEL.test(name) && name.length <= 63 ? undefined : { type: 'FieldValueInvalid', field, value: name, detail: DNS1035_MSG };
  return DNS1123_SUBDOMAIN.test(name) && name.length <= 253 ? undefined : { type: 'FieldValueInvalid', field, value: name, detail: SUBDOMAIN_MSG };
}

function metadataErrors(type: ResourceType, o: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const m = o.metadata;
  if (!m.name) errors.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
  else {
    const e = nameError(type, m.name);
    if (e) errors.push(e);
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    if (!isValidLabelKey(k)) errors.push({ type: 'FieldValueInvalid', field: 'metadata.labels', value: k, detail: "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
    else if (typeof v !== 'string' || !isValidLabelValue(v)) errors.push({ type: 'FieldValueInvalid', field: 'metadata.labels', value: String(v), detail: "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
  }
  return errors;
}

function podSpecErrors(spec: unknown, field: string): FieldError[] {
  if (!isJsonObject(spec)) return [{ type: 'FieldValueRequired', field, detail: '' }];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [{ type: 'FieldValueRequired', field: `${field}.containers` }];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${field}.containers[${i}]`;
    if (!isJsonObject(c)) return;
    if (!c.name) errors.push({ type: 'FieldValueRequired', field: `${at}.name` });
    else if (names.has(String(c.name))) errors.push({ type: 'FieldValueDuplicate', field: `${at}.name`, value: String(c.name) });
    names.add(String(c.name));
    if (!c.image) errors.push({ type: 'FieldValueRequired', field: `${at}.image` });
  });
  return errors;
}

function goMap(labels: unknown): string {
  const entries = isJsonObject(labels) ? Object.entries(labels) : [];
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
}

function specErrors(type: ResourceType, o: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = isJsonObject(o.spec) ? o.spec : undefined;
  switch (`${type.group}/${type.resource}`) {
    case '/pods':
      return podSpecErrors(o.spec, 'spec');
    case '/services': {
      if (!spec) return [{ type: 'FieldValueRequired', field: 'spec' }];
      const headless = spec.clusterIP === 'None' || spec.type === 'ExternalName';
      return !headless && (!Array.isArray(spec.ports) || spec.ports.length === 0) ? [{ type: 'FieldValueRequired', field: 'spec.ports' }] : [];
    }
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets': {
      const errors: FieldError[] = [];
      if (!spec || !isJsonObject(spec.selector)) return [{ type: 'FieldValueRequired', field: 'spec.selector' }];
      const template = isJsonObject(spec.template) ? spec.template : {};
      const labels = isJsonObject(template.metadata) ? template.metadata.labels : undefined;
      if (!matchesLabelSelectorObject(spec.selector, labels as Record<string, string> | undefined)) {
        errors.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', value: goMap(labels), detail: '`selector` does not match template `labels`' });
      }
      errors.push(...podSpecErrors(template.spec, 'spec.template.spec'));
      const oldSpec = old && isJsonObject(old.spec) ? old.spec : undefined;
      if (oldSpec && JSON.stringify(oldSpec.selector) !== JSON.stringify(spec.selector)) {
        errors.push({ type: 'FieldValueInvalid', field: 'spec.selector', value: `v1.LabelSelector${JSON.stringify(spec.selector)}`, detail: 'field is immutable' });
      }
      return errors;
    }
    case 'batch/jobs':
      return spec ? podSpecErrors(isJsonObject(spec.template) ? spec.template.spec : undefined, 'spec.template.spec') : [{ type: 'FieldValueRequired', field: 'spec' }];
    case 'batch/cronjobs':
      return spec && typeof spec.schedule === 'string' && spec.schedule ? [] : [{ type: 'FieldValueRequired', field: 'spec.schedule' }];
    case 'rbac.authorization.k8s.io/rolebindings':
    case 'rbac.authorization.k8s.io/clusterrolebindings': {
      const ref = o.roleRef;
      if (!isJsonObject(ref) || !ref.name) return [{ type: 'FieldValueRequired', field: 'roleRef.name' }];
      if (old && JSON.stringify(old.roleRef) !== JSON.stringify(ref)) return [{ type: 'FieldValueInvalid', field: 'roleRef', value: `rbac.RoleRef${JSON.stringify(ref)}`, detail: 'cannot change roleRef' }];
      return [];
    }
    case 'apiextensions.k8s.io/customresourcedefinitions': {
      const names = spec && isJsonObject(spec.names) ? spec.names : {};
      const expected = `${String(names.plural ?? '')}.${String(spec?.group ?? '')}`;
      const errors: FieldError[] = [];
      if (!spec?.group) errors.push({ type: 'FieldValueRequired', field: 'spec.group' });
      if (!names.plural) errors.push({ type: 'FieldValueRequired', field: 'spec.names.plural' });
      if (!names.kind) errors.push({ type: 'FieldValueRequired', field: 'spec.names.kind' });
      if (!Array.isArray(spec?.versions) || spec.versions.length === 0) errors.push({ type: 'FieldValueRequired', field: 'spec.versions' });
      if (o.metadata.name !== expected) errors.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: o.metadata.name ?? '', detail: 'must be spec.names.plural+"."+spec.group' });
      return errors;
    }
    case '/configmaps':
    case '/secrets':
      if (old && old.immutable === true && JSON.stringify(old.data ?? {}) !== JSON.stringify(o.data ?? {})) {
        return [{ type: 'FieldValueForbidden', field: 'data', detail: 'field is immutable when `immutable` is set' }];
      }
      return [];
    default:
      return [];
  }
}

/**
 * Validates an object before it is stored, with the real server's field paths and messages (422
 * Invalid). Only the rules kubectl users commonly hit are checked; README.md in this folder lists the limits.
 */
export function validateObject(type: ResourceType, o: KubeObject, old?: KubeObject): void {
  const errors = [...metadataErrors(type, o), ...specErrors(type, o, old)];
  if (type.resource === 'secrets' && isJsonObject(o.data)) {
    for (const [k, v] of Object.entries(o.data)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
        throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (key ${JSON.stringify(k)})`);
      }
    }
  }
  if (errors.length > 0) throw invalid(type.kind, type.group, o.metadata.name ?? '', errors);
}

const KNOWN_METADATA = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/** Fields the kind does not declare (top level and metadata), as `.path` strings, for fieldValidation. */
export function unknownFields(type: ResourceType, o: JsonObject): string[] {
  if (!type.topLevelFields) return [];
  const unknown = Object.keys(o).filter((k) => o[k] !== undefined && !type.topLevelFields!.includes(k));
  const meta = isJsonObject(o.metadata) ? Object.keys(o.metadata).filter((k) => !KNOWN_METADATA.has(k)).map((k) => `metadata.${k}`) : [];
  return [...unknown, ...meta];
}

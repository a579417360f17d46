import type { HandlerContext } from './http-io';
import { recordUpdate, type FieldScope } from './managed-fields';
import { applyDefaults, prepareCreate, preserveAllocated } from './object-defaults';
import { unknownFields, validateObject } from './object-validation';
import type { FieldValidation } from './request-options';
import { groupVersion, hasStatusSubresource, type ResourceType } from './resource-type';
import { reconcileStatus } from './simulated-controllers';
import { alreadyExists, badRequest, invalid } from './status-errors';
import { cloneJson, isJsonObject, type JsonObject, type KubeObject } from './types';

/** How one write is carried out. */
export interface WriteOptions {
  readonly manager: string;
  readonly dryRun: boolean;
  readonly fieldValidation: FieldValidation;
  /** `status` or `scale` when the write came through that subresource. */
  readonly subresource?: string;
  /** Server-side apply has already written managedFields. */
  readonly ownershipRecorded?: boolean;
}

/** Which fields a write may change: status-subresource types split spec and status writes. */
export function scopeOf(type: ResourceType, subresource: string | undefined): FieldScope {
  if (!hasStatusSubresource(type)) return 'all';
  return subresource === 'status' ? 'status' : 'main';
}

/** Where the strict errors of a write come from, which decides how Strict refuses them. */
export interface StrictContext {
  /** Strict-decoding errors found while decoding the body (repeated keys), worded as the server words them. */
  readonly decodeErrors?: readonly string[];
  /**
   * For a patch: the text the real server shows as the patch's invalid value (the patched JSON, or
   * the patch map for strategic merge). Strict then refuses with a 422 on field `patch`, as
   * handlers/patch.go does, instead of create/update's 400.
   */
  readonly patchValue?: string;
}

const YAML_ERRORS_PREFIXES = ['yaml: unmarshal errors:\n', 'error converting YAML to JSON: yaml: unmarshal errors:\n'];

/** parseYAMLWarnings in handlers/rest.go: one warning per go-yaml complaint, other errors as they are. */
export function strictWarnings(error: string): string[] {
  const prefix = YAML_ERRORS_PREFIXES.find((p) => error.startsWith(p));
  return prefix ? error.slice(prefix.length).split('\n').map((l) => l.trim()) : [error];
}

/**
 * Applies `fieldValidation` to unknown fields and repeated keys: Strict is a 400 like the real strict
 * decoder (a 422 on `patch` for patches), Warn adds a `Warning` header per finding, Ignore says nothing.
 * Unless refused, unknown fields are then dropped from `body`, as decoding into the Go type drops them
 * on the real server.
 */
export function checkUnknownFields(ctx: HandlerContext, type: ResourceType, body: JsonObject, mode: FieldValidation, strict: StrictContext = {}): void {
  const unknown = unknownFields(type, body);
  if (mode !== 'Ignore') {
    // A repeated unknown field is reported once, as unknown (sigs.k8s.io/json checks duplicates per struct field).
    const unknownTexts = new Set(unknown.map((f) => `duplicate field ${JSON.stringify(f)}`));
    const decoded = (strict.decodeErrors ?? []).filter((e) => !unknownTexts.has(e));
    const unknownErrors = unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
    // The real order: a patch's own errors before the patched object's; go-yaml's before the JSON decoder's.
    const errors = strict.patchValue !== undefined
      ? [...decoded, ...unknownErrors]
      : [...decoded.filter((e) => e.startsWith('yaml:')), ...unknownErrors, ...decoded.filter((e) => !e.startsWith('yaml:'))];
    if (mode === 'Strict' && errors.length > 0) {
      const list = `strict decoding error: ${errors.join(', ')}`;
      if (strict.patchValue !== undefined) {
        throw invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', value: strict.patchValue, detail: list }]);
      }
      throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${list}`);
    }
    if (mode === 'Warn') for (const e of errors) ctx.warnings.push(...strictWarnings(e));
  }
  for (const f of unknown) {
    if (f.startsWith('metadata.') && isJsonObject(body.metadata)) delete body.metadata[f.slice('metadata.'.length)];
    else delete body[f];
  }
}

/** Checks apiVersion/kind of a body against the URL's type (absent is fine: the URL decides). */
export function checkTypeMatches(type: ResourceType, body: JsonObject): void {
  const gv = groupVersion(type);
  if (body.apiVersion !== undefined && body.apiVersion !== gv) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`);
  }
  if (body.kind !== undefined && body.kind !== type.kind) {
    throw badRequest(`${String(body.kind)} in version "${type.version}" cannot be handled as a ${type.kind}: the kind in the data (${String(body.kind)}) does not match the expected kind (${type.kind})`);
  }
}

/** Turns a decoded body into an object with a metadata map, checking its namespace against the URL. */
export function asKubeObject(type: ResourceType, body: JsonObject, urlNamespace: string | undefined): KubeObject {
  const metadata = isJsonObject(body.metadata) ? body.metadata : {};
  const obj = { ...cloneJson(body), metadata: cloneJson(metadata) } as KubeObject;
  if (type.namespaced && obj.metadata.namespace && urlNamespace && obj.metadata.namespace !== urlNamespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return obj;
}

function withoutVolatile(obj: KubeObject): string {
  const { managedFields: _mf, resourceVersion: _rv, ...meta } = obj.metadata;
  return JSON.stringify({ ...obj, metadata: meta });
}

/** managedFields without timestamps: re-applying the same configuration is not a change. */
function ownershipText(obj: KubeObject): string {
  const entries = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : [];
  return JSON.stringify(entries.map((e) => (isJsonObject(e) ? { ...e, time: undefined } : e)));
}

function specChanged(before: KubeObject, after: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return JSON.stringify(rest);
  };
  return strip(before) !== strip(after);
}

/** Result of a write: the object to return and whether it was stored. */
export interface WriteResult {
  readonly object: KubeObject;
  readonly created: boolean;
}

/**
 * The create path shared by POST and create-by-apply: registry stamps, defaults, validation, simulated
 * status, ownership, then storage (skipped for dryRun). 409 when the name is taken.
 */
export function createObject(ctx: HandlerContext, type: ResourceType, obj: KubeObject, options: WriteOptions): WriteResult {
  const namespace = type.namespaced ? ctx.path.namespace ?? obj.metadata.namespace : undefined;
  if (type.namespaced && !namespace) throw badRequest('the namespace of the object could not be determined: no namespace given');
  prepareCreate(type, obj, namespace);
  if (!obj.metadata.name) validateObject(type, obj);
  if (type.namespaced) ctx.state.checkNamespaceForCreate(type, namespace!, obj.metadata.name!);
  // Status is the controllers' business: a create never keeps the status it was sent.
  if (hasStatusSubresource(type)) delete obj.status;
  applyDefaults(type, obj);
  validateObject(type, obj);
  reconcileStatus(type, obj, undefined);
  if (ctx.state.find(type, namespace, obj.metadata.name!)) throw alreadyExists({ group: type.group, resource: type.resource }, obj.metadata.name!);
  if (!options.ownershipRecorded) {
    obj.metadata.managedFields = [];
    recordUpdate(undefined, obj, options.manager, groupVersion(type), scopeOf(type, undefined));
  }
  if (options.dryRun) return { object: obj, created: true };
  return { object: ctx.state.save(type, obj), created: true };
}

/**
 * The update path shared by PUT, PATCH and apply on an existing object: keeps what the server owns,
 * limits the change to the subresource's scope, bumps generation on spec changes, defaults, validates,
 * records ownership and stores, unless nothing changed (then nothing is written, as on the real server).
 */
export function updateObject(ctx: HandlerContext, type: ResourceType, before: KubeObject, proposed: KubeObject, options: WriteOptions): WriteResult {
  const scope = scopeOf(type, options.subresource);
  let next: KubeObject;
  if (scope === 'status') {
    next = { ...cloneJson(before), status: cloneJson(proposed.status) };
    if (next.status === undefined) delete next.status;
    if (options.ownershipRecorded) next.metadata.managedFields = cloneJson(proposed.metadata.managedFields);
  } else {
    next = cloneJson(proposed);
    if (scope === 'main') {
      if (before.status === undefined) delete next.status;
      else next.status = cloneJson(before.status);
    }
  }
  const m = next.metadata;
  const b = before.metadata;
  m.name = b.name;
  m.uid = b.uid;
  m.creationTimestamp = b.creationTimestamp;
  if (type.namespaced) m.namespace = b.namespace;
  else delete m.namespace;
  if (b.deletionTimestamp) m.deletionTimestamp = b.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (b.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = b.deletionGracePeriodSeconds;
  if (!options.ownershipRecorded) m.managedFields = cloneJson(b.managedFields);
  delete m.generateName;
  if (b.generateName) m.generateName = b.generateName;
  next.apiVersion = groupVersion(type);
  next.kind = type.kind;
  preserveAllocated(type, before, next);
  applyDefaults(type, next);
  if (type.tracksGeneration) m.generation = (typeof b.generation === 'number' ? b.generation : 1) + (specChanged(before, next) ? 1 : 0);
  else delete m.generation;
  validateObject(type, next, before);
  if (scope !== 'status') reconcileStatus(type, next, before);
  m.resourceVersion = b.resourceVersion;
  if (withoutVolatile(next) === withoutVolatile(before) && !options.ownershipRecorded) return { object: before, created: false };
  if (!options.ownershipRecorded) recordUpdate(before, next, options.manager, groupVersion(type), scope, options.subresource);
  if (withoutVolatile(next) === withoutVolatile(before) && ownershipText(next) === ownershipText(before)) {
    return { object: before, created: false };
  }
  if (options.dryRun) return { object: next, created: false };
  // The last finalizer removed from an object already being deleted: the deletion completes now.
  const finalizers = Array.isArray(m.finalizers) ? m.finalizers : [];
  if (m.deletionTimestamp && finalizers.length === 0 && type.resource !== 'namespaces') {
    ctx.state.remove(type, m.namespace, m.name!);
    return { object: next, created: false };
  }
  return { object: ctx.state.save(type, next), created: false };
}

import { plainFormat, sendFormatted, type HandlerContext } from './http-io';
import { goFormat } from './go-format';
import { applyJsonPatch, isUnknownOpField, jsonPatchStrictErrors } from './json-patch';
import { parseMediaType } from './media-types';
import { applyMergePatch } from './merge-patch';
import { SCALE_OUTPUT, scaleOf } from './read-handlers';
import { queryBool } from './query-bool';
import { findDenial, type AuthorizationAttributes, type RbacDenial } from './rbac-denials';
import { decodeDocument, decodeWriteBody, fieldManagerOf, parseDryRun, parseFieldValidation, readBody, strictErrorsOf, type DecodedDocument, type FieldValidation } from './request-options';
import { groupVersion } from './resource-type';
import { serverSideApply } from './server-side-apply';
import { badRequest, conflict, invalid, OPTIMISTIC_LOCK_MESSAGE, unsupportedMediaType } from './status-errors';
import { applyStrategicMergePatch } from './strategic-merge-patch';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types';
import { asKubeObject, checkTypeMatches, checkUnknownFields, createObject, scopeOf, strictWarnings, updateObject, type WriteOptions } from './write-pipeline';

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function writeOptions(ctx: HandlerContext, manager: string, fieldValidation: FieldValidation): WriteOptions {
  return { manager, dryRun: parseDryRun(ctx.query), fieldValidation, subresource: ctx.path.subresource };
}

/** POST: create (with generateName, dryRun, fieldValidation), or answer a review. */
export async function handleCreate(ctx: HandlerContext): Promise<void> {
  const { type } = ctx;
  const decoded = decodeWriteBody(ctx.req.headers['content-type'], await readBody(ctx.req), !type.custom);
  const body = decoded.value;
  checkTypeMatches(type, body);
  const fieldValidation = parseFieldValidation(ctx.query);
  const options = writeOptions(ctx, fieldManagerOf(ctx.query, ctx.req.headers['user-agent']), fieldValidation);
  if (type.virtual) {
    sendFormatted(ctx, 201, reviewResponse(ctx, body));
    return;
  }
  checkUnknownFields(ctx, type, body, fieldValidation, { decodeErrors: strictErrorsOf(decoded) });
  const obj = asKubeObject(type, body, ctx.path.namespace);
  const result = createObject(ctx, type, obj, options);
  sendFormatted(ctx, 201, result.object);
}

/** The answer to `selfsubjectreviews` (who am I, after impersonation) and `selfsubjectaccessreviews`. */
function reviewResponse(ctx: HandlerContext, body: JsonObject): JsonObject {
  const base = { kind: ctx.type.kind, apiVersion: groupVersion(ctx.type), metadata: { creationTimestamp: null } };
  if (ctx.type.resource === 'selfsubjectreviews') {
    const u = ctx.user;
    const userInfo: JsonObject = { username: u.username, groups: [...u.groups] };
    if (u.uid) userInfo.uid = u.uid;
    if (u.extra && Object.keys(u.extra).length) userInfo.extra = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]]));
    return { ...base, status: { userInfo } };
  }
  // Only the opt-in denials refuse anything; RBAC denies by having no opinion, so a refusal is
  // `allowed: false` without `denied`, with the rule's reason when it has one.
  const spec = isJsonObject(body.spec) ? body.spec : {};
  const denial = reviewDenial(ctx, spec);
  if (denial) return { ...base, spec, status: { allowed: false, ...(denial.reason ? { reason: denial.reason } : {}) } };
  return { ...base, spec, status: { allowed: true, reason: 'the Gatehouse Kubernetes API simulator does not enforce RBAC' } };
}

/** The denial a SelfSubjectAccessReview's resource attributes fall under, asked as the requesting user. */
function reviewDenial(ctx: HandlerContext, spec: JsonObject): RbacDenial | undefined {
  const r = spec.resourceAttributes;
  if (!isJsonObject(r) || ctx.denials.length === 0) return undefined;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const attributes: AuthorizationAttributes = {
    user: ctx.user, isResourceRequest: true, verb: text(r.verb), apiGroup: text(r.group), apiVersion: text(r.version),
    resource: text(r.resource), subresource: text(r.subresource), namespace: text(r.namespace), name: text(r.name), path: '',
  };
  return findDenial(ctx.denials, attributes);
}

function checkResourceVersion(ctx: HandlerContext, sent: unknown, current: KubeObject): void {
  if (typeof sent === 'string' && sent !== '' && sent !== current.metadata.resourceVersion) {
    throw conflict({ group: ctx.type.group, resource: ctx.type.resource }, ctx.path.name!, OPTIMISTIC_LOCK_MESSAGE);
  }
}

function checkName(ctx: HandlerContext, obj: KubeObject): void {
  if (obj.metadata.name && obj.metadata.name !== ctx.path.name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.path.name})`);
  }
}

/** PUT of an object, its status, or its scale; resourceVersion mismatches are a 409 Conflict. */
export async function handleUpdate(ctx: HandlerContext): Promise<void> {
  const decoded = decodeWriteBody(ctx.req.headers['content-type'], await readBody(ctx.req), !ctx.type.custom);
  const body = decoded.value;
  const fieldValidation = parseFieldValidation(ctx.query);
  const options = writeOptions(ctx, fieldManagerOf(ctx.query, ctx.req.headers['user-agent']), fieldValidation);
  const before = ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  if (ctx.path.subresource === 'scale') {
    await scaleWrite(ctx, before, body, options);
    return;
  }
  checkTypeMatches(ctx.type, body);
  checkUnknownFields(ctx, ctx.type, body, fieldValidation, { decodeErrors: strictErrorsOf(decoded) });
  const obj = asKubeObject(ctx.type, body, ctx.path.namespace);
  checkName(ctx, obj);
  checkResourceVersion(ctx, obj.metadata.resourceVersion, before);
  const result = updateObject(ctx, ctx.type, before, obj, options);
  sendFormatted(ctx, 200, result.object);
}

const JSON_PATCH = 'application/json-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

/**
 * Reads a patch body as handlers/patch.go does: apply patches are YAML (go-yaml v2 rules), the others
 * must be valid JSON ("invalid JSON patch" otherwise). JSON patch values end up decoded into the Go
 * object, so for built-in kinds their repeated keys merge like a struct's; merge and strategic merge
 * patches are decoded into map[string]interface{}, where the last repeated key wins.
 */
function patchDocument(contentType: string, raw: Buffer, custom: boolean): { kind: string; doc: DecodedDocument } {
  const kind = parseMediaType(contentType).mediaType;
  if (!PATCH_TYPES.includes(kind)) throw unsupportedMediaType(PATCH_TYPES);
  if (raw.length === 0) throw badRequest('the body of the request was empty');
  const yaml = kind === APPLY_PATCH;
  const mergeFromDepth = kind === JSON_PATCH && !custom ? 2 : undefined;
  const doc = decodeDocument(raw, { yaml, mergeFromDepth }, (why) => badRequest(yaml ? `error encoding patch: ${why}` : 'invalid JSON patch'));
  return { kind, doc };
}

/** The strict-decoding errors of the patch itself, as the apiserver words them (none under Ignore). */
function patchStrictErrors(kind: string, doc: DecodedDocument, mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  if (kind !== JSON_PATCH) return strictErrorsOf(doc);
  // Decoded into []jsonPatchOp: wrongly typed fields are a 400, unknown ones strict errors.
  const unknown = jsonPatchStrictErrors(doc.value);
  const duplicates = doc.duplicatePaths.filter((p) => !isUnknownOpField(p)).map((p) => `json patch duplicate field ${JSON.stringify(p)}`);
  return [...unknown, ...duplicates];
}

function applyPatch(kind: string, current: KubeObject, patch: JsonValue, custom: boolean): KubeObject {
  let result: JsonValue;
  if (kind === JSON_PATCH) result = applyJsonPatch(current, patch);
  else if (kind === 'application/merge-patch+json') result = applyMergePatch(current, patch);
  // Custom resources have no Go struct to read merge keys from: the real server refuses SMP for them.
  else if (custom) throw unsupportedMediaType(PATCH_TYPES.filter((t) => !t.includes('strategic')));
  else result = applyStrategicMergePatch(current, patch);
  if (!isJsonObject(result) || !isJsonObject(result.metadata)) throw badRequest('the patched object is not a Kubernetes object: metadata is missing');
  return result as KubeObject;
}

/**
 * PATCH with any of the four patch types, on an object, its status or its scale. Server-side apply
 * creates the object when it does not exist (201) and needs `fieldManager`.
 */
export async function handlePatch(ctx: HandlerContext): Promise<void> {
  const { kind, doc } = patchDocument(ctx.req.headers['content-type'] ?? '', await readBody(ctx.req), ctx.type.custom);
  const patch = doc.value;
  const isApply = kind === APPLY_PATCH;
  // PatchOptions.Force is a *bool: any value, even false, is "specified" (validation.ValidatePatchOptions).
  if (ctx.query.has('force') && !isApply) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' }]);
  }
  const fieldValidation = parseFieldValidation(ctx.query);
  const manager = fieldManagerOf(ctx.query, ctx.req.headers['user-agent'], isApply);
  const options = writeOptions(ctx, manager, fieldValidation);
  const before = ctx.state.find(ctx.type, ctx.path.namespace, ctx.path.name!);
  if (isApply) {
    await applyWrite(ctx, before, patch, options, queryBool(ctx.query, 'force'), fieldValidation === 'Ignore' ? [] : strictErrorsOf(doc));
    return;
  }
  const patchErrors = patchStrictErrors(kind, doc, fieldValidation);
  if (!before) ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  if (ctx.path.subresource === 'scale') {
    const patched = applyPatch(kind, scaleOf(before!) as KubeObject, patch, ctx.type.custom);
    await scaleWrite(ctx, before!, patched, options);
    return;
  }
  const patched = applyPatch(kind, before!, patch, ctx.type.custom);
  const patchValue = kind === 'application/strategic-merge-patch+json' ? goFormat(patch) : JSON.stringify(patched);
  checkUnknownFields(ctx, ctx.type, patched, fieldValidation, { decodeErrors: patchErrors, patchValue });
  checkName(ctx, patched);
  checkResourceVersion(ctx, patched.metadata.resourceVersion, before!);
  const result = updateObject(ctx, ctx.type, before!, patched, options);
  sendFormatted(ctx, 200, result.object);
}

async function applyWrite(ctx: HandlerContext, before: KubeObject | undefined, config: JsonValue, options: WriteOptions, force: boolean, yamlErrors: readonly string[]): Promise<void> {
  const { type } = ctx;
  if (!isJsonObject(config)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  if (config.apiVersion === undefined || config.kind === undefined) {
    throw badRequest(`invalid object type: ${String(config.apiVersion ?? '')}, Kind=${String(config.kind ?? '')}: apiVersion and kind must be set`);
  }
  if (ctx.path.subresource === 'scale') throw unsupportedMediaType(PATCH_TYPES.filter((t) => !t.includes('apply')));
  checkTypeMatches(type, config);
  checkUnknownFields(ctx, type, config, options.fieldValidation);
  const applied = asKubeObject(type, config, ctx.path.namespace);
  checkName(ctx, applied);
  applied.metadata.name = ctx.path.name;
  if (before) checkResourceVersion(ctx, applied.metadata.resourceVersion, before);
  delete applied.metadata.resourceVersion;
  const merged = serverSideApply({
    live: before,
    applied,
    manager: options.manager,
    force,
    apiVersion: groupVersion(type),
    scope: scopeOf(type, ctx.path.subresource),
    subresource: ctx.path.subresource,
    qualifiedResource: { group: type.group, resource: type.resource },
  });
  // handlers/patch.go checks the apply body with yaml.UnmarshalStrict after applying it (so a conflict
  // is reported first), before anything is stored.
  for (const e of yamlErrors) {
    const text = `error converting YAML to JSON: ${e}`;
    if (options.fieldValidation === 'Strict') throw badRequest(`error strict decoding patch: ${text}`);
    ctx.warnings.push(...strictWarnings(text));
  }
  const result = before
    ? updateObject(ctx, type, before, merged, { ...options, ownershipRecorded: true })
    : createObject(ctx, type, merged, { ...options, ownershipRecorded: true });
  sendFormatted(ctx, result.created ? 201 : 200, result.object);
}

async function scaleWrite(ctx: HandlerContext, parent: KubeObject, scale: JsonObject, options: WriteOptions): Promise<void> {
  const spec = isJsonObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', ctx.path.name!, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: String(replicas), detail: 'must be greater than or equal to 0' }]);
  }
  const meta = isJsonObject(scale.metadata) ? scale.metadata : {};
  checkResourceVersion(ctx, meta.resourceVersion, parent);
  const next = { ...parent, spec: { ...(isJsonObject(parent.spec) ? parent.spec : {}), replicas } } as KubeObject;
  const result = updateObject(ctx, ctx.type, parent, next, { ...options, subresource: 'scale' });
  sendFormatted(ctx, 200, scaleOf(result.object), plainFormat(ctx, SCALE_OUTPUT));
}

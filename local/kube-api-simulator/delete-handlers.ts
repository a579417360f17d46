import { plainFormat, sendFormatted, type HandlerContext } from './http-io';
import { nowTimestamp } from './managed-fields';
import { selectorFilter } from './read-handlers';
import { parseDeleteOptions, readBody, type DeleteOptions } from './request-options';
import { groupVersion } from './resource-type';
import { conflict, forbidden } from './status-errors';
import { renderList } from './table-convertor';
import type { JsonObject, KubeObject } from './types';

// NamespaceLifecycle admission refuses to delete these, as on every real cluster.
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** What deleting one object produced: the body to return. */
interface DeleteOutcome {
  readonly body: JsonObject;
}

function checkPreconditions(ctx: HandlerContext, obj: KubeObject, options: DeleteOptions): void {
  const qr = { group: ctx.type.group, resource: ctx.type.resource };
  const name = obj.metadata.name!;
  const { uid, resourceVersion } = options.preconditions;
  if (uid && uid !== obj.metadata.uid) {
    throw conflict(qr, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${obj.metadata.uid}`);
  }
  if (resourceVersion && resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(qr, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
  }
}

function successStatus(ctx: HandlerContext, obj: KubeObject): JsonObject {
  const details: JsonObject = { name: obj.metadata.name };
  if (ctx.type.group) details.group = ctx.type.group;
  details.kind = ctx.type.resource;
  details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/**
 * Deletes one object as the real registry does: namespaces turn Terminating and are purged shortly
 * after; objects with finalizers only get a deletionTimestamp; anything else goes at once, its
 * dependents are garbage-collected unless `Orphan`, and the answer is the object (pods, services,
 * namespaces, custom resources) or a Success Status.
 */
function deleteOne(ctx: HandlerContext, obj: KubeObject, options: DeleteOptions): DeleteOutcome {
  const { type, state } = ctx;
  checkPreconditions(ctx, obj, options);
  if (type.resource === 'namespaces' && type.group === '') {
    if (UNDELETABLE_NAMESPACES.has(obj.metadata.name!)) {
      throw forbidden({ group: '', resource: 'namespaces' }, obj.metadata.name!, 'this namespace may not be deleted');
    }
    if (options.dryRun) return { body: obj };
    return { body: state.beginNamespaceDeletion(obj) };
  }
  const finalizers = Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
  if (finalizers.length > 0) {
    if (obj.metadata.deletionTimestamp || options.dryRun) return { body: obj };
    obj.metadata.deletionTimestamp = nowTimestamp();
    obj.metadata.deletionGracePeriodSeconds = 0;
    return { body: state.save(type, obj) };
  }
  if (options.dryRun) return { body: type.returnDeletedObject ? obj : successStatus(ctx, obj) };
  const gone = state.remove(type, obj.metadata.namespace, obj.metadata.name!) ?? obj;
  if (options.propagationPolicy !== 'Orphan' && gone.metadata.uid) state.collectDependents(gone.metadata.uid);
  return { body: type.returnDeletedObject ? gone : successStatus(ctx, gone) };
}

/** DELETE of one object. */
export async function handleDelete(ctx: HandlerContext): Promise<void> {
  const options = parseDeleteOptions(ctx.query, await readBody(ctx.req), ctx.req.headers['content-type']);
  const obj = ctx.state.require(ctx.type, ctx.path.namespace, ctx.path.name!);
  const outcome = deleteOne(ctx, obj, options);
  sendFormatted(ctx, 200, outcome.body, plainFormat(ctx));
}

/** DELETE on a collection: deletes what the selectors match and returns them as a list. */
export async function handleDeleteCollection(ctx: HandlerContext): Promise<void> {
  const options = parseDeleteOptions(ctx.query, await readBody(ctx.req), ctx.req.headers['content-type']);
  const { filter } = selectorFilter(ctx);
  const victims = ctx.state.list(ctx.type, ctx.path.namespace).filter(filter);
  const deleted: KubeObject[] = [];
  for (const obj of victims) {
    const outcome = deleteOne(ctx, obj, options);
    deleted.push(outcome.body.kind === 'Status' ? obj : (outcome.body as KubeObject));
  }
  const body = renderList(ctx.type, deleted, { kind: 'json' }, 'Metadata', { resourceVersion: String(ctx.state.store.currentRevision) });
  body.apiVersion = groupVersion(ctx.type);
  sendFormatted(ctx, 200, body, plainFormat(ctx));
}

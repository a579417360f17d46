import { handleDelete, handleDeleteCollection } from './delete-handlers';
import type { HandlerContext } from './http-io';
import { handleGet, handleGetScale, handleList, handleLogs } from './read-handlers';
import { queryBool } from './query-bool';
import type { ResourcePath } from './request-path';
import type { ResourceCatalog } from './resource-catalog';
import type { ResourceType } from './resource-type';
import { badRequest, methodNotAllowed, pathNotFound } from './status-errors';
import { handleWatch } from './watch-stream';
import { handleCreate, handlePatch, handleUpdate } from './write-handlers';

const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * Finds the served type for a parsed resource path, with the real server's 404s for paths that do
 * not exist: unknown resources, a named namespaced resource without a namespace, a cluster-scoped
 * resource under a namespace, an unknown subresource.
 */
export function resolveType(catalog: ResourceCatalog, path: ResourcePath): ResourceType {
  const type = catalog.find(path.group, path.version, path.resource);
  if (!type) throw pathNotFound();
  const isNamespace = type.group === '' && type.resource === 'namespaces';
  if (type.namespaced && !path.namespace && path.name) throw pathNotFound();
  if (!type.namespaced && path.namespace && !isNamespace) throw pathNotFound();
  if (isNamespace && path.namespace && !path.name) throw pathNotFound();
  if (path.subresource && !type.subresources.some((s) => s.name === path.subresource)) throw pathNotFound();
  if (type.virtual && (path.name || path.namespace)) throw pathNotFound();
  return type;
}

function requireVerb(type: ResourceType, verb: string): void {
  if (!type.verbs.includes(verb)) throw methodNotAllowed();
}

/** Dispatches a resource request to its verb's handler (the real server's verb from method + path + `watch`). */
export async function routeResource(ctx: HandlerContext): Promise<void> {
  const { path, type } = ctx;
  const method = ctx.req.method ?? 'GET';
  const sub = path.subresource;
  if (sub && STREAMING_SUBRESOURCES.has(sub)) {
    // No container runtime behind the simulator: say so plainly instead of pretending.
    throw badRequest(`the Gatehouse Kubernetes API simulator does not support ${type.resource}/${sub}`);
  }
  const watch = path.legacyWatch || queryBool(ctx.query, 'watch');
  if (watch && method !== 'GET') throw methodNotAllowed();
  // The all-namespaces URL of a namespaced resource only lists and watches; writes need a namespace.
  if (type.namespaced && !path.namespace && method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (sub === 'log') return handleLogs(ctx);
      if (sub === 'scale') return handleGetScale(ctx);
      if (watch) {
        requireVerb(type, 'watch');
        return handleWatch(ctx);
      }
      if (path.name) {
        requireVerb(type, 'get');
        return handleGet(ctx);
      }
      requireVerb(type, 'list');
      return handleList(ctx);
    case 'POST':
      if (path.name) throw methodNotAllowed();
      requireVerb(type, 'create');
      return handleCreate(ctx);
    case 'PUT':
      if (!path.name || sub === 'log') throw methodNotAllowed();
      requireVerb(type, 'update');
      return handleUpdate(ctx);
    case 'PATCH':
      if (!path.name || sub === 'log' || sub === 'finalize') throw methodNotAllowed();
      requireVerb(type, 'patch');
      return handlePatch(ctx);
    case 'DELETE':
      if (sub) throw methodNotAllowed();
      if (path.name) {
        requireVerb(type, 'delete');
        return handleDelete(ctx);
      }
      requireVerb(type, 'deletecollection');
      return handleDeleteCollection(ctx);
    default:
      throw methodNotAllowed();
  }
}

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state';
import { aggregatedDiscovery, aggregatedVersionRequested, coreVersions, groupDocument, groupList, resourceList, SIMULATOR_VERSION } from './discovery';
import { sendJson, sendText } from './http-io';
import { parseAccept } from './media-types';
import { documentHash, OPENAPI_V2_PROTOBUF, openApiV2Json, openApiV2Protobuf, openApiV3Document, openApiV3Root, parseOpenApiV3Path } from './openapi';
import { parseGroupVersionPath } from './request-path';
import { methodNotAllowed, notAcceptable, pathNotFound } from './status-errors';
import type { JsonObject } from './types';

function etagOf(body: JsonObject): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('hex').toUpperCase()}"`;
}

/** Sends a cacheable document: ETag, and 304 when If-None-Match already has it (as discovery does). */
function sendCacheable(req: IncomingMessage, res: ServerResponse, body: JsonObject, contentType: string): void {
  const etag = etagOf(body);
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ETag: etag });
    res.end();
    return;
  }
  sendJson(res, 200, body, contentType, { ETag: etag });
}

function discovery(req: IncomingMessage, res: ServerResponse, state: ClusterState, which: 'core' | 'groups', serverAddress: string): void {
  const version = aggregatedVersionRequested(req.headers.accept);
  if (version) {
    const doc = aggregatedDiscovery(state.catalog, which, version);
    sendCacheable(req, res, doc.body, doc.contentType);
    return;
  }
  sendJson(res, 200, which === 'core' ? coreVersions(serverAddress) : groupList(state.catalog));
}

function openApiV2(req: IncomingMessage, res: ServerResponse): void {
  const ranges = parseAccept(req.headers.accept);
  const wantsProto = ranges.some((r) => r.mediaType === OPENAPI_V2_PROTOBUF || r.mediaType === 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  if (wantsProto) {
    const body = openApiV2Protobuf();
    res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': String(body.length) });
    res.end(body);
    return;
  }
  sendJson(res, 200, openApiV2Json());
}

function openApiV3(req: IncomingMessage, res: ServerResponse, state: ClusterState, url: URL): void {
  if (url.pathname === '/openapi/v3' || url.pathname === '/openapi/v3/') {
    sendJson(res, 200, openApiV3Root(state.catalog));
    return;
  }
  const gv = parseOpenApiV3Path(url.pathname);
  const doc = gv ? openApiV3Document(state.catalog, gv.group, gv.version) : undefined;
  if (!doc) throw pathNotFound();
  const ranges = parseAccept(req.headers.accept);
  if (!ranges.some((r) => r.mediaType === 'application/json' || r.mediaType === '*/*' || r.mediaType === 'application/*')) {
    throw notAcceptable(['application/json']);
  }
  const hash = documentHash(doc);
  const asked = url.searchParams.get('hash');
  if (asked && asked !== hash) {
    // The real server redirects a stale hash to the current one, so clients refetch instead of caching.
    res.writeHead(301, { Location: `${url.pathname}?hash=${hash}` });
    res.end();
    return;
  }
  const cache = asked ? 'public, immutable' : 'no-cache, private';
  sendJson(res, 200, doc, 'application/json', { ETag: `"${hash}"`, 'Cache-Control': cache });
}

/**
 * Serves the non-resource endpoints: `/version`, health checks, discovery (`/api`, `/apis`, group and
 * group-version documents) and OpenAPI. Returns false when the path is not one of them.
 */
export function routeNonResource(req: IncomingMessage, res: ServerResponse, state: ClusterState, url: URL, serverAddress: string): boolean {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const isDiscovery = ['/version', '/healthz', '/livez', '/readyz', '/api', '/apis'].includes(path) || path.startsWith('/openapi/') || Boolean(parseGroupVersionPath(path));
  if (!isDiscovery) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
  if (path === '/version') sendJson(res, 200, SIMULATOR_VERSION);
  else if (path === '/healthz' || path === '/livez' || path === '/readyz') sendText(res, 200, 'ok');
  else if (path === '/api') discovery(req, res, state, 'core', serverAddress);
  else if (path === '/apis') discovery(req, res, state, 'groups', serverAddress);
  else if (path === '/openapi/v2') openApiV2(req, res);
  else if (path === '/openapi/v3' || path.startsWith('/openapi/v3/')) openApiV3(req, res, state, url);
  else if (path.startsWith('/openapi/')) throw pathNotFound();
  else {
    const gv = parseGroupVersionPath(path)!;
    const body = gv.version ? resourceList(state.catalog, gv.group, gv.version) : groupDocument(state.catalog, gv.group);
    if (!body) throw pathNotFound();
    sendJson(res, 200, body);
  }
  return true;
}

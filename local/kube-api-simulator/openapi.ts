import { createHash } from 'node:crypto';
import type { ResourceCatalog } from './resource-catalog';
import { groupVersion, type ResourceType } from './resource-type';
import type { JsonObject } from './types';

/**
 * OpenAPI, only as much as kubectl needs to write objects:
 *
 * - kubectl apply/create/replace decide between server-side and client-side field validation by
 *   looking in `/openapi/v3/<gv>` for a PATCH operation whose `x-kubernetes-group-version-kind` is
 *   the object's GVK and whose parameters include `fieldValidation` (cli-runtime
 *   `queryParamVerifierV3.HasSupport`). Serving that makes kubectl send `fieldValidation=Strict` and
 *   skip client-side schema validation, so no component schemas are needed.
 * - Client-side apply computes its strategic merge patch from `components.schemas` when a schema
 *   carries the GVK; none does here, so kubectl falls back to its compiled-in Go types (for built-ins)
 *   or a JSON merge patch (custom resources), both of which are correct.
 * - kubectl still loads `/openapi/v2` (protobuf) once for its validator; an empty-but-valid document
 *   satisfies it.
 */

const PATCH_TYPES_BUILTIN = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const PATCH_TYPES_CUSTOM = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];

function queryParam(name: string, description: string, type = 'string'): JsonObject {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.'),
];

function gvk(t: ResourceType): JsonObject {
  return { group: t.group, kind: t.kind, version: t.version };
}

function op(t: ResourceType, action: string, extra: JsonObject = {}): JsonObject {
  return {
    description: `${action} ${t.kind}`,
    operationId: `${action}${t.kind}`,
    ...extra,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t),
  };
}

function body(types: readonly string[]): JsonObject {
  return { content: Object.fromEntries(types.map((ct) => [ct, { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } }])), required: true };
}

function pathsFor(t: ResourceType): Record<string, JsonObject> {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.resource}` : `${base}/${t.resource}`;
  const item = `${collection}/{name}`;
  const patchOp = op(t, 'patch', {
    parameters: [...WRITE_PARAMS, queryParam('force', 'Force is going to "force" Apply requests.', 'boolean')],
    requestBody: body(t.custom ? PATCH_TYPES_CUSTOM : PATCH_TYPES_BUILTIN),
  });
  const paths: Record<string, JsonObject> = {};
  if (t.virtual) {
    paths[collection] = { post: op(t, 'post', { parameters: WRITE_PARAMS }) };
    return paths;
  }
  paths[collection] = { get: op(t, 'list'), post: op(t, 'post', { parameters: WRITE_PARAMS }), delete: op(t, 'deletecollection') };
  paths[item] = { get: op(t, 'get'), put: op(t, 'put', { parameters: WRITE_PARAMS }), patch: patchOp, delete: op(t, 'delete') };
  for (const s of t.subresources) {
    if (s.name === 'status' || s.name === 'scale') {
      const sub: ResourceType = { ...t, group: s.group, version: s.version, kind: s.kind };
      paths[`${item}/${s.name}`] = { get: op(sub, 'get'), put: op(sub, 'put'), patch: { ...patchOp, 'x-kubernetes-group-version-kind': gvk(sub) } };
    }
  }
  return paths;
}

/** The OpenAPI v3 document of one group-version, or undefined when it is not served. */
export function openApiV3Document(catalog: ResourceCatalog, group: string, version: string): JsonObject | undefined {
  const types = catalog.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.35.0' },
    paths: Object.assign({}, ...types.map(pathsFor)),
    components: {
      schemas: {
        'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
      },
    },
  };
}

/** A hash of a document, as the real server puts in `?hash=` (upper-case hex SHA-512). */
export function documentHash(doc: JsonObject): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/** `openapi/v3` root: one entry per served group-version, `serverRelativeURL` carrying the hash. */
export function openApiV3Root(catalog: ResourceCatalog): JsonObject {
  const paths: JsonObject = {};
  const seen = new Set<string>();
  for (const t of catalog.all()) {
    const key = t.group ? `apis/${groupVersion(t)}` : `api/${t.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const doc = openApiV3Document(catalog, t.group, t.version)!;
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${documentHash(doc)}` };
  }
  return { paths };
}

/** Maps `/openapi/v3/api/v1` or `/openapi/v3/apis/apps/v1` to a group-version, if it is one. */
export function parseOpenApiV3Path(pathname: string): { group: string; version: string } | undefined {
  const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))\/?$/.exec(pathname);
  if (!m) return undefined;
  return m[1] ? { group: '', version: m[1] } : { group: m[2]!, version: m[3]! };
}

/** The protobuf media type kubectl asks `/openapi/v2` for. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function protoString(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  // Every length here is < 128, so the varint length is one byte.
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/**
 * A minimal gnostic `openapi_v2.Document` in protobuf: `swagger: "2.0"`, `info {title, version}`, no
 * paths or definitions. kubectl parses it without error and finds no schemas, so it validates nothing
 * client-side and builds patches from its compiled-in types.
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, 'Kubernetes'), protoString(2, 'v1.35.0')]);
  return Buffer.concat([protoString(1, '2.0'), protoString(2, info)]);
}

/** The same minimal document as JSON, for clients that ask `/openapi/v2` for JSON. */
export function openApiV2Json(): JsonObject {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.35.0' }, paths: {}, definitions: {} };
}

import type { OutputFormat } from './media-types';
import type { ResourceType } from './resource-type';
import { badRequest } from './status-errors';
import { printerFor } from './table-columns';
import { cloneJson, type JsonObject, type KubeObject } from './types';

/** What a Table row carries besides its cells (`includeObject`, default `Metadata` as on the real server). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Reads and checks the `includeObject` query parameter. */
export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`);
}

/** List metadata to carry into a Table or a PartialObjectMetadataList. */
export interface ListMeta {
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** A `meta.k8s.io` PartialObjectMetadata for an object. */
export function partialObjectMetadata(obj: KubeObject, version: string): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: cloneJson(obj.metadata) };
}

function listMetadata(meta: ListMeta): JsonObject {
  const m: JsonObject = { resourceVersion: meta.resourceVersion };
  if (meta.continue) m.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) m.remainingItemCount = meta.remainingItemCount;
  return m;
}

/**
 * Builds the `meta.k8s.io` Table the real server returns for `Accept: ...;as=Table`: the kind's
 * column definitions (omitted when `noHeaders`, as for watch events after the first) and one row per
 * object with its cells and, per `includeObject`, a PartialObjectMetadata or the full object.
 */
export function toTable(
  type: ResourceType,
  objects: readonly KubeObject[],
  version: string,
  includeObject: IncludeObject,
  meta: ListMeta,
  noHeaders = false,
): JsonObject {
  const printer = printerFor(type);
  const now = Date.now();
  const rows = objects.map((obj) => {
    const row: JsonObject = { cells: printer.cells(obj, now) };
    if (includeObject === 'Metadata') row.object = partialObjectMetadata(obj, version);
    else if (includeObject === 'Object') row.object = cloneJson(obj);
    return row;
  });
  const table: JsonObject = { kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata: listMetadata(meta) };
  if (!noHeaders) table.columnDefinitions = printer.columns.map((c) => ({ ...c }));
  table.rows = rows;
  return table;
}

/** A PartialObjectMetadataList for a list answered with `as=PartialObjectMetadataList`. */
export function toPartialList(objects: readonly KubeObject[], version: string, meta: ListMeta): JsonObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetadata(meta),
    items: objects.map((o) => partialObjectMetadata(o, version)),
  };
}

/**
 * Renders one object in the negotiated format. A single-object GET with a Table Accept still gets a
 * one-row Table, which is what `kubectl get pod x` prints from.
 */
export function renderObject(type: ResourceType, obj: KubeObject, format: OutputFormat, includeObject: IncludeObject): JsonObject {
  switch (format.kind) {
    case 'table':
      return toTable(type, [obj], format.version, includeObject, { resourceVersion: obj.metadata.resourceVersion ?? '' });
    case 'partial':
      return format.list
        ? toPartialList([obj], format.version, { resourceVersion: obj.metadata.resourceVersion ?? '' })
        : partialObjectMetadata(obj, format.version);
    default:
      return obj;
  }
}

/**
 * Renders a list in the negotiated format. Items of built-in lists carry no apiVersion/kind on the
 * real server (they are typed); custom resource items keep theirs.
 */
export function renderList(type: ResourceType, objects: readonly KubeObject[], format: OutputFormat, includeObject: IncludeObject, meta: ListMeta): JsonObject {
  if (format.kind === 'table') return toTable(type, objects, format.version, includeObject, meta);
  if (format.kind === 'partial') return toPartialList(objects, format.version, meta);
  const items = objects.map((o) => {
    if (type.custom) return o;
    const { apiVersion: _v, kind: _k, ...rest } = o;
    return rest;
  });
  return {
    kind: type.listKind,
    apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
    metadata: listMetadata(meta),
    items,
  };
}

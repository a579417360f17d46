import { createHash } from 'node:crypto';
import { parseAccept } from './media-types';
import type { ResourceCatalog } from './resource-catalog';
import { groupVersion, type ResourceType } from './resource-type';
import type { JsonObject } from './types';

/** The `/version` answer. The git version names the simulator, so nobody mistakes it for a cluster. */
export const SIMULATOR_VERSION: JsonObject = {
  major: '1',
  minor: '35',
  emulationMajor: '1',
  emulationMinor: '35',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '34',
  gitVersion: 'v1.35.0-gatehouse-simulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-12-17T00:00:00Z',
  goVersion: 'go1.25.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** A discovery document with the Content-Type to send it with. */
export interface DiscoveryResponse {
  readonly body: JsonObject;
  readonly contentType: string;
}

/**
 * Which aggregated discovery version the Accept header asks for (`v2` or `v2beta1`), if any. kubectl
 * 1.35 lists `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` first.
 */
export function aggregatedVersionRequested(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const r of parseAccept(accept)) {
    if (r.mediaType === 'application/json' && r.params.g === 'apidiscovery.k8s.io' && r.params.as === 'APIGroupDiscoveryList') {
      if (r.params.v === 'v2' || r.params.v === 'v2beta1') return r.params.v;
    }
    if (r.mediaType === 'application/json' && !r.params.as) return undefined;
  }
  return undefined;
}

function storageVersionHash(t: ResourceType): string {
  return createHash('sha256').update(`${groupVersion(t)}/${t.kind}`).digest().subarray(0, 8).toString('base64');
}

/** `metav1.APIResource` entries of a group-version, subresources as `pods/log` entries. */
function apiResources(types: readonly ResourceType[]): JsonObject[] {
  return types.flatMap((t) => {
    const main: JsonObject = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: [...t.verbs] };
    if (t.shortNames.length) main.shortNames = [...t.shortNames];
    if (t.categories.length) main.categories = [...t.categories];
    if (!t.virtual) main.storageVersionHash = storageVersionHash(t);
    const subs = t.subresources.map((s) => {
      const entry: JsonObject = { name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced };
      if (s.group !== t.group || s.version !== t.version) {
        entry.group = s.group;
        entry.version = s.version;
      }
      entry.kind = s.kind;
      entry.verbs = [...s.verbs];
      return entry;
    });
    return [main, ...subs];
  });
}

/** `/api/v1` or `/apis/<g>/<v>`: the legacy APIResourceList. */
export function resourceList(catalog: ResourceCatalog, group: string, version: string): JsonObject | undefined {
  const types = catalog.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const gv = group ? `${group}/${version}` : version;
  const list: JsonObject = { kind: 'APIResourceList' };
  if (group) list.apiVersion = 'v1';
  list.groupVersion = gv;
  list.resources = apiResources(types);
  return list;
}

/** `/api`: APIVersions. */
export function coreVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, versions: readonly string[]): JsonObject {
  const gvs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

/** `/apis`: APIGroupList. */
export function groupList(catalog: ResourceCatalog): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: catalog.groups().map((g) => apiGroup(g.name, g.versions)) };
}

/** `/apis/<g>`: APIGroup. */
export function groupDocument(catalog: ResourceCatalog, group: string): JsonObject | undefined {
  const g = catalog.groups().find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.name, g.versions) } : undefined;
}

function discoveryResource(t: ResourceType): JsonObject {
  const entry: JsonObject = {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: [...t.verbs],
  };
  if (t.shortNames.length) entry.shortNames = [...t.shortNames];
  if (t.categories.length) entry.categories = [...t.categories];
  if (t.subresources.length) {
    entry.subresources = t.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return entry;
}

function discoveryGroup(catalog: ResourceCatalog, group: string, versions: readonly string[]): JsonObject {
  const metadata: JsonObject = group ? { name: group, creationTimestamp: null } : { creationTimestamp: null };
  return {
    metadata,
    versions: versions.map((version) => ({
      version,
      resources: catalog.all().filter((t) => t.group === group && t.version === version).map(discoveryResource),
      freshness: 'Current',
    })),
  };
}

/**
 * Aggregated discovery (`apidiscovery.k8s.io` APIGroupDiscoveryList) for `/api` (`core`) or `/apis`:
 * every group, version and resource in one document, which is how kubectl 1.30+ discovers.
 */
export function aggregatedDiscovery(catalog: ResourceCatalog, which: 'core' | 'groups', version: 'v2' | 'v2beta1'): DiscoveryResponse {
  const items = which === 'core' ? [discoveryGroup(catalog, '', ['v1'])] : catalog.groups().map((g) => discoveryGroup(catalog, g.name, g.versions));
  return {
    body: { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items },
    contentType: `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
  };
}

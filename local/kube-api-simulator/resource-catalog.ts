import { createHash } from 'node:crypto';
import { BUILTIN_RESOURCES } from './builtin-resources';
import type { ResourceType, SubresourceType } from './resource-type';
import { isJsonObject, type KubeObject } from './types';

/** One API group with its served versions, in the order discovery lists them. */
export interface ApiGroupInfo {
  readonly name: string;
  readonly versions: readonly string[];
}

/**
 * The set of resource types currently served: the built-ins plus one entry per served version of
 * every established CustomResourceDefinition, so creating a CRD changes discovery like it does on a
 * real cluster.
 */
export class ResourceCatalog {
  private custom: ResourceType[] = [];
  private generation = 0;

  /** Every served type, built-ins first. */
  all(): readonly ResourceType[] {
    return [...BUILTIN_RESOURCES, ...this.custom];
  }

  /** The type for a group/version/plural, if served. */
  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** Any served version of a group/plural (the store keys objects by group and resource, not version). */
  findAnyVersion(group: string, resource: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.resource === resource);
  }

  /** The served type with this group and kind. */
  findByKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /** Whether a group/version is served at all (for `/apis/<g>/<v>` and OpenAPI paths). */
  servesGroupVersion(group: string, version: string): boolean {
    return this.all().some((t) => t.group === group && t.version === version);
  }

  /** Named groups (not the core group), each with its versions, preferred first. */
  groups(): readonly ApiGroupInfo[] {
    const byGroup = new Map<string, string[]>();
    for (const t of this.all()) {
      if (!t.group) continue;
      const versions = byGroup.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      byGroup.set(t.group, versions);
    }
    return [...byGroup].map(([name, versions]) => ({ name, versions }));
  }

  /** Bumps whenever the served set changes; discovery and OpenAPI hashes include it. */
  get revision(): number {
    return this.generation;
  }

  /** A short stable hash of the served set, used as ETag and OpenAPI `hash=`. */
  hash(extra = ''): string {
    return createHash('sha512')
      .update(`${this.generation}:${extra}:${this.all().map((t) => `${t.group}/${t.version}/${t.resource}`).join(',')}`)
      .digest('hex')
      .slice(0, 64)
      .toUpperCase();
  }

  /** Replaces the custom types with those the given CRDs define (called after every CRD write). */
  syncCustomResourceDefinitions(crds: readonly KubeObject[]): void {
    const next = crds.filter((crd) => !crd.metadata.deletionTimestamp).flatMap(typesFromCrd);
    const key = (ts: readonly ResourceType[]): string => JSON.stringify(ts);
    if (key(next) !== key(this.custom)) {
      this.custom = next;
      this.generation += 1;
    }
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The types a CRD serves: one per `served` version. */
export function typesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const names = isJsonObject(spec.names) ? spec.names : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  if (!group || !plural || !kind) return [];
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  return versions
    .filter((v) => v.served !== false && typeof v.name === 'string')
    .map((v) => {
      const version = v.name as string;
      const subs = isJsonObject(v.subresources) ? v.subresources : {};
      const subresources: SubresourceType[] = [];
      if (isJsonObject(subs.scale)) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
      if (isJsonObject(subs.status)) subresources.push({ name: 'status', kind, group, version, verbs: ['get', 'patch', 'update'] });
      return {
        group,
        version,
        resource: plural,
        kind,
        listKind: typeof names.listKind === 'string' ? names.listKind : `${kind}List`,
        singular: typeof names.singular === 'string' ? names.singular : kind.toLowerCase(),
        namespaced: spec.scope !== 'Cluster',
        shortNames: strings(names.shortNames),
        categories: strings(names.categories),
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources,
        tracksGeneration: true,
        returnDeletedObject: true,
        custom: true,
      };
    });
}

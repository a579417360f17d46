import { nowTimestamp } from './managed-fields';
import { groupResourceKey, ObjectStore } from './object-store';
import { ResourceCatalog } from './resource-catalog';
import { groupVersion, type ResourceType } from './resource-type';
import { conflict, forbidden, notFound } from './status-errors';
import { isJsonObject, type KubeObject } from './types';

const NAMESPACES = 'namespaces';
const CRDS = groupResourceKey('apiextensions.k8s.io', 'customresourcedefinitions');

// How long a deleted namespace stays Terminating before the simulated namespace controller purges it.
const NAMESPACE_FINALIZE_MS = 150;

/**
 * The simulated cluster: object store, served types, and the few cluster-wide behaviours that span
 * resources (namespace lifecycle, garbage collection of dependents, CRDs changing discovery).
 */
export class ClusterState {
  readonly store = new ObjectStore();
  readonly catalog = new ResourceCatalog();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `group/resource` store key of a type. */
  key(type: ResourceType): string {
    return groupResourceKey(type.group, type.resource);
  }

  private present(type: ResourceType, obj: KubeObject): KubeObject {
    // Custom resources may be served at several versions; the stored object is shown at the one asked.
    obj.apiVersion = groupVersion(type);
    obj.kind = type.kind;
    return obj;
  }

  /** One object at the requested version, or undefined. */
  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.get(this.key(type), type.namespaced ? namespace : undefined, name);
    return obj ? this.present(type, obj) : undefined;
  }

  /** One object, or a 404 NotFound Status. */
  require(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.find(type, namespace, name);
    if (!obj) throw notFound({ group: type.group, resource: type.resource }, name);
    return obj;
  }

  /** Objects of a type, optionally in one namespace, sorted by namespace/name. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    return this.store.list(this.key(type), type.namespaced ? namespace : undefined).map((o) => this.present(type, o));
  }

  private namespaceType(): ResourceType {
    return this.catalog.find('', 'v1', NAMESPACES)!;
  }

  /** The namespace object, if it exists. */
  namespace(name: string): KubeObject | undefined {
    return this.find(this.namespaceType(), undefined, name);
  }

  /**
   * Admission's NamespaceLifecycle check for creates: the namespace must exist (404) and must not be
   * terminating (403 with cause NamespaceTerminating).
   */
  checkNamespaceForCreate(type: ResourceType, namespace: string, name: string): void {
    const ns = this.namespace(namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      const err = forbidden(
        { group: type.group, resource: type.resource },
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      (err.details as { causes?: unknown[] }).causes = [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }];
      throw err;
    }
  }

  /** Stores an object (next resourceVersion); CRD writes refresh the served types. */
  save(type: ResourceType, obj: KubeObject): KubeObject {
    const saved = this.present(type, this.store.put(this.key(type), obj));
    if (this.key(type) === CRDS) this.syncCrds();
    return saved;
  }

  /** Removes an object; returns it as of the deletion, or undefined if it was already gone. */
  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const gone = this.store.remove(this.key(type), type.namespaced ? namespace : undefined, name);
    if (this.key(type) === CRDS) {
      this.syncCrds();
      if (gone) this.purgeCustomResources(gone);
    }
    return gone ? this.present(type, gone) : undefined;
  }

  private syncCrds(): void {
    this.catalog.syncCustomResourceDefinitions(this.store.list(CRDS));
  }

  private purgeCustomResources(crd: KubeObject): void {
    const spec = isJsonObject(crd.spec) ? crd.spec : {};
    const names = isJsonObject(spec.names) ? spec.names : {};
    const key = groupResourceKey(String(spec.group ?? ''), String(names.plural ?? ''));
    for (const o of this.store.list(key)) this.store.remove(key, o.metadata.namespace, o.metadata.name!);
  }

  /**
   * Starts deleting a namespace like the real namespace lifecycle: it turns Terminating at once
   * (returned to the caller), and shortly after its content and then the namespace itself are removed.
   */
  beginNamespaceDeletion(ns: KubeObject): KubeObject {
    const name = ns.metadata.name!;
    if (ns.metadata.deletionTimestamp) {
      throw conflict({ group: '', resource: 'namespaces' }, name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
    }
    ns.metadata.deletionTimestamp = nowTimestamp();
    ns.metadata.deletionGracePeriodSeconds = 0;
    ns.status = { phase: 'Terminating' };
    const saved = this.save(this.namespaceType(), ns);
    this.later(NAMESPACE_FINALIZE_MS, () => this.finalizeNamespace(name));
    return saved;
  }

  private finalizeNamespace(name: string): void {
    for (const type of this.catalog.all()) {
      if (!type.namespaced || type.virtual) continue;
      for (const o of this.list(type, name)) this.remove(type, name, o.metadata.name!);
    }
    this.remove(this.namespaceType(), undefined, name);
  }

  /**
   * Background garbage collection: removes every object whose ownerReferences point at `ownerUid`,
   * recursively (a Deployment's ReplicaSets, then their Pods), shortly after the owner is deleted.
   */
  collectDependents(ownerUid: string): void {
    this.later(0, () => {
      for (const type of this.catalog.all()) {
        if (type.virtual) continue;
        for (const o of this.list(type)) {
          const refs = Array.isArray(o.metadata.ownerReferences) ? o.metadata.ownerReferences : [];
          if (!refs.some((r) => isJsonObject(r) && r.uid === ownerUid)) continue;
          const gone = this.remove(type, o.metadata.namespace, o.metadata.name!);
          if (gone?.metadata.uid) this.collectDependents(gone.metadata.uid);
        }
      }
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Cancels pending background work (namespace purges, garbage collection) when the server closes. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

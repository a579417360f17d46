import { cloneJson, type KubeObject } from './types';

/** The kind of change a watch reports. */
export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as kept in the history that watches resume from. */
export interface StoreEvent {
  readonly resourceVersion: number;
  readonly type: StoreEventType;
  /** `group/resource`, version-independent (`apps/deployments`, `/pods`). */
  readonly groupResource: string;
  readonly object: KubeObject;
  /** The object before a MODIFIED change, so a filtered watch can tell an object leaving its filter. */
  readonly previous?: KubeObject;
}

/** Stores objects under `namespace/name` (or `name` when cluster-scoped), like etcd keys sort. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** `apps/deployments`; the core group is empty: `/pods`. */
export function groupResourceKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}

/**
 * The simulator's etcd: objects per group-resource, one global resourceVersion counter (every write
 * takes the next number, as etcd revisions do), a bounded history of changes for watches that resume
 * from a resourceVersion, and listeners for live watches. Everything in and out is deep-copied, so no
 * caller can mutate stored state by accident.
 */
export class ObjectStore {
  // Starts above zero so resourceVersion "0" (meaning "any") is never a real revision.
  private revision = 1000;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private readonly historyLimit = 10_000) {}

  /** The latest revision written. */
  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch can still resume after. */
  get oldestResumableRevision(): number {
    return this.history.length === this.historyLimit ? this.history[0]!.resourceVersion : 0;
  }

  private bucket(groupResource: string): Map<string, KubeObject> {
    let b = this.buckets.get(groupResource);
    if (!b) {
      b = new Map();
      this.buckets.set(groupResource, b);
    }
    return b;
  }

  /** One object, or undefined. */
  get(groupResource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.buckets.get(groupResource)?.get(objectKey(namespace, name));
    return found ? cloneJson(found) : undefined;
  }

  /** Objects of a group-resource, optionally only one namespace, sorted by key. */
  list(groupResource: string, namespace?: string): KubeObject[] {
    const b = this.buckets.get(groupResource);
    if (!b) return [];
    return [...b.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b2]) => (a < b2 ? -1 : a > b2 ? 1 : 0))
      .map(([, o]) => cloneJson(o));
  }

  /** Every group-resource that holds objects (for namespace cleanup). */
  groupResources(): string[] {
    return [...this.buckets.keys()];
  }

  /** Writes an object at the next revision (stamping `metadata.resourceVersion`) and notifies watchers. */
  put(groupResource: string, object: KubeObject): KubeObject {
    const key = objectKey(object.metadata.namespace, object.metadata.name!);
    const b = this.bucket(groupResource);
    const previous = b.get(key);
    this.revision += 1;
    const stored = cloneJson(object);
    stored.metadata.resourceVersion = String(this.revision);
    b.set(key, stored);
    this.record({ resourceVersion: this.revision, type: previous ? 'MODIFIED' : 'ADDED', groupResource, object: stored, previous });
    return cloneJson(stored);
  }

  /** Removes an object at the next revision; the DELETED event carries that revision. */
  remove(groupResource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const b = this.buckets.get(groupResource);
    const key = objectKey(namespace, name);
    const existing = b?.get(key);
    if (!b || !existing) return undefined;
    b.delete(key);
    this.revision += 1;
    const gone = cloneJson(existing);
    gone.metadata.resourceVersion = String(this.revision);
    this.record({ resourceVersion: this.revision, type: 'DELETED', groupResource, object: gone });
    return cloneJson(gone);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Changes after `revision`, or `undefined` when that is older than the retained history (410 Gone). */
  eventsSince(revision: number): StoreEvent[] | undefined {
    if (revision < this.oldestResumableRevision) return undefined;
    return this.history.filter((e) => e.resourceVersion > revision).map((e) => cloneJson(e));
  }

  /** Calls `listener` with every future change; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

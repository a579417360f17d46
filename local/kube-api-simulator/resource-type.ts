/** A subresource the simulator serves (`status`, `scale`, `log`, ...). */
export interface SubresourceType {
  readonly name: string;
  /** The kind a request to it returns; the parent's kind unless stated (Scale is autoscaling/v1). */
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly verbs: readonly string[];
}

/**
 * Everything the simulator knows about one resource of one group-version: what discovery advertises and
 * how the registry treats it. Mirrors the fields of `metav1.APIResource` plus a few registry flags.
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: `deployments`. */
  readonly resource: string;
  readonly kind: string;
  readonly listKind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly SubresourceType[];
  /** Whether `metadata.generation` is kept (bumped on spec changes), as for workloads and pods. */
  readonly tracksGeneration: boolean;
  /** Whether DELETE answers with the deleted object (pods, services) instead of a Success Status. */
  readonly returnDeletedObject: boolean;
  /** Top-level fields the kind declares, for `fieldValidation`. Undefined: anything goes (custom resources). */
  readonly topLevelFields?: readonly string[];
  /** Whether it comes from a CustomResourceDefinition (no strategic merge patch, items keep apiVersion/kind). */
  readonly custom: boolean;
  /** Create-only virtual resources (reviews): never stored. */
  readonly virtual?: boolean;
}

/** `apps/v1` or `v1`. */
export function groupVersion(t: { readonly group: string; readonly version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Whether the type has a `status` subresource, which splits spec and status writes. */
export function hasStatusSubresource(t: ResourceType): boolean {
  return t.subresources.some((s) => s.name === 'status');
}

/**
 * What a Kubernetes API request is about, in the terms the API server's own RequestInfoFactory uses
 * (k8s.io/apiserver/pkg/endpoints/request). Policy, records and masking all work on this.
 */
export interface RequestInfo {
  /** True for `/api/...` and `/apis/...` resource paths; false for `/version`, `/openapi/...`, discovery roots. */
  readonly isResourceRequest: boolean;
  /** The cluster path, always starting with `/`, without the query. */
  readonly path: string;
  /**
   * Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection for resources
   * (plus `proxy`-free extras such as `connect`-style subresources keep their HTTP verb mapping);
   * for non-resource requests the lower-cased HTTP method (get, post, put, ...).
   */
  readonly verb: string;
  /** `api` or `apis` when the path starts with one (as the API server reports it, also for `/apis/<g>/<v>` discovery), '' otherwise. */
  readonly apiPrefix: string;
  /** API group: '' for the core group. */
  readonly apiGroup: string;
  /** API version, e.g. `v1`. */
  readonly apiVersion: string;
  /** Namespace, '' for cluster-scoped or all-namespace requests. For a namespace object itself, its name. */
  readonly namespace: string;
  /** Resource, e.g. `pods`. */
  readonly resource: string;
  /** Subresource, e.g. `log`, `status`, `exec`. */
  readonly subresource: string;
  /** Object name, '' for collections. */
  readonly name: string;
  /** Path segments after the group/version, as the API server splits them. */
  readonly parts: readonly string[];
}

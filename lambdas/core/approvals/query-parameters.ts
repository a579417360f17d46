import type { RequestInfo } from '../request-info';

/**
 * Which query parameters change what a Kubernetes request does. One list, used by the one-time fingerprint
 * (an approval covers the same request however it is re-run) and by the description an approver reads (which
 * shows exactly the parameters the approval covers), so the two can never disagree.
 *
 * The rule is "keep unless known to be inert": a parameter is left out only when every API server built on
 * k8s.io/apiserver reads it as something that does not change the outcome. Anything unknown is kept, because an
 * aggregated API server, a newer Kubernetes or a backend behind `proxy` may give it a meaning; a stray
 * parameter costs one more approval, a wrongly dropped one would let an approval cover a different request.
 */

/** What the rule needs to know about the request. */
export type QueryScope = Pick<RequestInfo, 'isResourceRequest' | 'verb' | 'subresource'>;

/**
 * Known parameters that change what a request does, with the reason (shown in docs and tests; the list of kept
 * parameters itself is "everything not inert", so this map documents rather than decides).
 */
export const MEANING_CHANGING_PARAMETERS: ReadonlyMap<string, string> = new Map([
  // Writes (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions).
  ['dryRun', 'the cluster validates and admits the request but persists nothing: approving a dry run must not approve the real one'],
  ['force', 'server-side apply takes over fields that other field managers own instead of reporting a conflict'],
  ['fieldManager', 'who owns the written fields afterwards, and which fields a later apply by that manager removes'],
  ['fieldValidation', 'whether unknown or duplicate fields are rejected (Strict), warned about (Warn) or silently dropped (Ignore)'],
  ['propagationPolicy', 'what happens to dependents: deleted in the background, first (Foreground), or left running (Orphan)'],
  ['orphanDependents', 'the deprecated form of propagationPolicy=Orphan'],
  ['gracePeriodSeconds', 'how long pods get to shut down; 0 kills them at once'],
  ['ignoreStoreReadErrorWithClusterBreakingPotential', 'deletes an object the cluster cannot decode, skipping finalizers and admission'],
  // Reads and collection deletes (ListOptions, GetOptions).
  ['labelSelector', 'which objects a list, watch or deletecollection touches'],
  ['fieldSelector', 'which objects a list, watch or deletecollection touches (metadata.name=<n> narrows it to one)'],
  ['resourceVersion', 'which state is read, or where a watch starts'],
  ['resourceVersionMatch', 'how resourceVersion is applied (Exact or NotOlderThan)'],
  ['watch', 'a stream of changes instead of a snapshot'],
  ['sendInitialEvents', 'whether a watch first sends every current object'],
  // Pod subresources (PodLogOptions, PodExecOptions, PodAttachOptions, PodPortForwardOptions, proxy options).
  ['container', 'which container logs are read from, or a command runs in'],
  ['command', 'the command exec runs (order matters: each value is one argument)'],
  ['stdin', 'whether the caller can type into the process'],
  ['stdout', 'whether the process output is streamed back'],
  ['stderr', 'whether the process error output is streamed back'],
  ['tty', 'whether the process gets a terminal'],
  ['ports', 'which pod ports are forwarded'],
  ['path', 'the path a node, pod or service proxy request goes to'],
  ['previous', 'logs of the previous (crashed) container instead of the running one'],
  ['follow', 'a log stream instead of a snapshot'],
  ['sinceSeconds', 'how far back logs are read'],
  ['sinceTime', 'how far back logs are read'],
  ['tailLines', 'how many log lines are read'],
  ['limitBytes', 'how much of the log is read'],
  ['stream', 'which log stream (Stdout, Stderr, All) is read'],
  ['insecureSkipTLSVerifyBackend', 'whether the API server checks the kubelet certificate when it reads logs'],
]);

/**
 * Parameters that never change what runs, with the reason. `limit` and `continue` are here only for reads (see
 * {@link isLeftOut}).
 */
export const INERT_PARAMETERS: ReadonlyMap<string, string> = new Map([
  ['timeout', 'the deadline the API server gives itself (kubectl --request-timeout); a request that runs, runs the same'],
  ['timeoutSeconds', 'how long a list or watch is served; Gatehouse\'s own upstream timeout bounds every request anyway'],
  ['pretty', 'indentation of the response'],
  ['allowWatchBookmarks', 'bookmark events carry only a resourceVersion, never an object'],
  ['timestamps', 'prefixes each log line with its time; the same lines are read'],
  ['limit', 'for get, list and watch: the page size of the same read'],
  ['continue', 'for get, list and watch: the next page of the same read; the token stays within the collection the path names'],
]);

// For these verbs `limit`/`continue` only page through the read the path and selectors describe. For
// deletecollection (and anything else) they are kept: where a delete starts and how much it covers matters.
const READ_VERBS = new Set(['get', 'list', 'watch']);
const PAGING = new Set(['limit', 'continue']);

/**
 * True when the request's whole query is passed on to something Gatehouse cannot reason about: a `proxy`
 * subresource (or the deprecated `/proxy/` prefix) forwards it to the pod, service or node behind it, and a
 * non-resource path (`/version`, `/openapi/...`, `/livez`, an aggregated server's root) has its own handler.
 */
export function passesQueryThrough(scope: QueryScope): boolean {
  return !scope.isResourceRequest || scope.verb === 'proxy' || scope.subresource === 'proxy';
}

/** Whether one parameter is left out of the approval for this request (names are case-sensitive, as in Go). */
export function isLeftOut(name: string, scope: QueryScope): boolean {
  if (passesQueryThrough(scope) || !INERT_PARAMETERS.has(name)) return false;
  return !PAGING.has(name) || READ_VERBS.has(scope.verb);
}

/** The query split into what the approval covers and the names it leaves out. */
export interface SplitQuery {
  /**
   * The covered parameters, stably sorted by name: the order of names does not matter to the API server (Go's
   * url.Values groups by name) but the order of one name's values does (`command=sh&command=-c&command=...`).
   */
  readonly kept: readonly (readonly [string, string])[];
  /** Names left out (each once, sorted). */
  readonly leftOut: readonly string[];
}

/** Splits a query into the parameters that change what runs and the names of those that do not. */
export function splitQuery(query: URLSearchParams | string, scope: QueryScope): SplitQuery {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const kept: [string, string][] = [];
  const leftOut = new Set<string>();
  for (const [name, value] of params) {
    if (isLeftOut(name, scope)) leftOut.add(name);
    else kept.push([name, value]);
  }
  // Array.prototype.sort is stable, so values of one name keep their order.
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { kept, leftOut: [...leftOut].sort() };
}

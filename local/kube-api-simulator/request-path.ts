/** What a resource URL addresses, parsed the way the real server's RequestInfoFactory does. */
export interface ResourcePath {
  readonly group: string;
  readonly version: string;
  /** Set for namespaced URLs (`/namespaces/<ns>/...`) and for a namespace itself. */
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
  /** `/api/v1/watch/...`: the deprecated watch prefix, which means `watch=true`. */
  readonly legacyWatch: boolean;
}

/** A group-version root (`/api/v1`, `/apis/apps/v1`) or group root (`/apis/apps`). */
export interface GroupVersionPath {
  readonly group: string;
  readonly version?: string;
}

// A namespace's own subresources; anything else after /namespaces/<ns>/ is a namespaced resource.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function splitPath(pathname: string): string[] | undefined {
  // Leading and trailing slashes are tolerated; an empty segment in the middle is not a resource path.
  const parts = pathname.replace(/^\/+/, '').replace(/\/$/, '').split('/');
  if (parts.some((p) => p === '')) return undefined;
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

/** Splits `/api/v1/...` or `/apis/<g>/<v>/...` into group, version and the rest, or undefined. */
function prefix(pathname: string): { group: string; version: string; rest: string[] } | undefined {
  const parts = splitPath(pathname);
  if (!parts) return undefined;
  if (parts[0] === 'api' && parts.length >= 2) return { group: '', version: parts[1]!, rest: parts.slice(2) };
  if (parts[0] === 'apis' && parts.length >= 3) return { group: parts[1]!, version: parts[2]!, rest: parts.slice(3) };
  return undefined;
}

/** Parses a group or group-version discovery URL; undefined for anything else. */
export function parseGroupVersionPath(pathname: string): GroupVersionPath | undefined {
  const parts = splitPath(pathname);
  if (!parts) return undefined;
  if (parts.length === 2 && parts[0] === 'api') return { group: '', version: parts[1] };
  if (parts.length === 2 && parts[0] === 'apis') return { group: parts[1]! };
  if (parts.length === 3 && parts[0] === 'apis') return { group: parts[1]!, version: parts[2] };
  return undefined;
}

/** Parses a resource URL; undefined when the path is not one (too short, too long, empty segments). */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const p = prefix(pathname);
  if (!p || p.rest.length === 0) return undefined;
  let rest = p.rest;
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [resource, name, subresource] = rest as [string, string?, string?];
  return { group: p.group, version: p.version, namespace, resource, name, subresource, legacyWatch };
}

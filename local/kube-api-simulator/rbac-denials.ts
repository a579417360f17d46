import fs from 'node:fs';
import path from 'node:path';
import { queryBool } from './query-bool';
import { parseResourcePath } from './request-path';
import { KubeApiError } from './status-errors';
import type { KubeUser } from './types';

/**
 * A request the simulated cluster refuses as RBAC would (opt-in: without rules every authenticated
 * request is allowed). Every field that is set must match; a list matches any of its values.
 */
export interface RbacDenial {
  /** The user the request acts as, after impersonation (e.g. `gatehouse:demo:demo-agent`). Omitted: anyone. */
  readonly user?: string;
  /** Matches when the user is in this group. Omitted: any groups. */
  readonly group?: string;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `*`. */
  readonly verbs: readonly string[];
  /** Resource, with `/subresource` when it is about one (`pods`, `pods/log`, `deployments/scale`), or `*`. */
  readonly resources: readonly string[];
  /** API group (`""` is core, `apps`). Omitted: any. */
  readonly apiGroup?: string;
  /** Omitted: any namespace (and cluster-scoped requests). */
  readonly namespace?: string;
  /** Omitted: any object. */
  readonly name?: string;
  /** Appended to the message as the authorizer's reason (`<message>: <reason>`), as webhook authorizers do. */
  readonly reason?: string;
}

/** Where denial rules come from: a fixed list, or a function asked on every request (local mode's files). */
export type RbacDenialSource = readonly RbacDenial[] | (() => readonly RbacDenial[]);

/** What the authorizer sees of a request, as the real RequestInfoFactory and the user after impersonation. */
export interface AuthorizationAttributes {
  readonly user: KubeUser;
  readonly isResourceRequest: boolean;
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
}

const METHOD_VERBS: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete', GET: 'get', HEAD: 'get' };

/** `metadata.name=x` (or `==x`) in a field selector names the object, as `RequiresExactMatch` finds it. */
function nameFromFieldSelector(selector: string | null): string {
  for (const term of (selector ?? '').split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (m && /^[^/%]+$/.test(m[1]!) && m[1] !== '.' && m[1] !== '..') return m[1]!;
  }
  return '';
}

/**
 * The attributes of a request as `RequestInfoFactory.NewRequestInfo` derives them: GET of a collection
 * is `list` (`watch` with `?watch=true` or the `/watch/` prefix; a named GET with `?watch` stays `get`),
 * DELETE of a collection `deletecollection`, the name also from a `metadata.name=` field selector;
 * anything outside `/api` and `/apis/<group>` is a non-resource request whose verb is the method.
 */
export function authorizationAttributes(method: string, url: URL, user: KubeUser): AuthorizationAttributes {
  const base = { user, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path: url.pathname };
  const p = parseResourcePath(url.pathname);
  if (!p) return { ...base, isResourceRequest: false, verb: method.toLowerCase() };
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (p.legacyWatch) verb = 'watch';
  let name = p.name ?? '';
  if (!name && verb === 'get') {
    verb = queryBool(url.searchParams, 'watch') ? 'watch' : 'list';
    name = nameFromFieldSelector(url.searchParams.get('fieldSelector'));
  }
  if (!name && verb === 'delete') verb = 'deletecollection';
  return {
    ...base, isResourceRequest: true, verb, apiGroup: p.group, apiVersion: p.version, resource: p.resource,
    subresource: p.subresource ?? '', namespace: p.namespace ?? '', name,
  };
}

function matches(rule: RbacDenial, a: AuthorizationAttributes): boolean {
  if (!a.isResourceRequest) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (rule.user === undefined || rule.user === a.user.username)
    && (rule.group === undefined || a.user.groups.includes(rule.group))
    && (rule.verbs.includes('*') || rule.verbs.includes(a.verb))
    && (rule.resources.includes('*') || rule.resources.includes(resource))
    && (rule.apiGroup === undefined || rule.apiGroup === a.apiGroup)
    && (rule.namespace === undefined || rule.namespace === a.namespace)
    && (rule.name === undefined || rule.name === a.name);
}

/** The first rule that refuses the request, if any. */
export function findDenial(rules: readonly RbacDenial[], a: AuthorizationAttributes): RbacDenial | undefined {
  return rules.find((r) => matches(r, a));
}

// responsewriters/errors.go: "Avoid emitting errors that look like valid HTML. Quotes are okay."
const sanitize = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `forbiddenMessage` (responsewriters/errors.go), with Go's %q for the quoted values. */
export function forbiddenMessage(a: AuthorizationAttributes): string {
  const q = (s: string): string => JSON.stringify(s);
  if (!a.isResourceRequest) return `User ${q(a.user.username)} cannot ${a.verb} path ${q(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (a.namespace) return `User ${q(a.user.username)} cannot ${a.verb} resource ${q(resource)} in API group ${q(a.apiGroup)} in the namespace ${q(a.namespace)}`;
  return `User ${q(a.user.username)} cannot ${a.verb} resource ${q(resource)} in API group ${q(a.apiGroup)} at the cluster scope`;
}

/**
 * The 403 `responsewriters.Forbidden` writes: `errors.NewForbidden(groupResource, name, msg[: reason])`,
 * so `pods "web" is forbidden: User "x" cannot delete resource "pods" in API group "" in the namespace
 * "y"` with reason Forbidden and details {name, group, kind: the resource}, plus `X-Content-Type-Options:
 * nosniff`. A non-resource request has no resource: `forbidden: User "x" cannot get path "/metrics"`.
 */
export function rbacForbidden(a: AuthorizationAttributes, reason = ''): KubeApiError {
  const msg = sanitize(forbiddenMessage(a));
  const err = reason ? `${msg}: ${reason}` : msg;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  let message: string;
  if (!a.resource) message = `forbidden: ${err}`;
  else if (!a.name) message = `${qualified} is forbidden: ${err}`;
  else message = `${qualified} ${JSON.stringify(a.name)} is forbidden: ${err}`;
  const details: Record<string, string> = {};
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  if (a.resource) details.kind = a.resource;
  return new KubeApiError(403, 'Forbidden', message, details, { 'X-Content-Type-Options': 'nosniff' });
}

/** The current rules of a source. */
export function currentDenials(source: RbacDenialSource | undefined): readonly RbacDenial[] {
  if (!source) return [];
  return typeof source === 'function' ? source() : source;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Checks one rule read from a file; a malformed one is an error, never silently "allow". */
export function parseDenial(value: unknown, where: string): RbacDenial {
  const v = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || !isStringList(v.verbs) || !isStringList(v.resources)) {
    throw new Error(`${where}: a denial needs "verbs" and "resources" (lists of strings)`);
  }
  for (const key of ['user', 'group', 'apiGroup', 'namespace', 'name', 'reason']) {
    if (v[key] !== undefined && typeof v[key] !== 'string') throw new Error(`${where}: "${key}" must be a string`);
  }
  return v as unknown as RbacDenial;
}

/**
 * Denials read from every `*.json` file in a directory (each a list of rules) on every request, so a
 * test can switch a refusal on and off while the simulator runs: write the file (to a temporary name,
 * then rename), run the request, delete the file. A missing directory means no denials; a file that
 * does not parse makes requests fail with a 500 that names it, rather than allow what it meant to refuse.
 */
export function denialsFromDirectory(directory: string): () => readonly RbacDenial[] {
  return () => {
    let names: string[];
    try {
      names = fs.readdirSync(directory).filter((n) => n.endsWith('.json')).sort();
    } catch {
      return [];
    }
    const rules: RbacDenial[] = [];
    for (const name of names) {
      const file = path.join(directory, name);
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (error) {
        // Deleted between the listing and the read: nothing to apply.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new Error(`simulator denial file ${file} does not parse: ${(error as Error).message}`);
      }
      if (!Array.isArray(parsed)) throw new Error(`simulator denial file ${file} must hold a JSON list of denials`);
      parsed.forEach((rule, i) => rules.push(parseDenial(rule, `${file}[${i}]`)));
    }
    return rules;
  };
}

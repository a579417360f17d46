import type { ConnectionConfig } from '../core/gateway-config';
import type { UpstreamClient } from '../core/ports';
import type { RequestInfo } from '../core/request-info';
import { ForbiddenError, GatehouseError, ServiceUnavailableError } from '../core/errors';
import { buildUpstreamHeaders, type Impersonation } from '../core/upstream-headers';
import type { ClusterFacts } from './request-guard';

/** How long a namespace's labels are trusted: a relabelled namespace is judged by its new labels within this. */
export const NAMESPACE_CACHE_TTL_MS = 10_000;
const MAX_CACHED_NAMESPACES = 1000;
const READ_LIMIT_BYTES = 3 * 1024 * 1024;

/** What a read needs: where, as whom, and within which time. */
export interface ClusterReadContext {
  readonly connection: ConnectionConfig;
  readonly request: RequestInfo;
  /** The request's encoded path (no query): the object itself for a patch. */
  readonly objectPath: string;
  readonly bearerToken: string;
  /** The agent as the cluster sees it: reads of the object are made as the agent, like the write. */
  readonly impersonate?: Impersonation;
  readonly requestId: string;
  readonly timeoutMs: number;
}

/**
 * Reads what policy needs from the cluster before a decision: the live object (as the agent, so it sees no
 * more than the agent could) and the request's Namespace (as the connection role: labels are the gateway's
 * business, not the agent's RBAC). Namespaces are cached per connection for a few seconds; objects never are,
 * since a patch must be judged against the version it will be applied to. Any failure to read stops the
 * request (fail closed) with a Status that says what to do.
 */
export class ClusterFactsReader {
  private readonly namespaces = new Map<string, { readonly at: number; readonly object: unknown }>();

  constructor(private readonly upstream: UpstreamClient, private readonly now: () => Date) {}

  async read(needs: { readonly liveObject: boolean; readonly namespace: boolean }, ctx: ClusterReadContext): Promise<ClusterFacts> {
    const [liveObject, namespaceObject] = await Promise.all([
      needs.liveObject ? this.get(ctx, ctx.objectPath, true, 'object') : undefined,
      needs.namespace ? this.namespace(ctx) : undefined,
    ]);
    return { ...(needs.liveObject ? { liveObject } : {}), ...(needs.namespace ? { namespaceObject } : {}) };
  }

  private async namespace(ctx: ClusterReadContext): Promise<unknown> {
    const key = `${ctx.connection.name}\u0000${ctx.request.namespace}`;
    const cached = this.namespaces.get(key);
    const now = this.now().getTime();
    if (cached && now - cached.at < NAMESPACE_CACHE_TTL_MS) return cached.object;
    const object = await this.get(ctx, `/api/v1/namespaces/${encodeURIComponent(ctx.request.namespace)}`, false, 'namespace');
    if (this.namespaces.size >= MAX_CACHED_NAMESPACES) this.namespaces.clear();
    this.namespaces.set(key, { at: now, object });
    return object;
  }

  private async get(ctx: ClusterReadContext, path: string, asAgent: boolean, what: 'object' | 'namespace'): Promise<unknown> {
    const headers = buildUpstreamHeaders({}, {
      bearerToken: ctx.bearerToken, forceJsonAccept: true, auditId: `${ctx.requestId}-${what}`,
      ...(asAgent && ctx.impersonate ? { impersonate: ctx.impersonate } : {}),
    });
    let response;
    try {
      response = await this.upstream.send(ctx.connection, { method: 'GET', pathAndQuery: path, headers }, { timeoutMs: ctx.timeoutMs, maxResponseBytes: READ_LIMIT_BYTES });
    } catch (error) {
      if (error instanceof GatehouseError && error.code !== 502) throw error;
      throw unreadable(what, ctx, 'the cluster did not answer');
    }
    if (response.status === 404) return null;
    if (response.status === 403 || response.status === 401) {
      throw new ForbiddenError(what === 'object'
        ? `Gatehouse must read ${describe(ctx)} to judge this change and the cluster refused the read (${response.status}); the agent needs "get" on it as well as the write.`
        : `Gatehouse must read the labels of namespace "${ctx.request.namespace}" to apply policy and the cluster refused (${response.status}); give the connection's role "get" on namespaces (see docs/POLICY.md).`);
    }
    if (response.status !== 200) throw unreadable(what, ctx, `the cluster answered ${response.status}`);
    try {
      return JSON.parse(response.body.toString('utf8')) as unknown;
    } catch {
      throw unreadable(what, ctx, 'the answer was not JSON');
    }
  }
}

function describe(ctx: ClusterReadContext): string {
  const r = ctx.request;
  return `${r.resource}${r.subresource ? `/${r.subresource}` : ''} "${r.name}"${r.namespace ? ` in namespace ${r.namespace}` : ''}`;
}

function unreadable(what: 'object' | 'namespace', ctx: ClusterReadContext, why: string): ServiceUnavailableError {
  const target = what === 'object' ? describe(ctx) : `namespace "${ctx.request.namespace}"`;
  return new ServiceUnavailableError(`Gatehouse could not read ${target}, which policy needs to decide this request (${why}), so it was not forwarded; retry shortly.`, 2);
}

import type { RequestInfo } from '../request-info';
import type { CompiledRule } from './compiled-rule';
import { globSetHasWildcards } from './glob';
import { isSessionUpgradeGet } from './session-match';

const ANY = '*';
/** Bound on cached (verb, resource) pairs: clients choose resource names, so the cache must not grow without limit. */
const MAX_CACHED_KEYS = 4096;

/**
 * Rules bucketed by verb and resource, so an evaluation only looks at rules that can match. A rule without
 * verbs, or with resource globs, sits in the `*` bucket of that dimension. The merged candidate list for a
 * (verb, resource) pair is cached, in policy order.
 */
export class RuleIndex {
  private readonly buckets = new Map<string, Map<string, CompiledRule[]>>();
  private readonly cache = new Map<string, readonly CompiledRule[]>();
  /**
   * The rules that can match an AWS call (those with `match.aws` and those about identity only), in policy order:
   * AWS calls have no verb and resource to bucket by, and a rule about Kubernetes requests never matches one.
   */
  readonly awsCandidates: readonly CompiledRule[];

  constructor(rules: readonly CompiledRule[]) {
    this.awsCandidates = rules.filter((rule) => !rule.match.kube);
    for (const rule of rules) {
      // A rule with match.aws never matches a kubectl request: keep it out of every bucket.
      if (rule.match.aws !== null) continue;
      const verbs = rule.match.verbs ? [...rule.match.verbs] : [ANY];
      const resources = rule.match.resources && !globSetHasWildcards(rule.match.resources) ? [...rule.match.resources.exact] : [ANY];
      for (const verb of verbs) {
        let byResource = this.buckets.get(verb);
        if (!byResource) this.buckets.set(verb, (byResource = new Map()));
        for (const resource of resources) {
          const list = byResource.get(resource);
          if (list) list.push(rule);
          else byResource.set(resource, [rule]);
        }
      }
    }
  }

  /**
   * The rules that can match this request, in policy order: by its verb and resource, and for a WebSocket GET of
   * pods/exec, attach or portforward also the rules listing `create` (which match it, see `isSessionUpgradeGet`).
   */
  candidatesFor(req: RequestInfo): readonly CompiledRule[] {
    if (isSessionUpgradeGet(req)) return this.lookup([req.verb, 'create'], req.resource);
    return this.candidates(req.verb, req.isResourceRequest ? req.resource : '');
  }

  /** The rules that can match a request with this verb and resource ('' for non-resource requests), in policy order. */
  candidates(verb: string, resource: string): readonly CompiledRule[] {
    return this.lookup([verb], resource);
  }

  private lookup(verbs: readonly string[], resource: string): readonly CompiledRule[] {
    // Control characters cannot be in an HTTP method, so no client-chosen verb can take another request's key.
    const key = `${verbs.join('\u0001')}\u0000${resource}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const parts: CompiledRule[][] = [];
    for (const v of verbs.includes(ANY) ? [ANY] : [...verbs, ANY]) {
      const byResource = this.buckets.get(v);
      if (!byResource) continue;
      for (const r of resource === ANY ? [ANY] : [resource, ANY]) {
        const list = byResource.get(r);
        if (list) parts.push(list);
      }
    }
    // A rule listing several of the verbs sits in several buckets: keep it once.
    const merged = parts.length === 1 ? parts[0] : [...new Set(parts.flat())].sort((a, b) => a.order - b.order);
    if (this.cache.size < MAX_CACHED_KEYS) this.cache.set(key, merged);
    return merged;
  }
}

import type { CompiledRule } from './compiled-rule';
import { globSetHasWildcards } from './glob';

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

  constructor(rules: readonly CompiledRule[]) {
    for (const rule of rules) {
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

  /** The rules that can match a request with this verb and resource ('' for non-resource requests), in policy order. */
  candidates(verb: string, resource: string): readonly CompiledRule[] {
    const key = `${verb}\u0000${resource}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const parts: CompiledRule[][] = [];
    for (const v of verb === ANY ? [ANY] : [verb, ANY]) {
      const byResource = this.buckets.get(v);
      if (!byResource) continue;
      for (const r of resource === ANY ? [ANY] : [resource, ANY]) {
        const list = byResource.get(r);
        if (list) parts.push(list);
      }
    }
    const merged = parts.length === 1 ? parts[0] : parts.flat().sort((a, b) => a.order - b.order);
    if (this.cache.size < MAX_CACHED_KEYS) this.cache.set(key, merged);
    return merged;
  }
}

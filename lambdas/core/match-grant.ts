import type { AgentIdentity } from './agent-identity';
import type { Grant } from './grant';
import { compileGlob, type Glob } from './policy/glob';

/** Why no grant applied, for the 403 message. */
export type GrantMiss = 'none' | 'expired' | 'namespace';

/** The outcome of looking for a grant. */
export type GrantMatch = { readonly grant: Grant } | { readonly miss: GrantMiss; readonly namespaces?: readonly string[] };

/**
 * Finds a grant that lets `identity` reach the connection for a request in `namespace` ('' for
 * cluster-scoped or all-namespace requests). Agent grants win over group grants, so an agent's
 * impersonation groups come from its own grant when it has one. A grant limited to namespaces never
 * covers a cluster-wide request: listing pods in all namespaces needs an unrestricted grant.
 */
export function matchGrant(grants: readonly Grant[], identity: AgentIdentity, namespace: string, now: Date): GrantMatch {
  let sawExpired = false;
  const namespaceMisses: string[] = [];
  const candidates = grants
    .filter((g) => !g.issuer || g.issuer === identity.issuer)
    .filter((g) =>
      g.principalType === 'agent'
        ? glob(g.principal)(identity.agent)
        : identity.groups.some((group) => glob(g.principal)(group)),
    )
    .sort((a, b) => (a.principalType === b.principalType ? 0 : a.principalType === 'agent' ? -1 : 1));
  for (const grant of candidates) {
    if (grant.expiresAt && Date.parse(grant.expiresAt) <= now.getTime()) {
      sawExpired = true;
      continue;
    }
    if (grant.namespaces?.length) {
      if (!namespace || !grant.namespaces.some((pattern) => glob(pattern)(namespace))) {
        namespaceMisses.push(...grant.namespaces);
        continue;
      }
    }
    return { grant };
  }
  if (namespaceMisses.length) return { miss: 'namespace', namespaces: [...new Set(namespaceMisses)] };
  return { miss: sawExpired ? 'expired' : 'none' };
}

const compiled = new Map<string, Glob>();

/** The same `*` globs policy uses, memoised: a warm Lambda matches the same grants on every request. */
function glob(pattern: string): Glob {
  let matcher = compiled.get(pattern);
  if (!matcher) {
    if (compiled.size >= 2000) compiled.clear();
    matcher = compileGlob(pattern);
    compiled.set(pattern, matcher);
  }
  return matcher;
}

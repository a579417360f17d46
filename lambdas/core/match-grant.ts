import type { AgentIdentity } from './agent-identity';
import type { Grant } from './grant';
import { compileGlob, type Glob } from './policy/glob';

/**
 * Why no grant applied, for the 403 message. `issuer`: only grants that name no issuer would have matched,
 * and several issuers are configured, so they match nobody.
 */
export type GrantMiss = 'none' | 'expired' | 'namespace' | 'issuer';

/** What {@link matchGrant} needs to know about the gateway. */
export interface MatchGrantOptions {
  /**
   * Names of the configured issuers. With more than one, a grant that names no issuer matches nobody: an
   * agent or group value is only unique within its issuer (`acme/app` at GitHub and at GitLab are different
   * principals), and configuration validation already refuses such grants, so only a grant added without
   * `--issuer` through the operator CLI (or written to the table by hand) can lack one.
   * @default unknown: a grant without issuer matches any issuer (a single-issuer gateway's behaviour)
   */
  readonly issuers?: readonly string[];
}

/** The outcome of looking for a grant. */
export type GrantMatch = { readonly grant: Grant } | { readonly miss: GrantMiss; readonly namespaces?: readonly string[] };

/**
 * Finds a grant that lets `identity` reach the connection for a request in `namespace` ('' for
 * cluster-scoped or all-namespace requests). Agent grants win over group grants, so an agent's
 * impersonation groups come from its own grant when it has one. A grant limited to namespaces never
 * covers a cluster-wide request: listing pods in all namespaces needs an unrestricted grant. A grant
 * names its issuer, or, on a gateway with a single issuer, may leave it out (see {@link MatchGrantOptions}).
 */
export function matchGrant(grants: readonly Grant[], identity: AgentIdentity, namespace: string, now: Date, options: MatchGrantOptions = {}): GrantMatch {
  let sawExpired = false;
  const namespaceMisses: string[] = [];
  const principalMatches = grants.filter((g) =>
    g.principalType === 'agent'
      ? glob(g.principal)(identity.agent)
      : identity.groups.some((group) => glob(g.principal)(group)),
  );
  const issuerless = (options.issuers?.length ?? 0) > 1 ? 'refused' : 'any';
  const candidates = principalMatches
    .filter((g) => (g.issuer ? g.issuer === identity.issuer : issuerless === 'any'))
    .sort((a, b) => (a.principalType === b.principalType ? 0 : a.principalType === 'agent' ? -1 : 1));
  const sawIssuerless = issuerless === 'refused' && principalMatches.some((g) => !g.issuer);
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
  if (sawExpired) return { miss: 'expired' };
  return { miss: sawIssuerless ? 'issuer' : 'none' };
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

import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import type { AgentIdentity } from '../../../lambdas/core/agent-identity';
import type { RequestInfo } from '../../../lambdas/core/request-info';
import { ConfigError } from '../../../lambdas/core/errors';
import { CompiledPolicy, compilePolicy } from '../../../lambdas/core/policy/compile-policy';
import type { BodyInput, PolicyInput, PolicySource } from '../../../lambdas/core/policy/policy-types';

/** The repository's pack files, as loadPolicyFiles would read them. */
export const PACK_SOURCES: PolicySource[] = (() => {
  const dir = join(__dirname, '../../../policies/packs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ source: `policies/packs/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
})();

/** Compiles YAML text (one file) with the repository's packs available. */
export function policyFrom(text: string, source = 'policy.yaml'): CompiledPolicy {
  return compilePolicy([{ source, text }], { packs: PACK_SOURCES });
}

/** A policy that includes the given packs, with a `*` default. */
/** The problems compilePolicy reports for one file (with the repository's packs), or [] when it compiles. */
export function problemsOf(text: string, source = 'team-a.yaml'): readonly string[] {
  try {
    compilePolicy([{ source, text }], { packs: PACK_SOURCES });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

export function policyWithPacks(packs: string[], defaults = '{ "*": allow }'): CompiledPolicy {
  return policyFrom(`apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [${packs.join(', ')}]\ndefaults: ${defaults}\n`);
}

/** An agent identity for tests. */
export function identity(overrides: Partial<AgentIdentity> = {}): AgentIdentity {
  return {
    issuer: 'github',
    agent: 'repo:acme/app:ref:refs/heads/main',
    session: 'repo:acme/app:ref:refs/heads/main#42',
    groups: ['ci'],
    claims: { repository: 'acme/app', environment: 'staging' },
    ...overrides,
  };
}

/** RequestInfo as the API server's RequestInfoFactory would produce for a resource request. */
export function resourceRequest(r: { verb: string; resource: string; namespace?: string; name?: string; subresource?: string; apiGroup?: string; apiVersion?: string }): RequestInfo {
  const apiGroup = r.apiGroup ?? '';
  const apiVersion = r.apiVersion ?? 'v1';
  const prefix = apiGroup === '' ? `/api/${apiVersion}` : `/apis/${apiGroup}/${apiVersion}`;
  const parts = [r.resource, r.name, r.subresource].filter((p): p is string => !!p);
  const ns = r.namespace && r.resource !== 'namespaces' ? `/namespaces/${r.namespace}` : '';
  return {
    isResourceRequest: true,
    path: `${prefix}${ns}/${parts.join('/')}`,
    verb: r.verb,
    apiPrefix: apiGroup === '' ? 'api' : 'apis',
    apiGroup,
    apiVersion,
    namespace: r.namespace ?? '',
    resource: r.resource,
    subresource: r.subresource ?? '',
    name: r.name ?? '',
    parts,
  };
}

/** RequestInfo for a non-resource request such as `/version`. */
export function nonResourceRequest(path: string, verb = 'get'): RequestInfo {
  return { isResourceRequest: false, path, verb, apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', parts: [] };
}

/** A decoded full-object body. */
export function objectBody(value: unknown): BodyInput {
  return { state: 'decoded', value };
}

/** Builds a PolicyInput with sensible defaults. */
export function input(request: RequestInfo, extra: Partial<PolicyInput> = {}): PolicyInput {
  return { identity: identity(), connection: 'staging', request, body: { state: 'none' }, ...extra };
}

/** A minimal pod spec with one container, merged with `spec`. */
export function podSpec(spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Record<string, unknown> {
  return { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec };
}

import { ConfigError } from '../errors';
import { didYouMean } from './closest-match';
import { CompiledRule, compileRule } from './compiled-rule';
import { parsePolicySource, POLICY_API_VERSION, PolicyFile } from './parse-policy-source';
import type { PolicyDocument, PolicyEffect, PolicyRuleSpec, PolicySource } from './policy-types';
import { RuleIndex } from './rule-index';

/** Options of `compilePolicy`. */
export interface CompilePolicyOptions {
  /**
   * Pack files (`kind: PolicyPack`) that policies may include by name with `packs: [...]`. `loadPolicyFiles`
   * passes `policies/packs/*.yaml`; the Lambda passes none because its document has packs already expanded.
   */
  readonly packs?: readonly PolicySource[];
  /**
   * The documents are `serializePolicy` output (JSON, validated at synth): read with JSON.parse instead of the
   * YAML parser, which would cost a Lambda cold start tens of milliseconds for line numbers nobody needs.
   */
  readonly serialized?: boolean;
}

/** A validated policy, compiled for fast evaluation. Build it once per process. */
export interface CompiledPolicy {
  /** The normalized document (packs expanded); JSON-serializable and accepted again by `compilePolicy`. */
  readonly document: PolicyDocument;
  readonly rules: readonly CompiledRule[];
  /** Default effect per connection name, and `*`. */
  readonly defaults: ReadonlyMap<string, PolicyEffect>;
  readonly index: RuleIndex;
}

/** The effect when neither the connection nor `*` has a default: fail closed. */
export const IMPLICIT_DEFAULT_EFFECT: PolicyEffect = 'deny';

/**
 * Validates and compiles policy files. Rules are evaluated in this order: the policies' own rules (file order),
 * then the rules of included packs (in the order first named); order only decides which rule's message is
 * shown when several rules of the winning effect match.
 *
 * @throws ConfigError listing every problem found, each naming the file, line and rule.
 */
export function compilePolicy(docs: readonly PolicySource[], options: CompilePolicyOptions = {}): CompiledPolicy {
  const problems: string[] = [];
  const label = docs.length === 1 ? docs[0].source : `policy (${docs.map((d) => d.source).join(', ') || 'no files'})`;
  const files = docs.flatMap((d) => parsePolicySource(d, problems, { json: options.serialized }));
  const packFiles = [...(options.packs ?? []).flatMap((d) => parsePolicySource(d, problems)), ...files].filter((f) => f.kind === 'PolicyPack');
  const packs = new Map<string, PolicyFile>();
  for (const pack of packFiles) {
    const name = pack.name as string;
    const existing = packs.get(name);
    if (existing) problems.push(`${pack.source}: pack "${name}" is already defined at ${existing.source}`);
    else packs.set(name, pack);
  }
  const policies = files.filter((f) => f.kind === 'Policy');
  if (policies.length === 0 && problems.length === 0) problems.push(`${label}: no "kind: Policy" document (packs apply only when a Policy names them)`);

  const included: PolicyFile[] = [];
  for (const policy of policies) {
    for (const name of policy.packs) {
      const pack = packs.get(name);
      if (!pack) problems.push(`${policy.source}: packs: unknown pack "${name}"${didYouMean(name, packs.keys())}; available: ${[...packs.keys()].join(', ') || 'none'}`);
      else if (!included.includes(pack)) included.push(pack);
    }
  }

  const rules: { spec: PolicyRuleSpec; where: string }[] = [...policies, ...included].flatMap((f) => f.rules);
  const seen = new Map<string, string>();
  for (const { spec, where } of rules) {
    const first = seen.get(spec.id);
    if (first) problems.push(`${where}: rule "${spec.id}": duplicate id (first defined at ${first})`);
    else seen.set(spec.id, where);
  }
  const disabled = new Set<string>();
  for (const policy of policies) {
    for (const id of policy.disable) {
      if (!seen.has(id)) problems.push(`${policy.source}: disable: no rule "${id}"${didYouMean(id, seen.keys())}`);
      disabled.add(id);
    }
  }

  const defaults: Record<string, PolicyEffect> = {};
  const defaultSource: Record<string, string> = {};
  for (const policy of policies) {
    for (const [key, effect] of Object.entries(policy.defaults)) {
      if (defaults[key] !== undefined && defaults[key] !== effect) {
        problems.push(`${policy.source}: defaults.${key}: ${effect} conflicts with ${defaults[key]} set at ${defaultSource[key]}`);
      }
      defaults[key] = effect;
      defaultSource[key] = policy.source;
    }
  }
  if (problems.length > 0) throw new ConfigError(label, problems);
  return buildCompiledPolicy({
    apiVersion: POLICY_API_VERSION,
    kind: 'Policy',
    defaults,
    rules: rules.map((r) => r.spec).filter((r) => !disabled.has(r.id)),
  });
}

/** Compiles an already-validated, normalized document. */
function buildCompiledPolicy(document: PolicyDocument): CompiledPolicy {
  const rules = document.rules.map((spec, i) => compileRule(spec, i));
  return { document, rules, defaults: new Map(Object.entries(document.defaults)), index: new RuleIndex(rules) };
}

/** The policy as JSON text for the Lambda's environment or asset; `compilePolicy` accepts it as a source. */
export function serializePolicy(policy: CompiledPolicy): string {
  return JSON.stringify(policy.document);
}

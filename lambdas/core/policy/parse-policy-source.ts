import type { Node } from 'yaml';
import { yaml } from '../lazy-yaml';
import { didYouMean } from './closest-match';
import { POLICY_EFFECTS, PolicyEffect, PolicyRuleSpec, PolicySource } from './policy-types';
import { checkKeys, isRecord, validatePolicyRule } from './validate-policy-rule';

/** The policy API version every file declares. */
export const POLICY_API_VERSION = 'gatehouse.dev/v1';

const POLICY_KEYS = ['apiVersion', 'kind', 'description', 'packs', 'disable', 'defaults', 'rules'];
const PACK_KEYS = ['apiVersion', 'kind', 'name', 'description', 'rules'];
const KINDS = ['Policy', 'PolicyPack'];
const DEFAULTS_KEY = /^(\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$/;

/** One validated YAML document: a Policy, or a PolicyPack (rules only, included by name). */
export interface PolicyFile {
  readonly kind: 'Policy' | 'PolicyPack';
  /** `file` or `file:line` of the document, for messages. */
  readonly source: string;
  /** Pack name (packs only). */
  readonly name?: string;
  readonly packs: readonly string[];
  readonly disable: readonly string[];
  readonly defaults: Readonly<Record<string, PolicyEffect>>;
  /** Rules with the `file:line` each was written at. */
  readonly rules: readonly { readonly spec: PolicyRuleSpec; readonly where: string }[];
}

/**
 * Parses and validates every YAML document of one source. Problems (YAML syntax, unknown keys, bad values) are
 * appended to `problems`, each naming the file, the line and, inside rules, the rule id.
 */
export function parsePolicySource(src: PolicySource, problems: string[], options: { readonly json?: boolean } = {}): PolicyFile[] {
  if (options.json) {
    // One JSON document, as serializePolicy writes it: rules are located by index instead of line.
    let raw: unknown;
    try {
      raw = JSON.parse(src.text);
    } catch (e) {
      problems.push(`${src.source}: ${(e as Error).message}`);
      return [];
    }
    const file = validateDocument(raw, src.source, (i) => `${src.source}#rules[${i}]`, problems);
    return file ? [file] : [];
  }
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(src.text, { lineCounter, uniqueKeys: true });
  const at = (offset: number | undefined) => (offset === undefined ? src.source : `${src.source}:${lineCounter.linePos(offset).line}`);
  const files: PolicyFile[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
    if (doc.errors.length > 0 || doc.contents === null) continue;
    const where = at(doc.contents.range?.[0]);
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      continue;
    }
    const ruleAt = (i: number) => at((doc.getIn(['rules', i], true) as Node | undefined)?.range?.[0]);
    const file = validateDocument(raw, where, ruleAt, problems);
    if (file) files.push(file);
  }
  return files;
}

function validateDocument(raw: unknown, where: string, ruleAt: (i: number) => string, problems: string[]): PolicyFile | undefined {
  const before = problems.length;
  const report = (path: string, what: string) => problems.push(`${where}: ${path ? `${path}: ` : ''}${what}`);
  if (!isRecord(raw)) {
    report('', `must be a mapping with apiVersion: ${POLICY_API_VERSION} and kind: Policy or PolicyPack`);
    return undefined;
  }
  if (raw.apiVersion !== POLICY_API_VERSION) report('apiVersion', `must be ${POLICY_API_VERSION} (got ${JSON.stringify(raw.apiVersion ?? null)})`);
  const kind = raw.kind;
  if (kind !== 'Policy' && kind !== 'PolicyPack') {
    report('kind', `must be Policy or PolicyPack (got ${JSON.stringify(kind ?? null)})${didYouMean(String(kind), KINDS)}`);
    return undefined;
  }
  checkKeys(raw, kind === 'Policy' ? POLICY_KEYS : PACK_KEYS, '', report);
  const name = raw.name;
  if (kind === 'PolicyPack' && (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name))) report('name', 'a pack needs a kebab-case name');
  const packs = names(raw.packs, 'packs', report);
  const disable = names(raw.disable, 'disable', report);
  const defaults: Record<string, PolicyEffect> = {};
  if (raw.defaults !== undefined) {
    if (!isRecord(raw.defaults)) report('defaults', 'must map connection names (or "*") to allow, deny or approve');
    else {
      for (const [key, value] of Object.entries(raw.defaults)) {
        if (!DEFAULTS_KEY.test(key)) report(`defaults.${key}`, 'keys are connection names or "*" (globs are not supported here)');
        if (typeof value !== 'string' || !POLICY_EFFECTS.includes(value as PolicyEffect)) {
          report(`defaults.${key}`, `unknown effect ${JSON.stringify(value)}${didYouMean(String(value), POLICY_EFFECTS)}; use allow, deny or approve`);
        } else defaults[key] = value as PolicyEffect;
      }
    }
  }
  const rules: { spec: PolicyRuleSpec; where: string }[] = [];
  if (raw.rules !== undefined && !Array.isArray(raw.rules)) report('rules', 'must be a list of rules');
  (Array.isArray(raw.rules) ? raw.rules : []).forEach((r, i) => {
    const ruleWhere = ruleAt(i);
    const spec = validatePolicyRule(r, ruleWhere, i, problems);
    if (spec) rules.push({ spec, where: ruleWhere });
  });
  if (problems.length > before) return undefined;
  return { kind, source: where, ...(kind === 'PolicyPack' ? { name: name as string } : {}), packs, disable, defaults, rules };
}

function names(raw: unknown, key: string, report: (path: string, what: string) => void): string[] {
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v, i) => {
    if (typeof v === 'string' && v.length > 0) return true;
    report(`${key}[${i}]`, 'must be a name');
    return false;
  }) as string[];
}

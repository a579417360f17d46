import path from 'node:path';
import type { GatewayConfig } from '../../lambdas/core/gateway-config';
import { compilePolicy, serializePolicy, type CompiledPolicy } from '../../lambdas/core/policy/compile-policy';
import { loadPolicyFiles, DEFAULT_PACKS_DIR } from '../../lambdas/core/policy/load-policy-files';
import fs from 'node:fs';

/** The policy that applies when the configuration names none: the baseline pack, every other granted request allowed. */
export const DEFAULT_POLICY_TEXT = `apiVersion: gatehouse.dev/v1
kind: Policy
description: Gatehouse default (no policyFiles configured)
packs: [baseline, aws-baseline]
defaults: { "*": allow }
`;

/**
 * Loads and validates the policy a configuration names (paths relative to the configuration file), or the
 * default policy. Runs at synth and at local-mode start; the Lambda receives the serialized result, with
 * the packs it includes already inlined, so it never reads policy files itself.
 *
 * @throws ConfigError naming the file, line and rule of every problem
 */
export function loadGatewayPolicy(config: GatewayConfig, configDir: string): { readonly policy: CompiledPolicy; readonly serialized: string } {
  const policy = config.policyFiles?.length
    ? loadPolicyFiles(config.policyFiles.map((file) => path.resolve(configDir, file)))
    : compilePolicy([{ source: 'default policy', text: DEFAULT_POLICY_TEXT }], { packs: packSources() });
  return { policy, serialized: serializePolicy(policy) };
}

function packSources() {
  return fs.readdirSync(DEFAULT_PACKS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ source: path.join(DEFAULT_PACKS_DIR, f), text: fs.readFileSync(path.join(DEFAULT_PACKS_DIR, f), 'utf8') }));
}

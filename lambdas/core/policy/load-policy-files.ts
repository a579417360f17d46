import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CompiledPolicy, compilePolicy } from './compile-policy';
import type { PolicySource } from './policy-types';

/** Where the ready-made packs live in the repository (`policies/packs/*.yaml`). */
export const DEFAULT_PACKS_DIR = resolve(__dirname, '../../../policies/packs');

/** Options of `loadPolicyFiles`. */
export interface LoadPolicyFilesOptions {
  /** Directory of pack files. @default DEFAULT_PACKS_DIR */
  readonly packsDir?: string;
}

/**
 * Reads policy files and the pack directory, validates and compiles them. Runs at synth and at local-mode start
 * (never in the Lambda, which receives `serializePolicy(policy)` and compiles that).
 *
 * @throws ConfigError naming file, line and rule for every problem; an unreadable file is a problem too.
 */
export function loadPolicyFiles(paths: readonly string[], options: LoadPolicyFilesOptions = {}): CompiledPolicy {
  const packsDir = options.packsDir ?? DEFAULT_PACKS_DIR;
  const packs = readdirSync(packsDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => read(join(packsDir, f)));
  return compilePolicy(paths.map(read), { packs });
}

function read(path: string): PolicySource {
  return { source: path, text: readFileSync(path, 'utf8') };
}

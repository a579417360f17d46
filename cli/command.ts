import { parseArgs } from 'node:util';
import { UsageError } from './errors';
import type { Io } from './io';
import type { Target } from './target';

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help as `--name <placeholder>`. */
  readonly placeholder?: string;
  readonly description: string;
}

/** What a command gets to run with. */
export interface CommandContext {
  readonly io: Io;
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** `--json`: machine output on stdout, JSON errors on stderr. */
  readonly json: boolean;
  readonly now: () => Date;
  /** The target, resolved on first use (commands that need no AWS never touch credentials). */
  target(): Promise<Target>;
  /** Resolves when the user presses Ctrl-C (for `--follow`); calling it is what starts listening. */
  interrupted(): Promise<void>;
}

/** A runnable command. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Arguments after the command words, e.g. `<request-id>` or `--connection <c> (--agent <a> | --group <g>)`. */
  readonly usage: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: { readonly min: number; readonly max: number };
  readonly examples?: readonly string[];
  /** Exit code, or nothing for 0. */
  run(ctx: CommandContext): Promise<number | void>;
}

/** A group of subcommands (`grants add|list|revoke`). */
export interface GroupSpec {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly CommandSpec[];
  /** Extra names that reach the same group. */
  readonly aliases?: readonly string[];
}

/** The top level: groups and single commands. */
export type CommandTree = ReadonlyArray<GroupSpec | CommandSpec>;

/** Options every command understands: where Gatehouse runs and how to print. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  local: { type: 'boolean', description: 'use local mode (npm run local); default when GATEHOUSE_LOCAL=1' },
  'state-dir': { type: 'string', placeholder: 'dir', description: 'local mode state dir holding endpoints.json (default .gatehouse)' },
  stack: { type: 'string', placeholder: 'name', description: 'deployed CloudFormation stack (default $GATEHOUSE_STACK)' },
  region: { type: 'string', placeholder: 'region', description: 'AWS region of the stack (default $AWS_REGION or your profile)' },
  config: { type: 'string', placeholder: 'file', description: 'gatehouse config file, for connection and issuer details a stack does not output' },
  json: { type: 'boolean', description: 'print JSON for scripts instead of tables' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
};

/** The outcome of reading the command line. */
export type ParsedCommandLine =
  | { readonly help: string }
  | { readonly spec: CommandSpec; readonly words: readonly string[]; readonly values: Record<string, string | boolean | string[] | undefined>; readonly positionals: string[] };

/**
 * Reads `gatehouse [common options] <group> <command> [options] [args]` with node:util parseArgs (strict:
 * unknown options are errors). Common options may come before the group or anywhere after the command.
 * `--help`/`-h`/`help` at any level prints that level's help.
 */
export function parseCommandLine(argv: readonly string[], tree: CommandTree): ParsedCommandLine {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = argv[i]!;
    const name = token.replace(/^--?/, '').split('=')[0]!;
    const option = COMMON_OPTIONS[name] ?? Object.values(COMMON_OPTIONS).find((o) => o.short === name);
    if (!option) throw new UsageError(`Unknown option ${token} before the command. Run \`gatehouse --help\`.`);
    leading.push(token);
    if (option.type === 'string' && !token.includes('=')) leading.push(argv[++i] ?? '');
    i++;
  }
  const wantsHelp = (tokens: readonly string[]) => tokens.includes('--help') || tokens.includes('-h');
  let first = argv[i];
  const helpWord = first === 'help';
  if (helpWord) first = argv[++i];
  if (first === undefined) return { help: rootHelp(tree) };
  const top = tree.find((t) => t.name === first || ('aliases' in t && t.aliases?.includes(first!)));
  if (!top) throw new UsageError(`Unknown command "${first}". Commands: ${tree.map((t) => t.name).join(', ')}. Run \`gatehouse --help\`.`);
  let spec: CommandSpec;
  const words = [top.name];
  if ('commands' in top) {
    const second = argv[i + 1];
    if (second === undefined || second.startsWith('-')) {
      if (helpWord || second === undefined || wantsHelp(argv.slice(i + 1))) return { help: groupHelp(top) };
      throw new UsageError(`"gatehouse ${top.name}" needs a subcommand: ${top.commands.map((c) => c.name).join(', ')}. Run \`gatehouse ${top.name} --help\`.`);
    }
    const found = top.commands.find((c) => c.name === second);
    if (!found) throw new UsageError(`Unknown command "gatehouse ${top.name} ${second}". Try: ${top.commands.map((c) => c.name).join(', ')}.`);
    spec = found;
    words.push(found.name);
    i += 2;
  } else {
    spec = top;
    i += 1;
  }
  const rest = argv.slice(i);
  if (helpWord || wantsHelp(rest) || wantsHelp(leading)) return { help: commandHelp(words, spec) };
  const options = { ...COMMON_OPTIONS, ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({ args: [...leading, ...rest], options: options as never, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '.')} Run \`gatehouse ${words.join(' ')} --help\`.`);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`Usage: gatehouse ${words.join(' ')} ${spec.usage}\nRun \`gatehouse ${words.join(' ')} --help\` for details.`);
  }
  return { spec, words, values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
}

/** `gatehouse --help`. */
export function rootHelp(tree: CommandTree): string {
  const rows = tree.flatMap((t) => ('commands' in t ? t.commands.map((c) => [`${t.name} ${c.name}`, c.summary] as const) : [[t.name, t.summary] as const]));
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    'gatehouse: operate a Gatehouse (grants, connections, sessions, replay, export).',
    '',
    'Usage: gatehouse [--local [--state-dir DIR] | --stack NAME [--region R]] <command> [options]',
    '',
    'Commands:',
    ...rows.map(([name, summary]) => `  ${name.padEnd(width)}   ${summary}`),
    '',
    'Options for every command:',
    ...optionLines(COMMON_OPTIONS),
    '',
    'Every command has --help. Exit codes: 0 ok, 1 usage, 2 not found, 3 no target/credentials/stack,',
    '4 replay integrity failure, 5 AWS or service error, 10 internal error (see cli/README.md).',
    '',
  ].join('\n');
}

/** `gatehouse grants --help`. */
export function groupHelp(group: GroupSpec): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return [
    `gatehouse ${group.name}: ${group.summary}`,
    '',
    `Usage: gatehouse ${group.name} <command> [options]`,
    '',
    'Commands:',
    ...group.commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`),
    '',
    `Run \`gatehouse ${group.name} <command> --help\` for a command's options.`,
    '',
  ].join('\n');
}

/** `gatehouse grants add --help`. */
export function commandHelp(words: readonly string[], spec: CommandSpec): string {
  return [
    `gatehouse ${words.join(' ')}: ${spec.summary}`,
    '',
    `Usage: gatehouse ${words.join(' ')} ${spec.usage}`,
    ...(spec.description ? ['', spec.description] : []),
    ...(Object.keys(spec.options).length ? ['', 'Options:', ...optionLines(spec.options)] : []),
    '',
    'Target and output:',
    ...optionLines(COMMON_OPTIONS),
    ...(spec.examples?.length ? ['', 'Examples:', ...spec.examples.map((e) => `  ${e}`)] : []),
    '',
  ].join('\n');
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.placeholder ?? 'value'}>` : ''}`, o.description] as const);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}   ${description}`);
}

/** A string option's value, or undefined. */
export function str(ctx: Pick<CommandContext, 'values'>, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option. */
export function required(ctx: Pick<CommandContext, 'values'>, name: string, words: string): string {
  const value = str(ctx, name);
  if (!value) throw new UsageError(`--${name} is required. Run \`gatehouse ${words} --help\`.`);
  return value;
}

/** Writes one JSON document (pretty) or JSON lines. */
export function printJson(ctx: Pick<CommandContext, 'io'>, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

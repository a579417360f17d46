import { ConfigError } from '../lambdas/core/errors';
import { parseCommandLine, str, type CommandContext, type CommandTree } from './command';
import { approvalsGroup } from './commands/approvals';
import { connectionsGroup, kubeconfigTopLevel } from './commands/connections';
import { doctorCommand } from './commands/doctor';
import { exportCommand } from './commands/export';
import { grantsGroup } from './commands/grants';
import { policyGroup } from './commands/policy';
import { replayCommand } from './commands/replay';
import { sessionsGroup } from './commands/sessions';
import { slackGroup } from './commands/slack';
import { CliError, EXIT } from './errors';
import { processIo, type Io } from './io';
import { resolveTarget, sdkFactory, type AwsFactory, type Target } from './target';

/** Every command, in the order `gatehouse --help` lists them. */
export const COMMANDS: CommandTree = [grantsGroup, connectionsGroup, kubeconfigTopLevel, sessionsGroup, replayCommand, exportCommand, policyGroup, approvalsGroup, slackGroup, doctorCommand];

/** What `main` runs with; tests inject their own. */
export interface MainDependencies {
  readonly io?: Io;
  readonly aws?: AwsFactory;
  readonly now?: () => Date;
  /** Resolves on Ctrl-C. @default SIGINT/SIGTERM of this process */
  readonly interrupted?: () => Promise<void>;
}

/**
 * Runs the CLI and returns its exit code (see cli/README.md). Errors are printed once, as a sentence that
 * says what to do; with --json they are also printed as `{"error": {...}}` on stderr for scripts.
 */
export async function main(argv: readonly string[], deps: MainDependencies = {}): Promise<number> {
  const io = deps.io ?? processIo();
  const json = argv.includes('--json');
  try {
    const parsed = parseCommandLine(argv, COMMANDS);
    if ('help' in parsed) {
      io.stdout.write(parsed.help);
      return EXIT.ok;
    }
    let target: Promise<Target> | undefined;
    const ctx: CommandContext = {
      io,
      values: parsed.values,
      positionals: parsed.positionals,
      json: parsed.values.json === true,
      now: deps.now ?? (() => new Date()),
      target: () => (target ??= resolveTarget(
        { local: parsed.values.local === true, stateDir: str(parsed, 'state-dir'), stack: str(parsed, 'stack'), region: str(parsed, 'region'), config: str(parsed, 'config') },
        io.env, io.cwd, deps.aws ?? sdkFactory,
      )),
      interrupted: deps.interrupted ?? signalled(),
    };
    return (await parsed.spec.run(ctx)) ?? EXIT.ok;
  } catch (error) {
    const failure = error instanceof CliError ? error
      : error instanceof ConfigError ? new CliError(error.message, EXIT.usage)
      : new CliError(`unexpected error (a bug in gatehouse; please report it):\n${(error as Error)?.stack ?? String(error)}`, EXIT.internal);
    io.stderr.write(`error: ${failure.message}\n`);
    if (json) io.stderr.write(`${JSON.stringify({ error: { kind: failure.name, exitCode: failure.exitCode, message: failure.message } })}\n`);
    return failure.exitCode;
  }
}

/** Resolves on the first SIGINT/SIGTERM. Listeners are installed on first use only (--follow): otherwise Ctrl-C kills at once. */
function signalled(): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => (promise ??= new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  }));
}

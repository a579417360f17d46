import { PodFilesystem } from './pod-filesystem';
import { InputQueue, type ProcessIo } from './process-io';
import { errorText, FILE_COMMANDS, type Builtin, type ContainerContext, type ShellState } from './shell-file-commands';
import { expandWord, parseCommandLine, ShellSyntaxError, type SimpleCommand } from './shell-syntax';

export type { ContainerContext } from './shell-file-commands';

/** How a process ended: an exit code, or the runtime could not find the executable at all. */
export type ProcessResult = { readonly kind: 'exited'; readonly code: number } | { readonly kind: 'not-found'; readonly executable: string };

/** `sleep` longer than this is refused: the simulator is for tests and demos, not for holding sockets. */
export const MAX_SLEEP_SECONDS = 600;

class ExitRequest {
  constructor(readonly code: number) {}
}

const SHELLS = new Set(['sh', 'bash', 'ash']);

function programName(argv0: string): string | undefined {
  // Executables live in /bin and /usr/bin; a bare name is looked up on PATH.
  if (!argv0.includes('/')) return argv0;
  const m = /^\/(?:usr\/)?bin\/([^/]+)$/.exec(argv0);
  return m?.[1];
}

function unescapePrintf(text: string): string {
  return text.replace(/\\(n|t|r|\\|0|e)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '0': '\0', e: '\x1b' })[c] ?? c);
}

/** printf's format applied to its arguments, reused until they run out, as POSIX printf does. */
function printfFormat(format: string, args: readonly string[]): string {
  let out = '';
  let k = 0;
  do {
    out += unescapePrintf(format).replace(/%([-0-9.]*)([sdcx%])/g, (_, flags: string, conv: string) => {
      if (conv === '%') return '%';
      const arg = args[k++] ?? '';
      if (conv === 'd') return String(Number.parseInt(arg, 10) || 0).padStart(Number.parseInt(flags, 10) || 0);
      if (conv === 'x') return (Number.parseInt(arg, 10) || 0).toString(16);
      if (conv === 'c') return arg.slice(0, 1);
      const width = Number.parseInt(flags, 10) || 0;
      return flags.startsWith('-') ? arg.padEnd(Math.abs(width)) : arg.padStart(width);
    });
  } while (k > 0 && k < args.length);
  return out;
}

function sleepFor(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(finish, seconds * 1000);
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

function testExpression(args: readonly string[], sh: ShellState): boolean {
  const stat = (p: string) => sh.ctx.fs.stat(PodFilesystem.resolve(sh.cwd, p));
  if (args[0] === '!') return !testExpression(args.slice(1), sh);
  if (args.length === 0) return false;
  if (args.length === 1) return args[0] !== '';
  if (args.length === 2) {
    const [op, v] = args as [string, string];
    if (op === '-d') return stat(v)?.type === 'dir';
    if (op === '-f') return stat(v)?.type === 'file';
    if (op === '-e') return stat(v) !== undefined;
    if (op === '-s') return (stat(v)?.data.length ?? 0) > 0;
    if (op === '-z') return v === '';
    if (op === '-n') return v !== '';
    return false;
  }
  const [a, op, b] = args as [string, string, string];
  const numeric: Record<string, (x: number, y: number) => boolean> = { '-eq': (x, y) => x === y, '-ne': (x, y) => x !== y, '-lt': (x, y) => x < y, '-gt': (x, y) => x > y, '-le': (x, y) => x <= y, '-ge': (x, y) => x >= y };
  if (op === '=' || op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (numeric[op]) return numeric[op](Number(a), Number(b));
  return false;
}

const BUILTINS: Record<string, Builtin> = {
  ...FILE_COMMANDS,
  true: () => 0,
  false: () => 1,
  ':': () => 0,
  echo: (argv, _sh, io) => {
    const noNewline = argv[1] === '-n';
    const words = argv.slice(noNewline ? 2 : 1);
    io.stdout(words.join(' ') + (noNewline ? '' : '\n'));
    return 0;
  },
  printf: (argv, _sh, io) => {
    if (argv.length < 2) {
      io.stderr('printf: usage: printf format [arguments]\n');
      return 2;
    }
    io.stdout(printfFormat(argv[1]!, argv.slice(2)));
    return 0;
  },
  env: (_argv, sh, io) => {
    io.stdout([...sh.vars].map(([k, v]) => `${k}=${v}\n`).join(''));
    return 0;
  },
  printenv: (argv, sh, io) => {
    if (argv.length === 1) return BUILTINS.env!(argv, sh, io);
    let code = 0;
    for (const name of argv.slice(1)) {
      const value = sh.vars.get(name);
      if (value === undefined) code = 1;
      else io.stdout(`${value}\n`);
    }
    return code;
  },
  export: (argv, sh) => {
    for (const a of argv.slice(1)) {
      const eq = a.indexOf('=');
      if (eq > 0) sh.vars.set(a.slice(0, eq), a.slice(eq + 1));
    }
    return 0;
  },
  pwd: (_argv, sh, io) => {
    io.stdout(`${sh.cwd}\n`);
    return 0;
  },
  cd: (argv, sh, io) => {
    const target = PodFilesystem.resolve(sh.cwd, argv[1] ?? sh.vars.get('HOME') ?? '/');
    const entry = sh.ctx.fs.stat(target);
    if (entry?.type !== 'dir') {
      io.stderr(`sh: cd: can't cd to ${argv[1]}: ${entry ? 'Not a directory' : 'No such file or directory'}\n`);
      return 2;
    }
    sh.cwd = target;
    return 0;
  },
  hostname: (_argv, sh, io) => {
    io.stdout(`${sh.ctx.hostname}\n`);
    return 0;
  },
  id: (_argv, _sh, io) => {
    io.stdout('uid=0(root) gid=0(root) groups=0(root)\n');
    return 0;
  },
  whoami: (_argv, _sh, io) => {
    io.stdout('root\n');
    return 0;
  },
  uname: (argv, sh, io) => {
    io.stdout(argv.includes('-a') ? `Linux ${sh.ctx.hostname} 6.1.0-simulated #1 SMP x86_64 GNU/Linux\n` : 'Linux\n');
    return 0;
  },
  test: (argv, sh) => (testExpression(argv.slice(1), sh) ? 0 : 1),
  '[': (argv, sh, io) => {
    if (argv[argv.length - 1] !== ']') {
      io.stderr('sh: missing ]\n');
      return 2;
    }
    return testExpression(argv.slice(1, -1), sh) ? 0 : 1;
  },
  sleep: async (argv, _sh, io) => {
    const seconds = Number(argv[1]);
    if (!argv[1] || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SLEEP_SECONDS) {
      io.stderr(`sleep: invalid number '${argv[1] ?? ''}' (the simulator sleeps 0 to ${MAX_SLEEP_SECONDS} seconds)\n`);
      return 1;
    }
    await sleepFor(seconds, io.signal);
    return io.signal.aborted ? 130 : 0;
  },
  stty: (argv, _sh, io) => {
    const size = io.terminalSize();
    if (!io.tty) {
      io.stderr("stty: standard input: Inappropriate ioctl for device\n");
      return 1;
    }
    if (argv[1] === 'size') io.stdout(`${size?.height ?? 24} ${size?.width ?? 80}\n`);
    return 0;
  },
};

/** Redirects a command's output into files (`>`, `>>`, `2>`, `2>&1`). */
function redirected(cmd: SimpleCommand, sh: ShellState, io: ProcessIo): { io: ProcessIo; flush(): void } {
  const fileSink = (to: { path: string; append: boolean }) => {
    const path = PodFilesystem.resolve(sh.cwd, to.path);
    const parts: Buffer[] = [];
    return { write: (d: Buffer | string) => parts.push(Buffer.from(d)), flush: () => {
      if (to.path === '/dev/null') return;
      const before = to.append ? (sh.ctx.fs.stat(path)?.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
      sh.ctx.fs.writeFile(path, Buffer.concat([before, ...parts]));
    } };
  };
  const out = cmd.stdoutTo ? fileSink(cmd.stdoutTo) : undefined;
  const err = cmd.stderrTo ? fileSink(cmd.stderrTo) : undefined;
  const toStdout = (d: Buffer | string): void => (out ? void out.write(d) : io.stdout(d));
  const toStderr = (d: Buffer | string): void => (err ? void err.write(d) : io.stderr(d));
  const stdout = cmd.stdoutToStderr ? toStderr : toStdout;
  const stderr = cmd.stderrToStdout ? toStdout : toStderr;
  return { io: { ...io, stdout, stderr, terminalSize: io.terminalSize }, flush: () => { out?.flush(); err?.flush(); } };
}

async function runSimple(parsed: SimpleCommand, sh: ShellState, io: ProcessIo): Promise<number> {
  const lookup = (name: string): string => (name === '?' ? String(sh.last) : sh.vars.get(name) ?? '');
  const expand = (w: string): string => expandWord(w, lookup) ?? '';
  const argv = parsed.argv.map((w) => expandWord(w, lookup)).filter((w): w is string => w !== undefined);
  if (argv.length === 0) return 0;
  const cmd: SimpleCommand = {
    ...parsed,
    argv,
    stdoutTo: parsed.stdoutTo && { ...parsed.stdoutTo, path: expand(parsed.stdoutTo.path) },
    stderrTo: parsed.stderrTo && { ...parsed.stderrTo, path: expand(parsed.stderrTo.path) },
  };
  const [first, ...rest] = cmd.argv;
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(first!);
  if (assignment && rest.length === 0) {
    sh.vars.set(assignment[1]!, assignment[2]!);
    return 0;
  }
  if (first === 'exit') {
    const code = rest[0] === undefined ? sh.last : Number.parseInt(rest[0], 10);
    throw new ExitRequest(Number.isNaN(code) ? 2 : ((code % 256) + 256) % 256);
  }
  const r = redirected(cmd, sh, io);
  let code: number;
  try {
    const name = programName(first!);
    if (name && SHELLS.has(name)) code = await runShell(cmd.argv, sh.ctx, r.io, new Map(sh.vars), sh.cwd);
    else if (name && BUILTINS[name]) code = await BUILTINS[name](cmd.argv, sh, r.io);
    else {
      r.io.stderr(`sh: ${first}: not found\n`);
      code = 127;
    }
    r.flush();
  } catch (error) {
    if (error instanceof ExitRequest) throw error;
    r.io.stderr(`sh: ${errorText(error)}\n`);
    code = 1;
  }
  return code;
}

async function runLine(line: string, sh: ShellState, io: ProcessIo): Promise<void> {
  const items = parseCommandLine(line);
  for (const item of items) {
    if (item.op === '&&' && sh.last !== 0) continue;
    if (item.op === '||' && sh.last === 0) continue;
    // A pipe runs its commands one after another, each reading the whole output of the one before.
    let input = io.stdin;
    for (let k = 0; k < item.pipeline.length; k += 1) {
      const last = k === item.pipeline.length - 1;
      const captured: Buffer[] = [];
      const stageIo: ProcessIo = last ? { ...io, stdin: input } : { ...io, stdin: input, stdout: (d) => void captured.push(Buffer.from(d)) };
      sh.last = await runSimple(item.pipeline[k]!, sh, stageIo);
      input = InputQueue.of(Buffer.concat(captured));
    }
    if (io.signal.aborted) return;
  }
}

/**
 * `sh [-c "<commands>"]`: runs a command line, or with no `-c` reads lines from stdin as an
 * interactive shell does (with a busybox-style prompt on a terminal) until EOF or `exit`.
 */
async function runShell(argv: readonly string[], ctx: ContainerContext, io: ProcessIo, vars: Map<string, string>, cwd: string): Promise<number> {
  const sh: ShellState = { ctx, vars, cwd, last: 0 };
  try {
    if (argv[1] === '-c') {
      if (argv[2] === undefined) {
        io.stderr('sh: -c requires an argument\n');
        return 2;
      }
      await runLine(argv[2], sh, io);
      return sh.last;
    }
    for (;;) {
      if (io.tty) io.stdout(`${sh.cwd} # `);
      const line = await io.stdin.readLine(io.signal);
      if (line === null || io.signal.aborted) return sh.last;
      try {
        await runLine(line, sh, io);
      } catch (error) {
        if (!(error instanceof ShellSyntaxError)) throw error;
        io.stderr(`sh: syntax error: ${error.message}\n`);
        sh.last = 2;
      }
    }
  } catch (error) {
    if (error instanceof ExitRequest) return error.code;
    if (error instanceof ShellSyntaxError) {
      io.stderr(`sh: syntax error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * Runs an exec'd command line (argv as the `command` query parameters give it) in a simulated
 * container. A shell or one of the built-in programs runs in process; anything else is what a
 * container runtime reports for a missing executable.
 */
export async function runProcess(argv: readonly string[], ctx: ContainerContext, io: ProcessIo): Promise<ProcessResult> {
  const name = programName(argv[0] ?? '');
  if (!name || (!SHELLS.has(name) && !BUILTINS[name] && name !== 'exit')) return { kind: 'not-found', executable: argv[0] ?? '' };
  if (name === 'exit') return { kind: 'not-found', executable: argv[0]! };
  const vars = new Map(ctx.env);
  if (SHELLS.has(name)) return { kind: 'exited', code: await runShell(argv, ctx, io, vars, '/') };
  const sh: ShellState = { ctx, vars, cwd: '/', last: 0 };
  return { kind: 'exited', code: await runSimple({ argv, stderrToStdout: false }, sh, io) };
}

import { FsError, PodFilesystem } from './pod-filesystem';
import { createArchive, extractArchive } from './pod-tar';
import type { ProcessIo } from './process-io';

/**
 * The simulated container's file and text programs (cat, head, tail, wc, grep, ls, mkdir, touch, rm,
 * tar), each with the busybox/GNU messages a user would see, over the container's in-memory files.
 */

/** The container a command runs in: its files and its environment (from the pod spec). */
export interface ContainerContext {
  readonly fs: PodFilesystem;
  readonly hostname: string;
  /** The process environment in order, as `env` prints it. */
  readonly env: ReadonlyArray<readonly [string, string]>;
}

/** One shell's state: variables, working directory, last exit code. */
export interface ShellState {
  readonly ctx: ContainerContext;
  readonly vars: Map<string, string>;
  cwd: string;
  last: number;
}

/** A program built into the simulated container: argv in, exit code out. */
export type Builtin = (argv: readonly string[], sh: ShellState, io: ProcessIo) => Promise<number> | number;

/** The errno text of a filesystem error, as programs print it. */
export function errorText(error: unknown): string {
  return error instanceof FsError ? error.message : String(error);
}

async function inputOf(files: readonly string[], sh: ShellState, io: ProcessIo, name: string): Promise<{ data: Buffer; code: number }> {
  if (files.length === 0 || (files.length === 1 && files[0] === '-')) return { data: await io.stdin.readAll(io.signal), code: 0 };
  const parts: Buffer[] = [];
  let code = 0;
  for (const file of files) {
    try {
      parts.push(sh.ctx.fs.readFile(PodFilesystem.resolve(sh.cwd, file)));
    } catch (error) {
      io.stderr(`${name}: ${file}: ${errorText(error)}\n`);
      code = 1;
    }
  }
  return { data: Buffer.concat(parts), code };
}

function lines(data: Buffer): string[] {
  const text = data.toString('utf8');
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** The file and text programs, by name. */
export const FILE_COMMANDS: Record<string, Builtin> = {
  cat: async (argv, sh, io) => {
    if (argv.length === 1 || (argv.length === 2 && argv[1] === '-')) {
      // Streams stdin as it comes, so an interactive `cat` echoes each line before EOF.
      for (let c = await io.stdin.read(io.signal); c; c = await io.stdin.read(io.signal)) io.stdout(c);
      return 0;
    }
    const { data, code } = await inputOf(argv.slice(1), sh, io, 'cat');
    io.stdout(data);
    return code;
  },
  head: async (argv, sh, io) => {
    const n = argv[1] === '-n' ? Number(argv[2]) : 10;
    const { data, code } = await inputOf(argv.slice(argv[1] === '-n' ? 3 : 1), sh, io, 'head');
    io.stdout(lines(data).slice(0, n).map((l) => `${l}\n`).join(''));
    return code;
  },
  tail: async (argv, sh, io) => {
    // `tail -c+N` is how kubectl cp --retries resumes a copy; `-n N` for the last lines.
    const bytes = /^-c\+?(\d+)$/.exec(argv[1] ?? '') ?? (argv[1] === '-c' ? /^\+?(\d+)$/.exec(argv[2] ?? '') : null);
    const fileArgs = argv.slice(bytes ? (argv[1] === '-c' ? 3 : 2) : argv[1] === '-n' ? 3 : 1);
    const { data, code } = await inputOf(fileArgs, sh, io, 'tail');
    if (bytes) io.stdout(data.subarray(Math.max(0, Number(bytes[1]) - 1)));
    else io.stdout(lines(data).slice(-(argv[1] === '-n' ? Number(argv[2]) : 10)).map((l) => `${l}\n`).join(''));
    return code;
  },
  wc: async (argv, sh, io) => {
    const { data, code } = await inputOf(argv.slice(argv[1]?.startsWith('-') ? 2 : 1), sh, io, 'wc');
    io.stdout(`${argv[1] === '-c' ? data.length : lines(data).length}\n`);
    return code;
  },
  grep: async (argv, sh, io) => {
    if (!argv[1]) {
      io.stderr('Usage: grep PATTERN [FILE]...\n');
      return 2;
    }
    const { data } = await inputOf(argv.slice(2), sh, io, 'grep');
    const found = lines(data).filter((l) => l.includes(argv[1]!));
    io.stdout(found.map((l) => `${l}\n`).join(''));
    return found.length ? 0 : 1;
  },
  ls: (argv, sh, io) => {
    const targets = argv.slice(1).filter((a) => !a.startsWith('-'));
    let code = 0;
    for (const t of targets.length ? targets : ['.']) {
      try {
        const names = sh.ctx.fs.list(PodFilesystem.resolve(sh.cwd, t));
        if (targets.length > 1) io.stdout(`${t}:\n`);
        io.stdout(names.map((n) => `${n}\n`).join(''));
      } catch (error) {
        io.stderr(`ls: ${t}: ${errorText(error)}\n`);
        code = 1;
      }
    }
    return code;
  },
  mkdir: (argv, sh, io) => {
    let code = 0;
    for (const d of argv.slice(1).filter((a) => !a.startsWith('-'))) {
      const p = PodFilesystem.resolve(sh.cwd, d);
      if (!argv.includes('-p') && sh.ctx.fs.stat(p)) {
        io.stderr(`mkdir: can't create directory '${d}': File exists\n`);
        code = 1;
      } else sh.ctx.fs.mkdirp(p);
    }
    return code;
  },
  touch: (argv, sh) => {
    for (const f of argv.slice(1)) {
      const p = PodFilesystem.resolve(sh.cwd, f);
      const existing = sh.ctx.fs.stat(p);
      if (existing) existing.mtime = Math.floor(Date.now() / 1000);
      else sh.ctx.fs.writeFile(p, Buffer.alloc(0));
    }
    return 0;
  },
  rm: (argv, sh, io) => {
    const force = argv.some((a) => /^-[a-z]*f/.test(a));
    let code = 0;
    for (const f of argv.slice(1).filter((a) => !a.startsWith('-'))) {
      try {
        sh.ctx.fs.remove(PodFilesystem.resolve(sh.cwd, f));
      } catch (error) {
        if (!force) {
          io.stderr(`rm: can't remove '${f}': ${errorText(error)}\n`);
          code = 1;
        }
      }
    }
    return code;
  },
  tar: async (argv, sh, io) => {
    // Flags as kubectl cp sends them: `tar cf - <path>` out, `tar [-]xmf - [-C dir]` in.
    const args = argv.slice(1).filter((a) => a !== '--no-same-permissions' && a !== '--no-same-owner');
    const flags = (args[0] ?? '').replace(/^-/, '');
    const cIndex = args.indexOf('-C');
    const dir = cIndex >= 0 ? PodFilesystem.resolve(sh.cwd, args[cIndex + 1] ?? '.') : sh.cwd;
    const rest = args.slice(1).filter((_, i) => i + 1 !== cIndex && i + 1 !== cIndex + 1);
    if (!flags.includes('f') || rest[0] !== '-') {
      io.stderr('tar: the simulated tar reads and writes archives on stdin/stdout only (f -)\n');
      return 2;
    }
    let result;
    if (flags.includes('c')) result = await createArchive(sh.ctx.fs, dir, rest.slice(1));
    else if (flags.includes('x')) result = await extractArchive(sh.ctx.fs, dir, await io.stdin.readAll(io.signal));
    else {
      io.stderr('tar: You must specify one of the \'-Acdtrux\' options\n');
      return 2;
    }
    io.stdout(result.stdout);
    if (result.stderr) io.stderr(result.stderr);
    return result.code;
  },
};

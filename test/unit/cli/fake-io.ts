import type { Io } from '../../../cli/io';

/** An Io that records what the CLI printed. */
export function fakeIo(options: { tty?: boolean; env?: Record<string, string>; cwd?: string } = {}): Io & { out(): string; err(): string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout: { write: (chunk: string) => stdout.push(chunk) > 0, isTTY: options.tty ?? false },
    stderr: { write: (chunk: string) => stderr.push(chunk) > 0, isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    out: () => stdout.join(''),
    err: () => stderr.join(''),
  };
}

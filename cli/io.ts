import { spawn } from 'node:child_process';

/** A stream the CLI writes to; `isTTY` decides between people-friendly and script-friendly behaviour. */
export interface OutStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
}

/** The process around the CLI, injected so commands can be run in tests without a terminal. */
export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The real process. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Updates the label of a running progress indicator (e.g. `Fetching blobs 12/40`). */
export type ProgressUpdate = (label: string) => void;

/**
 * Runs `work` and, if it takes longer than `delayMs`, shows a spinner with a label on stderr until it is
 * done. Only on a terminal: scripts reading stderr never see carriage returns.
 */
export async function withProgress<T>(io: Io, label: string, work: (update: ProgressUpdate) => Promise<T>, options: { readonly delayMs?: number; readonly intervalMs?: number } = {}): Promise<T> {
  let current = label;
  const update: ProgressUpdate = (next) => { current = next; };
  if (!io.stderr.isTTY || io.env.GATEHOUSE_NO_PROGRESS) return work(update);
  let frame = 0;
  let shown = false;
  let ticker: NodeJS.Timeout | undefined;
  const draw = () => {
    shown = true;
    io.stderr.write(`\r\u001b[K${FRAMES[frame++ % FRAMES.length]} ${current}…`);
  };
  const starter = setTimeout(() => {
    draw();
    ticker = setInterval(draw, options.intervalMs ?? 100);
  }, options.delayMs ?? 1000);
  try {
    return await work(update);
  } finally {
    clearTimeout(starter);
    if (ticker) clearInterval(ticker);
    if (shown) io.stderr.write('\r\u001b[K');
  }
}

/** Where a long output goes: a pager on a terminal, stdout otherwise. */
export interface Sink {
  write(text: string): void;
  close(): Promise<void>;
}

/**
 * Opens `$GATEHOUSE_PAGER`, `$PAGER` or `less -R` when stdout is a terminal and paging is wanted, like git
 * does; writes straight to stdout otherwise. Quitting the pager early is not an error.
 */
export function openSink(io: Io, page: boolean): Sink {
  const command = io.env.GATEHOUSE_PAGER ?? io.env.PAGER ?? 'less -R';
  if (!page || !io.stdout.isTTY || command === '' || command === 'cat') {
    return { write: (text) => void io.stdout.write(text), close: async () => undefined };
  }
  // LESS=FRX: quit if one screen, keep colours, leave the text on screen afterwards.
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', ...io.env } });
  let failed = false;
  const exited = new Promise<void>((resolve) => {
    child.on('error', () => { failed = true; resolve(); });
    child.on('close', () => resolve());
  });
  child.stdin.on('error', () => undefined); // EPIPE when the reader quits early
  return {
    write(text) {
      if (failed || child.stdin.destroyed) return void (failed && io.stdout.write(text));
      child.stdin.write(text);
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

import type { TerminalSize } from './remote-command-channels';

/**
 * A process's standard input: bytes pushed as frames arrive, then an end (the client's half-close,
 * or no stdin at all). Readers wait on events, never poll.
 */
export class InputQueue {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private waiters: Array<() => void> = [];

  /** An input that is already complete (no stdin, or the previous command of a pipe). */
  static of(data: Buffer | string = Buffer.alloc(0)): InputQueue {
    const q = new InputQueue();
    if (data.length) q.push(typeof data === 'string' ? Buffer.from(data) : data);
    q.end();
    return q;
  }

  /** Appends bytes; ignored once ended. */
  push(data: Buffer): void {
    if (this.ended || data.length === 0) return;
    this.chunks.push(data);
    this.wake();
  }

  /** Marks end of input (EOF). */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Whether EOF was signalled. */
  get isEnded(): boolean {
    return this.ended;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** The next chunk, or null at EOF (or when `signal` aborts). */
  async read(signal?: AbortSignal): Promise<Buffer | null> {
    while (this.chunks.length === 0 && !this.ended && !signal?.aborted) await this.wait(signal);
    return this.chunks.shift() ?? null;
  }

  /** Everything until EOF. */
  async readAll(signal?: AbortSignal): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let c = await this.read(signal); c; c = await this.read(signal)) parts.push(c);
    return Buffer.concat(parts);
  }

  /** The next line without its `\n`, the unterminated rest at EOF, or null when nothing is left. */
  async readLine(signal?: AbortSignal): Promise<string | null> {
    for (;;) {
      const joined = Buffer.concat(this.chunks);
      const nl = joined.indexOf(0x0a);
      if (nl >= 0) {
        this.chunks.length = 0;
        if (nl + 1 < joined.length) this.chunks.push(joined.subarray(nl + 1));
        return joined.subarray(0, nl).toString('utf8');
      }
      if (this.ended || signal?.aborted) {
        this.chunks.length = 0;
        return joined.length ? joined.toString('utf8') : null;
      }
      this.chunks.length = 0;
      if (joined.length) this.chunks.push(joined);
      await this.wait(signal);
    }
  }
}

/** The streams and circumstances of one simulated process. */
export interface ProcessIo {
  readonly stdin: InputQueue;
  stdout(data: Buffer | string): void;
  stderr(data: Buffer | string): void;
  /** Aborted when the client goes away: long commands (sleep, reading stdin) stop. */
  readonly signal: AbortSignal;
  /** Whether a terminal was asked for (`tty=true`). */
  readonly tty: boolean;
  /** The last size the resize channel announced. */
  terminalSize(): TerminalSize | undefined;
}

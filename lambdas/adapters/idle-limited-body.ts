import type { IncomingMessage } from 'node:http';

/**
 * A response body that ends with `idleError()` when the far side sends nothing for `idleMs`, and turns a broken
 * connection into `failed(error)`: the cluster's and the AWS service's clients read bodies the same way.
 */
export async function* idleLimitedBody(res: IncomingMessage, idleMs: number, failed: (error: Error) => Error, idleError: () => Error): AsyncGenerator<Buffer> {
  let idle: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => { timedOut = true; res.destroy(); }, idleMs);
  };
  arm();
  try {
    for await (const chunk of res) {
      arm();
      yield chunk as Buffer;
    }
  } catch (error) {
    if (!timedOut) throw failed(error as Error);
  } finally {
    clearTimeout(idle);
    res.destroy();
  }
  if (timedOut) throw idleError();
}

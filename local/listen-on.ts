import net from 'node:net';

/** What a port is for and the option that moves it, so a clash can say what to do. */
export interface PortUse {
  /** e.g. `demo OIDC issuer`. */
  readonly service: string;
  /** The `npm run local` option that sets this port, e.g. `--issuer-port`. Absent for ports picked at random. */
  readonly option?: string;
}

/**
 * A local mode port that something else holds. The message names the port, what it is for, and the two ways
 * out: stop the other instance, or move this one.
 */
export class PortInUseError extends Error {
  constructor(readonly port: number, readonly use: PortUse) {
    super(`Port ${port} (${use.service}) is already in use, most likely by another \`npm run local\`. `
      + (use.option
        ? `Stop that one (Ctrl-C in its terminal), or start this one elsewhere: npm run local -- ${use.option} <port> (0 picks a free port).`
        : 'Stop the other program holding it and try again.'));
    this.name = 'PortInUseError';
  }
}

/**
 * `server.listen` that rejects instead of emitting an unhandled `error` event (which would kill the process
 * before local mode could stop what it had already started), and turns EADDRINUSE into a PortInUseError.
 */
export function listenOn(server: net.Server, port: number, host: string, use: PortUse): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, use) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Fails with a PortInUseError when a fixed port is taken, before anything is started: a second local mode then
 * stops at once instead of starting DynamoDB Local first. Port 0 (any free port) always passes.
 */
export async function assertPortFree(port: number, host: string, use: PortUse): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await listenOn(probe, port, host, use);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

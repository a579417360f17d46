import { PortForwardObserver } from '../core/spdy/port-forward-observer';
import type { PortForwardEvent, SessionSummary } from '../core/session-recording';

/** A forwarded port's decision: allowed, or why not (policy, or a tunnel Gatehouse cannot read). */
export type PortDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** Options of {@link portForwardTunnel}. */
export interface PortForwardTunnelOptions {
  /** Policy for one connection to `port`, asked when kubectl opens it and before any of its bytes go on. */
  readonly decidePort: (port: number) => PortDecision;
  /** Each connection opened or closed, for the recording. */
  readonly record: (event: PortForwardEvent) => void;
  /** The tunnel must end: a port policy refused, or bytes that are not the SPDY kubectl speaks. */
  readonly refuse: (message: string) => void;
  readonly now: () => number;
}

/** What the relay asks of a port-forward tunnel. */
export interface PortForwardTunnel {
  /** Reads kubectl's bytes; resolves true when they may go on to the cluster, false when the tunnel was refused. */
  fromClient(data: Buffer): Promise<boolean>;
  /** Counts the cluster's bytes (they go on at once: they answer connections already allowed). */
  fromServer(data: Buffer): void;
  /** The tunnel ended: closes what is open and answers the connections per port. */
  end(): Promise<NonNullable<SessionSummary['connections']>>;
}

/**
 * Watches kubectl's SPDY-over-WebSocket port-forward tunnel without changing a byte: each new connection's
 * port is read from its stream headers and decided by policy before that connection's first frame reaches
 * the cluster (kubectl's bytes are passed on in order, only once read). A refused port ends the whole tunnel
 * (dropping one SPDY stream would break the compression context the cluster shares with kubectl), and so do
 * bytes that do not read as SPDY: what Gatehouse cannot read, it does not pass on.
 */
export function portForwardTunnel(options: PortForwardTunnelOptions): PortForwardTunnel {
  let refused = false;
  let reading: Promise<unknown> = Promise.resolve();
  /** Chunks held for a decision (and the ones behind them). */
  let waiting = 0;
  const byPort = new Map<number, { count: number; bytesToPod: number; bytesFromPod: number }>();
  const observer = new PortForwardObserver({
    now: options.now,
    onEvent: (event) => {
      if (event.event === 'open' && !refused) {
        const decision = options.decidePort(event.port);
        if (!decision.allowed) {
          refused = true;
          options.refuse(decision.message);
        }
      }
      if (event.event === 'close') {
        const entry = byPort.get(event.port) ?? { count: 0, bytesToPod: 0, bytesFromPod: 0 };
        entry.count += 1;
        entry.bytesToPod += event.bytesToPod;
        entry.bytesFromPod += event.bytesFromPod;
        byPort.set(event.port, entry);
      }
      options.record(event);
    },
  });
  const fail = () => {
    if (refused) return;
    refused = true;
    options.refuse('Gatehouse could not read the port-forward tunnel as kubectl\'s SPDY/3.1, so it ended it; use kubectl 1.31 or newer.');
  };
  return {
    fromClient(data) {
      if (refused) return Promise.resolve(false);
      const { opensStream, done } = observer.readClient(data);
      // Framing failed at once (an oversized or malformed frame): nothing of it goes on.
      if (observer.error) {
        done.catch(() => undefined);
        fail();
        return Promise.resolve(false);
      }
      // A frame split over messages goes on in parts: the cluster can act on none of it before its last part,
      // which is held here like any chunk that opens a connection.
      const read = done.then(() => !refused, () => { fail(); return false; });
      reading = read;
      // Only a chunk that opens a connection waits for its port's decision; the rest (data of connections already
      // allowed) goes on at once, unless an earlier chunk is still waiting, so bytes keep their order.
      if (!opensStream && waiting === 0) return Promise.resolve(true);
      waiting += 1;
      return read.finally(() => { waiting -= 1; });
    },
    fromServer(data) {
      reading = observer.fromServer(data).catch(fail);
    },
    async end() {
      await reading.catch(() => undefined);
      await observer.end();
      return [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, c]) => ({ port, ...c }));
    },
  };
}

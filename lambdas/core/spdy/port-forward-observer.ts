import type { PortForwardEvent } from '../session-recording';
import { SpdyFrameReader, type SpdyFrame } from './spdy-frames';
import { HeaderDecompressor, headerValue, type SpdyHeaders } from './spdy-headers';

/**
 * Watches both byte streams of a `kubectl port-forward` tunnel (SPDY/3.1, as carried in the binary
 * WebSocket messages of `SPDY/3.1+portforward.k8s.io`) and reports, per forwarded connection, when it
 * opened and closed and how many bytes went each way. It only reads: the caller relays the bytes it fed
 * in unchanged, whatever the observer makes of them.
 *
 * What it relies on (client-go tools/portforward, kubelet's httpstream handler): for each local
 * connection the client opens two streams, `streamtype: error` and `streamtype: data`, both carrying
 * `port` and `requestid`; the pair is one connection. The server's SYN_REPLY accepts a stream; DATA on the
 * data stream is the application's bytes; a stream ends with FIN both ways or RST either way.
 */

/** Options of a {@link PortForwardObserver}. */
export interface PortForwardObserverOptions {
  /** Called for each event, in the order the bytes showed them. */
  readonly onEvent: (event: PortForwardEvent) => void;
  /** Milliseconds clock; `atMs` is relative to the observer's creation. Default `Date.now`. */
  readonly now?: () => number;
  /** Bound on one SPDY frame (spdy-frames.ts's default otherwise). */
  readonly maxFrameBytes?: number;
  /** Bound on one decompressed header block (spdy-headers.ts's default otherwise). */
  readonly maxHeaderBytes?: number;
}

type Side = 'client' | 'server';

interface StreamState {
  readonly connection: Connection;
  readonly type: string;
  finClient: boolean;
  finServer: boolean;
  reset: boolean;
}

interface Connection {
  readonly requestId: string;
  readonly port: number;
  readonly streams: Set<StreamState>;
  bytesToPod: number;
  bytesFromPod: number;
  closed: boolean;
}

/**
 * Feeds on the two directions of a port-forward tunnel and emits `open`/`close` {@link PortForwardEvent}s.
 * `open` comes with the first stream of a request id (the client's intent, before the pod answered, so a
 * policy can act on it); `close` once every stream of that connection ended, or at {@link end}.
 *
 * Each direction has its own frame reader and header inflater (SPDY's one zlib context per direction);
 * frames from both are handled one at a time in arrival order, so a SYN_STREAM is known before the DATA
 * that follows it. A framing or header error fails the observer: the returned promises reject with it,
 * and so do all later calls.
 */
export class PortForwardObserver {
  private readonly readers: Record<Side, SpdyFrameReader>;
  private readonly inflaters: Record<Side, HeaderDecompressor>;
  private readonly streams = new Map<number, StreamState>();
  private readonly connections = new Map<string, Connection>();
  private readonly now: () => number;
  private readonly startedAt: number;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private ended = false;

  constructor(private readonly options: PortForwardObserverOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    const frameOptions = { maxFrameBytes: options.maxFrameBytes };
    const headerOptions = { maxHeaderBytes: options.maxHeaderBytes };
    this.readers = { client: new SpdyFrameReader(frameOptions), server: new SpdyFrameReader(frameOptions) };
    this.inflaters = { client: new HeaderDecompressor(headerOptions), server: new HeaderDecompressor(headerOptions) };
  }

  /** The error that stopped the observer, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Bytes the client (kubectl) sent towards the server, in order. */
  fromClient(chunk: Buffer | Uint8Array): Promise<void> {
    return this.feed('client', chunk).done;
  }

  /**
   * {@link fromClient}, also saying at once (framing is synchronous) whether the chunk opens a stream: a relay
   * that must decide new connections before passing them on can pass every other chunk on without waiting.
   */
  readClient(chunk: Buffer | Uint8Array): { readonly opensStream: boolean; readonly done: Promise<void> } {
    return this.feed('client', chunk);
  }

  /** Bytes the server sent back towards the client, in order. */
  fromServer(chunk: Buffer | Uint8Array): Promise<void> {
    return this.feed('server', chunk).done;
  }

  /** The tunnel ended: emits `close` for every connection still open (also after a failure), frees zlib. */
  async end(): Promise<void> {
    // The queue never rejects (failures are recorded), so this waits for every frame already fed.
    await this.queue;
    if (this.ended) return;
    this.ended = true;
    for (const c of this.connections.values()) this.close(c);
    this.inflaters.client.close();
    this.inflaters.server.close();
  }

  private feed(side: Side, chunk: Buffer | Uint8Array): { readonly opensStream: boolean; readonly done: Promise<void> } {
    if (this.failure) return { opensStream: false, done: Promise.reject(this.failure) };
    if (this.ended) return { opensStream: false, done: Promise.reject(new Error('port-forward observer already ended')) };
    let frames: SpdyFrame[];
    try {
      // Framing is synchronous, so the order of calls is the order of bytes, whatever awaits follow.
      frames = this.readers[side].push(chunk);
    } catch (err) {
      this.failure = err as Error;
      return { opensStream: false, done: Promise.reject(this.failure) };
    }
    const step = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      for (const frame of frames) await this.handle(side, frame);
    });
    this.queue = step.catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
    return { opensStream: frames.some((f) => f.kind === 'syn_stream'), done: step };
  }

  private async handle(side: Side, frame: SpdyFrame): Promise<void> {
    switch (frame.kind) {
      case 'syn_stream': {
        const headers = await this.inflaters[side].decompress(frame.headerBlock);
        if (side === 'client') this.openStream(frame.streamId, headers);
        return;
      }
      case 'syn_reply':
      case 'headers':
        // Not needed for the events, but the block must go through the inflater to keep its context whole.
        await this.inflaters[side].decompress(frame.headerBlock);
        if ((frame.flags & 1) !== 0) this.fin(side, frame.streamId);
        return;
      case 'data': {
        const s = this.streams.get(frame.streamId);
        if (s && s.type === 'data' && !s.reset) {
          if (side === 'client') s.connection.bytesToPod += frame.data.length;
          else s.connection.bytesFromPod += frame.data.length;
        }
        if ((frame.flags & 1) !== 0) this.fin(side, frame.streamId);
        return;
      }
      case 'rst_stream': {
        const s = this.streams.get(frame.streamId);
        if (s) {
          s.reset = true;
          this.settle(s);
        }
        return;
      }
      default:
        // PING, SETTINGS, GOAWAY, WINDOW_UPDATE and unknown types open, close and count nothing.
        return;
    }
  }

  private openStream(streamId: number, headers: SpdyHeaders): void {
    const type = headerValue(headers, 'streamType') ?? '';
    const port = Number(headerValue(headers, 'port'));
    // kubelet's fallback for clients without requestID: the error stream's id, the data stream's id - 2.
    const requestId = headerValue(headers, 'requestID') ?? String(type === 'data' ? streamId - 2 : streamId);
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) return;
    let connection = this.connections.get(requestId);
    if (!connection) {
      connection = { requestId, port, streams: new Set(), bytesToPod: 0, bytesFromPod: 0, closed: false };
      this.connections.set(requestId, connection);
      this.emit('open', connection);
    }
    if (connection.closed) return;
    const stream: StreamState = { connection, type, finClient: false, finServer: false, reset: false };
    connection.streams.add(stream);
    this.streams.set(streamId, stream);
  }

  private fin(side: Side, streamId: number): void {
    const s = this.streams.get(streamId);
    if (!s) return;
    if (side === 'client') s.finClient = true;
    else s.finServer = true;
    this.settle(s);
  }

  private settle(s: StreamState): void {
    const c = s.connection;
    if ([...c.streams].every((x) => x.reset || (x.finClient && x.finServer))) this.close(c);
  }

  private close(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    this.emit('close', c);
  }

  private emit(event: 'open' | 'close', c: Connection): void {
    this.options.onEvent({
      encoding: 'utf8',
      data: '',
      atMs: this.now() - this.startedAt,
      channel: 'portforward',
      event,
      port: c.port,
      connectionId: c.requestId,
      bytesToPod: c.bytesToPod,
      bytesFromPod: c.bytesFromPod,
    });
  }
}

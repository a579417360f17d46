import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import {
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, FLAG_FIN, GOAWAY_STATUS, RST_STATUS, SpdyFrameReader, type SpdyFrame,
} from '../../lambdas/core/spdy/spdy-frames';
import { HeaderCompressor, HeaderDecompressor, headerValue, type SpdyHeaders } from '../../lambdas/core/spdy/spdy-headers';
import { forwardingErrorMessage, type PodPortServers, type PortForwardPod } from './port-forward-pods';

/**
 * The server end of one port-forward tunnel: the SPDY/3.1 connection kubelet's port-forward handler
 * serves (pkg/kubelet/cri/streaming/portforward/httpstream.go over spdystream), carried in binary WebSocket
 * messages as the API server's tunneling handler relays it. Streams are accepted with an empty SYN_REPLY,
 * paired by `requestID` into error + data, and each complete pair is one TCP connection to the pod port.
 */

/** kubelet's default stream creation timeout: a pair whose second stream never comes is given up. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** io.Copy's buffer: what a Go peer writes per DATA frame. */
const DATA_CHUNK = 32 * 1024;

interface Stream {
  readonly id: number;
  readonly type: 'error' | 'data';
  readonly port: number;
  /** The client finished sending (FIN). */
  remoteFin: boolean;
  /** We sent FIN. */
  localFin: boolean;
  reset: boolean;
  /** What the client sent before the pod connection was up (spdystream buffers it in the stream too). */
  readonly early: Buffer[];
}

interface Pair {
  readonly requestId: string;
  error?: Stream;
  data?: Stream;
  timer?: NodeJS.Timeout;
  started: boolean;
}

/** Validates a new stream's headers as kubelet's `httpStreamReceived` does; a message means refuse it. */
function streamProblem(headers: SpdyHeaders): string | undefined {
  const port = headerValue(headers, 'port');
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = headerValue(headers, 'streamType');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

/** Serves one upgraded port-forward connection until either side closes it. */
export class PortForwardSession {
  private readonly reader = new SpdyFrameReader();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, Stream>();
  private readonly pairs = new Map<string, Pair>();
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private nextStreamId = 0;
  private closed = false;

  constructor(private readonly ws: WebSocket, private readonly pod: PortForwardPod, private readonly ports: PodPortServers) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    // client-go's TunnelingConnection carries SPDY in binary messages only; text is a broken peer.
    if (!isBinary) return this.fail(1003, 'invalid message type received');
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(data);
    } catch (err) {
      return this.fail(1002, (err as Error).message);
    }
    this.inbound = this.inbound.then(async () => {
      for (const frame of frames) if (!this.closed) await this.handle(frame);
    }).catch((err: unknown) => this.fail(1002, (err as Error).message));
  }

  /** Sends frames in call order; a SYN_REPLY's compression is awaited in turn, so the zlib stream stays in order. */
  private send(frame: () => Buffer | Promise<Buffer>): void {
    this.outbound = this.outbound.then(async () => {
      const bytes = await frame();
      if (!this.closed) this.ws.send(bytes, { binary: true });
    }).catch(() => undefined);
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.kind) {
      case 'syn_stream':
        return this.accept(frame.streamId, await this.inflater.decompress(frame.headerBlock), (frame.flags & FLAG_FIN) !== 0);
      case 'headers':
      case 'syn_reply':
        // Nothing to act on, but the block is part of the client's zlib stream.
        await this.inflater.decompress(frame.headerBlock);
        return;
      case 'data':
        return this.data(frame.streamId, frame.data, (frame.flags & FLAG_FIN) !== 0);
      case 'rst_stream':
        return this.resetByClient(frame.streamId);
      case 'ping':
        // spdystream echoes a ping whose id has the peer's parity (clients odd); ours would be even.
        if ((frame.id & 1) === 1) this.send(() => encodePing(frame.id));
        return;
      case 'goaway':
        // The client is done (spdystream's Close): end the tunnel.
        this.ws.close(1000);
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: spdystream does not act on them either.
        return;
    }
  }

  private accept(id: number, headers: SpdyHeaders, fin: boolean): void {
    if (id < this.nextStreamId) {
      // spdystream's validateStreamId: each new stream id must be at least the last one + 2.
      this.send(() => encodeRstStream(id, RST_STATUS.PROTOCOL_ERROR));
      return;
    }
    this.nextStreamId = id + 2;
    this.lastStreamId = id;
    if (streamProblem(headers)) {
      // The handler refused the stream: spdystream resets it (Stream.Reset sends CANCEL).
      this.send(() => encodeRstStream(id, RST_STATUS.CANCEL));
      return;
    }
    const type = headerValue(headers, 'streamType') as 'error' | 'data';
    const stream: Stream = { id, type, port: Number(headerValue(headers, 'port')), remoteFin: fin, localFin: false, reset: false, early: [] };
    this.streams.set(id, stream);
    this.send(() => this.deflater.compress({}).then((headerBlock) => encodeSynReply({ streamId: id, headerBlock })));
    // Clients without a requestID (pre-1.6) get kubelet's guess from the stream ids.
    const requestId = headerValue(headers, 'requestID') ?? String(type === 'error' ? id : id - 2);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      pair = { requestId, started: false };
      this.pairs.set(requestId, pair);
      const p = pair;
      p.timer = setTimeout(() => {
        this.printError(p, `(conn=${this.pod.name}, request=${requestId}) timed out waiting for streams`);
        this.pairs.delete(requestId);
      }, STREAM_CREATION_TIMEOUT_MS);
      p.timer.unref();
    }
    if (pair[type]) {
      this.printError(pair, `error processing stream for request ${requestId}: ${type} stream already assigned`);
      return;
    }
    pair[type] = stream;
    if (pair.error && pair.data && !pair.started) {
      clearTimeout(pair.timer);
      pair.started = true;
      this.pairs.delete(requestId);
      void this.forward(pair as Pair & { error: Stream; data: Stream });
    }
  }

  private printError(pair: Pair, message: string): void {
    const stream = pair.error;
    if (stream && !stream.localFin && !stream.reset) this.send(() => encodeData(stream.id, Buffer.from(message)));
  }

  private finish(stream: Stream): void {
    if (stream.localFin || stream.reset) return;
    stream.localFin = true;
    this.send(() => encodeData(stream.id, Buffer.alloc(0), true));
    this.forget(stream);
  }

  private forget(stream: Stream): void {
    if (stream.reset || (stream.localFin && stream.remoteFin)) this.streams.delete(stream.id);
  }

  /** One forwarded connection: dial the pod port and copy both ways until the pod or the client ends it. */
  private async forward(pair: Pair & { error: Stream; data: Stream }): Promise<void> {
    const { error, data } = pair;
    // kubelet's portForward defers errorStream.Close after dataStream.Close: the error stream ends first.
    const done = (): void => {
      this.finish(error);
      this.finish(data);
    };
    let socket: Socket;
    try {
      socket = await this.ports.dial(this.pod, data.port);
    } catch (err) {
      this.printError(pair, forwardingErrorMessage(this.pod, data.port, (err as Error).message));
      done();
      return;
    }
    if (this.closed || data.reset) {
      socket.destroy();
      done();
      return;
    }
    socketsOf.set(data, socket);
    for (const chunk of data.early.splice(0)) socket.write(chunk);
    socket.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += DATA_CHUNK) {
        const part = chunk.subarray(at, at + DATA_CHUNK);
        if (!data.localFin && !data.reset) this.send(() => encodeData(data.id, part));
      }
    });
    // The pod closed its side: the client's copy from the data stream ends (it then resets the stream).
    socket.on('end', () => this.finish(data));
    socket.on('error', (err) => this.printError(pair, forwardingErrorMessage(this.pod, data.port, err.message)));
    socket.on('close', done);
    if (data.remoteFin) socket.end();
  }

  private data(id: number, payload: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    // spdystream drops DATA for a stream it does not know (already gone): so do we.
    if (!stream) return;
    const socket = socketsOf.get(stream);
    if (stream.type === 'data' && payload.length) {
      if (!socket) stream.early.push(payload);
      else if (!socket.destroyed) socket.write(payload);
    }
    if (fin) {
      stream.remoteFin = true;
      // The client will send no more (its local connection hit EOF): half-close towards the pod.
      if (socket && stream.type === 'data') socket.end();
      this.forget(stream);
    }
  }

  private resetByClient(id: number): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    stream.reset = true;
    this.streams.delete(id);
    socketsOf.get(stream)?.destroy();
  }

  private fail(code: number, reason: string): void {
    if (this.closed) return;
    this.send(() => encodeGoAway(this.lastStreamId, GOAWAY_STATUS.PROTOCOL_ERROR));
    void this.outbound.then(() => this.ws.close(code, reason.slice(0, 120)));
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) socketsOf.get(s)?.destroy();
    for (const p of this.pairs.values()) clearTimeout(p.timer);
    this.streams.clear();
    this.pairs.clear();
    this.inflater.close();
    this.deflater.close();
  }
}

// The pod connection of a data stream, kept off the Stream record so streams stay plain data.
const socketsOf = new WeakMap<Stream, Socket>();

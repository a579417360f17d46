/**
 * SPDY/3.1 frames as Kubernetes port-forward (and exec/attach over plain SPDY) uses them, via Go's
 * `github.com/moby/spdystream`: the frame layout of the SPDY/3 spec, an incremental reader over a byte
 * stream, and the encoders the two peers need. Header blocks stay compressed here; spdy-headers.ts
 * decompresses them (one zlib context per direction, so blocks must be handed over in order).
 *
 * Layout (all big-endian): a control frame is `1 | version:15 | type:16 | flags:8 | length:24 | payload`;
 * a data frame is `0 | stream-id:31 | flags:8 | length:24 | payload`.
 */

/** The SPDY version Kubernetes speaks (`spdy.Version` in spdystream). */
export const SPDY_VERSION = 3;

/** Control frame type numbers. */
export const CONTROL_TYPE = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS: the sender will send nothing more on the stream. */
export const FLAG_FIN = 0x01;
/** UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (SPDY/3 section 2.6.3). */
export const RST_STATUS = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  INVALID_CREDENTIALS: 10,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. */
export const GOAWAY_STATUS = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** The largest payload a frame's 24-bit length can give. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/**
 * Default bound on one frame (header included) the reader will buffer. Go peers write a DATA frame per
 * `Write` call (io.Copy: 32 KiB), so 1 MiB leaves room while keeping a hostile peer from making us hold
 * 16 MiB per connection.
 */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const FRAME_HEADER_BYTES = 8;

/** One SETTINGS entry. */
export interface SpdySetting {
  readonly flags: number;
  readonly id: number;
  readonly value: number;
}

/** A decoded frame; `headerBlock` is the still-compressed name/value block. */
export type SpdyFrame =
  | { readonly kind: 'data'; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | {
      readonly kind: 'syn_stream'; readonly streamId: number; readonly associatedStreamId: number;
      readonly priority: number; readonly slot: number; readonly flags: number; readonly headerBlock: Buffer;
    }
  | { readonly kind: 'syn_reply'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly kind: 'headers'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly kind: 'rst_stream'; readonly streamId: number; readonly status: number }
  | { readonly kind: 'settings'; readonly flags: number; readonly settings: readonly SpdySetting[] }
  | { readonly kind: 'ping'; readonly id: number }
  | { readonly kind: 'goaway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly kind: 'window_update'; readonly streamId: number; readonly delta: number }
  /** A control frame type SPDY/3 does not define: the spec says to ignore it. */
  | { readonly kind: 'unknown'; readonly type: number; readonly flags: number; readonly payload: Buffer };

/** Why a byte stream is not SPDY/3: `oversize` (a frame beyond the reader's limit) or `malformed`. */
export class SpdyFrameError extends Error {
  constructor(readonly reason: 'oversize' | 'malformed', message: string) {
    super(message);
    this.name = 'SpdyFrameError';
  }
}

const STREAM_ID_MASK = 0x7fffffff;

function malformed(message: string): SpdyFrameError {
  return new SpdyFrameError('malformed', message);
}

function requireLength(name: string, length: number, ok: boolean): void {
  if (!ok) throw malformed(`${name} frame has a payload of ${length} bytes`);
}

function nonZeroStream(name: string, id: number): number {
  if (id === 0) throw malformed(`${name} frame on stream 0`);
  return id;
}

function decodeControl(type: number, flags: number, p: Buffer): SpdyFrame {
  const len = p.length;
  switch (type) {
    case CONTROL_TYPE.SYN_STREAM:
      requireLength('SYN_STREAM', len, len >= 10);
      return {
        kind: 'syn_stream',
        streamId: nonZeroStream('SYN_STREAM', p.readUInt32BE(0) & STREAM_ID_MASK),
        associatedStreamId: p.readUInt32BE(4) & STREAM_ID_MASK,
        priority: p[8]! >> 5,
        slot: p[9]!,
        flags,
        headerBlock: p.subarray(10),
      };
    case CONTROL_TYPE.SYN_REPLY:
    case CONTROL_TYPE.HEADERS: {
      const kind = type === CONTROL_TYPE.SYN_REPLY ? 'syn_reply' : 'headers';
      requireLength(kind.toUpperCase(), len, len >= 4);
      return { kind, streamId: nonZeroStream(kind.toUpperCase(), p.readUInt32BE(0) & STREAM_ID_MASK), flags, headerBlock: p.subarray(4) };
    }
    case CONTROL_TYPE.RST_STREAM: {
      requireLength('RST_STREAM', len, len === 8);
      const status = p.readUInt32BE(4);
      if (status === 0) throw malformed('RST_STREAM frame with status 0');
      return { kind: 'rst_stream', streamId: nonZeroStream('RST_STREAM', p.readUInt32BE(0) & STREAM_ID_MASK), status };
    }
    case CONTROL_TYPE.SETTINGS: {
      requireLength('SETTINGS', len, len >= 4);
      const count = p.readUInt32BE(0);
      requireLength('SETTINGS', len, len === 4 + count * 8);
      const settings: SpdySetting[] = [];
      for (let i = 0; i < count; i++) {
        const word = p.readUInt32BE(4 + i * 8);
        settings.push({ flags: word >>> 24, id: word & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { kind: 'settings', flags, settings };
    }
    case CONTROL_TYPE.PING:
      requireLength('PING', len, len === 4);
      return { kind: 'ping', id: p.readUInt32BE(0) };
    case CONTROL_TYPE.GOAWAY:
      requireLength('GOAWAY', len, len === 8);
      return { kind: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case CONTROL_TYPE.WINDOW_UPDATE:
      requireLength('WINDOW_UPDATE', len, len === 8);
      return { kind: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { kind: 'unknown', type, flags, payload: p };
  }
}

/**
 * Turns a SPDY/3 byte stream, pushed in chunks of any size (WebSocket message boundaries are not frame
 * boundaries), into whole frames. Holds at most one partial frame, and refuses (before buffering it) a
 * frame whose declared size exceeds `maxFrameBytes`. After an error the stream has lost its framing:
 * every later push throws the same error.
 */
export class SpdyFrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private failure: SpdyFrameError | undefined;
  private readonly maxFrameBytes: number;

  constructor(options: { readonly maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held of a frame not yet complete. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Adds bytes; returns the frames they completed, in order. */
  push(chunk: Buffer | Uint8Array): SpdyFrame[] {
    if (this.failure) throw this.failure;
    try {
      return this.drain(chunk);
    } catch (err) {
      this.failure = err instanceof SpdyFrameError ? err : malformed(String(err));
      this.pending = Buffer.alloc(0);
      throw this.failure;
    }
  }

  private drain(chunk: Buffer | Uint8Array): SpdyFrame[] {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: SpdyFrame[] = [];
    while (buf.length >= FRAME_HEADER_BYTES) {
      const length = buf.readUInt32BE(4) & 0xffffff;
      const total = FRAME_HEADER_BYTES + length;
      if (total > this.maxFrameBytes) throw new SpdyFrameError('oversize', `SPDY frame of ${total} bytes exceeds the limit of ${this.maxFrameBytes}`);
      if (buf.length < total) break;
      frames.push(this.decode(buf.subarray(0, total)));
      buf = buf.subarray(total);
    }
    // Copy the remainder so a small tail does not pin a large chunk in memory.
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    return frames;
  }

  private decode(frame: Buffer): SpdyFrame {
    const first = frame.readUInt32BE(0);
    const flags = frame[4]!;
    // Payloads are copied: the caller may keep a frame after the chunk it came in is reused.
    const payload = Buffer.from(frame.subarray(FRAME_HEADER_BYTES));
    if ((first & 0x80000000) === 0) {
      return { kind: 'data', streamId: nonZeroStream('DATA', first & STREAM_ID_MASK), flags, data: payload };
    }
    const version = (first >>> 16) & 0x7fff;
    if (version !== SPDY_VERSION) throw malformed(`control frame of SPDY version ${version}, not ${SPDY_VERSION}`);
    return decodeControl(first & 0xffff, flags, payload);
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY payload of ${payload.length} bytes does not fit a frame`);
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function streamId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > STREAM_ID_MASK) throw new RangeError(`invalid SPDY stream id ${id}`);
  return id;
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** A SYN_STREAM frame opening `streamId` with an already compressed header block. */
export function encodeSynStream(f: {
  readonly streamId: number; readonly headerBlock: Buffer; readonly associatedStreamId?: number;
  readonly priority?: number; readonly slot?: number; readonly flags?: number;
}): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId(f.streamId), 0);
  fixed.writeUInt32BE((f.associatedStreamId ?? 0) & STREAM_ID_MASK, 4);
  fixed[8] = ((f.priority ?? 0) & 0x7) << 5;
  fixed[9] = f.slot ?? 0;
  return controlFrame(CONTROL_TYPE.SYN_STREAM, f.flags ?? 0, Buffer.concat([fixed, f.headerBlock]));
}

/** A SYN_REPLY frame accepting `streamId` (spdystream replies with an empty header set). */
export function encodeSynReply(f: { readonly streamId: number; readonly headerBlock: Buffer; readonly fin?: boolean }): Buffer {
  return controlFrame(CONTROL_TYPE.SYN_REPLY, f.fin ? FLAG_FIN : 0, Buffer.concat([words(streamId(f.streamId)), f.headerBlock]));
}

/** A HEADERS frame on `streamId`. */
export function encodeHeaders(f: { readonly streamId: number; readonly headerBlock: Buffer; readonly fin?: boolean }): Buffer {
  return controlFrame(CONTROL_TYPE.HEADERS, f.fin ? FLAG_FIN : 0, Buffer.concat([words(streamId(f.streamId)), f.headerBlock]));
}

/** A RST_STREAM frame: the stream is abandoned (spdystream's `Stream.Reset` sends CANCEL). */
export function encodeRstStream(id: number, status: number = RST_STATUS.CANCEL): Buffer {
  if (status < 1) throw new RangeError('RST_STREAM status must be > 0');
  return controlFrame(CONTROL_TYPE.RST_STREAM, 0, words(streamId(id), status));
}

/** A DATA frame; `fin` half-closes the stream (an empty DATA with FIN is how spdystream closes). */
export function encodeData(id: number, data: Buffer | Uint8Array, fin = false): Buffer {
  if (data.byteLength > MAX_FRAME_PAYLOAD) throw new RangeError(`DATA of ${data.byteLength} bytes does not fit a frame`);
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE(streamId(id));
  head.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24 | data.byteLength) >>> 0, 4);
  return Buffer.concat([head, data]);
}

/** A PING frame (client ids odd, server ids even; the receiver of a peer's ping echoes it unchanged). */
export function encodePing(id: number): Buffer {
  return controlFrame(CONTROL_TYPE.PING, 0, words(id));
}

/** A GOAWAY frame: no new streams after `lastGoodStreamId`. */
export function encodeGoAway(lastGoodStreamId: number, status: number = GOAWAY_STATUS.OK): Buffer {
  return controlFrame(CONTROL_TYPE.GOAWAY, 0, words(lastGoodStreamId & STREAM_ID_MASK, status));
}

/** A SETTINGS frame. */
export function encodeSettings(settings: readonly SpdySetting[], flags = 0): Buffer {
  const body = Buffer.alloc(4 + settings.length * 8);
  body.writeUInt32BE(settings.length, 0);
  settings.forEach((s, i) => {
    body.writeUInt32BE((((s.flags & 0xff) << 24) | (s.id & 0xffffff)) >>> 0, 4 + i * 8);
    body.writeUInt32BE(s.value >>> 0, 8 + i * 8);
  });
  return controlFrame(CONTROL_TYPE.SETTINGS, flags, body);
}

import {
  DEFAULT_MAX_FRAME_BYTES, encodeData, encodeGoAway, encodeHeaders, encodePing, encodeRstStream, encodeSettings,
  encodeSynReply, encodeSynStream, FLAG_FIN, GOAWAY_STATUS, RST_STATUS, SpdyFrameError, SpdyFrameReader, type SpdyFrame,
} from '../../../../lambdas/core/spdy/spdy-frames';

const block = Buffer.from('78bbdfa2', 'hex'); // any bytes: the reader does not inflate header blocks

// One of each frame the two port-forward peers send, with what the reader must make of it.
const FRAMES: ReadonlyArray<readonly [string, Buffer, SpdyFrame]> = [
  ['SYN_STREAM', encodeSynStream({ streamId: 1, headerBlock: block, priority: 2 }),
    { kind: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 2, slot: 0, flags: 0, headerBlock: block }],
  ['SYN_REPLY', encodeSynReply({ streamId: 1, headerBlock: block }), { kind: 'syn_reply', streamId: 1, flags: 0, headerBlock: block }],
  ['SYN_REPLY with FIN', encodeSynReply({ streamId: 3, headerBlock: block, fin: true }), { kind: 'syn_reply', streamId: 3, flags: FLAG_FIN, headerBlock: block }],
  ['HEADERS', encodeHeaders({ streamId: 5, headerBlock: block }), { kind: 'headers', streamId: 5, flags: 0, headerBlock: block }],
  ['DATA', encodeData(3, Buffer.from('GET / HTTP/1.1\r\n\r\n')), { kind: 'data', streamId: 3, flags: 0, data: Buffer.from('GET / HTTP/1.1\r\n\r\n') }],
  ['DATA FIN, empty', encodeData(1, Buffer.alloc(0), true), { kind: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) }],
  ['RST_STREAM', encodeRstStream(3), { kind: 'rst_stream', streamId: 3, status: RST_STATUS.CANCEL }],
  ['PING', encodePing(0xfffffffe), { kind: 'ping', id: 0xfffffffe }],
  ['GOAWAY', encodeGoAway(7, GOAWAY_STATUS.PROTOCOL_ERROR), { kind: 'goaway', lastGoodStreamId: 7, status: 1 }],
  ['SETTINGS', encodeSettings([{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }]),
    { kind: 'settings', flags: 0, settings: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] }],
];

describe('SpdyFrameReader', () => {
  it.each(FRAMES)('decodes %s whole', (_name, bytes, expected) => {
    expect(new SpdyFrameReader().push(bytes)).toEqual([expected]);
  });

  it.each(FRAMES)('decodes %s split at every byte boundary', (_name, bytes, expected) => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new SpdyFrameReader();
      expect(reader.push(bytes.subarray(0, cut))).toEqual([]);
      expect(reader.buffered).toBe(cut);
      expect(reader.push(bytes.subarray(cut))).toEqual([expected]);
      expect(reader.buffered).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const all = Buffer.concat(FRAMES.map(([, b]) => b));
    const reader = new SpdyFrameReader();
    const out: SpdyFrame[] = [];
    for (const byte of all) out.push(...reader.push(Buffer.of(byte)));
    expect(out).toEqual(FRAMES.map(([, , f]) => f));
  });

  it('returns several frames from one chunk, keeping a partial tail', () => {
    const all = Buffer.concat(FRAMES.map(([, b]) => b));
    const reader = new SpdyFrameReader();
    const first = reader.push(all.subarray(0, all.length - 3));
    expect(first).toEqual(FRAMES.slice(0, -1).map(([, , f]) => f));
    expect(reader.push(all.subarray(all.length - 3))).toEqual([FRAMES[FRAMES.length - 1]![2]]);
  });

  it('accepts Uint8Array views at an offset', () => {
    const bytes = encodePing(9);
    const backing = new Uint8Array(bytes.length + 5);
    backing.set(bytes, 5);
    expect(new SpdyFrameReader().push(backing.subarray(5))).toEqual([{ kind: 'ping', id: 9 }]);
  });

  it.each([
    ['DATA over the limit', encodeData(1, Buffer.alloc(200)), 100],
    ['SYN_STREAM over the limit', encodeSynStream({ streamId: 1, headerBlock: Buffer.alloc(100) }), 64],
  ])('refuses %s from its 8-byte header, before the payload arrives', (_name, bytes, limit) => {
    const reader = new SpdyFrameReader({ maxFrameBytes: limit });
    let err: unknown;
    try {
      reader.push(bytes.subarray(0, 8));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpdyFrameError);
    expect((err as SpdyFrameError).reason).toBe('oversize');
    expect(reader.buffered).toBe(0);
    // Framing is lost: the rest of the stream cannot be read either.
    expect(() => reader.push(encodePing(1))).toThrow(SpdyFrameError);
  });

  it('holds at most the limit: a frame of exactly the limit is read', () => {
    const bytes = encodeData(1, Buffer.alloc(92));
    expect(new SpdyFrameReader({ maxFrameBytes: 100 }).push(bytes)).toHaveLength(1);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(1024 * 1024);
  });

  const control = (version: number, type: number, payload: Buffer, flags = 0): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8000 | version, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
    return Buffer.concat([head, payload]);
  };
  const u32s = (...v: number[]): Buffer => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); b.writeUInt32BE(x); return b; }));

  it.each([
    ['a control frame of SPDY/2', control(2, 6, u32s(1)), /version 2/],
    ['SYN_STREAM shorter than its fixed part', control(3, 1, Buffer.alloc(6)), /SYN_STREAM frame has a payload of 6/],
    ['SYN_STREAM on stream 0', control(3, 1, Buffer.alloc(12)), /SYN_STREAM frame on stream 0/],
    ['SYN_REPLY without a stream id', control(3, 2, Buffer.alloc(2)), /SYN_REPLY frame has a payload of 2/],
    ['RST_STREAM of 4 bytes', control(3, 3, u32s(1)), /RST_STREAM frame has a payload of 4/],
    ['RST_STREAM with status 0', control(3, 3, u32s(1, 0)), /status 0/],
    ['PING of 8 bytes', control(3, 6, u32s(1, 2)), /PING frame has a payload of 8/],
    ['GOAWAY of 4 bytes (SPDY/2 layout)', control(3, 7, u32s(1)), /GOAWAY frame has a payload of 4/],
    ['SETTINGS whose count disagrees with its length', control(3, 4, u32s(2, 1, 1)), /SETTINGS frame has a payload of 12/],
    ['DATA on stream 0', Buffer.concat([u32s(0, 1), Buffer.of(0)]), /DATA frame on stream 0/],
  ])('rejects %s as malformed', (_name, bytes, message) => {
    const reader = new SpdyFrameReader();
    expect(() => reader.push(bytes)).toThrow(message);
    try {
      reader.push(Buffer.alloc(0));
    } catch (e) {
      expect((e as SpdyFrameError).reason).toBe('malformed');
    }
  });

  it('passes an unknown control type through for the caller to ignore, as the spec says', () => {
    expect(new SpdyFrameReader().push(control(3, 0x0a, Buffer.from('x'), 3))).toEqual([{ kind: 'unknown', type: 10, flags: 3, payload: Buffer.from('x') }]);
  });
});

describe('frame encoders', () => {
  it.each([
    ['SYN_STREAM', encodeSynStream({ streamId: 1, headerBlock: Buffer.from('ab') }), '80030001 0000000c 00000001 00000000 0000 6162'],
    ['SYN_REPLY', encodeSynReply({ streamId: 1, headerBlock: Buffer.from('ab') }), '80030002 00000006 00000001 6162'],
    ['RST_STREAM', encodeRstStream(5, RST_STATUS.PROTOCOL_ERROR), '80030003 00000008 00000005 00000001'],
    ['DATA FIN', encodeData(3, Buffer.from('hi'), true), '00000003 01000002 6869'],
    ['PING', encodePing(2), '80030006 00000004 00000002'],
    ['GOAWAY', encodeGoAway(3), '80030007 00000008 00000003 00000000'],
    ['SETTINGS', encodeSettings([{ flags: 1, id: 4, value: 10 }]), '80030004 0000000c 00000001 01000004 0000000a'],
  ])('lays out %s as SPDY/3 says', (_name, bytes, hex) => {
    expect(bytes.toString('hex')).toBe(hex.replace(/ /g, ''));
  });

  it.each([
    ['stream id 0', () => encodeData(0, Buffer.alloc(0))],
    ['stream id beyond 31 bits', () => encodeRstStream(2 ** 31)],
    ['RST status 0', () => encodeRstStream(1, 0)],
    ['DATA beyond 24 bits', () => encodeData(1, Buffer.alloc(0x1000000))],
  ])('refuses to encode %s', (_name, encode) => {
    expect(encode).toThrow(RangeError);
  });
});

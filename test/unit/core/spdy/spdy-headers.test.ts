import { createHash } from 'node:crypto';
import { constants, deflateSync } from 'node:zlib';
import {
  decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor, headerValue, SPDY3_DICTIONARY, SpdyHeaderError, type SpdyHeaders,
} from '../../../../lambdas/core/spdy/spdy-headers';

// What client-go's portforward.go sends for connection 0 and 1, lower-cased as Go's framer writes names.
const ERROR_0: SpdyHeaders = { streamtype: ['error'], port: ['8080'], requestid: ['0'] };
const DATA_0: SpdyHeaders = { streamtype: ['data'], port: ['8080'], requestid: ['0'] };
const DATA_1: SpdyHeaders = { streamtype: ['data'], port: ['8080'], requestid: ['1'] };

describe('SPDY3_DICTIONARY', () => {
  it('is the spec\'s 1423 bytes (SHA-256 of spdystream\'s spdy/dictionary.go)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
  });
});

describe('header block layout', () => {
  it.each<[string, SpdyHeaders, string]>([
    ['no headers (spdystream\'s SYN_REPLY)', {}, '00000000'],
    ['one pair', { port: ['80'] }, '00000001 00000004 706f7274 00000002 3830'],
    ['several values, NUL-joined', { a: ['x', 'y'] }, '00000001 00000001 61 00000003 780079'],
  ])('encodes %s', (_name, headers, hex) => {
    const raw = encodeHeaderBlock(headers);
    expect(raw.toString('hex')).toBe(hex.replace(/ /g, ''));
    expect(decodeHeaderBlock(raw)).toEqual(headers);
  });

  it('lower-cases names on the way out, as Go\'s framer does (http.Header keys are canonical)', () => {
    expect(decodeHeaderBlock(encodeHeaderBlock({ StreamType: ['data'] }))).toEqual({ streamtype: ['data'] });
    expect(headerValue({ requestid: ['4'] }, 'requestID')).toBe('4');
  });

  const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
  it.each([
    ['truncated count', hex('0000'), /truncated/],
    ['a count the bytes cannot hold', hex('7fffffff'), /claims 2147483647 pairs/],
    ['a truncated value', hex('00000001 00000001 61 00000005 78'), /truncated/],
    ['an empty name', hex('00000001 00000000 00000000'), /empty header name/],
    ['an upper-case name', hex('00000001 00000001 41 00000000'), /not lower case/],
    ['a name given twice', hex('00000002 00000001 61 00000000 00000001 61 00000000'), /appears twice/],
    ['bytes after the last pair', hex('00000000 00'), /1 bytes after/],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => decodeHeaderBlock(raw)).toThrow(SpdyHeaderError);
    expect(() => decodeHeaderBlock(raw)).toThrow(message);
  });
});

describe('compression contexts', () => {
  it('round-trips blocks through one context per direction, in order', async () => {
    const out = new HeaderCompressor();
    const inn = new HeaderDecompressor();
    const blocks = await Promise.all([ERROR_0, DATA_0, DATA_1, {}].map((h) => out.compress(h)));
    // The shared context makes later blocks cheaper: DATA_0 is mostly a back-reference to ERROR_0.
    expect(blocks[1]!.length).toBeLessThan(blocks[0]!.length);
    // The stream starts with a zlib header naming the dictionary (FDICT) by its Adler-32.
    expect(blocks[0]![1]! & 0x20).toBe(0x20);
    const decoded = await Promise.all(blocks.map((b) => inn.decompress(b)));
    expect(decoded).toEqual([ERROR_0, DATA_0, DATA_1, {}]);
    out.close();
    inn.close();
  });

  it('cannot decode a later block with a fresh context: the contexts must live as long as the connection', async () => {
    const out = new HeaderCompressor();
    await out.compress(ERROR_0);
    const second = await out.compress(DATA_0);
    const fresh = new HeaderDecompressor();
    await expect(fresh.decompress(second)).rejects.toThrow(SpdyHeaderError);
    out.close();
    fresh.close();
  });

  it('reads blocks a Go-style writer made (zlib with dictionary, sync flush per block)', async () => {
    // deflateSync with Z_SYNC_FLUSH as the finishing flush ends the block without closing the stream.
    const one = deflateSync(encodeHeaderBlock(DATA_0), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const inn = new HeaderDecompressor();
    expect(await inn.decompress(one)).toEqual(DATA_0);
    inn.close();
  });

  it.each([
    ['a header bomb (1 MiB of one value) beyond the 64 KiB bound', { x: ['a'.repeat(1024 * 1024)] }, undefined, /exceeds 65536 bytes/],
    ['a block just over a custom bound', { x: ['a'.repeat(100)] }, 100, /exceeds 100 bytes/],
  ])('refuses %s, and every block after it', async (_name, headers, maxHeaderBytes, message) => {
    const out = new HeaderCompressor();
    const bomb = await out.compress(headers);
    expect(bomb.length).toBeLessThan(4096);
    const inn = new HeaderDecompressor({ maxHeaderBytes });
    await expect(inn.decompress(bomb)).rejects.toThrow(message);
    await expect(inn.decompress(await out.compress(DATA_0))).rejects.toThrow(message);
    out.close();
    inn.close();
  });

  it.each([
    ['an empty block', Buffer.alloc(0), /empty/],
    ['bytes that are not zlib', Buffer.from('not zlib at all'), /decompressed header block: /],
    ['zlib without the SPDY dictionary whose block does not parse', deflateSync(Buffer.from('xx'), { finishFlush: constants.Z_SYNC_FLUSH }), /truncated/],
  ])('rejects %s', async (_name, block, message) => {
    const inn = new HeaderDecompressor();
    await expect(inn.decompress(block)).rejects.toThrow(message);
    inn.close();
  });
});

import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

/**
 * SPDY/3 header blocks: the name/value block layout and its zlib compression with the SPDY/3 dictionary.
 *
 * A SPDY connection has one zlib context per direction that lives as long as the connection: every
 * SYN_STREAM, SYN_REPLY and HEADERS block a peer sends continues the same deflate stream, each ended by a
 * sync flush (Go's `spdy.Framer` keeps one `zlib.Writer` and calls `Flush`). So a reader must inflate every
 * block of a direction, in order, with one inflater, even blocks it does not care about, or the next one is
 * garbage. Node's streaming zlib is asynchronous; {@link HeaderCompressor} and {@link HeaderDecompressor}
 * queue their calls so blocks are processed strictly in the order they were handed in.
 */

/** Header names (lower case, as SPDY/3 requires) to their values (a NUL-joined value on the wire). */
export type SpdyHeaders = Readonly<Record<string, readonly string[]>>;

/** A header block that cannot be decoded: a protocol error for the whole connection. */
export class SpdyHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyHeaderError';
  }
}

// The SPDY/3 spec's dictionary (section 2.6.10.1): 65 length-prefixed words, then a run of status codes,
// reason phrases, dates and common values. Built from its parts rather than kept as 1423 opaque bytes; the
// unit test pins its length and SHA-256 to the spec's (and Go's) bytes.
const DICTIONARY_WORDS = (
  'options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges ' +
  'age allow authorization cache-control connection content-base content-encoding content-language ' +
  'content-length content-location content-md5 content-range content-type date etag expect expires from ' +
  'host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location ' +
  'max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer ' +
  'transfer-encoding upgrade user-agent vary via warning www-authenticate method get status 200_OK version ' +
  'HTTP/1.1 url public set-cookie keep-alive origin'
).split(' ').map((w) => w.replace('_', ' ')); // `200_OK` stands for the word `200 OK`

const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const word of DICTIONARY_WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(word.length);
    parts.push(len, Buffer.from(word, 'latin1'));
  }
  parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
  return Buffer.concat(parts);
}

/** The SPDY/3 zlib dictionary (1423 bytes). */
export const SPDY3_DICTIONARY: Buffer = buildDictionary();

/** Default bound on one decompressed header block: far above what port-forward sends (under 100 bytes). */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

/**
 * Encodes an uncompressed SPDY/3 name/value block: a 32-bit pair count, then per pair a 32-bit name
 * length, the name (lower-cased, as Go's framer writes it), a 32-bit value length and the values joined
 * by NUL.
 */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const names = Object.keys(headers);
  const parts: Buffer[] = [u32(names.length)];
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from((headers[name] ?? []).join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Decodes an uncompressed name/value block. Strict where Go's framer reports an error: a truncated block,
 * bytes after the last pair, an empty or upper-case name, a name given twice.
 */
export function decodeHeaderBlock(raw: Buffer): SpdyHeaders {
  let at = 0;
  const need = (n: number): void => {
    if (raw.length - at < n) throw new SpdyHeaderError('header block is truncated');
  };
  const readU32 = (): number => {
    need(4);
    const v = raw.readUInt32BE(at);
    at += 4;
    return v;
  };
  const readBytes = (n: number): Buffer => {
    need(n);
    const b = raw.subarray(at, at + n);
    at += n;
    return b;
  };
  const count = readU32();
  // Each pair takes at least 8 bytes: a count beyond that is a lie, not a reason to loop 4 billion times.
  if (count > (raw.length - at) / 8) throw new SpdyHeaderError(`header block claims ${count} pairs in ${raw.length} bytes`);
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < count; i++) {
    const name = readBytes(readU32()).toString('utf8');
    if (!name) throw new SpdyHeaderError('header block has an empty header name');
    if (name !== name.toLowerCase()) throw new SpdyHeaderError(`header name ${JSON.stringify(name)} is not lower case`);
    if (out[name]) throw new SpdyHeaderError(`header ${JSON.stringify(name)} appears twice`);
    out[name] = readBytes(readU32()).toString('utf8').split('\0');
  }
  if (at !== raw.length) throw new SpdyHeaderError(`header block has ${raw.length - at} bytes after its last pair`);
  return out;
}

/** The first value of a header, or undefined (Go's `http.Header.Get` on a lower-cased name). */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

/** Runs one zlib step (write, then sync flush) and collects what it produced, bounded by `limit`. */
function zlibStep(z: Deflate | Inflate, input: Buffer, limit: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      z.off('data', onData);
      z.off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // A zip bomb: stop inflating now; the context is unusable from here on.
        z.destroy();
        done(new SpdyHeaderError(`${what} exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onError = (err: Error): void => done(new SpdyHeaderError(`${what}: ${err.message}`));
    z.on('data', onData);
    z.on('error', onError);
    z.write(input);
    // The flush callback runs after the output of everything written so far was pushed (flowing mode).
    z.flush(zlibConstants.Z_SYNC_FLUSH, () => done());
  });
}

/** Chains async steps so they run one at a time in call order; a failed step fails all later ones. */
class StepQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(() => {
      if (this.failure) throw this.failure;
      return step();
    });
    this.tail = next.catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
    return next;
  }
}

/**
 * The sending side of one direction's header compression: one deflate context with the SPDY/3
 * dictionary for the life of the connection, each block ended by a sync flush.
 */
export class HeaderCompressor {
  private readonly deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlibConstants.Z_BEST_COMPRESSION });
  private readonly queue = new StepQueue();

  /** The compressed bytes of one header block, to put in a SYN_STREAM, SYN_REPLY or HEADERS frame. */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.queue.run(() => zlibStep(this.deflate, encodeHeaderBlock(headers), Number.MAX_SAFE_INTEGER, 'header compression'));
  }

  /** Frees the zlib context. */
  close(): void {
    this.deflate.destroy();
  }
}

/**
 * The receiving side of one direction's header compression: one inflate context for the life of the
 * connection. A block that inflates beyond `maxHeaderBytes`, does not inflate, or does not parse is a
 * {@link SpdyHeaderError}, and every later call fails too (the shared context is lost).
 */
export class HeaderDecompressor {
  private readonly inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly queue = new StepQueue();
  private readonly maxHeaderBytes: number;

  constructor(options: { readonly maxHeaderBytes?: number } = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Inflates and parses one compressed header block, in order after the previous calls. */
  decompress(block: Buffer): Promise<SpdyHeaders> {
    return this.queue.run(async () => {
      if (block.length === 0) throw new SpdyHeaderError('header block is empty');
      const raw = await zlibStep(this.inflate, block, this.maxHeaderBytes, 'decompressed header block');
      return decodeHeaderBlock(raw);
    });
  }

  /** Frees the zlib context. */
  close(): void {
    this.inflate.destroy();
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortForwardEvent } from '../../../../lambdas/core/session-recording';
import { PortForwardObserver } from '../../../../lambdas/core/spdy/port-forward-observer';
import {
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSettings, encodeSynReply, encodeSynStream, RST_STATUS, SpdyFrameReader,
} from '../../../../lambdas/core/spdy/spdy-frames';
import { HeaderCompressor, type SpdyHeaders } from '../../../../lambdas/core/spdy/spdy-headers';

type Dir = 'client' | 'server';
/** One step of a scripted exchange: who sends, and a frame (header blocks compressed in order per side). */
type Step = readonly [Dir, (z: HeaderCompressor) => Promise<Buffer> | Buffer];

const pf = (type: string, port: number, id: string): SpdyHeaders => ({ streamtype: [type], port: [String(port)], requestid: [id] });
const syn = (id: number, h: SpdyHeaders): Step[1] => async (z) => encodeSynStream({ streamId: id, headerBlock: await z.compress(h) });
const reply = (id: number): Step[1] => async (z) => encodeSynReply({ streamId: id, headerBlock: await z.compress({}) });
const data = (id: number, text: string, fin = false): Step[1] => () => encodeData(id, Buffer.from(text), fin);

/** What client-go's handleConnection and kubelet's handler exchange for one connection that succeeds. */
function connection(requestId: string, errorId: number, port: number, request: string, response: string): Step[] {
  const dataId = errorId + 2;
  return [
    ['client', syn(errorId, pf('error', port, requestId))],
    ['server', reply(errorId)],
    ['client', data(errorId, '', true)], // errorStream.Close(): "we're not writing to this stream"
    ['client', syn(dataId, pf('data', port, requestId))],
    ['server', reply(dataId)],
    ['client', data(dataId, request)],
    ['server', data(dataId, response)],
    ['client', data(dataId, '', true)], // the local connection hit EOF
    ['server', data(dataId, '', true)], // the pod closed its side
    ['client', () => encodeRstStream(dataId, RST_STATUS.CANCEL)], // dataStream.Reset() after the copy
    ['server', data(errorId, '', true)], // kubelet's deferred errorStream.Close()
  ];
}

async function bytesOf(steps: readonly Step[]): Promise<Array<[Dir, Buffer]>> {
  const z = { client: new HeaderCompressor(), server: new HeaderCompressor() };
  const out: Array<[Dir, Buffer]> = [];
  for (const [dir, make] of steps) out.push([dir, await make(z[dir])]);
  z.client.close();
  z.server.close();
  return out;
}

async function observe(chunks: ReadonlyArray<readonly [Dir, Buffer]>, split?: number): Promise<PortForwardEvent[]> {
  const events: PortForwardEvent[] = [];
  let t = 1000;
  const o = new PortForwardObserver({ onEvent: (e) => events.push(e), now: () => (t += 5) });
  for (const [dir, bytes] of chunks) {
    const feed = (b: Buffer): Promise<void> => (dir === 'client' ? o.fromClient(b) : o.fromServer(b));
    if (!split) await feed(bytes);
    else for (let at = 0; at < bytes.length; at += split) await feed(bytes.subarray(at, at + split));
  }
  await o.end();
  return events;
}

const summary = (events: readonly PortForwardEvent[]): unknown[] => events.map((e) => [e.event, e.connectionId, e.port, e.bytesToPod, e.bytesFromPod]);

describe('PortForwardObserver', () => {
  const req = 'GET /anything HTTP/1.1\r\nHost: x\r\n\r\n';
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

  it.each([
    ['whole frames', undefined],
    ['chunks of 1 byte', 1],
    ['chunks of 7 bytes', 7],
  ])('reports open and close with bytes per direction, fed in %s', async (_name, split) => {
    const events = await observe(await bytesOf(connection('0', 1, 8080, req, res)), split);
    expect(summary(events)).toEqual([['open', '0', 8080, 0, 0], ['close', '0', 8080, req.length, res.length]]);
    expect(events[0]).toMatchObject({ channel: 'portforward', encoding: 'utf8', data: '', atMs: 5 });
    expect(events[1]!.atMs).toBeGreaterThan(events[0]!.atMs);
  });

  it('keeps two connections apart by requestID, including when they interleave', async () => {
    const a = connection('0', 1, 8080, 'aaaa', 'AAAAAA');
    const b = connection('1', 5, 9090, 'bb', 'B');
    const interleaved = a.flatMap((step, i) => [step, b[i]!]);
    expect(summary(await observe(await bytesOf(interleaved)))).toEqual([
      ['open', '0', 8080, 0, 0], ['open', '1', 9090, 0, 0], ['close', '0', 8080, 4, 6], ['close', '1', 9090, 2, 1],
    ]);
  });

  it('handles several frames in one chunk, and ignores pings, settings and go-away', async () => {
    const steps: Step[] = [
      ['client', () => encodeSettings([{ flags: 0, id: 7, value: 1 << 16 }])],
      ['client', () => encodePing(1)],
      ['server', () => encodePing(1)],
      ...connection('7', 1, 80, 'x', 'yy'),
      ['client', () => encodeGoAway(3)],
    ];
    const bytes = await bytesOf(steps);
    // Coalesce runs of the same direction, as a TCP read or a WebSocket message may.
    const merged: Array<[Dir, Buffer]> = [];
    for (const [dir, b] of bytes) {
      const last = merged[merged.length - 1];
      if (last && last[0] === dir) last[1] = Buffer.concat([last[1], b]);
      else merged.push([dir, b]);
    }
    expect(summary(await observe(merged))).toEqual([['open', '7', 80, 0, 0], ['close', '7', 80, 1, 2]]);
  });

  it('closes, at end(), a connection the tunnel dropped mid-way', async () => {
    const steps = connection('0', 1, 8080, 'abc', 'de').slice(0, 7);
    expect(summary(await observe(await bytesOf(steps)))).toEqual([['open', '0', 8080, 0, 0], ['close', '0', 8080, 3, 2]]);
  });

  it('counts a connection the pod refused (kubelet\'s error on the error stream, no data) as opened and closed', async () => {
    const steps: Step[] = [
      ['client', syn(1, pf('error', 9999, '0'))], ['server', reply(1)], ['client', data(1, '', true)],
      ['client', syn(3, pf('data', 9999, '0'))], ['server', reply(3)],
      ['server', data(1, 'error forwarding port 9999 to pod abc, uid : connection refused')],
      ['server', data(1, '', true)], ['server', data(3, '', true)], ['client', () => encodeRstStream(3)],
    ];
    expect(summary(await observe(await bytesOf(steps)))).toEqual([['open', '0', 9999, 0, 0], ['close', '0', 9999, 0, 0]]);
  });

  it.each<[string, (o: PortForwardObserver) => Promise<void>, RegExp]>([
    ['an oversize frame', (o) => o.fromClient(encodeData(1, Buffer.alloc(100))), /exceeds the limit of 64/],
    ['a malformed frame', (o) => o.fromServer(Buffer.from('80030006000000080000000100000002', 'hex')), /PING frame has a payload of 8/],
    ['a header block that is not zlib', (o) => o.fromClient(encodeSynStream({ streamId: 1, headerBlock: Buffer.from('nope') })), /decompressed header block/],
  ])('fails on %s, and stays failed', async (_name, feed, message) => {
    const o = new PortForwardObserver({ onEvent: () => undefined, maxFrameBytes: 64 });
    await expect(feed(o)).rejects.toThrow(message);
    expect(o.error?.message).toMatch(message);
    await expect(o.fromClient(encodePing(1))).rejects.toThrow(message);
    await o.end();
  });

  it('refuses bytes after end()', async () => {
    const o = new PortForwardObserver({ onEvent: () => undefined });
    await o.end();
    await expect(o.fromClient(encodePing(1))).rejects.toThrow(/already ended/);
  });

  // Recorded from kubectl 1.35 through the simulator (test/unit/kube-api-simulator/port-forward.test.ts's
  // setup): the binary WebSocket messages of both directions, two HTTP requests in turn, a ping, kubectl's GOAWAY.
  const recordedPath = join(__dirname, 'fixtures', 'kubectl-1.35-port-forward.json');
  it('reads a recorded kubectl 1.35 exchange: two connections to 8080 with their byte counts', async () => {
    const recorded = JSON.parse(readFileSync(recordedPath, 'utf8')) as { messages: Array<[Dir, string]>; expected: unknown[] };
    const chunks = recorded.messages.map(([dir, b64]) => [dir, Buffer.from(b64, 'base64')] as const);
    const readers = { client: new SpdyFrameReader(), server: new SpdyFrameReader() };
    const kinds = chunks.flatMap(([dir, b]) => readers[dir].push(b).map((fr) => `${dir} ${fr.kind}`));
    expect(kinds).toEqual(expect.arrayContaining(['client ping', 'server ping', 'client goaway', 'client rst_stream']));
    expect(summary(await observe(chunks))).toEqual(recorded.expected);
    // The same bytes cut at every 3rd byte regardless of message boundaries give the same events.
    expect(summary(await observe(chunks, 3))).toEqual(recorded.expected);
  });
});

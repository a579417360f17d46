import type { PortForwardEvent } from '../../../lambdas/core/session-recording';
import { encodeData, encodeSynStream } from '../../../lambdas/core/spdy/spdy-frames';
import { HeaderCompressor } from '../../../lambdas/core/spdy/spdy-headers';
import { portForwardTunnel, type PortDecision } from '../../../lambdas/session-front/port-forward-tunnel';

/** kubectl's side of a tunnel: SYN_STREAMs for a connection's error and data streams, then data. */
async function kubectlFrames() {
  const z = new HeaderCompressor();
  const open = async (id: number, type: string, port: number, requestId: string) =>
    encodeSynStream({ streamId: id, headerBlock: await z.compress({ streamtype: [type], port: [String(port)], requestid: [requestId] }) });
  return { open, data: (id: number, text: string) => encodeData(id, Buffer.from(text)) };
}

function tunnel(decide: (port: number) => PortDecision) {
  const events: PortForwardEvent[] = [];
  const refusals: string[] = [];
  const t = portForwardTunnel({ decidePort: decide, record: (e) => events.push(e), refuse: (m) => refusals.push(m), now: () => 0 });
  return { t, events, refusals };
}

describe('portForwardTunnel', () => {
  it('passes a connection to an allowed port on, in order, and counts it per port', async () => {
    // Arrange
    const k = await kubectlFrames();
    const { t, events } = tunnel(() => ({ allowed: true }));
    const order: string[] = [];
    // Act: the opening chunk must be decided; the data behind it must not overtake it.
    const chunks = [['error stream', await k.open(1, 'error', 8080, '0')], ['data stream', await k.open(3, 'data', 8080, '0')], ['GET', k.data(3, 'GET / HTTP/1.1\r\n\r\n')]] as const;
    await Promise.all(chunks.map(([name, bytes]) => t.fromClient(bytes).then((ok) => { if (ok) order.push(name); })));
    const connections = await t.end();
    // Assert
    expect(order).toEqual(['error stream', 'data stream', 'GET']);
    expect(events.map((e) => [e.event, e.port])).toEqual([['open', 8080], ['close', 8080]]);
    expect(connections).toEqual([{ port: 8080, count: 1, bytesToPod: 18, bytesFromPod: 0 }]);
  });

  it('holds back a connection to a refused port and everything after it, and ends the tunnel with the reason', async () => {
    // Arrange
    const k = await kubectlFrames();
    const { t, refusals } = tunnel((port) => (port === 5432 ? { allowed: false, message: 'Port 5432 is denied by rule no-db' } : { allowed: true }));
    // Act
    const opened = await t.fromClient(await k.open(1, 'error', 5432, '0'));
    const after = await t.fromClient(k.data(1, 'x'));
    // Assert
    expect(opened).toBe(false);
    expect(after).toBe(false);
    expect(refusals).toEqual(['Port 5432 is denied by rule no-db']);
  });

  it('ends a tunnel whose bytes are not SPDY, passing none of them on', async () => {
    // Arrange
    const { t, refusals } = tunnel(() => ({ allowed: true }));
    // Act: an HTTP request line where a SPDY frame header should be (a data frame of an absurd length).
    const ok = await t.fromClient(Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    // Assert
    expect(ok).toBe(false);
    expect(refusals[0]).toMatch(/could not read the port-forward tunnel/);
  });
});

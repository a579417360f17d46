import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClusterState } from './cluster-state';
import { PodPortServers, portForwardPod } from './port-forward-pods';
import { PortForwardSession } from './port-forward-session';
import type { ResourcePath } from './request-path';
import { badRequest, type KubeApiError } from './status-errors';

/**
 * `pods/portforward` the way kubectl 1.31+ asks for it: a WebSocket GET whose subprotocol
 * `SPDY/3.1+portforward.k8s.io` says the binary messages carry a SPDY/3.1 byte stream (the API server's
 * tunneling handler, staging/src/k8s.io/apiserver/pkg/util/proxy/streamtunnel.go, passes it to kubelet
 * unchanged). The SPDY server is port-forward-session.ts; the pods' ports are port-forward-pods.ts.
 * Plain SPDY (kubectl's fallback POST with `Upgrade: SPDY/3.1` after a failed WebSocket upgrade) is not
 * served: it gets a 400 Status saying so.
 */

/** The tunneling prefix (k8s.io/apimachinery/pkg/util/portforward: WebsocketsSPDYTunnelingPrefix). */
export const SPDY_TUNNELING_PREFIX = 'SPDY/3.1+';
/** The only port-forward protocol there is (PortForwardV1Name). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol kubectl offers and the server answers. */
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = `${SPDY_TUNNELING_PREFIX}${PORT_FORWARD_PROTOCOL}`;

// Each message kubectl sends holds one SPDY write (a frame of at most 32 KiB of data plus its header).
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** The port-forward state of one simulator: its echo servers and open tunnels. */
export interface PortForwardRuntime {
  readonly state: ClusterState;
  readonly ports: PodPortServers;
  readonly tunnels: Set<WebSocket>;
}

const runtimes = new WeakMap<ClusterState, PortForwardRuntime>();

/**
 * The runtime of a simulator's cluster state, created on first use; it ends every tunnel and stops the
 * echo servers when `shutdown` aborts (the simulator's close), since upgraded sockets are no longer the
 * HTTP server's to close.
 */
export function portForwardRuntimeFor(state: ClusterState, shutdown: AbortSignal): PortForwardRuntime {
  let runtime = runtimes.get(state);
  if (!runtime) {
    const created: PortForwardRuntime = { state, ports: new PodPortServers(), tunnels: new Set() };
    runtime = created;
    runtimes.set(state, created);
    const stop = (): void => {
      for (const ws of created.tunnels) ws.terminate();
      created.tunnels.clear();
      void created.ports.close();
    };
    if (shutdown.aborted) stop();
    else shutdown.addEventListener('abort', stop, { once: true });
  }
  return runtime;
}

/** What the simulator's upgrade dispatch hands over, after authentication and authorization passed. */
export interface PortForwardUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly path: ResourcePath;
  /** Called once the 101 is sent (for the request log). */
  readonly onUpgraded: () => void;
}

/** The 400 for kubectl's plain-SPDY fallback, which this simulator does not serve. */
export function portForwardSpdyNotSupported(): KubeApiError {
  return badRequest(`this simulated cluster serves port-forward over WebSocket only (${PORT_FORWARD_WEBSOCKET_PROTOCOL}); plain SPDY/3.1 is not supported`);
}

/** The client's WebSocket subprotocols (comma-separated, possibly over several headers). */
function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headersDistinct['sec-websocket-protocol'] ?? []).flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
}

/** Go's `http.Error`: text/plain, nosniff, the message and a newline; the connection closes after it. */
function plainHttpError(socket: Duplex, code: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Serves `/api/v1/namespaces/<ns>/pods/<name>/portforward` for an upgrade request. The pod must exist
 * (a 404 Status otherwise, thrown for the caller to send); a SPDY upgrade gets
 * {@link portForwardSpdyNotSupported}; a WebSocket without a `SPDY/3.1+*.k8s.io` subprotocol gets the
 * tunneling handler's 400, one without `portforward.k8s.io` kubelet's protocol-negotiation 403.
 */
export async function handlePortForwardUpgrade(runtime: PortForwardRuntime, upgrade: PortForwardUpgrade): Promise<void> {
  const { req, socket, head, path } = upgrade;
  const podType = runtime.state.catalog.find('', 'v1', 'pods')!;
  const pod = runtime.state.require(podType, path.namespace, path.name ?? '');
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw portForwardSpdyNotSupported();

  const spdyProtocols = offeredProtocols(req)
    .filter((p) => p.startsWith(SPDY_TUNNELING_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(SPDY_TUNNELING_PREFIX.length));
  if (spdyProtocols.length === 0) {
    plainHttpError(socket, 400, 'unable to upgrade: no tunneling spdy protocols provided');
    return;
  }
  if (!spdyProtocols.includes(PORT_FORWARD_PROTOCOL)) {
    // httpstream.Handshake in kubelet, relayed by the tunneling handler as it came.
    plainHttpError(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${spdyProtocols.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`,
      { 'X-Accepted-Stream-Protocol-Versions': PORT_FORWARD_PROTOCOL });
    return;
  }

  // `ws` parses the offer as RFC 7230 tokens, and `/` is not a token character: it would refuse kubectl's
  // `SPDY/3.1+portforward.k8s.io` with a 400 (gorilla/websocket, on both real ends, does not check). So the
  // offer, checked above, is taken out of ws's sight and the answer added to the 101 by hand.
  delete req.headers['sec-websocket-protocol'];
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  wss.on('headers', (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_WEBSOCKET_PROTOCOL}`));
  const ws = await new Promise<WebSocket>((resolve) => wss.handleUpgrade(req, socket, head, resolve));
  upgrade.onUpgraded();
  runtime.tunnels.add(ws);
  ws.on('close', () => runtime.tunnels.delete(ws));
  new PortForwardSession(ws, portForwardPod(pod), runtime.ports);
}

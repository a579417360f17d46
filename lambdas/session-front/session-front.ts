import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ProxyRequest } from '../core/api-gateway-event';
import { BadRequestError, GatehouseError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../core/errors';
import { MAX_SESSION_MESSAGE_BYTES } from '../core/remote-command';
import { streamRequest } from '../proxy/stream-request';
import { openSession, refusal, type AcceptedSession, type RefusedSession, type SessionFrontDependencies } from './open-session';
import { relaySession, type LiveSession } from './session-relay';

/** Options of {@link startSessionFront}. */
export interface SessionFrontOptions {
  readonly deps: SessionFrontDependencies;
  /** The certificate the front serves (PEM). */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** @default 8443 */
  readonly port?: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
}

/** A running session front. */
export interface SessionFront {
  readonly url: string;
  readonly port: number;
  /** Sessions open right now, by request id. */
  readonly live: ReadonlyMap<string, LiveSession>;
  /** Stops taking requests, ends open sessions with a message (`drain`), and waits for their records. */
  close(): Promise<void>;
}

const PREFIX = /^\/k8s\/([^/?]+)(\/[^?]*)?(?:\?(.*))?$/s;

/**
 * The session front: one long-running HTTPS service that serves a connection's whole kubectl traffic with the
 * same core as the Lambda. Plain requests (gets, lists, watches, log follows, writes) go through `streamRequest`
 * unchanged; WebSocket upgrades of exec, attach and port-forward are decided by `openSession` and relayed by
 * `relaySession`. `GET /healthz` answers the load balancer.
 */
export async function startSessionFront(options: SessionFrontOptions): Promise<SessionFront> {
  const { deps } = options;
  const live = new Map<string, LiveSession>();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_SESSION_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });

  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    void serveHttp(req, res, deps);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void serveUpgrade(req, socket, head);
  });
  // A client that opens TLS and never sends a request must not hold a socket forever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;

  async function serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    let proxyRequest: ProxyRequest;
    try {
      proxyRequest = toProxyRequest(req, Buffer.alloc(0));
    } catch (error) {
      return writeRefusal(socket, refusal(error, ''));
    }
    const outcome = await openSession(proxyRequest, deps);
    if (outcome.kind === 'refused') return writeRefusal(socket, outcome);
    if (socket.destroyed || !socket.writable) {
      // kubectl gave up while the session was decided (a long approval hold): close what was opened.
      outcome.upstream.terminate();
      await outcome.release();
      await outcome.trail.refused(new ServiceUnavailableError('The client went away before the session opened.'));
      return;
    }
    // kubectl gets the subprotocol the cluster chose (from kubectl's own offer). Gatehouse writes that header
    // itself: ws refuses `SPDY/3.1+portforward.k8s.io` (not an RFC 6455 token), which Kubernetes uses anyway.
    // The 'headers' event fires synchronously inside handleUpgrade, so the listener cannot catch another upgrade.
    delete req.headers['sec-websocket-protocol'];
    const addProtocol = (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${outcome.protocol}`);
    sockets.on('headers', addProtocol);
    let upgraded = false;
    sockets.handleUpgrade(req, socket, head, (client) => {
      upgraded = true;
      const session = relaySession(client, outcome, deps);
      live.set(session.requestId, session);
      const listed = listLive(outcome, deps);
      void session.finished.finally(async () => {
        live.delete(session.requestId);
        await listed;
        await deps.liveSessions?.unregister(session.requestId).catch((error: unknown) => deps.log('warn', 'live session not unlisted', { error: errorName(error) }));
      });
    });
    sockets.off('headers', addProtocol);
    if (!upgraded) {
      // ws refused kubectl's handshake (a bad key or version) and answered 400 itself: close what was opened.
      outcome.upstream.terminate();
      await outcome.release();
      await outcome.trail.refused(new BadRequestError('The WebSocket handshake was invalid (Sec-WebSocket-Key or Sec-WebSocket-Version).'));
    }
  }

  // An operator's `gatehouse sessions end` marks the entry; the front that holds the session ends it here.
  const operatorChecks = setInterval(() => {
    if (!live.size || !deps.liveSessions) return;
    deps.liveSessions.list(deps.now()).then((entries) => {
      for (const entry of entries) {
        if (!entry.endRequestedBy) continue;
        live.get(entry.requestId)?.end('operator', `A Gatehouse operator (${entry.endRequestedBy}) ended this session${entry.endReason ? `: ${entry.endReason}` : ''}.`);
      }
    }, (error: unknown) => deps.log('warn', 'live sessions not read', { error: errorName(error) }));
  }, deps.sessionLimits.checkSeconds * 1000);
  operatorChecks.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8443, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '0.0.0.0';
  return {
    url: `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    live,
    async close() {
      clearInterval(operatorChecks);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of live.values()) session.end('operator', 'Gatehouse\'s session front is shutting down; start the session again.');
        server.closeIdleConnections();
      });
      await Promise.all([...live.values()].map((s) => s.finished));
      server.closeAllConnections();
    },
  };
}

/**
 * Lists an open session for operators. A registry that cannot be written does not stop the session (its intent
 * record is durable and a revoked grant still ends it); the gap is logged and counted.
 */
async function listLive(session: AcceptedSession, deps: SessionFrontDependencies): Promise<void> {
  if (!deps.liveSessions) return;
  const { identity, prepared, trail } = session;
  const { request } = prepared;
  const command = prepared.query.getAll('command').join(' ');
  const now = deps.now();
  try {
    await deps.liveSessions.register({
      requestId: trail.requestId, issuer: identity.issuer, agent: identity.agent, session: identity.session, connection: prepared.connection.name,
      kind: request.subresource, summary: `${request.subresource} pods/${request.name} in namespace ${request.namespace}${command ? `: ${command.slice(0, 200)}` : ''}`,
      startedAt: now.toISOString(), expiresAt: Math.ceil(now.getTime() / 1000 + deps.sessionLimits.maxSessionSeconds + 60),
    });
  } catch (error) {
    deps.log('warn', 'live session not listed', { error: errorName(error) });
    deps.metric('live_session_list_failed', 1, 'Count');
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** One plain request: the Lambda's path, with the same Status answers. */
async function serveHttp(req: IncomingMessage, res: ServerResponse, deps: SessionFrontDependencies): Promise<void> {
  if (req.url === '/healthz' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  let response: Awaited<ReturnType<typeof streamRequest>>;
  let requestId = '';
  try {
    const body = await readBody(req, deps.limits.maxRequestBodyBytes);
    const proxyRequest = toProxyRequest(req, body);
    requestId = proxyRequest.requestId;
    response = await streamRequest(proxyRequest, deps);
  } catch (error) {
    if (!(error instanceof GatehouseError)) deps.log('error', 'unexpected error', { error: error instanceof Error ? error.name : String(error) });
    const refused = refusal(error, requestId);
    res.writeHead(refused.status, { ...refused.headers, 'content-length': String(refused.body.length) }).end(refused.body);
    return;
  }
  res.writeHead(response.status, response.headers);
  const finished = new Promise<void>((resolve) => res.once('close', () => resolve()));
  if (Buffer.isBuffer(response.body)) res.end(response.body);
  else {
    const body = response.body;
    body.pipe(res);
    res.once('close', () => body.destroy());
  }
  await finished;
  await response.afterResponse?.();
}

/** The request as the core reads it: the same shape API Gateway's event gives the Lambda. */
function toProxyRequest(req: IncomingMessage, body: Buffer): ProxyRequest {
  const match = PREFIX.exec(req.url ?? '');
  if (!match) throw new NotFoundError('Gatehouse serves Kubernetes connections under /k8s/<connection>; check the server URL in your kubeconfig.');
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) if (values) headers[name] = [...values];
  return {
    requestId: randomUUID(),
    method: (req.method ?? 'GET').toUpperCase(),
    connection: decodeURIComponent(match[1]!),
    clusterPath: match[2] ?? '',
    // Re-encoded from its parameters, as API Gateway hands the Lambda its query.
    rawQuery: new URLSearchParams(match[3] ?? '').toString(),
    headers,
    body,
    sourceIp: req.socket.remoteAddress,
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new PayloadTooLargeError(`The request body is over Gatehouse's limit of ${limit} bytes; split the manifest into smaller applies.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Answers an upgrade with an HTTP response (a Status kubectl prints) and closes the socket. */
function writeRefusal(socket: Duplex, refused: RefusedSession): void {
  if (socket.destroyed) return;
  const reason = STATUS_TEXT[refused.status] ?? 'Error';
  const head = [`HTTP/1.1 ${refused.status} ${reason}`, 'connection: close', `content-length: ${refused.body.length}`];
  for (const [name, value] of Object.entries(refused.headers)) head.push(`${name}: ${value}`);
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), refused.body]));
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

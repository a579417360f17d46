import WebSocket from 'ws';
import type { ConnectionConfig } from '../core/gateway-config';
import type { UpstreamRequest } from '../core/ports';
import { MAX_SESSION_MESSAGE_BYTES } from '../core/remote-command';
import { ServiceUnavailableError, UpstreamTimeoutError } from '../core/errors';

/** How the cluster answered a session's upgrade. */
export type DialResult =
  /** Upgraded: the socket is paused (nothing the cluster sent is lost before the relay listens; it resumes it). */
  | { readonly kind: 'open'; readonly socket: WebSocket; readonly protocol: string; readonly latencyMs: number }
  /** Not upgraded: the cluster's answer (a Status, usually), to pass on as it is. */
  | { readonly kind: 'refused'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: Buffer; readonly latencyMs: number };

/** Opens upgraded sessions (exec, attach, port-forward) to a connection's cluster. */
export interface SessionDialer {
  dial(connection: ConnectionConfig, request: UpstreamRequest, protocols: readonly string[], options: { readonly timeoutMs: number }): Promise<DialResult>;
}

// Gatehouse's own upgrade headers go on by ws; the client's never reach the cluster (they are not in the
// allowlist of buildUpstreamHeaders), and a body length makes no sense on an upgrade.
const DROPPED = new Set(['content-length', 'accept-encoding', 'connection', 'upgrade', 'host']);

/**
 * Dials the cluster's API server with the WebSocket upgrade kubectl asked for, verifying the cluster's
 * certificate against the connection's CA only (never the system store). The host comes from the connection,
 * never from the client. A refusal (no 101) is read whole, up to 64 KiB, so the cluster's Status reaches kubectl.
 */
export function createWebSocketSessionDialer(): SessionDialer {
  return {
    dial(connection, request, protocols, { timeoutMs }) {
      const base = new URL(connection.endpoint);
      const url = new URL(`${base.pathname.replace(/\/$/, '')}${request.pathAndQuery}`, `wss://${base.host}`);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(request.headers)) if (!DROPPED.has(name)) headers[name] = typeof value === 'string' ? value : [...value];
      const started = performance.now();
      return new Promise<DialResult>((resolve, reject) => {
        let settled = false;
        const settle = (result: DialResult | Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        // Kubernetes' `SPDY/3.1+portforward.k8s.io` is not an RFC 6455 token (the "/"), which ws refuses in a
        // subprotocol list: Gatehouse sends the offer as a header itself and reads the answer in 'upgrade'.
        headers['sec-websocket-protocol'] = protocols.join(', ');
        let negotiated = '';
        const socket = new WebSocket(url, [], {
          // Node's http takes repeated headers (Impersonate-Group) as arrays; ws's types say strings only.
          headers: headers as Record<string, string>,
          ca: Buffer.from(connection.certificateAuthorityData, 'base64').toString('utf8'),
          // ws sends SNI for host names and none for IPs (RFC 6066), as the https client does.
          rejectUnauthorized: true,
          maxPayload: MAX_SESSION_MESSAGE_BYTES,
          perMessageDeflate: false,
          followRedirects: false,
          handshakeTimeout: timeoutMs,
        });
        const timer = setTimeout(() => {
          socket.terminate();
          settle(new UpstreamTimeoutError(`The cluster did not open the session within ${Math.round(timeoutMs / 1000)} s; retry, or check the cluster's health.`));
        }, timeoutMs);
        socket.once('upgrade', (res) => {
          negotiated = String(res.headers['sec-websocket-protocol'] ?? '').trim();
          delete res.headers['sec-websocket-protocol'];
        });
        socket.once('open', () => {
          if (!protocols.includes(negotiated)) {
            socket.terminate();
            settle(new ServiceUnavailableError(`The cluster answered the session with subprotocol "${negotiated}", which was not offered; Gatehouse did not open it.`));
            return;
          }
          // Paused until the relay listens: a command's first output can arrive with the 101 itself.
          socket.pause();
          settle({ kind: 'open', socket, protocol: negotiated, latencyMs: performance.now() - started });
        });
        socket.once('unexpected-response', (_req, res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 64 * 1024) chunks.push(chunk);
          });
          res.on('end', () => {
            const headersOut: Record<string, string> = {};
            const type = res.headers['content-type'];
            if (typeof type === 'string') headersOut['content-type'] = type;
            settle({ kind: 'refused', status: res.statusCode ?? 502, headers: headersOut, body: Buffer.concat(chunks), latencyMs: performance.now() - started });
          });
          res.on('error', () => settle(new ServiceUnavailableError('The cluster refused the session and its answer could not be read; retry shortly.', 2)));
        });
        socket.once('error', (error) => {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          settle(/CERT|SELF_SIGNED|ALTNAME|VERIFY/.test(code)
            ? new ServiceUnavailableError('The cluster\'s certificate does not verify against the connection\'s CA; ask a Gatehouse operator to check the connection (gatehouse doctor).')
            : new ServiceUnavailableError('Gatehouse could not reach the cluster to open the session; retry shortly.', 2));
        });
      });
    },
  };
}

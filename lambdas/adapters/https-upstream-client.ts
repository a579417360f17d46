import https from 'node:https';
import { isIP } from 'node:net';
import type { ConnectionConfig } from '../core/gateway-config';
import type { UpstreamClient, UpstreamResponse, UpstreamStream } from '../core/ports';
import { GatehouseError, ServiceUnavailableError, UpstreamIdleError, UpstreamResponseError, UpstreamTimeoutError } from '../core/errors';
import { idleLimitedBody } from './idle-limited-body';

/** TLS failures: the cluster answered but its certificate does not verify against the connection's CA. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
]);

/**
 * Sends requests to a connection's cluster over https, verifying the cluster's certificate against the
 * connection's CA (never the system store, never skipped). The host, port and CA come only from the
 * connection's configuration. One keep-alive agent per connection lets a warm Lambda reuse its TLS
 * sessions across requests.
 */
export function createHttpsUpstreamClient(): UpstreamClient {
  const agents = new Map<string, { readonly agent: https.Agent; readonly url: URL }>();
  function agentFor(connection: ConnectionConfig) {
    const key = `${connection.name}|${connection.endpoint}|${connection.certificateAuthorityData}`;
    let entry = agents.get(key);
    if (!entry) {
      entry = {
        agent: new https.Agent({
          keepAlive: true,
          maxSockets: 32,
          ca: Buffer.from(connection.certificateAuthorityData, 'base64').toString('utf8'),
          rejectUnauthorized: true,
        }),
        url: new URL(connection.endpoint),
      };
      agents.set(key, entry);
    }
    return entry;
  }

  return {
    send(connection, request, { timeoutMs, maxResponseBytes }) {
      const { agent, url } = agentFor(connection);
      const basePath = url.pathname.replace(/\/$/, '');
      const started = performance.now();
      return new Promise<UpstreamResponse>((resolve, reject) => {
        let settled = false;
        const fail = (error: GatehouseError) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req.destroy();
          reject(error);
        };
        const req = https.request(
          {
            agent,
            protocol: 'https:',
            hostname: url.hostname,
            port: url.port || 443,
            // SNI carries host names only (RFC 6066); the certificate is still checked against an IP endpoint.
            servername: isIP(url.hostname) ? '' : url.hostname,
            method: request.method,
            path: `${basePath}${request.pathAndQuery}`,
            headers: request.headers as Record<string, string | string[]>,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxResponseBytes) {
                fail(new UpstreamResponseError(tooLargeMessage(maxResponseBytes)));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              resolve({
                status: res.statusCode ?? 502,
                headers: res.headers as Record<string, string | string[]>,
                body: Buffer.concat(chunks, size),
                latencyMs: performance.now() - started,
              });
            });
            res.on('error', (error) => fail(unreachable(connection, error)));
          },
        );
        const timer = setTimeout(
          () => fail(new UpstreamTimeoutError(
            `The cluster of connection "${connection.name}" did not answer within ${Math.round(timeoutMs / 1000)} s. ` +
              'Retry; for large lists page with --chunk-size=100 or narrow with -l/--field-selector.',
          )),
          timeoutMs,
        );
        req.on('error', (error) => {
          clearTimeout(timer);
          fail(unreachable(connection, error));
        });
        req.end(request.body && request.body.length ? request.body : undefined);
      });
    },

    open(connection, request, { timeoutMs, idleTimeoutMs }) {
      const { agent, url } = agentFor(connection);
      const basePath = url.pathname.replace(/\/$/, '');
      const started = performance.now();
      return new Promise<UpstreamStream>((resolve, reject) => {
        const req = https.request(
          {
            agent, protocol: 'https:', hostname: url.hostname, port: url.port || 443,
            servername: isIP(url.hostname) ? '' : url.hostname,
            method: request.method, path: `${basePath}${request.pathAndQuery}`, headers: request.headers as Record<string, string | string[]>,
          },
          (res) => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers as Record<string, string | string[]>,
              latencyMs: performance.now() - started,
              body: idleLimited(res, idleTimeoutMs, connection),
              abort: () => { res.destroy(); req.destroy(); },
            });
          },
        );
        const timer = setTimeout(() => {
          req.destroy();
          reject(new UpstreamTimeoutError(`The cluster of connection "${connection.name}" did not answer within ${Math.round(timeoutMs / 1000)} s; retry.`));
        }, timeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(unreachable(connection, error));
        });
        req.end(request.body && request.body.length ? request.body : undefined);
      });
    },
  };
}

/** The response body, ended with `UpstreamIdleError` when the cluster sends nothing for `idleMs`. */
function idleLimited(res: import('node:http').IncomingMessage, idleMs: number, connection: ConnectionConfig): AsyncGenerator<Buffer> {
  return idleLimitedBody(res, idleMs, (error) => unreachable(connection, error), () => new UpstreamIdleError(
    `The cluster of connection "${connection.name}" sent nothing for ${idleMs % 1000 === 0 ? idleMs / 1000 : (idleMs / 1000).toFixed(1)} s, so Gatehouse closed the stream; run the command again.`,
  ));
}

/** The message for a response the Lambda cannot buffer. */
export function tooLargeMessage(limitBytes: number): string {
  return (
    `The cluster's response is larger than the ${(limitBytes / 1048576).toFixed(1)} MB Gatehouse can return in one piece. ` +
    'Page the list with --chunk-size=100 (kubectl get ... --chunk-size=100), or narrow it with -n, -l or --field-selector.'
  );
}

function unreachable(connection: ConnectionConfig, error: Error): GatehouseError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (TLS_CODES.has(code)) {
    return new UpstreamResponseError(
      `The cluster of connection "${connection.name}" presented a TLS certificate that does not verify against the connection's CA (${code}); ` +
        'nothing was sent. Ask the Gatehouse operator to check the connection\'s certificateAuthorityData.',
    );
  }
  return new ServiceUnavailableError(
    `The cluster of connection "${connection.name}" could not be reached (${code || error.name}). ` +
      'Retry shortly; if it persists, ask the Gatehouse operator to check the connection\'s endpoint and network path.',
    5,
  );
}

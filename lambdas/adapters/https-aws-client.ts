import http from 'node:http';
import https from 'node:https';
import type { AwsUpstreamClient, UpstreamStream } from '../core/ports';
import { idleLimitedBody } from './idle-limited-body';
import { GatehouseError, ServiceUnavailableError, UpstreamIdleError, UpstreamTimeoutError } from '../core/errors';

/**
 * Sends signed calls to AWS service endpoints: https with the system's CAs (AWS's public certificates), one
 * keep-alive agent per origin so a warm Lambda reuses its TLS sessions. Plain http is only spoken when the
 * client was created with `allowHttp` (local mode's stand-ins on 127.0.0.1); configuration validation already
 * refuses an http endpoint anywhere else, and this refuses it again.
 */
export function createHttpsAwsClient(options: { readonly allowHttp?: boolean } = {}): AwsUpstreamClient {
  const agents = new Map<string, http.Agent>();
  const agentFor = (url: URL): http.Agent => {
    let agent = agents.get(url.origin);
    if (!agent) {
      agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
      agents.set(url.origin, agent);
    }
    return agent;
  };
  return {
    open(request, { timeoutMs, idleTimeoutMs }) {
      const url = new URL(request.url);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowHttp)) {
        return Promise.reject(new ServiceUnavailableError(`Gatehouse only calls AWS over https (${url.origin}); ask the operator to fix the connection's endpoints.`, 30));
      }
      const transport = url.protocol === 'https:' ? https : http;
      const started = performance.now();
      return new Promise<UpstreamStream>((resolve, reject) => {
        const req = transport.request(
          { agent: agentFor(url), method: request.method, hostname: url.hostname, port: url.port || undefined, path: `${url.pathname}${url.search}`, headers: { ...request.headers } },
          (res) => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers as Record<string, string | string[]>,
              latencyMs: performance.now() - started,
              body: idleLimitedBody(res, idleTimeoutMs, (error) => unreachable(url.host, error),
                () => new UpstreamIdleError(`${url.host} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s, so Gatehouse ended the answer; retry.`)),
              abort: () => { res.destroy(); req.destroy(); },
            });
          },
        );
        const timer = setTimeout(() => {
          req.destroy();
          reject(new UpstreamTimeoutError(`${url.host} did not answer within ${Math.round(timeoutMs / 1000)} s; retry.`));
        }, timeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(unreachable(url.host, error));
        });
        req.end(request.body.length ? request.body : undefined);
      });
    },
  };
}

function unreachable(host: string, error: Error): GatehouseError {
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  return new ServiceUnavailableError(`${host} could not be reached (${code}); retry shortly. If it persists, ask the Gatehouse operator to check the network path to AWS.`, 5);
}

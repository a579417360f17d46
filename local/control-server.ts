import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the control server exposes. */
export interface ControlSources {
  /** Requests the upstream received (tokens already removed). */
  readonly upstreamRequests: () => readonly unknown[];
  /** Counts of calls the gateway made to STS, DynamoDB and S3. */
  readonly awsCalls: () => Readonly<Record<string, number>>;
}

/**
 * LOCAL MODE ONLY: a loopback HTTP endpoint that lets tests and the benchmark look inside the stand-ins
 * (what reached the simulated cluster, how often STS was called). It serves no Gatehouse data and takes
 * no input that changes anything.
 */
export async function startControlServer(sources: ControlSources): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/upstream-requests') return send(sources.upstreamRequests().slice(Number(url.searchParams.get('since') ?? 0)));
    if (url.pathname === '/aws-calls') return send(sources.awsCalls());
    res.writeHead(404).end();
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

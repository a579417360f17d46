import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the control server exposes. */
export interface ControlSources {
  /** Requests the upstream received (tokens already removed). */
  readonly upstreamRequests: () => readonly unknown[];
  /** Counts of calls the gateway made to STS, DynamoDB, S3 and Firehose. */
  readonly awsCalls: () => Readonly<Record<string, number>>;
  /** Switches the Firehose stand-in's refusal of puts on or off (`POST /faults/firehose?refuse=true`). */
  readonly refuseFirehosePuts?: (on: boolean) => void;
}

/** The `audit-id` header of a recorded upstream request, if it has one. */
function auditIdOf(request: unknown): string | undefined {
  const value = (request as { headers?: Record<string, unknown> } | null)?.headers?.['audit-id'];
  return typeof value === 'string' ? value : undefined;
}

/** Whether an audit id belongs to a Gatehouse request: its own id, or a read made for it (`<id>-object`, `<id>-namespace`). */
function isFor(requestId: string, auditId: string | undefined): boolean {
  return auditId !== undefined && (auditId === requestId || auditId.startsWith(`${requestId}-`));
}

/**
 * LOCAL MODE ONLY: a loopback HTTP endpoint that lets tests and the benchmark look inside the stand-ins
 * (what reached the simulated cluster, how often STS was called). It serves no Gatehouse data; the one thing it
 * changes is a stand-in's failure switch (`POST /faults/firehose?refuse=true|false`), for tests of what the
 * proxy does when a store fails. `/upstream-requests?auditId=<request id>` (repeatable) keeps only what
 * reached the cluster on behalf of those Gatehouse requests, so tests running side by side each read their own.
 */
export async function startControlServer(sources: ControlSources): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/upstream-requests') {
      const requests = sources.upstreamRequests().slice(Number(url.searchParams.get('since') ?? 0));
      const ids = url.searchParams.getAll('auditId');
      return send(ids.length ? requests.filter((r) => ids.some((id) => isFor(id, auditIdOf(r)))) : requests);
    }
    if (url.pathname === '/aws-calls') return send(sources.awsCalls());
    if (url.pathname === '/faults/firehose' && req.method === 'POST' && sources.refuseFirehosePuts) {
      const on = url.searchParams.get('refuse') === 'true';
      sources.refuseFirehosePuts(on);
      return send({ firehose: on ? 'refusing' : 'accepting' });
    }
    res.writeHead(404).end();
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

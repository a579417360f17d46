import { request as httpsRequest } from 'node:https';
import { createLocalCa, issueServerCertificate, type PemPair } from '../../../local/local-ca';
import { startKubeApiSimulator, type KubeApiSimulator, type KubeApiSimulatorOptions, type KubeUser } from '../../../local/kube-api-simulator';

/** Tokens the fixture's authenticator knows. */
export const TOKENS = { alice: 'alice-token', gateway: 'gateway-token' } as const;

const USERS: Record<string, KubeUser> = {
  [TOKENS.alice]: { username: 'alice', groups: ['system:masters', 'system:authenticated'] },
  [TOKENS.gateway]: { username: 'gatehouse-proxy', groups: ['system:authenticated'] },
};

/** A simulator plus an HTTPS client that trusts its CA. */
export interface SimulatorFixture {
  readonly sim: KubeApiSimulator;
  readonly ca: PemPair;
  request(method: string, path: string, options?: RequestOptions): Promise<SimResponse>;
  /** Starts a request and hands back the raw response (for watches and log follows). */
  stream(path: string, headers?: Record<string, string>): Promise<import('node:http').IncomingMessage>;
}

/** Options of one fixture request. */
export interface RequestOptions {
  readonly headers?: Record<string, string | string[]>;
  readonly body?: unknown;
  /** Omit the Authorization header. */
  readonly anonymous?: boolean;
  readonly token?: string;
}

/** A fully read response. */
export interface SimResponse {
  readonly status: number;
  readonly headers: import('node:http').IncomingHttpHeaders;
  readonly text: string;
  /** The body's bytes as sent (protobuf, gzip). */
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** Starts a simulator on a random port with a fresh local CA. */
export async function startFixture(options: Partial<KubeApiSimulatorOptions> = {}): Promise<SimulatorFixture> {
  const ca = createLocalCa();
  const tls = issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const sim = await startKubeApiSimulator({
    tls,
    authenticate: async (token) => USERS[token],
    impersonators: ['gatehouse-proxy'],
    ...options,
  });
  const base = new URL(sim.url);
  const send = (method: string, path: string, options: RequestOptions = {}): Promise<import('node:http').IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = { ...(options.headers ?? {}) };
      if (!options.anonymous) headers.authorization = `Bearer ${options.token ?? TOKENS.alice}`;
      let payload: Buffer | undefined;
      if (options.body !== undefined) {
        payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const req = httpsRequest({ host: base.hostname, port: base.port, method, path, headers, ca: ca.certPem }, resolve);
      req.on('error', reject);
      req.end(payload);
    });
  return {
    sim,
    ca,
    stream: (path, headers) => send('GET', path, { headers }),
    request: async (method, path, options) => {
      const res = await send(method, path, options);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      return { status: res.statusCode ?? 0, headers: res.headers, text, body, json: <T>() => JSON.parse(text) as T };
    },
  };
}

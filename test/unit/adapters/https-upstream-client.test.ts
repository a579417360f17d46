import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createLocalCa, issueServerCertificate, type PemPair } from '../../../local/local-ca';
import { createHttpsUpstreamClient } from '../../../lambdas/adapters/https-upstream-client';
import type { ConnectionConfig } from '../../../lambdas/core/gateway-config';
import type { UpstreamRequest } from '../../../lambdas/core/ports';
import { GatehouseError } from '../../../lambdas/core/errors';
import { toKubeStatus } from '../../../lambdas/core/kube-status';

/**
 * The cluster CA check, against a real local https "cluster": Gatehouse trusts only the connection's
 * certificateAuthorityData and the connection's host name, and when either does not verify, not one byte of
 * the request (its EKS token, its body) reaches the server.
 */

/** A local https server that notes every request it receives and every socket it accepted. */
interface FakeCluster {
  readonly url: string;
  readonly seen: { method: string; path: string; headers: Record<string, unknown>; body: string }[];
  /** Resolves once every TCP connection the server accepted has closed. */
  allConnectionsClosed(): Promise<void>;
  close(): Promise<void>;
}

async function startCluster(certificate: PemPair): Promise<FakeCluster> {
  const seen: FakeCluster['seen'] = [];
  const sockets = new Set<Socket>();
  const closed: Promise<void>[] = [];
  const server = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Pod","apiVersion":"v1"}');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
  });
  // A client that refuses the certificate aborts the handshake; the server notes it and carries on.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    allConnectionsClosed: async () => { await Promise.all(closed); },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const connectionTo = (url: string, ca: PemPair): ConnectionConfig => ({
  name: 'prod', clusterName: 'prod-cluster', region: 'eu-west-1', endpoint: url, roleArn: 'arn:aws:iam::111122223333:role/gatehouse-prod',
  certificateAuthorityData: Buffer.from(ca.certPem).toString('base64'),
});

const createPod: UpstreamRequest = {
  method: 'POST',
  pathAndQuery: '/api/v1/namespaces/app/pods',
  headers: { authorization: 'Bearer k8s-aws-v1.the-minted-eks-token', 'content-type': 'application/json', 'impersonate-user': 'gatehouse:ci:bot' },
  body: Buffer.from('{"kind":"Pod","metadata":{"name":"web"}}'),
};
const limits = { timeoutMs: 10_000, maxResponseBytes: 1_000_000 };

async function failureOf(promise: Promise<unknown>): Promise<GatehouseError> {
  const outcome = await promise.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof GatehouseError)) throw new Error(`expected the request to fail with a Status, got ${outcome === undefined ? 'an answer' : String(outcome)}`);
  return outcome;
}

describe('the https upstream client and the cluster CA', () => {
  let clusterCa: PemPair;
  let otherCa: PemPair;
  const clusters: FakeCluster[] = [];
  const start = async (certificate: PemPair) => {
    const cluster = await startCluster(certificate);
    clusters.push(cluster);
    return cluster;
  };
  beforeAll(() => {
    clusterCa = createLocalCa('cluster CA');
    otherCa = createLocalCa('some other CA');
  });
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.close()));
  });

  it('sends the request to a cluster whose certificate the connection CA signed', async () => {
    // Arrange
    const cluster = await start(issueServerCertificate(clusterCa, ['127.0.0.1']));
    const client = createHttpsUpstreamClient();
    // Act
    const response = await client.send(connectionTo(cluster.url, clusterCa), createPod, limits);
    // Assert
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ kind: 'Pod', apiVersion: 'v1' });
    expect(cluster.seen).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/v1/namespaces/app/pods', body: '{"kind":"Pod","metadata":{"name":"web"}}' }),
    ]);
  });

  it('refuses a cluster whose certificate another CA signed, says what to check, and sends nothing', async () => {
    // Arrange: the server's certificate is valid, for the right host, but not from the connection's CA.
    const cluster = await start(issueServerCertificate(otherCa, ['127.0.0.1']));
    const client = createHttpsUpstreamClient();
    // Act
    const error = await failureOf(client.send(connectionTo(cluster.url, clusterCa), createPod, limits));
    // Assert: a Status that names the connection and the CA to check, and says nothing was sent.
    const status = toKubeStatus(error, 'req-1');
    expect(status.code).toBe(502);
    expect(status.message).toMatch(/connection "prod" presented a TLS certificate that does not verify against the connection's CA/);
    expect(status.message).toMatch(/nothing was sent/);
    expect(status.message).toMatch(/certificateAuthorityData/);
    await cluster.allConnectionsClosed();
    expect(cluster.seen).toEqual([]);
  });

  it('refuses a certificate from the connection CA issued for another host name, and sends nothing', async () => {
    // Arrange: signed by the right CA, but for cluster.other.example, not for the endpoint's 127.0.0.1.
    const cluster = await start(issueServerCertificate(clusterCa, ['cluster.other.example']));
    const client = createHttpsUpstreamClient();
    // Act
    const error = await failureOf(client.send(connectionTo(cluster.url, clusterCa), createPod, limits));
    // Assert
    expect(error.code).toBe(502);
    expect(error.message).toMatch(/does not verify against the connection's CA \(ERR_TLS_CERT_ALTNAME_INVALID\); nothing was sent/);
    await cluster.allConnectionsClosed();
    expect(cluster.seen).toEqual([]);
  });

  it('does not reuse a trusted connection for a connection whose CA does not sign the cluster', async () => {
    // Arrange: one client (one warm Lambda), two connections to the same server; only the first has the right CA.
    const cluster = await start(issueServerCertificate(clusterCa, ['127.0.0.1']));
    const client = createHttpsUpstreamClient();
    const trusted = connectionTo(cluster.url, clusterCa);
    const misconfigured = { ...connectionTo(cluster.url, otherCa), name: 'prod-copy' };
    await client.send(trusted, createPod, limits);
    // Act
    const error = await failureOf(client.send(misconfigured, createPod, limits));
    // Assert: the keep-alive socket the first connection verified is not lent to the second.
    expect(error.code).toBe(502);
    expect(error.message).toMatch(/connection "prod-copy"/);
    expect(cluster.seen).toHaveLength(1);
  });
});

describe('the https upstream client on a stream that stalls', () => {
  let ca: PemPair;
  let server: https.Server;
  let url: string;
  beforeAll(async () => {
    ca = createLocalCa('cluster CA');
    const certificate = issueServerCertificate(ca, ['127.0.0.1']);
    server = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (_req, res) => {
      // One event, then silence: the connection stays open.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"kind":"Pod"}}\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

  it('passes on what came, then ends with an idle error that names the connection and says what to do', async () => {
    // Arrange
    const client = createHttpsUpstreamClient();
    const watch: UpstreamRequest = { method: 'GET', pathAndQuery: '/api/v1/pods?watch=true', headers: { authorization: 'Bearer k8s-aws-v1.token' } };
    // Act
    const stream = await client.open!(connectionTo(url, ca), watch, { timeoutMs: 5000, idleTimeoutMs: 300 });
    const received: string[] = [];
    const ended = await (async () => {
      try {
        for await (const chunk of stream.body) received.push(chunk.toString());
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    // Assert
    expect(stream.status).toBe(200);
    expect(received.join('')).toBe('{"type":"ADDED","object":{"kind":"Pod"}}\n');
    expect(ended).toBeInstanceOf(GatehouseError);
    expect(toKubeStatus(ended, 'req-1')).toMatchObject({ code: 504, reason: 'Timeout' });
    expect(toKubeStatus(ended, 'req-1').message).toMatch(/^The cluster of connection "prod" sent nothing for 0\.3 s, so Gatehouse closed the stream; run the command again\./);
  });
});

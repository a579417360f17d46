import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** How big `/huge` answers: over the e2e config's `limits.maxResponseBytes` (16 MiB, see global-setup.ts). */
export const HUGE_RESPONSE_ITEMS = 20_000;

/**
 * A deliberately broken "cluster" for failure tests: it answers `/slow` never (until closed), `/huge`
 * with a list of about 20 MB, over the most Gatehouse reads, and a watch in namespace `stalls` with one
 * event and then silence. It does not check tokens: it only exists to make
 * Gatehouse's failure handling visible.
 */
export async function startMisbehavingUpstream(tls: { certPem: string; keyPem: string }): Promise<{ url: string; close(): Promise<void> }> {
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    if (req.url?.includes('/slow')) return; // never answers
    if (req.url?.includes('/namespaces/stalls/') && /[?&]watch=/.test(req.url)) {
      // A watch that starts, sends one event, and then goes silent without ending.
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'before-the-stall', namespace: 'stalls', resourceVersion: '1' } } })}\n`);
      return;
    }
    if (req.url?.includes('/huge')) {
      const item = { metadata: { name: 'x'.repeat(200) }, data: { blob: 'y'.repeat(800) } };
      const items = Array.from({ length: HUGE_RESPONSE_ITEMS }, () => item);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { KubeObject } from './types';

/**
 * What stands behind a simulated pod's ports for port-forward: nothing runs in the simulator, so every
 * port a container declares (`containerPort`) is served by an in-process HTTP echo on an ephemeral
 * loopback port, started the first time someone forwards to it. A port the pod does not declare has
 * nothing listening, as in a real pod whose containers do not listen there.
 */

/** A pod as port-forward needs it: who it is and which ports its containers declare. */
export interface PortForwardPod {
  readonly namespace: string;
  readonly name: string;
  /** The CRI sandbox id kubelet's messages name the pod by (containerd: 64 hex digits). */
  readonly sandboxId: string;
  /** The pod's network namespace path, as containerd's errors show it. */
  readonly netnsPath: string;
  readonly ports: readonly number[];
}

function hexOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The port-forward view of a stored pod; ids are derived from its uid so messages are stable per pod. */
export function portForwardPod(pod: KubeObject): PortForwardPod {
  const meta = pod.metadata;
  const seed = `${meta.uid ?? ''}/${meta.namespace ?? ''}/${meta.name ?? ''}`;
  const n = hexOf(`netns:${seed}`);
  const ports = new Set<number>();
  const spec = pod.spec as { containers?: Array<{ ports?: Array<{ containerPort?: unknown }> }> } | undefined;
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (typeof p.containerPort === 'number') ports.add(p.containerPort);
  }
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    sandboxId: hexOf(`sandbox:${seed}`),
    netnsPath: `/var/run/netns/cni-${n.slice(0, 8)}-${n.slice(8, 12)}-${n.slice(12, 16)}-${n.slice(16, 20)}-${n.slice(20, 32)}`,
    ports: [...ports].sort((a, b) => a - b),
  };
}

/**
 * The text containerd's PortForward returns when nothing listens on the port (pkg/cri/server
 * sandbox_portforward_linux.go: "failed to connect to localhost:%d inside namespace %q, IPv4: %v IPv6 %v ",
 * wrapped in "failed to execute portforward in network namespace %q: %w"), trailing space included.
 */
export function connectionRefusedMessage(pod: PortForwardPod, port: number): string {
  return `failed to execute portforward in network namespace ${JSON.stringify(pod.netnsPath)}: failed to connect to localhost:${port} inside namespace ${JSON.stringify(pod.sandboxId)}, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `;
}

/**
 * What kubelet writes on a connection's error stream when forwarding failed
 * (pkg/kubelet/cri/streaming/portforward/httpstream.go: "error forwarding port %d to pod %s, uid %v: %v";
 * through the CRI streaming server the pod is the sandbox id and the uid is empty).
 */
export function forwardingErrorMessage(pod: PortForwardPod, port: number, cause: string): string {
  return `error forwarding port ${port} to pod ${pod.sandboxId}, uid : ${cause}`;
}

/** The echo's answer: everything it saw, so a test can tell which pod and port it reached and what arrived. */
function echo(pod: PortForwardPod, port: number, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      pod: pod.name,
      namespace: pod.namespace,
      port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'X-Simulated-Pod': `${pod.namespace}/${pod.name}` });
    res.end(body);
  });
}

/** The echo servers of all pods, one per pod port, started lazily and stopped by {@link PodPortServers.close}. */
export class PodPortServers {
  private readonly servers = new Map<string, Promise<Server>>();

  /**
   * Opens a TCP connection to the pod's port, as containerd dials localhost:<port> in the pod's network
   * namespace. Rejects with containerd's message when the pod does not declare the port.
   */
  async dial(pod: PortForwardPod, port: number): Promise<Socket> {
    if (!pod.ports.includes(port)) throw new Error(connectionRefusedMessage(pod, port));
    const server = await this.serverFor(pod, port);
    const { port: local } = server.address() as AddressInfo;
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: local }, () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  private serverFor(pod: PortForwardPod, port: number): Promise<Server> {
    const key = `${pod.namespace}/${pod.name}:${port}`;
    let server = this.servers.get(key);
    if (!server) {
      server = new Promise<Server>((resolve, reject) => {
        const s = createServer((req, res) => echo(pod, port, req, res));
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      });
      this.servers.set(key, server);
    }
    return server;
  }

  /** Stops every echo server and drops its connections. */
  async close(): Promise<void> {
    const servers = await Promise.allSettled([...this.servers.values()]);
    this.servers.clear();
    await Promise.all(servers.map((r) => (r.status === 'fulfilled'
      ? new Promise<void>((resolve) => {
        r.value.close(() => resolve());
        r.value.closeAllConnections();
      })
      : undefined)));
  }
}

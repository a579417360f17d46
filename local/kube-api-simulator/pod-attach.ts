/**
 * The main process of each simulated container, which `kubectl attach` connects to. It is the same
 * deterministic program in every container: it greets each client that attaches with one line, and
 * echoes every line any attached client types to all attached clients, as a container's PID 1 shares
 * its stdin and stdout with everyone attached. It never exits: a session ends when its client leaves.
 */

/** One attached client, as the main process sees it. */
export interface AttachedClient {
  stdout(data: string): void;
}

/** The banner a client sees when it attaches (tests wait for it). */
export function attachBanner(namespace: string, pod: string, container: string): string {
  return `[${container}] main process of pod ${namespace}/${pod}: each line on stdin is echoed\n`;
}

class MainProcess {
  readonly clients = new Set<AttachedClient>();
  private pending = '';

  /** Feeds a client's stdin; each complete line goes to every attached client. */
  input(data: Buffer): void {
    this.pending += data.toString('utf8');
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      const line = this.pending.slice(0, nl + 1);
      this.pending = this.pending.slice(nl + 1);
      for (const c of this.clients) c.stdout(line);
      nl = this.pending.indexOf('\n');
    }
  }
}

/** The main processes of all containers, created on first attach and kept for the simulator's lifetime. */
export class MainProcesses {
  private readonly byContainer = new Map<string, MainProcess>();

  /**
   * Attaches a client to a container's main process: it receives the banner, then the echo of every
   * line. Returns the function to feed this client's stdin and the one to detach.
   */
  attach(namespace: string, pod: string, container: string, client: AttachedClient): { input(data: Buffer): void; detach(): void } {
    const key = `${namespace}/${pod}/${container}`;
    let process = this.byContainer.get(key);
    if (!process) {
      process = new MainProcess();
      this.byContainer.set(key, process);
    }
    const main = process;
    main.clients.add(client);
    client.stdout(attachBanner(namespace, pod, container));
    return { input: (data) => main.input(data), detach: () => void main.clients.delete(client) };
  }
}

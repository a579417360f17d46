import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClusterState } from './cluster-state';
import { MainProcesses } from './pod-attach';
import { PodFilesystems } from './pod-filesystem';
import { runProcess, type ContainerContext } from './pod-shell';
import { InputQueue, type ProcessIo } from './process-io';
import { queryBool } from './query-bool';
import {
  CHANNEL, encodeFrame, internalErrorStatus, MAX_FRAME_BYTES, nonZeroExitStatus, parseInboundFrame, parseResize,
  PROTOCOL_V4, PROTOCOL_V5, selectProtocol, successStatus, type TerminalSize,
} from './remote-command-channels';
import type { ResourcePath } from './request-path';
import { badRequest } from './status-errors';
import { isJsonObject, type KubeObject } from './types';

/** The exec and attach state of one simulator: container filesystems, main processes, open sessions. */
export interface PodExecRuntime {
  readonly state: ClusterState;
  readonly filesystems: PodFilesystems;
  readonly mainProcesses: MainProcesses;
  /** The open sessions' sockets. */
  readonly sockets: Set<WebSocket>;
  /** Ends every open session (the simulator is closing). */
  closeAll(): void;
}

/** Creates the exec/attach runtime of a simulator over its cluster state. */
export function createPodExecRuntime(state: ClusterState): PodExecRuntime {
  const sockets = new Set<WebSocket>();
  return {
    state,
    filesystems: new PodFilesystems(),
    mainProcesses: new MainProcesses(),
    sockets,
    closeAll: () => {
      for (const ws of sockets) ws.terminate();
    },
  };
}

/** The pod and container an exec or attach request is about, checked as the API server checks them. */
export interface ExecTarget {
  readonly pod: KubeObject;
  readonly container: string;
  readonly image: string;
  readonly env: ReadonlyArray<readonly [string, string]>;
}

function containersOf(pod: KubeObject, field: 'containers' | 'initContainers'): Array<Record<string, unknown>> {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const list = spec[field];
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

/**
 * Finds the pod (404 NotFound Status when missing) and container as the pod registry's
 * `streamLocation` does: a named container must be in the pod (`container x is not valid for pod y`);
 * without one, a single-container pod uses it and anything else is a 400 listing the choices (the
 * default-container annotation is kubectl's business, not the server's).
 */
export function resolveExecTarget(state: ClusterState, path: ResourcePath, query: URLSearchParams): ExecTarget {
  const type = state.catalog.find('', 'v1', 'pods')!;
  const pod = state.require(type, path.namespace, path.name ?? '');
  const name = pod.metadata.name ?? '';
  const containers = containersOf(pod, 'containers');
  const names = containers.map((c) => String(c.name ?? ''));
  let container = query.get('container') ?? '';
  if (!container) {
    if (names.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    if (names.length > 1) {
      const init = containersOf(pod, 'initContainers').map((c) => String(c.name ?? ''));
      const extra = init.length ? ` or one of the init containers: [${init.join(' ')}]` : '';
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]${extra}`);
    }
    container = names[0]!;
  } else if (!names.includes(container) && !containersOf(pod, 'initContainers').some((c) => c.name === container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const spec = [...containers, ...containersOf(pod, 'initContainers')].find((c) => c.name === container) ?? {};
  const env: Array<[string, string]> = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', name],
  ];
  for (const e of Array.isArray(spec.env) ? spec.env.filter(isJsonObject) : []) {
    if (typeof e.name === 'string' && typeof e.value === 'string') env.push([e.name, e.value]);
  }
  env.push(['KUBERNETES_SERVICE_HOST', '10.96.0.1'], ['KUBERNETES_SERVICE_PORT', '443'], ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'], ['HOME', '/root']);
  return { pod, container, image: String(spec.image ?? ''), env };
}

/** What kubectl falls back to when the WebSocket upgrade fails: refused plainly, the target checked first. */
export function spdyNotSupported(): Error {
  return badRequest('this simulated cluster serves exec and attach over WebSocket only (v5.channel.k8s.io or v4.channel.k8s.io); SPDY/3.1 is not supported');
}

/** Options of one remote-command request (`PodExecOptions` / `PodAttachOptions` from the query). */
interface StreamOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
  readonly command: readonly string[];
}

function streamOptions(query: URLSearchParams, exec: boolean): StreamOptions {
  const tty = queryBool(query, 'tty');
  const opts = {
    stdin: queryBool(query, 'stdin'),
    stdout: queryBool(query, 'stdout'),
    // A terminal merges stderr into stdout: the kubelet turns stderr off when tty is on.
    stderr: queryBool(query, 'stderr') && !tty,
    tty,
    command: query.getAll('command'),
  };
  if (!opts.stdin && !opts.stdout && !queryBool(query, 'stderr')) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (exec && opts.command.length === 0) throw badRequest('you must specify at least one command for the container');
  return opts;
}

/** One exec or attach request that passed authentication and authorization. */
export interface PodExecUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly path: ResourcePath;
  readonly query: URLSearchParams;
  /** Called once the 101 is sent, with the subprotocol (for the request log). */
  readonly onUpgraded: (protocol: string) => void;
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

// A terminal's output processing (ONLCR): a bare \n leaves the pty as \r\n.
const onlcr = (data: Buffer): Buffer => Buffer.from(data.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

/**
 * Serves `GET /api/v1/namespaces/<ns>/pods/<name>/exec|attach` with `Upgrade: websocket`, after the
 * caller authenticated and authorized it. Pod, container and options are checked before the upgrade
 * (thrown as a KubeApiError for the caller to send as a Status); then the command (or the main
 * process, for attach) runs, its output goes out on channels 1 and 2, and its end is a Status on
 * channel 3, after which the connection closes, as the API server's stream translator and the kubelet do.
 */
export async function handlePodExecUpgrade(runtime: PodExecRuntime, upgrade: PodExecUpgrade): Promise<void> {
  const { req, socket, head, path, query } = upgrade;
  const exec = path.subresource === 'exec';
  const target = resolveExecTarget(runtime.state, path, query);
  const opts = streamOptions(query, exec);
  // What ws would refuse without telling us (it writes its own 400 and drops the socket): refuse it first.
  const key = req.headers['sec-websocket-key'];
  if (req.method !== 'GET' || !key || !/^[+/0-9A-Za-z]{22}==$/.test(key) || !['8', '13'].includes(req.headers['sec-websocket-version'] ?? '')) {
    throw badRequest('not a valid WebSocket handshake: GET with Sec-WebSocket-Key and Sec-WebSocket-Version 13 expected');
  }
  const protocol = selectProtocol(req.headers['sec-websocket-protocol']);
  if (protocol === undefined) {
    // golang.org/x/net/websocket: a failed protocol handshake is a 403 with no body.
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, handleProtocols: () => protocol || false, perMessageDeflate: false });
  const ws = await new Promise<WebSocket>((resolve) => wss.handleUpgrade(req, socket, head, resolve));
  upgrade.onUpgraded(protocol);
  runtime.sockets.add(ws);
  const ended = new AbortController();
  ws.on('close', () => {
    runtime.sockets.delete(ws);
    ended.abort();
  });
  // A frame over the limit or a broken frame: ws closes the connection, as the real server ends it.
  ws.on('error', () => ws.terminate());

  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(channel, data));
  };
  const stdin = new InputQueue();
  if (!opts.stdin) stdin.end();
  let size: TerminalSize | undefined;
  const interrupt = new AbortController();
  const signal = AbortSignal.any([ended.signal, interrupt.signal]);
  const writeOut = (data: Buffer | string): void => {
    if (opts.stdout) send(CHANNEL.stdout, opts.tty ? onlcr(toBuffer(data)) : toBuffer(data));
  };
  const writeErr = (data: Buffer | string): void => {
    if (opts.tty) writeOut(data);
    else if (opts.stderr) send(CHANNEL.stderr, toBuffer(data));
  };
  let attached: { input(data: Buffer): void; detach(): void } | undefined;
  const onStdin = (data: Buffer): void => {
    if (!opts.stdin) return;
    if (!opts.tty) {
      if (attached) attached.input(data);
      else stdin.push(data);
      return;
    }
    // A terminal's line discipline: echo, CR to NL (ICRNL), ^D is end of input, ^C interrupts.
    let text = data.toString('latin1');
    if (text.includes('\x03')) {
      writeOut('^C\n');
      interrupt.abort();
      return;
    }
    const eot = text.indexOf('\x04');
    if (eot >= 0) text = text.slice(0, eot);
    text = text.replace(/\r/g, '\n');
    writeOut(Buffer.from(text, 'latin1'));
    if (attached) attached.input(Buffer.from(text, 'latin1'));
    else stdin.push(Buffer.from(text, 'latin1'));
    if (eot >= 0) stdin.end();
  };
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const message = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const frame = parseInboundFrame(message, protocol);
    // x/net/websocket's Close after the read loop gives up: a normal close frame.
    if (frame.kind === 'fatal') ws.close(1000);
    else if (frame.kind === 'half-close' && frame.channel === CHANNEL.stdin) stdin.end();
    else if (frame.kind === 'data' && frame.channel === CHANNEL.stdin) onStdin(frame.data);
    else if (frame.kind === 'data' && frame.channel === CHANNEL.resize) size = parseResize(frame.data) ?? size;
  });

  // The first frame tells the client the streams are ready: empty, on the lowest writable channel.
  send(opts.stdout ? CHANNEL.stdout : opts.stderr ? CHANNEL.stderr : CHANNEL.error, Buffer.alloc(0));

  const identity = { namespace: path.namespace ?? '', pod: target.pod.metadata.name ?? '', container: target.container, image: target.image };
  if (!exec) {
    attached = runtime.mainProcesses.attach(identity.namespace, identity.pod, identity.container, { stdout: (d) => writeOut(d) });
    // The main process never ends; the session lasts until the client leaves.
    ws.once('close', () => attached?.detach());
    return;
  }
  const ctx: ContainerContext = {
    fs: runtime.filesystems.of(identity, String(target.pod.metadata.uid ?? '')),
    hostname: identity.pod,
    env: opts.tty ? [...target.env.slice(0, 2), ['TERM', 'xterm'], ...target.env.slice(2)] : target.env,
  };
  const io: ProcessIo = { stdin, stdout: writeOut, stderr: writeErr, signal, tty: opts.tty, terminalSize: () => size };
  const result = await runProcess(opts.command, ctx, io);
  if (ended.signal.aborted) return;
  const code = interrupt.signal.aborted ? 130 : result.kind === 'exited' ? result.code : -1;
  let status: string;
  if (result.kind === 'not-found') {
    // containerd's words for a missing executable, inside the kubelet's (and, for v5, the translator's) wrapping.
    const execId = createHash('sha256').update(`${identity.namespace}/${identity.pod}/${opts.command.join(' ')}`).digest('hex');
    const oci = `error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${result.executable}": executable file not found in $PATH: unknown`;
    status = internalErrorStatus(protocol === PROTOCOL_V5 ? `Internal error occurred: ${oci}` : oci);
  } else status = code === 0 ? successStatus() : nonZeroExitStatus(protocol, opts.command, code);
  writeStatus(ws, protocol, status);
  ws.close(1000);
}

/** The error channel's last word: a JSON Status for v4/v5; the legacy protocols carry only a failure's message. */
function writeStatus(ws: WebSocket, protocol: string, status: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (protocol === PROTOCOL_V5 || protocol === PROTOCOL_V4) {
    ws.send(encodeFrame(CHANNEL.error, status));
    return;
  }
  const parsed = JSON.parse(status) as { status: string; message?: string };
  if (parsed.status !== 'Success') ws.send(encodeFrame(CHANNEL.error, parsed.message ?? ''));
}

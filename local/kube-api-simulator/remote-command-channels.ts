/**
 * The remote-command wire format shared by `kubectl exec` and `attach` over WebSocket, as
 * k8s.io/apimachinery/pkg/util/remotecommand/constants.go and the streaming wsstream Conn define it:
 * every binary message is one channel byte followed by data; v5 adds channel 255, whose single data
 * byte names a channel the peer half-closes (kubectl's stdin EOF).
 */

/** Channel numbers (`StreamStdIn` .. `StreamResize`) and v5's close signal (`StreamClose`). */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The channels a remote-command connection opens, always five (`createChannels` in proxy/websocket.go). */
export const CHANNEL_COUNT = 5;

/** `v5.channel.k8s.io`: v4 plus the close channel; what kubectl 1.35 asks for. */
export const PROTOCOL_V5 = 'v5.channel.k8s.io';
/** `v4.channel.k8s.io`: JSON Status on the error channel, no close channel. */
export const PROTOCOL_V4 = 'v4.channel.k8s.io';

/** The remote-command subprotocols the simulator serves, preferred first. */
export const SUPPORTED_PROTOCOLS: readonly string[] = [PROTOCOL_V5, PROTOCOL_V4];

/**
 * golang.org/x/net/websocket's `DefaultMaxPayloadBytes` (32 MiB), which the streaming Conn keeps: a
 * larger frame fails the receive, and the server ends the connection.
 */
export const MAX_FRAME_BYTES = 32 << 20;

/**
 * The subprotocol the real path would pick from `Sec-WebSocket-Protocol`: any v5 offer goes to the API
 * server's stream translator, which speaks only v5; otherwise the upgrade is proxied to the kubelet,
 * which takes the client's first protocol it knows (v4, the legacy `channel.k8s.io`, or none at all).
 * Undefined: nothing acceptable, which x/net/websocket answers with a bare 403.
 */
export function selectProtocol(header: string | undefined): string | undefined {
  if (header === undefined) return '';
  const offered = header.split(',').map((p) => p.trim()).filter(Boolean);
  if (offered.includes(PROTOCOL_V5)) return PROTOCOL_V5;
  return offered.find((p) => p === PROTOCOL_V4 || p === 'channel.k8s.io');
}

/** One binary message: the channel byte, then the data. */
export function encodeFrame(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), bytes]);
}

/** What one received message means to the server, as `Conn.handle` reads it. */
export type InboundFrame =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'data'; readonly channel: number; readonly data: Buffer }
  | { readonly kind: 'half-close'; readonly channel: number }
  /** A protocol error the real server answers by ending the connection. */
  | { readonly kind: 'fatal'; readonly why: string };

/**
 * Classifies a received message like wsstream's `Conn.handle`: empty messages are skipped; with v5, a
 * close message must carry exactly one byte naming one of the five channels, or the connection ends;
 * a data frame for a channel that does not exist is dropped (logged, not fatal, on the real server).
 */
export function parseInboundFrame(message: Buffer, protocol: string): InboundFrame {
  if (message.length === 0) return { kind: 'ignore' };
  const channel = message[0]!;
  if (protocol === PROTOCOL_V5 && channel === CHANNEL.close) {
    if (message.length !== 2) return { kind: 'fatal', why: 'Single channel byte should follow stream close signal' };
    const target = message[1]!;
    if (target >= CHANNEL_COUNT) return { kind: 'fatal', why: 'Close is targeted for a channel that is not valid, possible protocol error' };
    return { kind: 'half-close', channel: target };
  }
  if (channel >= CHANNEL_COUNT) return { kind: 'ignore' };
  return { kind: 'data', channel, data: message.subarray(1) };
}

/** `json.Marshal(metav1.Status{Status: Success})`: no kind or apiVersion, empty metadata. */
export function successStatus(): string {
  return JSON.stringify({ metadata: {}, status: 'Success' });
}

/**
 * The Status for a command that exited non-zero, as the real path writes it for each protocol:
 * v5 goes through the API server's stream translator (`codeExitToStatusError` around client-go's
 * `command terminated with exit code N`), v4 is proxied to the kubelet, whose message wraps the
 * container runtime's (containerd: `error executing command [argv], exit code N`).
 */
export function nonZeroExitStatus(protocol: string, argv: readonly string[], code: number): string {
  const inner = protocol === PROTOCOL_V5
    ? `command terminated with exit code ${code}`
    : `error executing command [${argv.join(' ')}], exit code ${code}`;
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${inner}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

/**
 * `apierrors.NewInternalError` marshalled without TypeMeta: what the error channel carries when the
 * runtime could not start the command at all (a missing executable).
 */
export function internalErrorStatus(message: string): string {
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  });
}

/** Terminal size as the resize channel carries it (`remotecommand.TerminalSize`, JSON). */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** Reads the JSON resize messages of channel 4 (`{"Width":80,"Height":24}`); malformed ones are skipped. */
export function parseResize(data: Buffer): TerminalSize | undefined {
  try {
    const value = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const width = Number(value.Width ?? 0);
    const height = Number(value.Height ?? 0);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

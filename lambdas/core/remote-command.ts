import { channelName, type SessionChannel } from './session-recording';

/**
 * The remote-command WebSocket protocols as kubectl and the API server speak them
 * (k8s.io/apimachinery/pkg/util/remotecommand, client-go tools/remotecommand): every binary message starts
 * with a channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); v5 adds 255, a half-close
 * `[255, channel]`. Port-forward goes as SPDY/3.1 tunnelled in binary messages.
 */

/** The exec/attach subprotocols Gatehouse relays, best first (kubectl 1.35 offers only v5). */
export const REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** kubectl 1.31+'s port-forward: SPDY/3.1 inside WebSocket binary messages. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** The v5 channel byte that half-closes a channel. */
export const CLOSE_CHANNEL = 255;

/** Largest message Gatehouse relays: client-go's buffers are 32 KiB plus a channel byte; this leaves room. */
export const MAX_SESSION_MESSAGE_BYTES = 1024 * 1024;

/**
 * The subprotocols of a client's offer that Gatehouse relays for this subresource, in the client's order
 * (`Sec-WebSocket-Protocol` is a comma-separated list, possibly repeated). Empty: nothing it can carry.
 */
export function relayableProtocols(offered: readonly string[], subresource: string): string[] {
  const wanted: readonly string[] = subresource === 'portforward' ? [PORT_FORWARD_TUNNEL_PROTOCOL] : REMOTE_COMMAND_PROTOCOLS;
  return offered.flatMap((value) => value.split(',')).map((p) => p.trim()).filter((p) => wanted.includes(p));
}

/** What a message from the client is, or why it may not be relayed. */
export type ClientMessage =
  | { readonly ok: true; readonly channel: SessionChannel; readonly data: Buffer; readonly close?: true }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads one message kubectl sent on an exec or attach session. A client writes only stdin and resize (and, on
 * v5, closes a channel); anything else (a frame on stdout, an unknown channel, an empty message) is refused,
 * as the server would not read it either and a relay must not pass on what it cannot account for.
 */
export function readClientMessage(message: Buffer, protocol: string): ClientMessage {
  if (message.length === 0) return { ok: false, problem: 'an empty message (no channel byte)' };
  const id = message[0]!;
  if (id === CLOSE_CHANNEL) {
    if (protocol !== 'v5.channel.k8s.io') return { ok: false, problem: `a close message on ${protocol}, which has no close channel` };
    if (message.length !== 2) return { ok: false, problem: 'a close message that does not name exactly one channel' };
    const closed = channelName(message[1]!);
    if (closed !== 'stdin') return { ok: false, problem: `a close of channel ${message[1]}, which the client does not write` };
    return { ok: true, channel: 'stdin', data: Buffer.alloc(0), close: true };
  }
  const channel = channelName(id);
  if (channel !== 'stdin' && channel !== 'resize') return { ok: false, problem: `a message on channel ${id}, which a client may not write` };
  return { ok: true, channel, data: message.subarray(1) };
}

/** A message from the cluster on an exec or attach session, by channel. */
export function readServerMessage(message: Buffer): { readonly channel: SessionChannel | undefined; readonly close: boolean; readonly data: Buffer } {
  const id = message[0];
  if (id === CLOSE_CHANNEL) return { channel: channelName(message[1] ?? -1), close: true, data: Buffer.alloc(0) };
  return { channel: id === undefined ? undefined : channelName(id), close: false, data: message.subarray(1) };
}

/**
 * The exit code the error channel's Status carries, as client-go's errorDecoderV4 reads it: `Success` is 0, a
 * `NonZeroExitCode` failure has the code as an `ExitCode` cause; any other failure has no code (kubectl then
 * prints the message and exits 1). Undefined when the text is not a Status.
 */
export function exitCodeOf(errorChannelText: string): number | undefined {
  let status: { status?: unknown; reason?: unknown; details?: { causes?: Array<{ reason?: unknown; message?: unknown }> } };
  try {
    status = JSON.parse(errorChannelText) as typeof status;
  } catch {
    return undefined;
  }
  if (status.status === 'Success') return 0;
  if (status.reason !== 'NonZeroExitCode') return undefined;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = typeof cause?.message === 'string' && /^\d+$/.test(cause.message) ? Number(cause.message) : undefined;
  return code !== undefined && code <= 255 ? code : undefined;
}

/**
 * What Gatehouse writes on the error channel when it ends a session itself (revoked grant, expired token, an
 * operator): a Failure Status, which kubectl prints as `error: <message>` and exits 1 on.
 */
export function gatehouseEndMessage(message: string, reason = 'Forbidden', code = 403): Buffer {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  return Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]);
}

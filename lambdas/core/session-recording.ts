import { queryBool } from './query-bool';
import type { ReplayBody } from './session-record';

/**
 * How an upgraded session (exec, attach, cp, port-forward through the session front) is recorded. The frames
 * are kept as the units of a stream recording (stream-recording.ts: chained parts written while the session
 * runs, so a crash loses seconds, not the session), each unit naming the channel it travelled on. The record's
 * completion (`upgrade`) and the replay blob (`response.upgrade`) carry a {@link SessionSummary}.
 */

/** The remote-command channels, as `k8s.io/apimachinery/pkg/util/remotecommand` numbers them (v4 and v5). */
export const SESSION_CHANNELS = ['stdin', 'stdout', 'stderr', 'error', 'resize'] as const;

/** A channel of an exec or attach session. */
export type SessionChannel = (typeof SESSION_CHANNELS)[number];

/** Channel number on the wire (the first byte of each WebSocket message) to its name. */
export function channelName(id: number): SessionChannel | undefined {
  return SESSION_CHANNELS[id];
}

/** The kinds of upgraded sessions. */
export type SessionKind = 'exec' | 'attach' | 'portforward';

/**
 * One recorded frame of an exec or attach session: what travelled on `channel` at `atMs` after the session
 * opened, masked (credential patterns) as it is stored. `close` marks a v5 half-close of that channel.
 */
export type SessionFrame = ReplayBody & {
  readonly atMs: number;
  readonly channel: SessionChannel;
  readonly close?: true;
};

/**
 * One recorded event of a port-forward session: a connection to a pod port opened or closed, with bytes so far.
 * Its body is empty (`data: ''`): port-forward content is application traffic and is not kept, only counted.
 */
export type PortForwardEvent = ReplayBody & {
  readonly atMs: number;
  readonly channel: 'portforward';
  readonly event: 'open' | 'close';
  readonly port: number;
  /** The client's request id for this connection (the SPDY `requestID` header), to pair open with close. */
  readonly connectionId: string;
  /** Bytes sent to the pod on this connection so far. */
  readonly bytesToPod: number;
  /** Bytes received from the pod on this connection so far. */
  readonly bytesFromPod: number;
};

/** What a session's record and replay blob say of it once it ended. */
export interface SessionSummary {
  readonly kind: SessionKind;
  /** The negotiated WebSocket subprotocol, e.g. `v5.channel.k8s.io`. */
  readonly protocol: string;
  /** The command run (exec), as the `command` query values. */
  readonly command?: readonly string[];
  readonly container?: string;
  readonly tty?: boolean;
  readonly stdin?: boolean;
  /** The exit code the cluster reported (exec and attach); absent when the session ended before it said. */
  readonly exitCode?: number;
  readonly durationMs: number;
  /** Bytes per channel (exec, attach) or per direction (port-forward: `toPod`, `fromPod`). */
  readonly bytes: Readonly<Record<string, number>>;
  /** Port-forward: the connections made, by port. */
  readonly connections?: ReadonlyArray<{ readonly port: number; readonly count: number; readonly bytesToPod: number; readonly bytesFromPod: number }>;
  /** Who or what ended it: `cluster`, `client`, `revoked`, `operator`, `time-limit`, `idle`, `error`. */
  readonly endedBy: string;
}

/** Reads the exec options of a request's query the way the server decodes PodExecOptions (repeated `command`). */
export function execOptionsOf(query: URLSearchParams): { readonly command: readonly string[]; readonly container?: string; readonly tty: boolean; readonly stdin: boolean } {
  const container = query.get('container') ?? undefined;
  return {
    command: query.getAll('command'),
    ...(container ? { container } : {}),
    // As the server's parameter codec converts them: `tty=` and `stdin=yes` are true (see query-bool.ts).
    tty: queryBool(query, 'tty'),
    stdin: queryBool(query, 'stdin'),
  };
}

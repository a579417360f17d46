import type { RequestInfo } from '../request-info';
import { execOptionsOf } from '../session-recording';
import { compileGlobSet, GlobSet, globSetMatches } from './glob';
import type { PolicyExecSpec, PolicyInput, PolicyPortSpec } from './policy-types';

/**
 * Conditions on exec, attach and port-forward sessions (`match.exec`, `match.ports`), read from the request's
 * query the way the API server and the kubelet read it.
 */

/** The pod subresources that open a session; kubectl reaches them by a WebSocket GET or an SPDY POST. */
export const SESSION_SUBRESOURCES: readonly string[] = ['exec', 'attach', 'portforward'];

/**
 * True for a WebSocket GET of pods/exec, pods/attach or pods/portforward. The API server authorizes it as
 * `create` too (since Kubernetes 1.31, the AuthorizePodWebsocketUpgradeCreatePermission gate), and so does
 * Gatehouse: such a GET matches rules listing `get` and rules listing `create`, so a rule denying
 * `create pods/exec` cannot be dodged by switching from SPDY to WebSockets.
 */
export function isSessionUpgradeGet(req: RequestInfo): boolean {
  return req.isResourceRequest && req.verb === 'get' && req.apiGroup === '' && req.resource === 'pods' && SESSION_SUBRESOURCES.includes(req.subresource);
}

/** What the exec and port-forward conditions look at, computed once per input. */
export interface SessionFacts {
  readonly subresource: string;
  /** The `command` values joined by single spaces, white-space runs collapsed, trimmed. */
  readonly command: string;
  /** The `container` value, '' when the request names none. */
  readonly container: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  /** Every port the `ports` values name (repeated or comma-separated); entries the kubelet could not parse are left out. */
  readonly ports: readonly number[];
}

const facts = new WeakMap<PolicyInput, SessionFacts>();

/** The session facts of an input (cached per input object). */
export function sessionFactsOf(input: PolicyInput): SessionFacts {
  const known = facts.get(input);
  if (known) return known;
  const query = new URLSearchParams(input.query ?? '');
  const options = execOptionsOf(query);
  const computed: SessionFacts = {
    subresource: input.request.isResourceRequest ? input.request.subresource : '',
    command: normalizeCommand(options.command.join(' ')),
    container: options.container ?? '',
    tty: options.tty,
    stdin: options.stdin,
    ports: portsOfQuery(query),
  };
  facts.set(input, computed);
  return computed;
}

/** White-space runs (as a shell splits words: space, tab, newline...) become one space; ends are trimmed. */
export function normalizeCommand(text: string): string {
  return text.replace(/[ \t\n\r\f\v]+/g, ' ').trim();
}

/**
 * The ports of a port-forward request's `ports` values, as the kubelet reads them (`strconv.ParseUint(p, 10, 16)`
 * on each comma-separated piece, 0 refused): `ports=8080&ports=9090` and `ports=8080,9090` are the same.
 * Pieces the kubelet would refuse are left out (it refuses the whole request for them).
 */
export function portsOfQuery(query: URLSearchParams): number[] {
  const out: number[] = [];
  for (const value of query.getAll('ports')) {
    for (const piece of value.split(',')) {
      if (!/^[0-9]{1,5}$/.test(piece.replace(/^0+(?=[0-9])/, ''))) continue;
      const port = Number(piece);
      if (port >= 1 && port <= 65535 && !out.includes(port)) out.push(port);
    }
  }
  return out;
}

/** The same input with the query naming only `port` (every other parameter kept). */
export function withSinglePort(input: PolicyInput, port: number): PolicyInput {
  const query = new URLSearchParams(input.query ?? '');
  query.delete('ports');
  query.append('ports', String(port));
  return { ...input, query: query.toString() };
}

/** A compiled `match.exec`. */
export type ExecCondition = (facts: SessionFacts) => boolean;

/** Compiles a validated `match.exec`. */
export function compileExecCondition(spec: PolicyExecSpec): ExecCondition {
  const commands: GlobSet | null = spec.commands ? compileGlobSet(spec.commands.map(normalizeCommand)) : null;
  const containers: GlobSet | null = spec.containers ? compileGlobSet(spec.containers) : null;
  const { tty, stdin } = spec;
  return (f) => {
    if (f.subresource !== 'exec' && f.subresource !== 'attach') return false;
    if (commands !== null && (f.subresource !== 'exec' || !globSetMatches(commands, f.command))) return false;
    if (containers !== null && !globSetMatches(containers, f.container)) return false;
    if (tty !== undefined && f.tty !== tty) return false;
    if (stdin !== undefined && f.stdin !== stdin) return false;
    return true;
  };
}

/**
 * A compiled `match.ports`. `holds` is true when a port of the request is listed, false when none is (or the
 * request is not a port-forward), undefined when the port-forward names no port yet (the opening of kubectl's
 * tunnel, whose ports arrive per connection; the session front asks again for each with `ports=<n>`).
 */
export interface PortsCondition {
  /** The listed ports and ranges as inclusive [low, high]. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly holds: (facts: SessionFacts) => boolean | undefined;
}

/** Compiles a validated `match.ports`. */
export function compilePortsCondition(spec: readonly PolicyPortSpec[]): PortsCondition {
  const ranges = spec.map(portRange).filter((r): r is readonly [number, number] => r !== undefined);
  return {
    ranges,
    holds: (f) => {
      if (f.subresource !== 'portforward') return false;
      if (f.ports.length === 0) return undefined;
      return f.ports.some((p) => ranges.some(([low, high]) => p >= low && p <= high));
    },
  };
}

/**
 * One port from each stretch of ports that the given conditions cannot tell apart: every port decides as one of
 * these does. Used to decide a tunnel's opening as the most permissive decision any port would get.
 */
export function representativePorts(conditions: readonly PortsCondition[]): number[] {
  const starts = new Set<number>([1]);
  for (const { ranges } of conditions) {
    for (const [low, high] of ranges) {
      starts.add(low);
      if (high < 65535) starts.add(high + 1);
    }
  }
  return [...starts].sort((a, b) => a - b);
}

/** A port entry as [low, high], or undefined when it is neither a port nor a range (validation reports it). */
export function portRange(entry: PolicyPortSpec): readonly [number, number] | undefined {
  const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (typeof entry === 'number') return isPort(entry) ? [entry, entry] : undefined;
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(entry);
  if (!m) return undefined;
  const low = Number(m[1]);
  const high = m[2] === undefined ? low : Number(m[2]);
  return isPort(low) && isPort(high) && low <= high ? [low, high] : undefined;
}

import { queryBool } from './query-bool';
import { badRequest } from './status-errors';
import { isJsonObject, type KubeObject } from './types';

/** Log options from the query string (`container`, `tailLines`, `timestamps`, `limitBytes`, `previous`, `follow`). */
export interface LogOptions {
  readonly container?: string;
  readonly tailLines?: number;
  readonly timestamps: boolean;
  readonly limitBytes?: number;
  readonly previous: boolean;
  readonly follow: boolean;
}

// A fixed clock for log timestamps, so the same pod always prints the same bytes (tests compare them).
const LOG_EPOCH = Date.UTC(2025, 0, 15, 8, 0, 0);

function nonNegativeInt(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be an integer`);
  const n = Number(value);
  if (n < 0) throw badRequest(`${name}: Invalid value: ${n}: must be greater than or equal to 0`);
  return n;
}

/** Reads the log query parameters; malformed numbers are a 400. */
export function parseLogOptions(query: URLSearchParams): LogOptions {
  // PodLogOptions booleans go through the apiserver's string-to-bool conversion: `follow=yes` follows.
  const flag = (name: string): boolean => queryBool(query, name);
  const tailLines = nonNegativeInt('tailLines', query.get('tailLines'));
  const limitBytes = nonNegativeInt('limitBytes', query.get('limitBytes'));
  if (limitBytes === 0) throw badRequest('limitBytes: Invalid value: 0: must be greater than 0');
  return { container: query.get('container') ?? undefined, tailLines, timestamps: flag('timestamps'), limitBytes, previous: flag('previous'), follow: flag('follow') };
}

/** Picks the container to read, with the kubelet's errors for a missing or ambiguous name. */
export function selectContainer(pod: KubeObject, requested: string | undefined): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const names = (Array.isArray(spec.containers) ? spec.containers : [])
    .filter(isJsonObject)
    .map((c) => String(c.name ?? ''));
  const initNames = (Array.isArray(spec.initContainers) ? spec.initContainers : []).filter(isJsonObject).map((c) => String(c.name ?? ''));
  if (!requested) {
    if (names.length === 1) return names[0]!;
    const preferred = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (preferred && names.includes(preferred)) return preferred;
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
  }
  if (!names.includes(requested) && !initNames.includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
  }
  return requested;
}

function restartCount(pod: KubeObject, container: string): number {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const s = (Array.isArray(status.containerStatuses) ? status.containerStatuses : []).filter(isJsonObject).find((c) => c.name === container);
  return typeof s?.restartCount === 'number' ? s.restartCount : 0;
}

/**
 * The deterministic log of a container: the same pod and container always give the same lines. One
 * line carries an AWS-access-key-looking value (`AKIAIOSFODNN7EXAMPLE`, AWS's documented example
 * key) so masking can be tested against real kubectl output.
 */
export function containerLogLines(pod: KubeObject, container: string, previous: boolean): string[] {
  if (previous && restartCount(pod, container) === 0) {
    throw badRequest(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
  }
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const messages = [
    `INFO starting ${container} pod=${name} namespace=${ns}`,
    `INFO loaded configuration from /etc/${container}/config.yaml`,
    `INFO connecting to database host=db.${ns}.internal port=5432`,
    `DEBUG aws credentials loaded access_key_id=AKIAIOSFODNN7EXAMPLE region=us-east-1`,
    `INFO listening on :8080`,
    `INFO GET /healthz 200 1ms`,
    `INFO GET /api/v1/orders 200 12ms`,
    `WARN slow request GET /api/v1/reports took 1532ms`,
    `INFO GET /healthz 200 1ms`,
    `ERROR upstream timeout calling payments service after 5000ms`,
    `INFO GET /healthz 200 1ms`,
    previous ? `FATAL exiting: connection refused (previous run of ${container})` : `INFO served 42 requests in the last minute`,
  ];
  return messages.map((m, i) => `${new Date(LOG_EPOCH + i * 1000).toISOString()} ${m}`);
}

/** Extra lines a follow stream sends after the backlog, one per tick. */
export function followLine(index: number): string {
  return `${new Date(LOG_EPOCH + (100 + index) * 1000).toISOString()} INFO heartbeat ${index + 1}`;
}

/** The kubelet's RFC 3339 nanosecond prefix for `timestamps=true`. */
function kubeletTimestamp(index: number): string {
  return new Date(LOG_EPOCH + index * 1000 + 1).toISOString().replace(/Z$/, '000000Z');
}

/** Applies tailLines and timestamps, and joins lines as the kubelet streams them (newline-terminated). */
export function renderLog(lines: readonly string[], options: LogOptions, startIndex = 0): string {
  const selected = options.tailLines === undefined ? lines : options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
  const offset = startIndex + (lines.length - selected.length);
  const text = selected
    .map((line, i) => (options.timestamps ? `${kubeletTimestamp(offset + i)} ${line}` : line))
    .map((line) => `${line}\n`)
    .join('');
  return text;
}

import type { ReplayBody } from '../lambdas/core/session-record';
import { decisionLabel, formatDuration, formatTime, maskedTotal, shellQuote, statusText } from './format';
import { isKubeTable, renderKubeTable } from './kube-table';
import { isSessionEntry, liveSessionLine, renderSession, sessionCommandLine, sessionJson, sessionKind } from './session-transcript';
import type { ReplayEntry, RequestRecord } from './types';

/** How a transcript is rendered. */
export interface TranscriptOptions {
  /** Cut each body after this many lines (0: never). */
  readonly maxBodyLines?: number;
  /** Show request bodies (masked) of writes. @default true */
  readonly requestBodies?: boolean;
}

const VERB_COMMAND: Readonly<Record<string, string>> = {
  get: 'get', list: 'get', watch: 'get --watch', create: 'create', update: 'replace', patch: 'patch', delete: 'delete', deletecollection: 'delete --all',
};
const RAW_COMMAND: Readonly<Record<string, string>> = { GET: 'get', POST: 'create', PUT: 'replace', DELETE: 'delete' };

/**
 * The kubectl command equivalent to one recorded request, e.g. `kubectl get pods -n prod`. One kubectl
 * run makes several requests (discovery, the list, ...), so each request gets the command that would
 * make exactly that request; the command kubectl itself reported is shown on the request line.
 */
export function commandLine(record: RequestRecord): string {
  const pathAndQuery = `${record.path ?? '/'}${record.query ? `?${record.query}` : ''}`;
  if (record.awsService) return awsCommandLine(record);
  if (sessionKind(record) && record.resource === 'pods') return sessionCommandLine(record);
  if (!record.resource) {
    const raw = RAW_COMMAND[(record.method ?? 'GET').toUpperCase()];
    return raw ? `kubectl ${raw} --raw ${shellQuote(pathAndQuery)}` : `kubectl # ${record.method} ${pathAndQuery}`;
  }
  const builtIn = !record.apiGroup || !record.apiGroup.includes('.') || record.apiGroup.endsWith('.k8s.io');
  const resource = builtIn ? record.resource : `${record.resource}.${record.apiGroup}`;
  const words = ['kubectl'];
  if (record.subresource === 'log') words.push('logs', record.name ?? '');
  else {
    words.push(VERB_COMMAND[record.verb ?? ''] ?? record.verb ?? 'get', record.name ? `${resource}/${record.name}` : resource);
    if (record.subresource) words.push(`--subresource=${record.subresource}`);
  }
  const namespaceObject = record.resource === 'namespaces' && !record.apiGroup;
  if (record.namespace && !namespaceObject) words.push('-n', record.namespace);
  else if (isAllNamespaces(record)) words.push('-A');
  return words.filter(Boolean).join(' ');
}

/**
 * The AWS CLI command of a recorded AWS call, e.g. `aws dynamodb get-item  # arn:aws:dynamodb:...:table/orders`:
 * the action in the CLI's kebab case (`s3api` for S3's API actions), the resources it touched as a comment.
 */
export function awsCommandLine(record: RequestRecord): string {
  const service = record.awsService === 's3' ? 's3api' : record.awsService;
  const action = record.awsAction
    ? record.awsAction.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()
    : `<unknown action: ${record.method ?? '?'} ${record.path ?? '/'}>`;
  const resources = record.awsResources?.length ? `  # ${record.awsResources.join(' ')}` : '';
  return `aws ${service} ${action} --region ${record.awsRegion ?? '?'}${resources}`;
}

/** The `$ command   # who, when, decision, status, time` line. */
export function headerLine(record: RequestRecord): string {
  const facts = [
    `agent ${record.agent ?? '?'}`,
    formatTime(record.startedAt),
    decisionLabel(record),
    record.outcome === 'pending' || record.status === undefined ? 'in flight' : statusText(record.status),
    ...(record.latencyMs !== undefined ? [formatDuration(record.latencyMs)] : []),
    ...(maskedTotal(record.maskedCounts) ? [`${maskedTotal(record.maskedCounts)} masked`] : []),
    ...(record.unmasked ? ['UNMASKED'] : []),
  ];
  return `$ ${commandLine(record)}   # ${facts.join(', ')}`;
}

/** The `> GET /path?query` line, with what kubectl said it was running and the request id. */
export function requestLine(record: RequestRecord): string {
  const via = [record.kubectlCommand, `request ${record.requestId}`].filter(Boolean).join(', ');
  return `> ${record.method ?? '?'} ${record.path ?? '/'}${record.query ? `?${record.query}` : ''}   (${via})`;
}

/** One transcript entry: header, request line, request body of writes, then the response as kubectl would print it. */
export function renderEntry(entry: ReplayEntry, options: TranscriptOptions = {}): string {
  const { record } = entry;
  const lines = [headerLine(record), requestLine(record)];
  const problem = entry.integrity === 'pending' && sessionKind(record) ? liveSessionLine(record) : integrityLine(entry);
  if (problem) return `${[...lines, problem].join('\n')}\n\n`;
  if (isSessionEntry(entry)) return `${[...lines, ...renderSession(entry, options)].join('\n')}\n\n`;
  const blob = entry.blob;
  if (blob) {
    if (options.requestBodies !== false && blob.request.body) {
      for (const line of limitLines(renderBody(blob.request.body, blob.request.headers['content-type'], record, false), options.maxBodyLines).split('\n')) {
        if (line !== '') lines.push(`> ${line}`);
      }
    }
    const response = renderBody(blob.response.body, blob.response.headers['content-type'], record, true);
    if (response) lines.push(limitLines(response, options.maxBodyLines).replace(/\n$/, ''));
  }
  if (entry.stream) lines.push(...renderStream(entry, options));
  return `${lines.join('\n')}\n\n`;
}

/**
 * A watch or follow as it happened: each watch event on its own line (type, kind and name, like
 * `kubectl get -w --output-watch-events`), each log line as written, every one with its time since the stream
 * opened; then how the stream ended.
 */
export function renderStream(entry: ReplayEntry, options: TranscriptOptions = {}): string[] {
  const { record } = entry;
  const watch = record.verb === 'watch';
  const out: string[] = [];
  for (const unit of entry.stream ?? []) {
    const at = `[+${(unit.atMs / 1000).toFixed(3)}s]`;
    if (unit.encoding === 'base64') {
      out.push(`${at} [binary, ${Buffer.from(unit.data, 'base64').length} bytes]`);
      continue;
    }
    for (const line of unit.data.split('\n')) {
      if (line === '') continue;
      out.push(`${at} ${watch ? watchEventLine(line) : line}`);
    }
  }
  const shown = options.maxBodyLines && out.length > options.maxBodyLines
    ? [...out.slice(0, options.maxBodyLines), `… ${out.length - options.maxBodyLines} more lines (use --max-body-lines 0 for all)`]
    : out;
  const summary = entry.blob?.response.stream;
  const ended = summary
    ? `(stream of ${summary.units} ${watch ? 'events' : 'chunks'}, ${summary.bytes} bytes, ${(summary.durationMs / 1000).toFixed(1)} s, ended by ${summary.endedBy}${summary.truncated ? '; recording stopped at its size cap' : ''})`
    : '(stream still open, or its Lambda stopped before completing the record: what passed until then)';
  return [...shown, ended];
}

/** `ADDED ConfigMap staging/web` from a watch event line (masked objects keep kind and name). */
function watchEventLine(line: string): string {
  try {
    const event = JSON.parse(line) as { type?: string; object?: { kind?: string; message?: string; metadata?: { name?: string; namespace?: string; resourceVersion?: string } } };
    const object = event.object ?? {};
    if (event.type === 'ERROR') return `ERROR ${object.message ?? ''}`.trimEnd();
    const meta = object.metadata ?? {};
    const name = [meta.namespace, meta.name].filter(Boolean).join('/');
    return `${(event.type ?? '?').padEnd(9)}${object.kind ?? '?'} ${name}${meta.resourceVersion ? ` (resourceVersion ${meta.resourceVersion})` : ''}`;
  } catch {
    return line;
  }
}

/** What is wrong with an entry's blob, or undefined when it can be shown. */
export function integrityLine(entry: ReplayEntry): string | undefined {
  switch (entry.integrity) {
    case 'ok':
      return undefined;
    case 'pending':
      return '(request still in flight: no response recorded yet)';
    case 'not-written':
      return '(the proxy could not write this request\'s replay blob; the record above is all there is)';
    case 'delivering':
      return '(replay blob still being delivered: the replay delivery stream writes a session\'s batch within about a minute; run again shortly)';
    case 'missing':
      return `!! INTEGRITY FAILURE: replay blob ${entry.record.replayKey} is missing although the record names it${batchProblemsText(entry)}`;
    case 'mismatch':
      if (entry.streamProblem) return `!! INTEGRITY FAILURE: the recorded stream of request ${entry.record.requestId} fails its check: ${entry.streamProblem}; stream withheld`;
      return `!! INTEGRITY FAILURE: replay blob ${entry.record.replayKey} has SHA-256 ${entry.actualSha256}, the record says ${entry.record.replaySha256}; body withheld`;
  }
}

/** What failed the integrity check, for the `INTEGRITY FAILURE: request <id>: ...` line on stderr (replay, export). */
export function integrityProblem(entry: ReplayEntry): string {
  if (entry.streamProblem) return `recorded stream: ${entry.streamProblem}`;
  const { record } = entry;
  return `replay blob ${record.replayKey} ${entry.integrity === 'missing' ? 'is missing' : `has SHA-256 ${entry.actualSha256}, the record says ${record.replaySha256}`}`;
}

/** Whether an entry failed its integrity check (its blob or its recorded stream changed or gone). */
export function failedIntegrity(entry: ReplayEntry): boolean {
  return entry.integrity === 'mismatch' || entry.integrity === 'missing';
}

function batchProblemsText(entry: ReplayEntry): string {
  const problems = entry.batchProblems ?? [];
  return problems.length ? `; the session's replay batches hold ${problems.length} damaged line(s): ${problems.join('; ')}` : '';
}

/** A body as kubectl would show it: Tables as columns, failure Statuses as `Error from server`, JSON pretty, text as is. */
export function renderBody(body: ReplayBody | undefined, contentType: string | undefined, record: RequestRecord, isResponse: boolean): string {
  if (!body || body.data === '') return '';
  if (body.encoding === 'base64') return `[binary ${isResponse ? 'response' : 'request'} body, ${Buffer.from(body.data, 'base64').length} bytes]\n`;
  const text = body.data;
  if (!/json/i.test(contentType ?? '') && !/^\s*[{[]/.test(text)) return text.endsWith('\n') ? text : `${text}\n`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.endsWith('\n') ? text : `${text}\n`;
  }
  if (isResponse && isKubeTable(parsed)) return renderKubeTable(parsed, { allNamespaces: isAllNamespaces(record), namespace: record.namespace || undefined });
  const status = parsed as { kind?: string; status?: string; reason?: string; message?: string };
  if (isResponse && status.kind === 'Status' && status.status === 'Failure') return `Error from server (${status.reason ?? 'Unknown'}): ${status.message ?? ''}\n`;
  return `${JSON.stringify(parsed, null, 2)}\n`;
}

/** A machine-readable transcript entry (one JSON line per request for `replay --json`). */
export function entryJson(entry: ReplayEntry): Record<string, unknown> {
  const { record } = entry;
  return {
    requestId: record.requestId,
    startedAt: record.startedAt,
    issuer: record.issuer,
    agent: record.agent,
    session: record.session,
    connection: record.connection,
    command: commandLine(record),
    kubectlCommand: record.kubectlCommand,
    method: record.method,
    path: record.path,
    query: record.query,
    summary: record.summary,
    decision: record.decision,
    ruleId: record.ruleId,
    outcome: record.outcome,
    status: record.status,
    latencyMs: record.latencyMs,
    maskedCounts: record.maskedCounts,
    integrity: entry.integrity,
    ...(entry.integrity === 'mismatch' ? { expectedSha256: record.replaySha256, actualSha256: entry.actualSha256 } : {}),
    ...(entry.streamProblem ? { streamProblem: entry.streamProblem } : {}),
    request: entry.blob?.request,
    response: entry.blob?.response,
    ...(isSessionEntry(entry) ? sessionJson(entry) : entry.stream ? { stream: entry.stream } : {}),
  };
}

function isAllNamespaces(record: RequestRecord): boolean {
  return !record.namespace && !record.name && ['list', 'watch', 'deletecollection'].includes(record.verb ?? '') && (record.summary ?? '').endsWith('in all namespaces');
}

function limitLines(text: string, max: number | undefined): string {
  if (!max) return text;
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.length <= max) return text;
  return `${lines.slice(0, max).join('\n')}\n… ${lines.length - max} more lines (use --max-body-lines 0 for all)\n`;
}

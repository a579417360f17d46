import fs from 'node:fs';
import path from 'node:path';
import { asciicast } from '../asciicast';
import { str, type CommandContext, type CommandSpec } from '../command';
import { CliError, EXIT, UsageError } from '../errors';
import { decisionLabel, formatDuration } from '../format';
import { withProgress } from '../io';
import { findRecords, loadEntries, loadEntry } from '../record-reader';
import { commandText, isSessionEntry, sessionFrames, sessionKind, sessionSummaryOf, ttyOf } from '../session-transcript';
import { parseDuration } from '../time-range';
import { commandLine, failedIntegrity } from '../transcript';
import type { ReplayEntry, RequestRecord } from '../types';
import { FILTER_OPTIONS, recordFilters } from './record-filters';
import { oneRequest, reportIntegrityFailure } from './replay';

/** Fields first in every line, so the lines read alike; the rest follow in name order. */
const LEADING = ['requestId', 'startedAt', 'issuer', 'agent', 'session', 'connection', 'method', 'path', 'query', 'summary', 'decision', 'ruleId', 'outcome', 'status'];

/** Table keys that mean nothing outside DynamoDB. */
const INTERNAL_KEYS = new Set(['pk', 'sessionKey', 'agentKey', 'connectionKey', 'startedAtId', 'expiresAtEpoch']);

/** `gatehouse export`. */
export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'export a session or a time range as JSON lines (for a SIEM), or one exec session as an asciicast',
  usage: '[<session>] (--session <s> | --agent <a> | --connection <c> | --since <duration> | --from <time> [--to <time>]) [--request <id>] [--output <file>] [--with-replay] [--format jsonl|asciicast]',
  description: [
    'Writes one JSON object per request, in start order: {"type":"gatehouse.request", requestId, startedAt, agent,',
    'session, connection, method, path, verb, resource, namespace, decision, ruleId, outcome, status, latencyMs,',
    'maskedCounts, ...}. --with-replay adds each request\'s masked replay blob and its integrity check',
    '("integrity": ok | mismatch | missing | pending | not-written); a mismatch makes the exit code 4.',
    '--format asciicast writes one exec or attach session (--request <id>) as an asciicast v2 file for',
    '`asciinema play` (stdout and stderr as "o" events, stdin as "i", resizes as "r", size from the first resize,',
    'else 80x24); its replay blob and recorded parts are checked first, and a failure writes nothing and exits 4.',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    request: { type: 'string', placeholder: 'id', description: 'only this request (its id or the start of it)' },
    output: { type: 'string', short: 'o', placeholder: 'file', description: 'write to this file instead of stdout' },
    'with-replay': { type: 'boolean', description: 'include the replay blob (integrity-checked) of each request' },
    format: { type: 'string', placeholder: 'jsonl|asciicast', description: 'jsonl (default), or asciicast: one exec/attach session as an asciicast v2 file' },
    'max-idle': { type: 'string', placeholder: 'duration', description: 'asciicast: the idle_time_limit players cut pauses to (e.g. 2s)' },
  },
  positionals: { min: 0, max: 1 },
  examples: [
    'gatehouse --stack Gatehouse export --since 24h -o gatehouse-$(date +%F).jsonl',
    'gatehouse --local export --session demo-agent/local-1 --with-replay',
    'gatehouse --local export demo-agent/run-42 --request 3c1d0e9a --format asciicast -o exec.cast && asciinema play exec.cast',
  ],
  run: exportRecords,
};

async function exportRecords(ctx: CommandContext): Promise<number> {
  const positional = ctx.positionals[0];
  if (positional && str(ctx, 'session') && positional !== str(ctx, 'session')) throw new UsageError('Give the session once: as the argument or with --session.');
  const has = (name: string) => str(ctx, name) !== undefined;
  if (!positional && !['session', 'agent', 'connection', 'since', 'from', 'to', 'request'].some(has)) {
    throw new UsageError('Export what? Give --session <s>, --agent <a>, --connection <c>, or a time range (--since 24h, --from/--to).');
  }
  const format = str(ctx, 'format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'asciicast') throw new UsageError(`--format takes jsonl or asciicast, not "${format}".`);
  const filters = recordFilters(ctx, undefined, positional ?? str(ctx, 'session'));
  const requestId = str(ctx, 'request');
  if (format === 'asciicast') return exportAsciicast(ctx, requestId ? await oneRequest(ctx, filters, requestId) : undefined, filters);
  const target = await ctx.target();
  const records = requestId
    ? await oneRequest(ctx, filters, requestId)
    : await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  const withReplay = ctx.values['with-replay'] === true;
  const entries: ReadonlyArray<ReplayEntry | { record: RequestRecord }> = withReplay
    ? await withProgress(ctx.io, 'Fetching replay blobs', (update) => loadEntries(target, records, (n) => update(`Fetching replay blobs ${n}/${records.length}`)))
    : records.map((record) => ({ record }));
  const lines = entries.map((e) => `${JSON.stringify(exportLine(e))}\n`).join('');
  const output = str(ctx, 'output');
  if (output) {
    fs.writeFileSync(path.resolve(ctx.io.cwd, output), lines);
    ctx.io.stderr.write(`Exported ${records.length} request(s) to ${output}.\n`);
  } else {
    ctx.io.stdout.write(lines);
  }
  const failures = entries.filter((e) => 'integrity' in e && (e.integrity === 'mismatch' || e.integrity === 'missing'));
  if (failures.length) {
    ctx.io.stderr.write(`INTEGRITY FAILURE: ${failures.length} replay blob(s) failed the integrity check (${failures.map((f) => f.record.requestId).join(', ')}); they are exported with "integrity":"${(failures[0] as ReplayEntry).integrity}" and no blob.\n`);
    return EXIT.integrity;
  }
  return EXIT.ok;
}

/**
 * `--format asciicast`: the one exec or attach session named by `--request` (or the only one in the selection),
 * checked like any replay (blob against its SHA-256, parts against their chain), as an asciicast v2 file.
 */
async function exportAsciicast(ctx: CommandContext, named: readonly RequestRecord[] | undefined, filters: Parameters<typeof findRecords>[1]): Promise<number> {
  const target = await ctx.target();
  let record = named?.[0];
  if (!record) {
    const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
    const terminals = records.filter((r) => ['exec', 'attach'].includes(sessionKind(r) ?? ''));
    if (terminals.length !== 1) {
      throw new UsageError(`--format asciicast writes one exec or attach session: give --request <id>${terminals.length ? ` (this selection has ${terminals.length}: ${terminals.slice(0, 5).map((r) => r.requestId).join(', ')}${terminals.length > 5 ? ', ...' : ''})` : ' (this selection has none)'}.`);
    }
    record = terminals[0]!;
  }
  const kind = sessionKind(record);
  if (kind !== 'exec' && kind !== 'attach') {
    throw new UsageError(`Request ${record.requestId} is not an exec or attach session (\`${commandLine(record)}\`); --format asciicast writes only those${kind === 'portforward' ? ' (a port-forward has no terminal: see it with `gatehouse replay`)' : ''}.`);
  }
  const entry = await loadEntry(target, record, () => ctx.now());
  if (failedIntegrity(entry)) {
    reportIntegrityFailure(ctx, entry);
    ctx.io.stderr.write(`INTEGRITY FAILURE: request ${record.requestId} failed the integrity check; no asciicast was written. Treat this session's evidence as tampered.\n`);
    return EXIT.integrity;
  }
  if (!isSessionEntry(entry)) {
    const why = entry.integrity === 'pending' ? 'it is still in flight and nothing is recorded yet' : record.outcome === 'denied' || record.outcome === 'rejected' ? `it was ${decisionLabel(record)}` : 'nothing of it was recorded';
    throw new CliError(`Request ${record.requestId} has no recorded session to export: ${why}.`, EXIT.notFound);
  }
  const summary = sessionSummaryOf(entry);
  const frames = sessionFrames(entry.stream ?? []);
  const maxIdle = str(ctx, 'max-idle');
  const command = summary?.command ?? new URLSearchParams(record.query ?? '').getAll('command');
  const text = asciicast({
    startedAt: record.startedAt,
    frames,
    summary,
    tty: ttyOf(entry),
    command: command.length ? commandText(command) : undefined,
    title: `${commandLine(record)} (agent ${record.agent ?? '?'}, request ${record.requestId})`,
    ...(maxIdle ? { idleTimeLimit: parseDuration(maxIdle, '--max-idle') / 1000 } : {}),
  });
  const output = str(ctx, 'output');
  const what = `${kind} session ${record.requestId} (${frames.length} frame(s), ${summary ? formatDuration(summary.durationMs) : 'still open: what passed until now'})`;
  if (output) {
    fs.writeFileSync(path.resolve(ctx.io.cwd, output), text);
    ctx.io.stderr.write(`Exported ${what} to ${output}; play it with \`asciinema play ${output}\`.\n`);
  } else {
    ctx.io.stdout.write(text);
  }
  return EXIT.ok;
}

/** One JSON line: the record without table keys, plus the blob and its integrity when asked for. */
export function exportLine(entry: ReplayEntry | { readonly record: RequestRecord }): Record<string, unknown> {
  const rank = (key: string) => (LEADING.includes(key) ? LEADING.indexOf(key) : LEADING.length);
  const fields = Object.fromEntries(
    Object.entries(entry.record).filter(([key]) => !INTERNAL_KEYS.has(key)).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)),
  );
  const line: Record<string, unknown> = { type: 'gatehouse.request', ...fields };
  if ('integrity' in entry) {
    line.integrity = entry.integrity;
    if (entry.integrity === 'mismatch') line.actualSha256 = entry.actualSha256;
    if (entry.blob) line.replay = entry.blob;
  }
  return line;
}

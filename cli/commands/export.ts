import fs from 'node:fs';
import path from 'node:path';
import { str, type CommandContext, type CommandSpec } from '../command';
import { EXIT, UsageError } from '../errors';
import { withProgress } from '../io';
import { findRecords, loadEntries } from '../record-reader';
import type { ReplayEntry, RequestRecord } from '../types';
import { FILTER_OPTIONS, recordFilters } from './record-filters';

/** Fields first in every line, so the lines read alike; the rest follow in name order. */
const LEADING = ['requestId', 'startedAt', 'issuer', 'agent', 'session', 'connection', 'method', 'path', 'query', 'summary', 'decision', 'ruleId', 'outcome', 'status'];

/** Table keys that mean nothing outside DynamoDB. */
const INTERNAL_KEYS = new Set(['pk', 'sessionKey', 'agentKey', 'connectionKey', 'startedAtId', 'expiresAtEpoch']);

/** `gatehouse export`. */
export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'export a session or a time range as JSON lines (for a SIEM)',
  usage: '(--session <s> | --agent <a> | --connection <c> | --since <duration> | --from <time> [--to <time>]) [--output <file>] [--with-replay]',
  description: [
    'Writes one JSON object per request, in start order: {"type":"gatehouse.request", requestId, startedAt, agent,',
    'session, connection, method, path, verb, resource, namespace, decision, ruleId, outcome, status, latencyMs,',
    'maskedCounts, ...}. --with-replay adds each request\'s masked replay blob and its integrity check',
    '("integrity": ok | mismatch | missing | pending | not-written); a mismatch makes the exit code 4.',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    output: { type: 'string', short: 'o', placeholder: 'file', description: 'write to this file instead of stdout' },
    'with-replay': { type: 'boolean', description: 'include the replay blob (integrity-checked) of each request' },
  },
  examples: [
    'gatehouse --stack Gatehouse export --since 24h -o gatehouse-$(date +%F).jsonl',
    'gatehouse --local export --session demo-agent/local-1 --with-replay',
  ],
  run: exportRecords,
};

async function exportRecords(ctx: CommandContext): Promise<number> {
  const has = (name: string) => str(ctx, name) !== undefined;
  if (!['session', 'agent', 'connection', 'since', 'from', 'to'].some(has)) {
    throw new UsageError('Export what? Give --session <s>, --agent <a>, --connection <c>, or a time range (--since 24h, --from/--to).');
  }
  const filters = recordFilters(ctx);
  const target = await ctx.target();
  const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
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

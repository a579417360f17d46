import { EXIT, NotFoundError, UsageError } from '../errors';
import { str, type CommandContext, type CommandSpec } from '../command';
import { formatTime } from '../format';
import { openSink, withProgress } from '../io';
import { findRecords, loadEntries, loadEntry, type RecordFilters } from '../record-reader';
import { parseDuration } from '../time-range';
import { entryJson, renderEntry, type TranscriptOptions } from '../transcript';
import type { ReplayEntry, RequestRecord } from '../types';
import { describeFilters, FILTER_OPTIONS, recordFilters } from './record-filters';

/** A record still in flight this long is shown as it is rather than holding up the ones after it. */
const STALE_PENDING_MS = 30_000;

/** `gatehouse replay`. */
export const replayCommand: CommandSpec = {
  name: 'replay',
  summary: 'replay a session as a kubectl transcript (integrity-checked; --follow for live sessions)',
  usage: '<session> [--issuer <name>] [--follow] [--json] [--no-pager] [--max-body-lines N]',
  description: [
    'Prints every request of a session in order, like the terminal of the kubectl run it came from:',
    '  $ kubectl get pods -n prod   # agent demo-agent, 2026-11-22T10:00:01Z, allowed (rule default), 200 OK, 12 ms',
    '  > GET /api/v1/namespaces/prod/pods?limit=500   (kubectl get, request <id>)',
    '  NAME   READY   STATUS ...   (the masked response, as kubectl prints it)',
    'A watch or log follow shows each event or line with its time since the stream opened ([+1.234s]).',
    "Each replay blob is checked against the SHA-256 in its record (a stream's parts against their chain); a mismatch or a missing blob prints",
    'INTEGRITY FAILURE on stderr, withholds that body, and makes the exit code 4.',
    'On a terminal the transcript goes through $PAGER (default less -R). --json prints one JSON object per request.',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    follow: { type: 'boolean', short: 'f', description: 'keep watching the session for new requests (Ctrl-C stops)' },
    interval: { type: 'string', placeholder: 'duration', description: 'how often --follow looks for new requests (default 2s)' },
    'stop-after-idle': { type: 'string', placeholder: 'duration', description: 'stop following after no new request for this long' },
    'no-pager': { type: 'boolean', description: 'never page, even on a terminal' },
    'max-body-lines': { type: 'string', placeholder: 'n', description: 'cut each body after n lines (default 0: never)' },
    'no-request-bodies': { type: 'boolean', description: 'leave out the (masked) request bodies of writes' },
  },
  positionals: { min: 0, max: 1 },
  examples: [
    'gatehouse --local replay demo-agent/local-1732269601000',
    'gatehouse --stack Gatehouse replay "repo:acme/deploy:ref:refs/heads/main/8812345" --issuer github --json > session.jsonl',
    'gatehouse --local replay --agent demo-agent --follow',
  ],
  run: replay,
};

async function replay(ctx: CommandContext): Promise<number> {
  const positional = ctx.positionals[0];
  if (positional && str(ctx, 'session') && positional !== str(ctx, 'session')) throw new UsageError('Give the session once: as the argument or with --session.');
  const filters = recordFilters(ctx, undefined, positional ?? str(ctx, 'session'));
  if (!filters.session && !filters.agent && !filters.connection) throw new UsageError('Which session? Usage: gatehouse replay <session> (sessions are listed by `gatehouse sessions list`).');
  const options: TranscriptOptions = { maxBodyLines: Number(str(ctx, 'max-body-lines') ?? 0) || 0, requestBodies: ctx.values['no-request-bodies'] !== true };
  if (Number.isNaN(Number(str(ctx, 'max-body-lines') ?? 0))) throw new UsageError('--max-body-lines takes a number.');
  const target = await ctx.target();
  const follow = ctx.values.follow === true;
  const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  if (!records.length && !follow) {
    throw new NotFoundError(`No recorded requests for ${describeFilters(filters)}. Find sessions with \`gatehouse sessions list\` (add --since 7d for older ones).`);
  }
  const shown = follow ? ready(records, ctx.now()) : records;
  const entries = await withProgress(ctx.io, 'Fetching replay blobs', (update) => loadEntries(target, shown, (n) => update(`Fetching replay blobs ${n}/${shown.length}`)));
  const failures: ReplayEntry[] = [];
  const sink = openSink(ctx.io, !follow && !ctx.json && ctx.values['no-pager'] !== true);
  const emit = (entry: ReplayEntry) => {
    if (entry.integrity === 'mismatch' || entry.integrity === 'missing') {
      failures.push(entry);
      const what = entry.streamProblem
        ? `recorded stream: ${entry.streamProblem}`
        : `replay blob ${entry.record.replayKey} ${entry.integrity === 'missing' ? 'is missing' : `has SHA-256 ${entry.actualSha256}, the record says ${entry.record.replaySha256}`}`;
      ctx.io.stderr.write(`INTEGRITY FAILURE: request ${entry.record.requestId}: ${what}\n`);
    }
    sink.write(ctx.json ? `${JSON.stringify(entryJson(entry))}\n` : renderEntry(entry, options));
  };
  if (!ctx.json && records.length) sink.write(`${sessionHeading(records)}\n\n`);
  for (const entry of entries) emit(entry);
  await sink.close();
  if (follow) await followSession(ctx, filters, records, shown, emit);
  if (failures.length) {
    ctx.io.stderr.write(`INTEGRITY FAILURE: ${failures.length} replay blob(s) failed the integrity check (${failures.map((f) => f.record.requestId).join(', ')}). The bodies were withheld; treat this session's evidence as tampered.\n`);
    return EXIT.integrity;
  }
  return EXIT.ok;
}

/**
 * Polls the session for new requests and prints them in order. A request still in flight holds back the
 * ones after it (so the transcript stays in order) until it completes or is stale.
 */
async function followSession(ctx: CommandContext, filters: RecordFilters, seen: readonly RequestRecord[], printed: readonly RequestRecord[], emit: (entry: ReplayEntry) => void): Promise<void> {
  const intervalMs = parseDuration(str(ctx, 'interval') ?? '2s', '--interval');
  const idleMs = str(ctx, 'stop-after-idle') ? parseDuration(str(ctx, 'stop-after-idle')!, '--stop-after-idle') : undefined;
  const target = await ctx.target();
  const done = new Set(printed.map((r) => r.requestId));
  let cursor = firstUnprinted(seen, done) ?? seen.at(-1)?.startedAt ?? filters.range?.from?.toISOString() ?? ctx.now().toISOString();
  let lastActivity = ctx.now().getTime();
  let stopped = false;
  void ctx.interrupted().then(() => { stopped = true; });
  ctx.io.stderr.write(`Following ${describeFilters(filters)} from ${formatTime(cursor)}; Ctrl-C to stop.\n`);
  while (!stopped) {
    await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), ctx.interrupted()]);
    if (stopped) break;
    const records = await findRecords(target, { ...filters, range: { from: new Date(cursor) } });
    for (const record of ready(records.filter((r) => !done.has(r.requestId)), ctx.now())) {
      // A blob whose batch is still on its way (up to the stream's buffer interval) holds it, and the requests
      // after it, for the next poll: the transcript stays in order and never prints a gap that fills a minute later.
      const entry = await loadEntry(target, record, () => ctx.now(), 0);
      if (entry.integrity === 'delivering') break;
      emit(entry);
      done.add(record.requestId);
      lastActivity = ctx.now().getTime();
    }
    cursor = firstUnprinted(records, done) ?? records.at(-1)?.startedAt ?? cursor;
    if (idleMs !== undefined && ctx.now().getTime() - lastActivity >= idleMs) {
      ctx.io.stderr.write(`No new requests for ${str(ctx, 'stop-after-idle')}; stopped following.\n`);
      break;
    }
  }
}

/** The records that can be printed now: in order, up to the first one still (freshly) in flight. */
function ready(records: readonly RequestRecord[], now: Date): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const r of records) {
    const inFlight = r.phase === 'intent' && !r.replayKey && !r.replayMissing;
    if (inFlight && now.getTime() - Date.parse(r.startedAt) < STALE_PENDING_MS) break;
    out.push(r);
  }
  return out;
}

function firstUnprinted(records: readonly RequestRecord[], done: ReadonlySet<string>): string | undefined {
  return records.find((r) => !done.has(r.requestId))?.startedAt;
}

function sessionHeading(records: readonly RequestRecord[]): string {
  const first = records[0]!;
  const sessions = new Set(records.map((r) => `${r.issuer}#${r.session}`));
  const what = sessions.size === 1 ? `Session ${first.session} (issuer ${first.issuer}, agent ${first.agent})` : `${sessions.size} sessions`;
  return `# ${what}: ${records.length} request(s), ${formatTime(first.startedAt)} to ${formatTime(records.at(-1)!.startedAt)}`;
}

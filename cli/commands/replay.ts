import { CliError, EXIT, NotFoundError, UsageError } from '../errors';
import { str, type CommandContext, type CommandSpec } from '../command';
import { formatTime } from '../format';
import { openSink, withProgress } from '../io';
import { findRecords, getRecord, loadEntries, loadEntry, type RecordFilters } from '../record-reader';
import { isSessionEntry, playSession, sessionKind } from '../session-transcript';
import { describeRange, parseDuration, parseTimeRange } from '../time-range';
import { entryJson, failedIntegrity, headerLine, integrityProblem, renderEntry, requestLine, type TranscriptOptions } from '../transcript';
import type { ReplayEntry, RequestRecord } from '../types';
import { describeFilters, FILTER_OPTIONS, recordFilters } from './record-filters';

/** A record still in flight this long is shown as it is rather than holding up the ones after it. */
const STALE_PENDING_MS = 30_000;

/** What `gatehouse replay` waits with; tests give their own so nothing sleeps. */
export interface ReplayDependencies {
  /** Waits this many milliseconds (`--pace real`). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** `gatehouse replay`. */
export const replayCommand: CommandSpec = replayCommandWith();

/** `gatehouse replay`, waiting with `deps.sleep`. */
export function replayCommandWith(deps: ReplayDependencies = {}): CommandSpec {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    name: 'replay',
    summary: 'replay a session as a kubectl transcript (integrity-checked; --follow for live sessions)',
    usage: '<session> [--issuer <name>] [--request <id> [--pace real [--max-idle 2s]]] [--follow] [--json] [--no-pager] [--max-body-lines N]',
    description: [
      'Prints every request of a session in order, like the terminal of the kubectl run it came from:',
      '  $ kubectl get pods -n prod   # agent demo-agent, 2026-11-22T10:00:01Z, allowed (rule default), 200 OK, 12 ms',
      '  > GET /api/v1/namespaces/prod/pods?limit=500   (kubectl get, request <id>)',
      '  NAME   READY   STATUS ...   (the masked response, as kubectl prints it)',
      'A watch or log follow shows each event or line with its time since the stream opened ([+1.234s]).',
      'An exec or attach shows as its terminal did, after its kubectl command:',
      "  $ kubectl exec web-1 -n prod -c app -i -- sh   # agent ..., 101 Switching Protocols, 12.4 s",
      '  > echo hi        (stdin, without -t; with -t the shell echoes what was typed)',
      '  hi',
      '  [stderr] sh: oops: not found',
      '  (exit code 3, 12.4 s, 120 B in, 3.2 KiB out, ended by cluster)',
      'and a port-forward as one line per connection (port, opened, closed, bytes to and from the pod), then the totals.',
      '--request <id> shows one request; with --pace real an exec or attach plays at its recorded pace, idle gaps cut',
      'to --max-idle (default 2s). Ctrl-C stops it.',
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
      request: { type: 'string', placeholder: 'id', description: 'only this request (its id or the start of it), e.g. one exec session' },
      pace: { type: 'string', placeholder: 'instant|real', description: 'real: play the --request exec/attach session at its recorded pace (default instant)' },
      'max-idle': { type: 'string', placeholder: 'duration', description: 'with --pace real, cut longer idle gaps to this (default 2s, like asciinema -i)' },
    },
    positionals: { min: 0, max: 1 },
    examples: [
      'gatehouse --local replay demo-agent/local-1732269601000',
      'gatehouse --stack Gatehouse replay "repo:acme/deploy:ref:refs/heads/main/8812345" --issuer github --json > session.jsonl',
      'gatehouse --local replay --agent demo-agent --follow',
      'gatehouse --local replay demo-agent/run-42 --request 3c1d0e9a --pace real --max-idle 1s',
    ],
    run: (ctx) => replay(ctx, sleep),
  };
}

async function replay(ctx: CommandContext, sleep: (ms: number) => Promise<void>): Promise<number> {
  const positional = ctx.positionals[0];
  if (positional && str(ctx, 'session') && positional !== str(ctx, 'session')) throw new UsageError('Give the session once: as the argument or with --session.');
  const filters = recordFilters(ctx, undefined, positional ?? str(ctx, 'session'));
  const requestId = str(ctx, 'request');
  if (!filters.session && !filters.agent && !filters.connection && !requestId) throw new UsageError('Which session? Usage: gatehouse replay <session> (sessions are listed by `gatehouse sessions list`).');
  const options: TranscriptOptions = { maxBodyLines: Number(str(ctx, 'max-body-lines') ?? 0) || 0, requestBodies: ctx.values['no-request-bodies'] !== true };
  if (Number.isNaN(Number(str(ctx, 'max-body-lines') ?? 0))) throw new UsageError('--max-body-lines takes a number.');
  const pace = str(ctx, 'pace') ?? 'instant';
  if (pace !== 'instant' && pace !== 'real') throw new UsageError(`--pace takes instant or real, not "${pace}".`);
  const maxIdleMs = parseDuration(str(ctx, 'max-idle') ?? '2s', '--max-idle');
  if (pace === 'real' && (!requestId || ctx.json || ctx.values.follow === true)) throw new UsageError('--pace real plays one exec or attach session: give --request <id>, without --json or --follow.');
  if (requestId && ctx.values.follow === true) throw new UsageError('--follow watches a whole session for new requests; leave out --request (or --follow).');
  const target = await ctx.target();
  const follow = ctx.values.follow === true;
  const records = requestId ? await oneRequest(ctx, filters, requestId) : await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  if (!records.length && !follow) {
    throw new NotFoundError(`No recorded requests for ${describeFilters(filters)}. Find sessions with \`gatehouse sessions list\` (add --since 7d for older ones).`);
  }
  if (pace === 'real') return playAtPace(ctx, records[0]!, maxIdleMs, sleep);
  const shown = follow ? ready(records, ctx.now()) : records;
  const entries = await withProgress(ctx.io, 'Fetching replay blobs', (update) => loadEntries(target, shown, (n) => update(`Fetching replay blobs ${n}/${shown.length}`)));
  const failures: ReplayEntry[] = [];
  const sink = openSink(ctx.io, !follow && !ctx.json && ctx.values['no-pager'] !== true);
  const emit = (entry: ReplayEntry) => {
    if (failedIntegrity(entry)) {
      failures.push(entry);
      reportIntegrityFailure(ctx, entry);
    }
    sink.write(ctx.json ? `${JSON.stringify(entryJson(entry))}\n` : renderEntry(entry, options));
  };
  if (!ctx.json && records.length) sink.write(`${sessionHeading(records)}\n\n`);
  for (const entry of entries) emit(entry);
  await sink.close();
  if (follow) await followSession(ctx, filters, records, shown, emit);
  return failures.length ? integrityExit(ctx, failures) : EXIT.ok;
}

/** `INTEGRITY FAILURE: request <id>: <what>` on stderr, for each entry that fails its check (replay and export). */
export function reportIntegrityFailure(ctx: Pick<CommandContext, 'io'>, entry: ReplayEntry): void {
  ctx.io.stderr.write(`INTEGRITY FAILURE: request ${entry.record.requestId}: ${integrityProblem(entry)}\n`);
}

/** The closing line for entries that failed their check, and exit code 4. */
function integrityExit(ctx: Pick<CommandContext, 'io'>, failures: readonly ReplayEntry[]): number {
  ctx.io.stderr.write(`INTEGRITY FAILURE: ${failures.length} replay blob(s) failed the integrity check (${failures.map((f) => f.record.requestId).join(', ')}). The bodies were withheld; treat this session's evidence as tampered.\n`);
  return EXIT.integrity;
}

/** How far back a request named by its id alone is looked for among the sessions, unless --since/--from says. */
const ID_LOOKUP_SINCE = '24h';

/**
 * The one record `--request` names: among the session's (or agent's, connection's) records, by id or the start of
 * one. By its full id alone: among the refused and failed requests (indexed by id, at any age), then among the
 * sessions of the last day (or the range given), whose records are read with the id as a filter.
 */
export async function oneRequest(ctx: CommandContext, filters: RecordFilters, requestId: string): Promise<RequestRecord[]> {
  const target = await ctx.target();
  if (!filters.session && !filters.agent && !filters.connection) {
    const range = filters.range?.from || filters.range?.to ? filters.range : parseTimeRange({ since: ID_LOOKUP_SINCE }, ctx.now());
    const record = await getRecord(target, requestId)
      ?? (await withProgress(ctx.io, `Looking for request ${requestId} in the sessions`, () => findRecords(target, { ...filters, range, requestId })))[0];
    if (!record) {
      throw new NotFoundError(`No record for request ${requestId}: it is not a refused or failed request, nor in a session ${describeRange(range)}. `
        + 'Give its session (--session <session>) or a wider range (--since 7d); ids and sessions are in `gatehouse sessions requests`.');
    }
    return [record];
  }
  const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  const matching = records.filter((r) => r.requestId === requestId);
  const found = matching.length ? matching : records.filter((r) => r.requestId.startsWith(requestId));
  if (!found.length) throw new NotFoundError(`No request ${requestId} in ${describeFilters(filters)}. List its requests with \`gatehouse sessions requests --session <s>\`.`);
  if (found.length > 1) throw new UsageError(`--request ${requestId} matches ${found.length} requests (${found.slice(0, 5).map((r) => r.requestId).join(', ')}${found.length > 5 ? ', ...' : ''}); give more of the id.`);
  return found;
}

/** `--pace real`: the exec or attach session's terminal output as it came, gaps cut to `maxIdleMs`. */
async function playAtPace(ctx: CommandContext, record: RequestRecord, maxIdleMs: number, sleep: (ms: number) => Promise<void>): Promise<number> {
  const kind = sessionKind(record);
  if (kind !== 'exec' && kind !== 'attach') throw new UsageError(`--pace real plays exec and attach sessions; request ${record.requestId} is \`${headerLine(record).replace(/^\$ /, '').replace(/ {3}#.*$/, '')}\`. Leave out --pace to see it.`);
  const entry = await loadEntry(await ctx.target(), record, () => ctx.now());
  if (failedIntegrity(entry)) {
    reportIntegrityFailure(ctx, entry);
    ctx.io.stdout.write(renderEntry(entry));
    return integrityExit(ctx, [entry]);
  }
  if (!isSessionEntry(entry)) {
    ctx.io.stdout.write(renderEntry(entry));
    throw new CliError(`Request ${record.requestId} has no recorded session to play (${entry.integrity === 'pending' ? 'it is still in flight' : 'nothing was recorded'}).`, EXIT.notFound);
  }
  ctx.io.stdout.write(`${headerLine(record)}\n${requestLine(record)}\n`);
  let stopped = false;
  const interrupted = ctx.interrupted().then(() => { stopped = true; });
  const finished = await playSession(entry, {
    write: (text) => void ctx.io.stdout.write(text),
    sleep: (ms) => Promise.race([sleep(ms), interrupted]),
    maxIdleMs,
    stopped: () => stopped,
  });
  if (!finished) {
    ctx.io.stdout.write('\n');
    ctx.io.stderr.write('Stopped (Ctrl-C).\n');
    return EXIT.interrupted;
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

import { printJson, type CommandContext, type GroupSpec } from '../command';
import { EXIT, NotFoundError } from '../errors';
import { withProgress } from '../io';
import { findRecords, getRecord, loadEntry } from '../record-reader';
import { summarizeSessions } from '../session-summary';
import { describeRange } from '../time-range';
import { recordDetails, requestsTable, sessionsTable } from '../views';
import { describeFilters, FILTER_OPTIONS, recordFilters } from './record-filters';

const DEFAULT_SINCE = '24h';

/** `gatehouse sessions list|requests|show`. */
export const sessionsGroup: GroupSpec = {
  name: 'sessions',
  summary: 'what agents did: sessions, their requests, one request in detail',
  aliases: ['session'],
  commands: [
    {
      name: 'list',
      summary: 'sessions with counts of allowed, refused by the cluster, denied, held and failed requests',
      usage: '[--agent <a>] [--connection <c>] [--session <s>] [--since 1h | --from <time> --to <time>]',
      description: `Groups recorded requests into sessions (the issuer's session claim, e.g. a workflow run). A request
Gatehouse let through that the cluster answered with 403 (RBAC, admission) counts as "refused by cluster",
not as allowed; that column appears when a listed session has one. Without --session, --agent or
--connection, only the last ${DEFAULT_SINCE} are read.`,
      options: FILTER_OPTIONS,
      examples: ['gatehouse --local sessions list', 'gatehouse --stack Gatehouse sessions list --agent "repo:acme/deploy:ref:refs/heads/main" --since 7d --json'],
      run: listSessions,
    },
    {
      name: 'requests',
      summary: 'one line per recorded request (to find request ids for show)',
      usage: '[--session <s>] [--agent <a>] [--connection <c>] [--since 1h | --from <time> --to <time>]',
      description: `Without --session, --agent or --connection, only the last ${DEFAULT_SINCE} are read.`,
      options: FILTER_OPTIONS,
      examples: ['gatehouse --local sessions requests --session demo-agent/run-42'],
      run: listRequests,
    },
    {
      name: 'show',
      summary: 'one request: classification, decision, rule, approver, masking, timings, status',
      usage: '<request-id>',
      description: "Prints the request's record and checks its replay blob against the SHA-256 in the record (exit 4 on mismatch).",
      options: {},
      positionals: { min: 1, max: 1 },
      examples: ['gatehouse --local sessions show 3c1d0e9a-…', 'gatehouse --stack Gatehouse sessions show <request-id> --json'],
      run: showRequest,
    },
  ],
};

async function listSessions(ctx: CommandContext): Promise<void> {
  const filters = recordFilters(ctx, DEFAULT_SINCE);
  const target = await ctx.target();
  const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  const sessions = summarizeSessions(records);
  if (ctx.json) return printJson(ctx, sessions);
  if (!sessions.length) {
    ctx.io.stderr.write(`No sessions for ${describeFilters(filters)} ${describeRange(filters.range ?? {})}.\n`);
    return;
  }
  ctx.io.stdout.write(sessionsTable(sessions));
}

async function listRequests(ctx: CommandContext): Promise<void> {
  const filters = recordFilters(ctx, DEFAULT_SINCE);
  const target = await ctx.target();
  const records = await withProgress(ctx.io, 'Reading records', (update) => findRecords(target, filters, (n) => update(`Reading records (${n})`)));
  if (ctx.json) return printJson(ctx, records);
  if (!records.length) {
    ctx.io.stderr.write(`No requests for ${describeFilters(filters)} ${describeRange(filters.range ?? {})}.\n`);
    return;
  }
  ctx.io.stdout.write(requestsTable(records));
}

async function showRequest(ctx: CommandContext): Promise<number | void> {
  const requestId = ctx.positionals[0]!;
  const target = await ctx.target();
  const { record, entry } = await withProgress(ctx.io, 'Reading record', async () => {
    const found = await getRecord(target, requestId);
    return { record: found, entry: found ? await loadEntry(target, found) : undefined };
  });
  if (!record || !entry) {
    throw new NotFoundError(`No record for request ${requestId}. Request ids are in \`gatehouse sessions requests\` and in replay transcripts; records expire after the retention period.`);
  }
  if (ctx.json) printJson(ctx, { ...record, integrity: entry.integrity, ...(entry.actualSha256 && entry.integrity === 'mismatch' ? { actualSha256: entry.actualSha256 } : {}) });
  else ctx.io.stdout.write(recordDetails(record, entry.integrity));
  if (entry.integrity === 'mismatch' || entry.integrity === 'missing') {
    ctx.io.stderr.write(`INTEGRITY FAILURE: replay blob ${record.replayKey} ${entry.integrity === 'missing' ? 'is missing' : `has SHA-256 ${entry.actualSha256}, the record says ${record.replaySha256}`}. The blob was changed or removed after Gatehouse wrote it.\n`);
    return EXIT.integrity;
  }
}

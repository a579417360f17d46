import { createDynamoDbLiveSessions } from '../../lambdas/adapters/dynamodb-live-sessions';
import type { LiveSessionRegistry } from '../../lambdas/core/ports';
import { printJson, str, type CommandContext, type GroupSpec } from '../command';
import { operatorName } from '../operator-name';
import type { Target } from '../target';
import { EXIT, NotFoundError } from '../errors';
import { withProgress } from '../io';
import { findRecords, loadEntry } from '../record-reader';
import { oneRequest } from './replay';
import { summarizeSessions } from '../session-summary';
import { describeRange } from '../time-range';
import { liveSessionsTable, recordDetails, requestsTable, sessionsTable } from '../views';
import { describeFilters, FILTER_OPTIONS, recordFilters } from './record-filters';

const DEFAULT_SINCE = '24h';

/** `gatehouse sessions list|requests|live|end|show`. */
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
      name: 'live',
      summary: 'exec, attach and port-forward sessions open on the session front right now',
      usage: '',
      description: 'Lists the upgraded sessions the session fronts hold open: request id (for `end`, `show`, `replay --request`), agent, connection, what runs, since when.',
      options: {},
      examples: ['gatehouse --local sessions live', 'gatehouse --stack Gatehouse sessions live --json'],
      run: listLiveSessions,
    },
    {
      name: 'end',
      summary: 'end a live exec, attach or port-forward session (the agent is told who ended it)',
      usage: '<request-id> [--reason <text>] [--by <name>]',
      description: 'Marks the session; the front holding it ends it within its check interval (5 s), tells the agent, and completes its record with "ended by operator".',
      options: {
        reason: { type: 'string', placeholder: 'text', description: 'why, shown to the agent' },
        by: { type: 'string', placeholder: 'name', description: 'who is ending it (default: your OS user name)' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['gatehouse --local sessions end 3c1d0e9a-… --reason "runaway debug shell"'],
      run: endLiveSession,
    },
    {
      name: 'show',
      summary: 'one request: classification, decision, rule, approver, masking, timings, status',
      usage: '<request-id> [--session <session> | --agent <agent> | --connection <name>]',
      description: "Prints the request's record and checks its replay blob against the SHA-256 in the record (exit 4 on mismatch). "
        + 'A refused or failed request is found by its id alone; one that went through, in its session (or the agent\'s or connection\'s records).',
      options: FILTER_OPTIONS,
      positionals: { min: 1, max: 1 },
      examples: ['gatehouse --local sessions show 3c1d0e9a-…', 'gatehouse --stack Gatehouse sessions show <request-id> --json'],
      run: showRequest,
    },
  ],
};

function liveRegistry(target: Target): LiveSessionRegistry {
  return createDynamoDbLiveSessions({ client: target.documents, tableName: target.recordsTable });
}

async function listLiveSessions(ctx: CommandContext): Promise<void> {
  const target = await ctx.target();
  const entries = await withProgress(ctx.io, 'Reading live sessions', () => liveRegistry(target).list(ctx.now()));
  if (ctx.json) return printJson(ctx, entries);
  if (!entries.length) {
    ctx.io.stderr.write('No exec, attach or port-forward session is open.\n');
    return;
  }
  ctx.io.stdout.write(liveSessionsTable(entries, ctx.now()));
}

async function endLiveSession(ctx: CommandContext): Promise<void> {
  const requestId = ctx.positionals[0]!;
  const target = await ctx.target();
  const by = str(ctx, 'by') ?? operatorName(ctx);
  const marked = await liveRegistry(target).requestEnd(requestId, by, str(ctx, 'reason'));
  if (!marked) throw new NotFoundError(`No live session ${requestId}; \`gatehouse sessions live\` lists the open ones.`);
  ctx.io.stdout.write(`${requestId}: asked to end (by ${by}); the session front ends it within seconds.\n`);
}

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
  const [record] = await oneRequest(ctx, recordFilters(ctx), requestId);
  if (!record) throw new NotFoundError(`No record for request ${requestId}; records expire after the retention period.`);
  const entry = await withProgress(ctx.io, 'Reading record', () => loadEntry(target, record));
  if (ctx.json) printJson(ctx, { ...record, integrity: entry.integrity, ...(entry.actualSha256 && entry.integrity === 'mismatch' ? { actualSha256: entry.actualSha256 } : {}) });
  else ctx.io.stdout.write(recordDetails(record, entry.integrity));
  if (entry.integrity === 'mismatch' || entry.integrity === 'missing') {
    ctx.io.stderr.write(`INTEGRITY FAILURE: replay blob ${record.replayKey} ${entry.integrity === 'missing' ? 'is missing' : `has SHA-256 ${entry.actualSha256}, the record says ${record.replaySha256}`}. The blob was changed or removed after Gatehouse wrote it.\n`);
    return EXIT.integrity;
  }
}

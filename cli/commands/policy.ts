import fs from 'node:fs';
import path from 'node:path';
import { loadPolicyFiles } from '../../lambdas/core/policy/load-policy-files';
import { replayDecisions, type ReplayRecord } from '../../lambdas/core/policy/replay-decisions';
import type { ReplayBlob } from '../../lambdas/core/session-record';
import { printJson, str, type CommandContext, type GroupSpec } from '../command';
import { EXIT, UsageError } from '../errors';
import { withProgress } from '../io';
import { renderPolicyReport, replayRecordOf } from '../policy-replay';
import { findRecords, loadEntries } from '../record-reader';
import type { RequestRecord } from '../types';
import { FILTER_OPTIONS, recordFilters } from './record-filters';

/** `gatehouse policy test`: what a candidate policy would have decided on recorded traffic. */
export const policyGroup: GroupSpec = {
  name: 'policy',
  summary: 'try a policy against recorded requests before deploying it',
  commands: [
    {
      name: 'test',
      summary: 'evaluate policy files against recorded sessions and show what would change',
      usage: '<policy.yaml>... (--session <s> | --agent <a> | --connection <c> | --since <duration> | --records <export.jsonl>) [--fail-on-change]',
      description: [
        'Loads and validates the policy files (with the ready-made packs), then evaluates every recorded request',
        'they select, bodies included (from the replay blobs), and prints the recorded decision beside the new one.',
        'Records come from the store, or from a file written by `gatehouse export --with-replay`.',
        '--fail-on-change exits 6 when any decision would change (for CI on a policy pull request).',
      ].join('\n'),
      positionals: { min: 1, max: 20 },
      options: {
        ...FILTER_OPTIONS,
        records: { type: 'string', placeholder: 'file', description: 'JSON lines from `gatehouse export --with-replay` instead of the store' },
        'fail-on-change': { type: 'boolean', description: 'exit 6 when any decision would change' },
      },
      examples: [
        'gatehouse --local policy test policies/prod.yaml --since 24h',
        'gatehouse policy test policies/prod.yaml --records last-week.jsonl --fail-on-change',
      ],
      run: testPolicy,
    },
  ],
};

/** Exit code of `--fail-on-change` when a decision changes. */
export const EXIT_POLICY_CHANGED = 6;

async function testPolicy(ctx: CommandContext): Promise<number> {
  const policy = loadPolicyFiles(ctx.positionals.map((file) => path.resolve(ctx.io.cwd, file)));
  const entries = str(ctx, 'records') ? fromFile(path.resolve(ctx.io.cwd, str(ctx, 'records')!)) : await fromStore(ctx);
  const replayable: ReplayRecord[] = [];
  for (const { record, blob } of entries) {
    const replay = replayRecordOf(record, blob);
    if (replay) replayable.push(replay);
  }
  const results = replayDecisions(policy, replayable);
  const skipped = entries.length - replayable.length;
  if (ctx.json) {
    printJson(ctx, { results: results.map((r) => ({ requestId: r.requestId, before: r.before, after: r.after.effect, ruleId: r.after.ruleId, changed: r.changed })), skipped });
  } else {
    ctx.io.stdout.write(renderPolicyReport(entries.map((e) => e.record), results, skipped));
  }
  return ctx.values['fail-on-change'] === true && results.some((r) => r.changed) ? EXIT_POLICY_CHANGED : EXIT.ok;
}

async function fromStore(ctx: CommandContext): Promise<Array<{ record: RequestRecord; blob?: ReplayBlob }>> {
  if (!['session', 'agent', 'connection', 'since', 'from', 'to'].some((name) => str(ctx, name) !== undefined)) {
    throw new UsageError('Test against which requests? Give --session, --agent, --connection, a time range (--since 24h), or --records <file>.');
  }
  const target = await ctx.target();
  const records = await withProgress(ctx.io, 'Reading records', () => findRecords(target, recordFilters(ctx)));
  const entries = await withProgress(ctx.io, 'Fetching request bodies', () => loadEntries(target, records));
  return entries.map((e) => ({ record: e.record, blob: e.blob as ReplayBlob | undefined }));
}

function fromFile(file: string): Array<{ record: RequestRecord; blob?: ReplayBlob }> {
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist; write one with gatehouse export --with-replay -o ${path.basename(file)}.`);
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim()).map((line, i) => {
    try {
      const { replay, ...record } = JSON.parse(line) as RequestRecord & { replay?: ReplayBlob };
      return { record: record as RequestRecord, blob: replay };
    } catch {
      throw new UsageError(`${file}:${i + 1} is not a JSON line from gatehouse export.`);
    }
  });
}

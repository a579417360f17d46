import os from 'node:os';
import { createDynamoDbApprovalStore } from '../../lambdas/adapters/dynamodb-approval-store';
import type { Approval } from '../../lambdas/core/approvals/approval-item';
import type { ApprovalStore } from '../../lambdas/core/approvals/approval-ports';
import { printJson, str, type CommandContext, type GroupSpec } from '../command';
import { NotFoundError, TargetError } from '../errors';
import { approvalDetails } from '../approval-view';

/** `gatehouse approvals show|revoke`: inspect an approval, end a just-in-time window early. */
export const approvalsGroup: GroupSpec = {
  name: 'approvals',
  summary: 'inspect approvals and revoke just-in-time access',
  commands: [
    {
      name: 'show',
      summary: 'show one approval: what will run (masked), who decided, and its window',
      usage: '<approval-id>',
      positionals: { min: 1, max: 1 },
      options: {},
      run: async (ctx) => {
        const approval = await (await store(ctx)).get(ctx.positionals[0]!);
        if (!approval) throw new NotFoundError(`No approval ${ctx.positionals[0]}; the id is in the message kubectl printed (apr-...).`);
        print(ctx, approval);
      },
    },
    {
      name: 'revoke',
      summary: 'end a just-in-time approval before its window closes',
      usage: '<approval-id> [--by <name>]',
      description: 'The agent\'s next request that policy holds for a person is held again; requests already forwarded stay recorded.',
      positionals: { min: 1, max: 1 },
      options: { by: { type: 'string', placeholder: 'name', description: 'who revokes, for the record (default: the OS user)' } },
      run: async (ctx) => {
        const id = ctx.positionals[0]!;
        const approval = await (await store(ctx)).revoke(id, str(ctx, 'by') ?? os.userInfo().username, ctx.now());
        if (!approval) throw new NotFoundError(`Approval ${id} is not an approved just-in-time window that is still open; see gatehouse approvals show ${id}.`);
        if (ctx.json) printJson(ctx, approval);
        else ctx.io.stdout.write(`Revoked just-in-time approval ${id} (${approval.agent} in namespace ${approval.jitNamespace ?? approval.namespace} on ${approval.connection}).\n`);
      },
    },
  ],
};

async function store(ctx: CommandContext): Promise<ApprovalStore> {
  const target = await ctx.target();
  if (!target.approvalsTable) throw new TargetError(`${target.name} has no approvals table: approvals are not configured there.`);
  // Only get and revoke are used: neither reads the one-time window or retention settings.
  return createDynamoDbApprovalStore({ client: target.documents, tableName: target.approvalsTable, settings: { oneTimeWindowMinutes: 10, retentionDays: 400 } });
}

function print(ctx: CommandContext, approval: Approval): void {
  const { taskToken: _secret, ...shown } = approval;
  if (ctx.json) return printJson(ctx, shown);
  ctx.io.stdout.write(approvalDetails(approval));
}

import { operatorName } from '../operator-name';
import { randomBytes } from 'node:crypto';
import { grantFromSpec, grantToItem, type GrantItem } from '../../lambdas/core/grant';
import type { GrantSpec } from '../../lambdas/core/gateway-config';
import { printJson, required, str, type CommandContext, type GroupSpec } from '../command';
import { NotFoundError, UsageError } from '../errors';
import { deleteGrant, findGrant, listGrants, putGrant } from '../grant-table';
import { withProgress } from '../io';
import type { Target } from '../target';
import { grantsTable } from '../views';
import { parseDuration, parseInstant } from '../time-range';

/** How long after a revocation the proxy may still honour a grant (its grant cache; docs/DATA-MODEL.md). */
const REVOCATION_DELAY_SECONDS = 5;

/** `gatehouse grants add|list|revoke`. */
export const grantsGroup: GroupSpec = {
  name: 'grants',
  summary: 'who may reach which connection',
  commands: [
    {
      name: 'add',
      summary: 'grant an agent or a group access to a connection',
      usage: '--connection <c> (--agent <claim> | --group <claim>) [--namespaces a,b] [--expires <time> | --ttl <duration>]',
      description: 'Writes a grant to the grants table; the proxy honours it within seconds. `*` in --agent/--group/--namespaces\nmatches any run of characters. Without --namespaces the grant covers every namespace and cluster-scoped resources.',
      options: {
        connection: { type: 'string', placeholder: 'name', description: 'connection the grant opens (see `gatehouse connections list`)' },
        agent: { type: 'string', placeholder: 'claim', description: "the agent claim's value, e.g. repo:acme/app:ref:refs/heads/main" },
        group: { type: 'string', placeholder: 'claim', description: 'a value of the groups claim' },
        issuer: { type: 'string', placeholder: 'name', description: 'only agents from this issuer (default: any configured issuer)' },
        namespaces: { type: 'string', placeholder: 'a,b', description: 'comma-separated namespaces the grant covers' },
        expires: { type: 'string', placeholder: 'time', description: 'RFC 3339 expiry, e.g. 2026-12-01T00:00:00Z' },
        ttl: { type: 'string', placeholder: 'duration', description: 'expire after this long, e.g. 8h or 2d' },
        'impersonate-groups': { type: 'string', placeholder: 'g1,g2', description: 'Kubernetes groups to impersonate for this grant' },
        id: { type: 'string', placeholder: 'id', description: 'grant id (default: generated cli-<hex>)' },
        by: { type: 'string', placeholder: 'name', description: 'who is granting (default: your OS user name), stored as createdBy' },
      },
      examples: [
        'gatehouse --stack Gatehouse grants add --connection prod --agent "repo:acme/deploy:*" --namespaces apps --ttl 8h',
        'gatehouse --local grants add --connection demo --group oncall --expires 2026-12-01T00:00:00Z',
      ],
      run: addGrant,
    },
    {
      name: 'list',
      summary: 'list grants, by connection or by principal',
      usage: '[--connection <c>] [--agent <claim> | --group <claim>]',
      description: 'Lists stored grants. --agent/--group match the stored principal exactly (a grant for "acme/*" is listed\nwith --agent "acme/*"). Expired grants are shown as expired until DynamoDB removes them.',
      options: {
        connection: { type: 'string', placeholder: 'name', description: "only this connection's grants" },
        agent: { type: 'string', placeholder: 'claim', description: 'only grants for this agent principal' },
        group: { type: 'string', placeholder: 'claim', description: 'only grants for this group principal' },
      },
      examples: ['gatehouse --local grants list --connection demo', 'gatehouse --stack Gatehouse grants list --agent demo-agent --json'],
      run: listGrantsCommand,
    },
    {
      name: 'revoke',
      summary: 'delete a grant (takes effect within seconds)',
      usage: '<grant-id> [--connection <c>]',
      description: `Deletes the grant. The proxy caches a connection's grants for ${REVOCATION_DELAY_SECONDS} seconds, so requests stop being\nallowed within that time. Grants seeded from configuration come back on the next deploy or local start.`,
      options: { connection: { type: 'string', placeholder: 'name', description: 'the connection the grant belongs to (faster; needed if ids repeat)' } },
      positionals: { min: 1, max: 1 },
      examples: ['gatehouse --local grants revoke cli-3f9a2b7c1d0e'],
      run: revokeGrant,
    },
  ],
};

async function addGrant(ctx: CommandContext): Promise<void> {
  const words = 'grants add';
  const connection = required(ctx, 'connection', words);
  const agent = str(ctx, 'agent');
  const group = str(ctx, 'group');
  if ((agent === undefined) === (group === undefined)) throw new UsageError('Give exactly one of --agent or --group.');
  if (str(ctx, 'expires') && str(ctx, 'ttl')) throw new UsageError('Give either --expires or --ttl, not both.');
  const expiresAt = str(ctx, 'expires')
    ? parseInstant(str(ctx, 'expires')!, '--expires').toISOString()
    : str(ctx, 'ttl') ? new Date(ctx.now().getTime() + parseDuration(str(ctx, 'ttl')!, '--ttl')).toISOString() : undefined;
  if (expiresAt && Date.parse(expiresAt) <= ctx.now().getTime()) throw new UsageError(`--expires ${expiresAt} is in the past.`);
  const target = await ctx.target();
  checkConnection(target, connection);
  const issuer = str(ctx, 'issuer');
  // With several issuers an agent name is only unique within its issuer; a grant without one would match nobody.
  if (!issuer && (target.issuers?.length ?? 0) > 1) {
    throw new UsageError(`This Gatehouse has several issuers (${target.issuers!.map((i) => i.name).join(', ')}); name the agent's with --issuer.`);
  }
  if (issuer && target.issuers?.length && !target.issuers.some((i) => i.name === issuer)) {
    throw new UsageError(`--issuer "${issuer}" is not a configured issuer; issuers: ${target.issuers.map((i) => i.name).join(', ')}.`);
  }
  const spec: GrantSpec = {
    connection,
    ...(agent !== undefined ? { agent } : { group }),
    ...(str(ctx, 'issuer') ? { issuer: str(ctx, 'issuer') } : {}),
    ...(str(ctx, 'namespaces') ? { namespaces: splitList(str(ctx, 'namespaces')!) } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(str(ctx, 'impersonate-groups') ? { impersonateGroups: splitList(str(ctx, 'impersonate-groups')!) } : {}),
  };
  const grantId = str(ctx, 'id') ?? `cli-${randomBytes(6).toString('hex')}`;
  const item = grantToItem(grantFromSpec(spec, { grantId, createdAt: ctx.now().toISOString(), createdBy: str(ctx, 'by') ?? operatorName(ctx), source: 'cli' }));
  await withProgress(ctx.io, 'Writing grant', () => putGrant(target, item));
  if (ctx.json) return printJson(ctx, stripKeys(item));
  const who = `${item.principalType} ${item.principal}`;
  ctx.io.stdout.write(`Granted ${who} access to connection ${connection} (grant ${grantId}).\n`);
  ctx.io.stdout.write(`  namespaces: ${item.namespaces?.join(',') ?? 'all'}   expires: ${item.expiresAt ?? 'never'}   issuer: ${item.issuer ?? 'any'}\n`);
  ctx.io.stdout.write(`Revoke with: gatehouse grants revoke ${grantId} --connection ${connection}\n`);
}

async function listGrantsCommand(ctx: CommandContext): Promise<void> {
  const agent = str(ctx, 'agent');
  const group = str(ctx, 'group');
  if (agent !== undefined && group !== undefined) throw new UsageError('Give at most one of --agent or --group.');
  const target = await ctx.target();
  const principalKey = agent !== undefined ? `agent#${agent}` : group !== undefined ? `group#${group}` : undefined;
  const items = await withProgress(ctx.io, 'Reading grants', () => listGrants(target, { connection: str(ctx, 'connection'), principalKey }));
  items.sort((a, b) => a.connection.localeCompare(b.connection) || a.sk.localeCompare(b.sk));
  if (ctx.json) return printJson(ctx, items.map(stripKeys));
  if (!items.length) {
    ctx.io.stderr.write('No grants found.\n');
    return;
  }
  ctx.io.stdout.write(grantsTable(items, ctx.now()));
}

async function revokeGrant(ctx: CommandContext): Promise<void> {
  const grantId = ctx.positionals[0]!;
  const connection = str(ctx, 'connection');
  const target = await ctx.target();
  const items = await withProgress(ctx.io, 'Finding grant', () => findGrant(target, grantId, connection));
  if (!items.length) {
    throw new NotFoundError(`No grant ${grantId}${connection ? ` on connection ${connection}` : ''}. List grants with \`gatehouse grants list${connection ? ` --connection ${connection}` : ''}\`.`);
  }
  if (items.length > 1) throw new UsageError(`Grant id ${grantId} exists on several connections (${items.map((i) => i.connection).join(', ')}); pass --connection.`);
  const item = items[0]!;
  const deleted = await deleteGrant(target, item);
  if (!deleted) throw new NotFoundError(`Grant ${grantId} was deleted by someone else just now.`);
  if (ctx.json) return printJson(ctx, { revoked: stripKeys(item), effectiveWithinSeconds: REVOCATION_DELAY_SECONDS });
  ctx.io.stdout.write(`Revoked grant ${grantId} (${item.principalType} ${item.principal} on connection ${item.connection}). The proxy stops honouring it within ${REVOCATION_DELAY_SECONDS} seconds.\n`);
  if (item.source === 'config') {
    ctx.io.stderr.write('note: this grant was seeded from configuration; remove it from the config file too, or the next deploy (or local start) restores it.\n');
  }
}

function checkConnection(target: Target, connection: string): void {
  const known = new Set([...target.servers.keys(), ...(target.connections ?? []).map((c) => c.name)]);
  if (known.size && !known.has(connection)) {
    throw new NotFoundError(`Connection "${connection}" does not exist on this Gatehouse. Connections: ${[...known].sort().join(', ')}.`);
  }
}

function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The grant without its table keys. */
function stripKeys(item: GrantItem): Record<string, unknown> {
  const { pk: _pk, sk: _sk, principalKey: _p, expiresAtEpoch: _e, ...grant } = item;
  return grant;
}

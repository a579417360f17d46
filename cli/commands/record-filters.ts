import { str, type CommandContext, type OptionSpec } from '../command';
import type { RecordFilters } from '../record-reader';
import { parseTimeRange } from '../time-range';

/** Options that select records, shared by sessions, replay and export. */
export const FILTER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  agent: { type: 'string', placeholder: 'agent', description: "only this agent's requests (the agent claim's value)" },
  connection: { type: 'string', placeholder: 'name', description: 'only requests to this connection' },
  session: { type: 'string', placeholder: 'session', description: 'only this session (e.g. demo-agent/run-42)' },
  issuer: { type: 'string', placeholder: 'name', description: 'issuer name of the agent or session (default: every configured issuer)' },
  since: { type: 'string', placeholder: 'duration', description: 'only requests that started this long ago or later, e.g. 15m, 1h, 2d' },
  from: { type: 'string', placeholder: 'time', description: 'only requests that started at or after this ISO time' },
  to: { type: 'string', placeholder: 'time', description: 'only requests that started at or before this ISO time' },
};

/** Reads the filter options; `fallbackSince` bounds a query that names no session, agent or connection. */
export function recordFilters(ctx: CommandContext, fallbackSince?: string, session = str(ctx, 'session')): RecordFilters {
  const narrowed = session !== undefined || str(ctx, 'agent') !== undefined || str(ctx, 'connection') !== undefined;
  return {
    session,
    agent: str(ctx, 'agent'),
    connection: str(ctx, 'connection'),
    issuer: str(ctx, 'issuer'),
    range: parseTimeRange({ since: str(ctx, 'since'), from: str(ctx, 'from'), to: str(ctx, 'to') }, ctx.now(), narrowed ? undefined : fallbackSince),
  };
}

/** `session demo/run-1, agent x, since ...` for messages. */
export function describeFilters(filters: RecordFilters): string {
  const parts = [
    filters.session && `session ${filters.session}`,
    filters.agent && `agent ${filters.agent}`,
    filters.connection && `connection ${filters.connection}`,
    filters.issuer && `issuer ${filters.issuer}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'any agent';
}

import { UsageError } from './errors';

/** A time window over records' start times; open ends are undefined. */
export interface TimeRange {
  readonly from?: Date;
  readonly to?: Date;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `1h30m`, `2d`, `1w` to milliseconds. */
export function parseDuration(text: string, option = '--since'): number {
  const trimmed = text.trim();
  if (!/^(\d+[smhdw])+$/.test(trimmed)) {
    throw new UsageError(`${option} "${text}" is not a duration; write it like 30s, 15m, 1h30m, 2d or 1w.`);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** An ISO 8601 time (or a date, meaning its UTC midnight). */
export function parseInstant(text: string, option: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${option} "${text}" is not an ISO 8601 time; write it like 2026-11-22T10:00:00Z or 2026-11-22.`);
  }
  return date;
}

/**
 * Reads `--since`, `--from` and `--to`. `--since` and `--from` exclude each other; `fallbackSince` applies
 * when neither is given (listing everything ever recorded is rarely what anyone wants).
 */
export function parseTimeRange(values: { readonly since?: string; readonly from?: string; readonly to?: string }, now: Date, fallbackSince?: string): TimeRange {
  if (values.since !== undefined && values.from !== undefined) throw new UsageError('Give either --since or --from, not both.');
  const to = values.to === undefined ? undefined : parseInstant(values.to, '--to');
  const sinceText = values.since ?? (values.from === undefined ? fallbackSince : undefined);
  const from = values.from !== undefined
    ? parseInstant(values.from, '--from')
    : sinceText !== undefined ? new Date((to ?? now).getTime() - parseDuration(sinceText)) : undefined;
  if (from && to && from.getTime() > to.getTime()) throw new UsageError(`--from (${from.toISOString()}) is after --to (${to.toISOString()}).`);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/**
 * The key condition on the `startedAtId` sort key (`<ISO start>#<requestId>`) for a range. ISO times in UTC
 * sort as strings, and `#` sorts before every character of a request id, so the bounds are exact.
 */
export function startedAtCondition(range: TimeRange): { readonly expression: string; readonly values: Readonly<Record<string, string>> } | undefined {
  const from = range.from?.toISOString();
  // U+FFFF sorts after any request id, so records that started in the `to` millisecond are included.
  const to = range.to ? `${range.to.toISOString()}#\uffff` : undefined;
  if (from && to) return { expression: 'startedAtId BETWEEN :from AND :to', values: { ':from': from, ':to': to } };
  if (from) return { expression: 'startedAtId >= :from', values: { ':from': from } };
  if (to) return { expression: 'startedAtId <= :to', values: { ':to': to } };
  return undefined;
}

/** `between 2026-11-22T09:00:00Z and now`, for messages. */
export function describeRange(range: TimeRange): string {
  const fmt = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (range.from && range.to) return `between ${fmt(range.from)} and ${fmt(range.to)}`;
  if (range.from) return `since ${fmt(range.from)}`;
  if (range.to) return `until ${fmt(range.to)}`;
  return 'at any time';
}

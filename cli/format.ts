import type { RequestRecord } from './types';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** `200 OK`, `403 Forbidden`; a bare number for codes without a well-known text. */
export function statusText(status: number | undefined): string {
  if (status === undefined) return 'no status yet';
  const text = STATUS_TEXT[status];
  return text ? `${status} ${text}` : String(status);
}

/** ISO time to the second (`2026-11-22T10:00:01Z`): milliseconds add noise to a transcript. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `12 ms`, `1.4 s`, `2m05s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** Bytes as people read them. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** What Gatehouse decided, in words: `allowed (rule default)`, `denied (rule no-secrets)`, `held for approval (rule prod-writes)`. */
export function decisionLabel(record: Pick<RequestRecord, 'decision' | 'ruleId' | 'outcome'>): string {
  const rule = record.ruleId ? ` (rule ${record.ruleId})` : '';
  switch (record.decision) {
    case 'allow':
      return record.outcome === 'failed' ? `allowed${rule}, then failed` : `allowed${rule}`;
    case 'deny':
      return `denied${rule}`;
    case 'approve':
      return `held for approval${rule}`;
    case 'reject':
      return 'rejected before policy';
    default:
      return 'undecided';
  }
}

/** One word for a request's fate, used in counts: allowed, denied, held, failed or pending. */
export function requestFate(record: Pick<RequestRecord, 'decision' | 'outcome'>): 'allowed' | 'denied' | 'held' | 'failed' | 'pending' {
  if (record.decision === 'approve') return 'held';
  switch (record.outcome) {
    case 'forwarded':
      return 'allowed';
    case 'denied':
    case 'rejected':
      return 'denied';
    case 'failed':
      return 'failed';
    default:
      return 'pending';
  }
}

/** `3 (secretData 2, token 1)`, or `none`. */
export function maskedSummary(counts: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  if (!entries.length) return 'none';
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${total} (${entries.map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
}

/** The total of a masked-counts map. */
export function maskedTotal(counts: Readonly<Record<string, number>> | undefined): number {
  return Object.values(counts ?? {}).reduce((sum, n) => sum + (n > 0 ? n : 0), 0);
}

/** `a, b, c` or a placeholder. */
export function list(values: readonly string[] | undefined, empty = '-'): string {
  return values && values.length ? values.join(',') : empty;
}

/** Cuts a cell to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/** A word for a shell command line: as is when it needs no quoting, else in single quotes (`'echo hi'`). */
export function shellQuote(text: string): string {
  return /^[\w./:=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

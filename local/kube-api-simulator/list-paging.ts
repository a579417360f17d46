import { objectKey } from './object-store';
import { badRequest } from './status-errors';
import type { KubeObject } from './types';

/** A decoded continue token: the list's revision and the key to resume after. */
export interface ContinuePosition {
  readonly resourceVersion: number;
  /** Resume at keys >= this (the last returned key plus "\u0000", as the real storage layer does). */
  readonly start: string;
}

/** Encodes a continue token in the real format: base64url JSON `{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}`. */
export function encodeContinue(resourceVersion: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start: `${lastKey}\u0000` })).toString('base64url');
}

/** Decodes a continue token; anything malformed is a 400 like the real "continue key is not valid". */
export function decodeContinue(token: string): ContinuePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(`continue key is not valid: illegal base64 data at input byte 0`);
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p?.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: server does not recognize this encoded key');
  if (typeof p.rv !== 'number' || p.rv <= 0 || typeof p.start !== 'string' || p.start === '') {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { resourceVersion: p.rv, start: p.start };
}

/** Parses `limit`: absent, zero or negative means no limit (the real server ignores them too). */
export function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing "${value}": invalid syntax`);
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/** One page of a sorted list. */
export interface Page {
  readonly items: KubeObject[];
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/**
 * Cuts one page from objects sorted by key: starts after the continue position, takes `limit`, and
 * when more remain returns a token for the rest. `remainingItemCount` is only known without selectors,
 * as on the real server.
 */
export function paginate(
  sorted: readonly KubeObject[],
  limit: number | undefined,
  position: ContinuePosition | undefined,
  listRevision: number,
  countRemaining: boolean,
): Page {
  const key = (o: KubeObject): string => objectKey(o.metadata.namespace, o.metadata.name ?? '');
  const from = position ? sorted.filter((o) => key(o) >= position.start) : [...sorted];
  if (limit === undefined || from.length <= limit) return { items: from };
  const items = from.slice(0, limit);
  const last = items[items.length - 1]!;
  return {
    items,
    continue: encodeContinue(listRevision, key(last)),
    remainingItemCount: countRemaining ? from.length - limit : undefined,
  };
}

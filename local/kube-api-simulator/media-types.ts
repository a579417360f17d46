import { notAcceptable } from './status-errors';

/** One clause of an Accept header. */
export interface MediaRange {
  /** `application/json`, lower case, without parameters. */
  readonly mediaType: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

/** What representation to answer with, chosen from the Accept header. */
export type OutputFormat =
  | { readonly kind: 'json' }
  | { readonly kind: 'yaml' }
  | { readonly kind: 'table'; readonly version: 'v1' | 'v1beta1' }
  | { readonly kind: 'partial'; readonly version: 'v1' | 'v1beta1'; readonly list: boolean };

/** Media types the simulator can write (protobuf and CBOR are deliberately not among them). */
export const SERVED_MEDIA_TYPES = ['application/json', 'application/yaml'] as const;

/** Parses `type/subtype;k=v` into its parts (parameter names lower-cased, quotes removed). */
export function parseMediaType(value: string): { mediaType: string; params: Record<string, string> } {
  const [head, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { mediaType: (head ?? '').trim().toLowerCase(), params };
}

/** Parses an Accept header into clauses, highest q first, keeping the client's order among equals. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [{ mediaType: '*/*', params: {}, q: 1 }];
  return header
    .split(',')
    .map((clause, index) => {
      const { mediaType, params } = parseMediaType(clause);
      const q = params.q === undefined ? 1 : Number(params.q);
      const { q: _q, ...rest } = params;
      return { mediaType, params: rest, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.mediaType && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ mediaType, params, q }) => ({ mediaType, params, q }));
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*';
}

/**
 * Chooses the response representation as the real server's content negotiation does: the first clause
 * it can serve wins; `as=Table` / `as=PartialObjectMetadata[List]` clauses are transformations of JSON.
 * Clauses it cannot serve (protobuf, CBOR, unknown `as=`) are skipped, so a client that lists JSON as
 * a fallback gets JSON. Nothing servable: 406.
 */
export function negotiateOutput(accept: string | undefined): OutputFormat {
  for (const range of parseAccept(accept)) {
    const as = range.params.as;
    if (as) {
      const version = range.params.v;
      if (range.params.g !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
      if (range.mediaType !== 'application/json') continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata') return { kind: 'partial', version, list: false };
      if (as === 'PartialObjectMetadataList') return { kind: 'partial', version, list: true };
      continue;
    }
    if (isJson(range.mediaType)) return { kind: 'json' };
    if (range.mediaType === 'application/yaml') return { kind: 'yaml' };
  }
  throw notAcceptable(SERVED_MEDIA_TYPES);
}

/** The Content-Type a response in this format carries. */
export function contentTypeOf(format: OutputFormat): string {
  switch (format.kind) {
    case 'table':
      return `application/json;as=Table;v=${format.version};g=meta.k8s.io`;
    case 'partial':
      return `application/json;as=${format.list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=${format.version};g=meta.k8s.io`;
    case 'yaml':
      return 'application/yaml';
    default:
      return 'application/json';
  }
}

/** Whether some Accept clause asks for exactly this media type with these parameters. */
export function acceptsExactly(accept: string | undefined, mediaType: string, params: Readonly<Record<string, string>>): boolean {
  return parseAccept(accept).some(
    (r) => r.mediaType === mediaType && Object.entries(params).every(([k, v]) => r.params[k] === v),
  );
}

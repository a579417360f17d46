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
  | { readonly kind: 'protobuf' }
  | { readonly kind: 'table'; readonly version: 'v1' | 'v1beta1' }
  | { readonly kind: 'partial'; readonly version: 'v1' | 'v1beta1'; readonly list: boolean; readonly protobuf?: boolean };

/** The Kubernetes protobuf media type (`runtime.ContentTypeProtobuf`). */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Media types the simulator writes for built-in kinds (CBOR, off by default in 1.35, is not among them). */
export const SERVED_MEDIA_TYPES = ['application/json', 'application/yaml', PROTOBUF] as const;

/** What the endpoint can serve besides JSON and YAML. */
export interface NegotiationOptions {
  /**
   * The kind can be answered in protobuf: built-in kinds can (the simulator has their schemas), custom
   * resources cannot (their serializers lack protobuf, so a protobuf clause is skipped as on the real
   * server). PartialObjectMetadata conversions are protobuf-capable for every kind, as on the real server.
   */
  readonly protobuf?: boolean;
  /**
   * A watch: the chosen serializer must frame a stream (JSON and protobuf can, YAML cannot: a watch that
   * negotiates YAML is a 406, as `NegotiateOutputMediaTypeStream` answers).
   */
  readonly stream?: boolean;
  /** `false` for a Status: `as=`/`g=`/`v=` clauses are skipped (DefaultEndpointRestrictions). */
  readonly conversions?: boolean;
}

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

/** What one Accept clause asks for, or undefined when the endpoint cannot serve it (the clause is skipped). */
function formatFor(range: MediaRange, options: NegotiationOptions): OutputFormat | undefined {
  // acceptMediaTypeOptions: a stream other than `watch` is refused; `stream=watch` is fine anywhere.
  const stream = range.params.stream;
  if (stream !== undefined && stream !== '' && stream !== 'watch') return undefined;
  const json = isJson(range.mediaType);
  const protobuf = range.mediaType === PROTOBUF;
  const as = range.params.as;
  if (as !== undefined || range.params.g !== undefined || range.params.v !== undefined) {
    if (options.conversions === false) return undefined;
    const version = range.params.v;
    if (range.params.g !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) return undefined;
    // AllowsMediaTypeTransform: a Table is JSON (or YAML) only, there is no protobuf Table (metav1.Table
    // has no protobuf marshaller); PartialObjectMetadata(List) is served in every encoding.
    if (as === 'Table') return json ? { kind: 'table', version } : undefined;
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      const list = as === 'PartialObjectMetadataList';
      if (json) return { kind: 'partial', version, list };
      if (protobuf) return { kind: 'partial', version, list, protobuf: true };
    }
    return undefined;
  }
  if (json) return { kind: 'json' };
  if (range.mediaType === 'application/yaml') return { kind: 'yaml' };
  if (protobuf && options.protobuf) return { kind: 'protobuf' };
  return undefined;
}

/**
 * Chooses the response representation as the real server's content negotiation does: the first clause
 * it can serve wins (`*\/*` and `application/*` are JSON, the first serializer); `as=Table` and
 * `as=PartialObjectMetadata[List]` clauses are conversions. Clauses it cannot serve (CBOR, a protobuf
 * Table, protobuf for a custom resource, unknown `as=`) are skipped, so a client that lists JSON as a
 * fallback gets JSON. Nothing servable: 406.
 */
export function negotiateOutput(accept: string | undefined, options: NegotiationOptions = {}): OutputFormat {
  for (const range of parseAccept(accept)) {
    const format = formatFor(range, options);
    if (!format) continue;
    if (options.stream && format.kind === 'yaml') break;
    return format;
  }
  throw notAcceptable(options.protobuf ? SERVED_MEDIA_TYPES : SERVED_MEDIA_TYPES.filter((t) => t !== PROTOBUF));
}

/**
 * The Content-Type a response in this format carries: the serializer's media type alone, as
 * `WriteObjectNegotiated(..., listGVKInContentType=false)` writes it for objects, lists and their Table or
 * PartialObjectMetadata conversions (only aggregated discovery names its kind in the Content-Type). A
 * watch adds `;stream=watch` to every media type but JSON's, as serveWatch does.
 */
export function contentTypeOf(format: OutputFormat, stream = false): string {
  switch (format.kind) {
    case 'protobuf':
      return stream ? `${PROTOBUF};stream=watch` : PROTOBUF;
    case 'partial':
      if (format.protobuf) return stream ? `${PROTOBUF};stream=watch` : PROTOBUF;
      return 'application/json';
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

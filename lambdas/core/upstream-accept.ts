/**
 * The Accept header Gatehouse sends the cluster. Never the client's own: the API server parses Accept with
 * goautoneg (split on every comma, no quoted strings, case-sensitive types and parameter names), and any
 * parser of ours that disagreed with it could let a protobuf or CBOR body through that masking cannot
 * read. Instead Gatehouse reads the client's Accept the way goautoneg and the server's negotiation do,
 * works out which representation the server would have chosen, and asks for the JSON form of that from a
 * fixed allowlist. Each form ends in `application/json`, so an endpoint that cannot serve the conversion
 * (a Table of discovery, say) falls back to plain JSON exactly as it would have for the client.
 */

/** `kubectl get`: a Table (meta.k8s.io v1, then v1beta1), else the object. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
/** Aggregated discovery (`/api`, `/apis`): APIGroupDiscoveryList v2, then v2beta1, else the legacy lists. */
export const DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
/** client-go's metadata client (controllers, the garbage collector, metadata informers): one object. */
export const PARTIAL_OBJECT_METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1,application/json';
/** The metadata-only client on a collection. */
export const PARTIAL_OBJECT_METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1,application/json';
/** A client that asked for the watch stream framing; discovery endpoints refuse it, hence the fallback. */
export const WATCH_STREAM_ACCEPT = 'application/json;stream=watch,application/json';
/** Everything else. */
export const PLAIN_JSON_ACCEPT = 'application/json';

/** One clause of an Accept header, as goautoneg's `ParseAccept` returns it. */
export interface AcceptClause {
  readonly type: string;
  readonly subType: string;
  readonly q: number;
  readonly params: Readonly<Record<string, string>>;
}

/** Go's `strings.Trim(s, " ")`: spaces only, not tabs. */
const trimSpaces = (text: string): string => text.replace(/^ +| +$/g, '');

/**
 * Go's `strconv.ParseFloat(s, 32)` as goautoneg uses it (the error ignored, so a syntax error is 0).
 * Decimal forms, `inf`/`infinity`/`nan`; hexadecimal floats and `_` separators, which no client sends
 * as a q value, read as 0 here.
 */
function parseGoFloat32(text: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return 0;
  return Math.fround(Number(text));
}

/**
 * goautoneg's `ParseAccept`: split on every `,` (a quoted parameter holding a comma is cut in two, as
 * the server cuts it), each clause on `;`, the range on `/` (a bare `*` is `*`/`*`, anything else without
 * exactly one `/` dropped); `q` parsed as a float32, other parameters kept by exact name, values trimmed.
 * Then `sort.Sort` with goautoneg's comparison: higher q first, then non-wildcards before wildcards.
 * That comparison is not a strict weak order, so the result depends on the algorithm: for up to 12
 * clauses Go's pdqsort is an insertion sort, reproduced here exactly; longer headers are sorted the same
 * way, which can differ from Go's order (it only changes which JSON form is asked for, never whether).
 */
export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const rawPart of header.split(',')) {
    const [mediaRange = '', ...rawParams] = trimSpaces(rawPart).split(';');
    const range = mediaRange.split('/');
    const type = trimSpaces(range[0]!);
    let subType: string;
    if (range.length === 1 && type === '*') subType = '*';
    else if (range.length === 2) subType = trimSpaces(range[1]!);
    else continue;
    let q = 1;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const param of rawParams) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const token = trimSpaces(param.slice(0, eq));
      // The value of q is not trimmed: "q= 0.5" fails to parse, and goautoneg then uses 0.
      if (token === 'q') q = parseGoFloat32(param.slice(eq + 1));
      else params[token] = trimSpaces(param.slice(eq + 1));
    }
    clauses.push({ type, subType, q, params });
  }
  const less = (a: AcceptClause, b: AcceptClause): boolean =>
    a.q > b.q || (a.type !== '*' && b.type === '*') || (a.subType !== '*' && b.subType === '*');
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && less(clauses[j]!, clauses[j - 1]!); j--) {
      [clauses[j - 1], clauses[j]] = [clauses[j]!, clauses[j - 1]!];
    }
  }
  return clauses;
}

/** The server's serializers in its preference order, and which can frame a watch stream. */
const SERVED: ReadonlyArray<{ readonly type: string; readonly subType: string; readonly stream: boolean }> = [
  { type: 'application', subType: 'json', stream: true },
  { type: 'application', subType: 'yaml', stream: false },
  { type: 'application', subType: 'vnd.kubernetes.protobuf', stream: true },
  { type: 'application', subType: 'cbor', stream: true },
];

const META_VERSIONS = new Set(['v1', 'v1beta1']);
const DISCOVERY_VERSIONS = new Set(['v2', 'v2beta1']);

/**
 * The form one clause asks for on one serializer, or undefined when the server would reject the pair
 * (`acceptMediaTypeOptions` plus the endpoints' `AllowsConversion`/`AllowsStreamSchema`): an unknown
 * conversion, a stream other than `watch`, a Table in anything but JSON or YAML.
 */
function formFor(params: Readonly<Record<string, string>>, served: (typeof SERVED)[number]): string | undefined {
  const stream = params['stream'];
  if (stream !== undefined && stream !== '' && (stream !== 'watch' || !served.stream)) return undefined;
  const converts = params['as'] !== undefined || params['g'] !== undefined || params['v'] !== undefined;
  if (!converts) return stream === 'watch' ? WATCH_STREAM_ACCEPT : PLAIN_JSON_ACCEPT;
  const { as: kind = '', g: group = '', v: version = '' } = params;
  if (group === 'meta.k8s.io' && META_VERSIONS.has(version)) {
    if (kind === 'Table') return served.subType === 'json' || served.subType === 'yaml' ? TABLE_ACCEPT : undefined;
    if (kind === 'PartialObjectMetadata') return PARTIAL_OBJECT_METADATA_ACCEPT;
    if (kind === 'PartialObjectMetadataList') return PARTIAL_OBJECT_METADATA_LIST_ACCEPT;
  }
  if (group === 'apidiscovery.k8s.io' && DISCOVERY_VERSIONS.has(version) && kind === 'APIGroupDiscoveryList') return DISCOVERY_ACCEPT;
  return undefined;
}

/**
 * The fixed Accept to send the cluster for a client's Accept: the JSON form of the first clause, in
 * goautoneg's order, that the server could serve (`NegotiateMediaTypeOptions`: exact type, `type/*`
 * or `*` + `/*` against its serializers, case-sensitively). A Table, aggregated discovery or
 * PartialObjectMetadata(List) request gets that form whatever encoding it named (protobuf, CBOR, YAML
 * become JSON); a plain request gets `application/json`, with the watch framing when it asked for it.
 * No Accept, or none the server could serve, is `application/json`.
 *
 * @param accept the client's first Accept header: `req.Header.Get("Accept")`, all the server reads.
 */
export function upstreamAcceptFor(accept: string | undefined): string {
  if (accept === undefined || accept === '') return PLAIN_JSON_ACCEPT;
  for (const clause of parseAccept(accept)) {
    for (const served of SERVED) {
      const matches = (clause.type === served.type && (clause.subType === served.subType || clause.subType === '*'))
        || (clause.type === '*' && clause.subType === '*');
      const form = matches ? formFor(clause.params, served) : undefined;
      if (form !== undefined) return form;
    }
  }
  return PLAIN_JSON_ACCEPT;
}

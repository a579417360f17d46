import type { MaskingPatternConfig } from '../gateway-config';
import { DEFAULT_CREDENTIAL_PATTERNS, MASKED_VALUE, type CredentialPattern } from '../masking/credential-patterns';
import { maskResponse } from '../masking/mask-response';
import { MASKED_ANNOTATION, MASKED_BASE64 } from '../masking/mask-json-value';
import type { RequestInfo } from '../request-info';

/**
 * Masking for what an approver is shown. Everything goes through the same `maskResponse` that cleans what the
 * cluster sends back (Secret `data`/`stringData` and the last-applied annotation, TokenRequest tokens,
 * credential patterns, the connection's own patterns), never with unmaskSecrets: a request body is as
 * sensitive as a response, and Slack and the approvals table are no place for a Secret.
 */
export interface PreviewMasker {
  /** A masked copy of a decoded body (the input is not changed). */
  value(value: unknown): unknown;
  /** A masked copy of a JSON patch: each op's `value` masked as if written at its `path`. */
  jsonPatch(ops: readonly unknown[]): unknown[];
  /** Free text (query values, field paths) with credential patterns masked. */
  text(text: string): string;
}

// A request about nothing in particular: free text is masked by credential patterns alone.
const TEXT_ONLY: RequestInfo = {
  isResourceRequest: false, path: '/', verb: 'get', apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', parts: [],
};
// One combined list per connection configuration, so maskResponse compiles it once (it caches by identity).
const combined = new WeakMap<readonly MaskingPatternConfig[], readonly CredentialPattern[]>();

/** A masker for one request's body, with the built-in credential patterns plus the connection's own. */
export function previewMasker(request: RequestInfo, extraPatterns?: readonly MaskingPatternConfig[]): PreviewMasker {
  const patterns = patternsFor(extraPatterns);
  // A body is masked as an object, never as a watch stream, whatever the request's verb.
  const asObject: RequestInfo = request.verb === 'watch' ? { ...request, verb: 'get' } : request;
  const value = (v: unknown): unknown => {
    const body = Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
    const masked = maskResponse({ body, contentType: 'application/json', request: asObject, unmaskSecrets: false, patterns });
    if (!masked.changed) return structuredCloneJson(v);
    // Secret `data` is masked to base64 of the marker so kubectl can still decode it; a person reads the marker.
    return withoutAddedMarker(v, JSON.parse(masked.body.toString('utf8'), (_key, x: unknown) => (x === MASKED_BASE64 ? MASKED_VALUE : x)));
  };
  // Anything a JSON patch writes into a Secret outside its metadata is taken as Secret data, whatever its shape.
  const secret = request.isResourceRequest && request.resource === 'secrets' && request.subresource === '';
  return {
    value,
    jsonPatch: (ops) => ops.map((op) => {
      if (!isObject(op) || !('value' in op) || typeof op.path !== 'string') return structuredCloneJson(op);
      if (secret && op.path !== '' && !op.path.startsWith('/metadata/')) return { ...(structuredCloneJson(op) as Record<string, unknown>), value: MASKED_VALUE };
      const segments = pointerSegments(op.path);
      // A value is masked where it lands: `/data/password` of a Secret is Secret data, `/metadata/annotations/
      // kubectl.kubernetes.io~1last-applied-configuration` is the last-applied copy, an env entry keeps its name.
      const masked = segments ? unwrap(value(wrap(segments, op.value)), segments) : '***UNREADABLE POINTER***';
      return { ...(structuredCloneJson(op) as Record<string, unknown>), value: masked };
    }),
    text: (text) => maskResponse({ body: Buffer.from(text, 'utf8'), contentType: 'text/plain', request: TEXT_ONLY, unmaskSecrets: false, patterns }).body.toString('utf8'),
  };
}

function patternsFor(extra: readonly MaskingPatternConfig[] | undefined): readonly CredentialPattern[] {
  if (!extra || extra.length === 0) return DEFAULT_CREDENTIAL_PATTERNS;
  let list = combined.get(extra);
  if (!list) combined.set(extra, (list = [...DEFAULT_CREDENTIAL_PATTERNS, ...extra.map((p) => ({ id: p.id, regex: p.regex }))]));
  return list;
}

/**
 * maskResponse marks a Secret it masked with the `gatehouse.dev/masked` annotation, for readers of a response.
 * In a preview of what will run that annotation would be a change the request does not make, so it goes again.
 */
function withoutAddedMarker(original: unknown, masked: unknown): unknown {
  if (!isObject(original) || !isObject(masked) || !isObject(masked.metadata)) return masked;
  const before = isObject(original.metadata) ? original.metadata : undefined;
  const annotations = masked.metadata.annotations;
  if (!isObject(annotations) || (isObject(before?.annotations) && MASKED_ANNOTATION in before.annotations)) return masked;
  delete annotations[MASKED_ANNOTATION];
  if (Object.keys(annotations).length === 0 && !(before && 'annotations' in before)) delete masked.metadata.annotations;
  if (Object.keys(masked.metadata).length === 0 && !before) delete masked.metadata;
  return masked;
}

function pointerSegments(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function wrap(segments: readonly string[], value: unknown): unknown {
  return segments.reduceRight<unknown>((inner, key) => Object.defineProperty({}, key, { value: inner, enumerable: true, writable: true, configurable: true }), value);
}

function unwrap(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const key of segments) current = isObject(current) ? current[key] : undefined;
  return current;
}

function structuredCloneJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

import { yaml } from '../lazy-yaml';
import { UpstreamResponseError } from '../errors';
import type { RequestInfo } from '../request-info';
import { CredentialPattern, DEFAULT_CREDENTIAL_PATTERNS } from './credential-patterns';
import { maskApiObject, MaskState } from './mask-json-value';
import { compileCredentialPatterns, CompiledPatterns, isUtf8Text, maskText } from './mask-text';

/** What `maskResponse` needs. `body` must already be decoded (no Content-Encoding). */
export interface MaskResponseInput {
  readonly body: Buffer;
  readonly contentType: string;
  readonly request: RequestInfo;
  /** From the policy decision: Secret values (and TokenRequest tokens) pass unmasked. */
  readonly unmaskSecrets: boolean;
  /** @default DEFAULT_CREDENTIAL_PATTERNS */
  readonly patterns?: readonly CredentialPattern[];
}

/** The masked response. */
export interface MaskResponseResult {
  /** The input buffer itself when nothing changed. */
  readonly body: Buffer;
  /** Masked values per kind (`secret-data`, `jwt`, ...), only non-zero entries; for the record. */
  readonly counts: Readonly<Record<string, number>>;
  readonly changed: boolean;
}

/** Count of watch-stream lines dropped because they could not be parsed and might hold Secret values. */
export const UNPARSEABLE_DROPPED_COUNT = 'unparseable-dropped';

const DEFAULT_COMPILED = compileCredentialPatterns(DEFAULT_CREDENTIAL_PATTERNS);
const compiledCache = new WeakMap<readonly CredentialPattern[], CompiledPatterns>();

/**
 * Masks a Kubernetes API response: Secret values in every shape the API returns them (object, list, Table,
 * watch stream, last-applied annotation), and credential-looking values anywhere (JSON, YAML, text such as
 * container logs). One parse, one walk, and a serialize only when something changed.
 *
 * Fails closed, throwing UpstreamResponseError (502), on every response masking cannot read, whatever the
 * request: only JSON (`application/json`, `*+json`), YAML (`application/yaml`, `application/x-yaml`,
 * `text/yaml`, `*+yaml`) and `text/*` are read, and only as UTF-8 (no charset, `utf-8` or `us-ascii`).
 * CBOR (`application/cbor`, `application/cbor-seq`), protobuf, octet streams, images... are refused rather
 * than passed unmasked: Gatehouse asks the cluster for JSON, so anything else either bypassed that or comes
 * from a proxied service, and either could carry a credential. A response about Secrets that cannot be
 * parsed is refused too (unless the policy unmasks Secrets).
 *
 * A missing content type is sniffed: JSON when the body starts with `{` or `[`, else text when it is valid
 * UTF-8 without NUL bytes, else refused. The API server always labels its bodies, so this only concerns
 * odd upstreams, and the sniff refuses the binary encodings (CBOR is not UTF-8; protobuf starts `k8s\0`).
 */
export function maskResponse(input: MaskResponseInput): MaskResponseResult {
  const { body, request } = input;
  if (body.length === 0) return { body, counts: {}, changed: false };
  const patterns = compiledFor(input.patterns);
  const state: MaskState = { patterns, counts: {}, unmaskSecrets: input.unmaskSecrets, changed: false };
  const secretContext = request.isResourceRequest && request.resource === 'secrets' && request.subresource === '';
  const failClosed = secretContext && !input.unmaskSecrets;
  const [mediaType = '', ...params] = input.contentType.split(';').map((p) => p.trim().toLowerCase());
  const watch = request.verb === 'watch' || params.includes('stream=watch');
  const syntax = readableSyntax(mediaType, params, body);
  if (syntax === 'json') {
    const text = body.toString('utf8');
    const out = watch ? maskWatchStream(text, secretContext, failClosed, state) : maskJson(text, secretContext, failClosed, state);
    return result(body, out, state);
  }
  if (syntax === 'yaml') return result(body, maskYaml(body.toString('utf8'), secretContext, failClosed, state), state);
  if (syntax === 'text' && !failClosed) return result(body, maskAsText(body.toString('utf8'), state), state);
  throw unmaskable(input.contentType.trim());
}

type Syntax = 'json' | 'yaml' | 'text';

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);
// Charsets a UTF-8 decode reads correctly; a UTF-16 or Latin-1 body would hide credentials from the patterns.
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** How masking can read a body with this content type, or undefined when it cannot (refused). */
function readableSyntax(mediaType: string, params: readonly string[], body: Buffer): Syntax | undefined {
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) return undefined;
  if (mediaType === '') return sniff(body);
  if (mediaType === 'application/json' || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType)) return 'json';
  if (YAML_TYPES.has(mediaType) || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+yaml$/.test(mediaType)) return 'yaml';
  if (/^text\/[a-z0-9!#$&^_.+-]+$/.test(mediaType)) return 'text';
  return undefined;
}

/** An unlabelled body: JSON if it looks like it, text if it is UTF-8 without NULs, else unreadable. */
function sniff(body: Buffer): Syntax | undefined {
  for (const byte of body.subarray(0, 64)) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    if (byte === 0x7b || byte === 0x5b) return 'json'; // { or [
    break;
  }
  return isUtf8Text(body) ? 'text' : undefined;
}

function maskJson(text: string, secretContext: boolean, failClosed: boolean, state: MaskState): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Several JSON values in a row: a watch stream the request info did not announce.
    if (text.trimEnd().includes('\n')) return maskWatchStream(text, secretContext, failClosed, state);
    if (failClosed) throw unmaskable('invalid JSON');
    return maskAsText(text, state);
  }
  const masked = maskApiObject(parsed, secretContext, state);
  return state.changed ? JSON.stringify(masked) + (text.endsWith('\n') ? '\n' : '') : text;
}

/** Newline-delimited `{"type","object"}` events, each parsed and masked on its own. */
function maskWatchStream(text: string, secretContext: boolean, failClosed: boolean, state: MaskState): string {
  const lines = text.split('\n');
  let any = false;
  const out: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      out.push(line);
      continue;
    }
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      // A cut-off last line (the stream ended mid-event) cannot be masked reliably; kubectl could not read it anyway.
      if (failClosed) {
        state.counts[UNPARSEABLE_DROPPED_COUNT] = (state.counts[UNPARSEABLE_DROPPED_COUNT] ?? 0) + 1;
        any = true;
        continue;
      }
      const masked = maskText(line, state.patterns, state.counts);
      any ||= masked !== line;
      out.push(masked);
      continue;
    }
    const lineState: MaskState = { ...state, changed: false };
    const masked = maskApiObject(event, secretContext, lineState);
    any ||= lineState.changed;
    out.push(lineState.changed ? JSON.stringify(masked) : line);
  }
  state.changed = any;
  return any ? out.join('\n') : text;
}

function maskYaml(text: string, secretContext: boolean, failClosed: boolean, state: MaskState): string {
  const docs = yaml().parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    if (failClosed) throw unmaskable('invalid YAML');
    return maskAsText(text, state);
  }
  const values = docs.map((d) => maskApiObject(d.toJS({ maxAliasCount: 100 }), secretContext, state));
  return state.changed ? values.map((v) => yaml().stringify(v)).join('---\n') : text;
}

function maskAsText(text: string, state: MaskState): string {
  const masked = maskText(text, state.patterns, state.counts);
  if (masked !== text) state.changed = true;
  return masked;
}

function result(original: Buffer, text: string, state: MaskState): MaskResponseResult {
  return state.changed ? { body: Buffer.from(text, 'utf8'), counts: state.counts, changed: true } : { body: original, counts: state.counts, changed: false };
}

function compiledFor(patterns: readonly CredentialPattern[] | undefined): CompiledPatterns {
  if (!patterns || patterns === DEFAULT_CREDENTIAL_PATTERNS) return DEFAULT_COMPILED;
  let compiled = compiledCache.get(patterns);
  if (!compiled) compiledCache.set(patterns, (compiled = compileCredentialPatterns(patterns)));
  return compiled;
}

function unmaskable(what: string): UpstreamResponseError {
  return new UpstreamResponseError(
    `Gatehouse could not mask the cluster's response (${what.slice(0, 100) || 'no content type'}) and does not pass on what it cannot mask. `
      + 'Gatehouse reads JSON, YAML and UTF-8 text only (not protobuf or CBOR); retry, and if it persists, request JSON (e.g. kubectl -o json).',
  );
}

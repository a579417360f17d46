import { parseAllDocuments, stringify } from 'yaml';
import { UpstreamResponseError } from '../errors';
import type { RequestInfo } from '../request-info';
import { CredentialPattern, DEFAULT_CREDENTIAL_PATTERNS } from './credential-patterns';
import { maskApiObject, MaskState } from './mask-json-value';
import { compileCredentialPatterns, CompiledPatterns, maskText } from './mask-text';

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
 * Fails closed: a response about Secrets that cannot be parsed, or a protobuf response to a resource request
 * (Gatehouse asks the cluster for JSON, so protobuf means something bypassed that), throws UpstreamResponseError.
 * Other binary content (e.g. a service proxied through the API server) passes unchanged.
 */
export function maskResponse(input: MaskResponseInput): MaskResponseResult {
  const { body, request } = input;
  if (body.length === 0) return { body, counts: {}, changed: false };
  const patterns = compiledFor(input.patterns);
  const state: MaskState = { patterns, counts: {}, unmaskSecrets: input.unmaskSecrets, changed: false };
  const secretContext = request.isResourceRequest && request.resource === 'secrets' && request.subresource === '';
  const failClosed = secretContext && !input.unmaskSecrets;
  const [mediaType, ...params] = input.contentType.split(';').map((p) => p.trim().toLowerCase());
  const watch = request.verb === 'watch' || params.includes('stream=watch');
  if (isJson(mediaType, body)) {
    const text = body.toString('utf8');
    const out = watch ? maskWatchStream(text, secretContext, failClosed, state) : maskJson(text, secretContext, failClosed, state);
    return result(body, out, state);
  }
  if (mediaType === 'application/yaml' || mediaType === 'application/x-yaml' || mediaType === 'text/yaml') {
    return result(body, maskYaml(body.toString('utf8'), secretContext, failClosed, state), state);
  }
  if (mediaType.startsWith('text/') || mediaType === '') {
    if (failClosed) throw unmaskable(mediaType);
    return result(body, maskAsText(body.toString('utf8'), state), state);
  }
  if ((mediaType.includes('protobuf') && request.isResourceRequest) || failClosed) throw unmaskable(mediaType);
  return { body, counts: {}, changed: false };
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
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    if (failClosed) throw unmaskable('invalid YAML');
    return maskAsText(text, state);
  }
  const values = docs.map((d) => maskApiObject(d.toJS({ maxAliasCount: 100 }), secretContext, state));
  return state.changed ? values.map((v) => stringify(v)).join('---\n') : text;
}

function maskAsText(text: string, state: MaskState): string {
  const masked = maskText(text, state.patterns, state.counts);
  if (masked !== text) state.changed = true;
  return masked;
}

function result(original: Buffer, text: string, state: MaskState): MaskResponseResult {
  return state.changed ? { body: Buffer.from(text, 'utf8'), counts: state.counts, changed: true } : { body: original, counts: state.counts, changed: false };
}

function isJson(mediaType: string, body: Buffer): boolean {
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return true;
  if (mediaType !== '') return false;
  for (const byte of body.subarray(0, 64)) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b; // { or [
  }
  return false;
}

function compiledFor(patterns: readonly CredentialPattern[] | undefined): CompiledPatterns {
  if (!patterns || patterns === DEFAULT_CREDENTIAL_PATTERNS) return DEFAULT_COMPILED;
  let compiled = compiledCache.get(patterns);
  if (!compiled) compiledCache.set(patterns, (compiled = compileCredentialPatterns(patterns)));
  return compiled;
}

function unmaskable(what: string): UpstreamResponseError {
  return new UpstreamResponseError(
    `Gatehouse could not mask the cluster's response (${what || 'no content type'}) and does not pass on Secrets it cannot mask. Retry; if it persists, request JSON.`,
  );
}

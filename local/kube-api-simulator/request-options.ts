import type { IncomingMessage } from 'node:http';
import { parseMediaType } from './media-types';
import { decodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE } from './protobuf-decoder';
import { badRequest, KubeApiError, unsupportedMediaType } from './status-errors';
import { queryBool } from './query-bool';
import { isJsonObject, type JsonObject, type JsonValue } from './types';
import { decodeJsonLikeApiServer, duplicateFieldError } from './json-decode';
import { decodeYamlLikeApiServer, yamlStrictError } from './yaml-decode';

/** The real server's request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole request body, refusing more than the real server's limit with a 413 Status. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new KubeApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Body media types accepted for create and update (protobuf only for the kinds kubectl's typed clients send). */
export const OBJECT_BODY_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE] as const;

/** How a body's JSON is decoded: see {@link decodeDocument}. */
export interface DecodeOptions {
  readonly yaml: boolean;
  /** From which depth repeated JSON keys merge as in a Go struct (see json-decode.ts); undefined: last wins. */
  readonly mergeFromDepth?: number;
}

/** A decoded body and what the real strict decoder would say about it. */
export interface DecodedDocument<T = JsonValue> {
  readonly value: T;
  /** Repeated JSON keys, as Go field paths (`spec.containers[0].image`). */
  readonly duplicatePaths: readonly string[];
  /** go-yaml v2's strict-mode complaints (`line 4: key "a" already set in map`). */
  readonly yamlDuplicates: readonly string[];
}

/** The strict-decoding errors of a decoded body, worded as the apiserver words them. */
export function strictErrorsOf(doc: DecodedDocument<unknown>): string[] {
  return [...(doc.yamlDuplicates.length ? [yamlStrictError(doc.yamlDuplicates)] : []), ...doc.duplicatePaths.map(duplicateFieldError)];
}

/**
 * Decodes JSON, or YAML the way go-yaml v2 reads it, keeping what the strict decoder would report.
 * Syntax errors are 400s with the decoder's message (`badSyntax` words them for patch bodies).
 */
export function decodeDocument(raw: Buffer, options: DecodeOptions, badSyntax?: (why: string) => KubeApiError): DecodedDocument {
  const text = raw.toString('utf8');
  try {
    if (options.yaml) {
      const y = decodeYamlLikeApiServer(text);
      return { value: y.value, duplicatePaths: [], yamlDuplicates: y.duplicates };
    }
    const j = decodeJsonLikeApiServer(text, { mergeFromDepth: options.mergeFromDepth });
    return { value: j.value, duplicatePaths: j.duplicates, yamlDuplicates: [] };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (badSyntax) throw badSyntax(why);
    throw badRequest(options.yaml ? `error converting YAML to JSON: ${why}` : `couldn't get version/kind; json parse error: ${why}`);
  }
}

/** Parses JSON, or YAML when `yaml` is true (go-yaml v2 rules); errors are 400s with the decoder's message. */
export function parseDocument(raw: Buffer, yaml: boolean): JsonValue {
  return decodeDocument(raw, { yaml }).value;
}

/**
 * Decodes a create/update body by its Content-Type: JSON (also when absent), YAML, or Kubernetes
 * protobuf for the kinds kubectl 1.35's typed clients send that way (`kubectl create configmap` does).
 * CBOR, protobuf of other kinds and anything else are a 415. `typed` (a built-in kind, decoded into a
 * Go struct) makes repeated JSON keys merge as the real decoder merges them.
 */
export function decodeWriteBody(contentType: string | undefined, raw: Buffer, typed: boolean): DecodedDocument<JsonObject> {
  const { mediaType } = parseMediaType(contentType ?? 'application/json');
  if (mediaType === PROTOBUF_MEDIA_TYPE) {
    if (raw.length === 0) throw badRequest('the body of the request was empty');
    return { value: decodeKubernetesProtobuf(raw), duplicatePaths: [], yamlDuplicates: [] };
  }
  if (mediaType !== 'application/json' && mediaType !== 'application/yaml' && mediaType !== '') throw unsupportedMediaType(OBJECT_BODY_TYPES);
  if (raw.length === 0) throw badRequest('the body of the request was empty');
  const doc = decodeDocument(raw, { yaml: mediaType === 'application/yaml', mergeFromDepth: typed ? 0 : undefined });
  if (!isJsonObject(doc.value)) throw badRequest("couldn't get version/kind; json parse error: json: cannot unmarshal into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }");
  return doc as DecodedDocument<JsonObject>;
}

/** {@link decodeWriteBody} without the strict-decoding findings. */
export function decodeObjectBody(contentType: string | undefined, raw: Buffer, typed = false): JsonObject {
  return decodeWriteBody(contentType, raw, typed).value;
}

/** Reads `dryRun`: absent, or `All` (repeatable). Anything else is a 400 as on the real server. */
export function parseDryRun(query: URLSearchParams, fromBody?: JsonValue): boolean {
  const values = [...query.getAll('dryRun'), ...(Array.isArray(fromBody) ? fromBody.map(String) : [])];
  for (const v of values) {
    if (v !== 'All') throw badRequest(`Invalid dryRun value: ${JSON.stringify(v)}. Valid values are: "All"`);
  }
  return values.length > 0;
}

/** `fieldValidation`: how unknown fields in a write are treated; the real default is Warn. */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** Reads `fieldValidation` (Ignore, Warn, Strict; empty means Warn). */
export function parseFieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

/**
 * The field manager of a write: the `fieldManager` parameter, else the User-Agent's product name (the
 * real default, e.g. `kubectl` from `kubectl/v1.35.2 (linux/amd64) ...`). At most 128 characters.
 */
export function fieldManagerOf(query: URLSearchParams, userAgent: string | undefined, required = false): string {
  const explicit = query.get('fieldManager');
  if (explicit !== null && explicit !== '') {
    if (explicit.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
    return explicit;
  }
  if (required) throw badRequest('PATCH requests with apply content type must have a fieldManager query param');
  const ua = (userAgent ?? 'unknown').split('/')[0]!.trim();
  return ua.slice(0, 128) || 'unknown';
}

/** Delete options, from the DeleteOptions body and/or query parameters. */
export interface DeleteOptions {
  readonly dryRun: boolean;
  readonly propagationPolicy: 'Background' | 'Foreground' | 'Orphan';
  readonly gracePeriodSeconds?: number;
  readonly preconditions: { readonly uid?: string; readonly resourceVersion?: string };
}

/** Parses DeleteOptions (body wins over query, as the real handler decodes the body last). */
export function parseDeleteOptions(query: URLSearchParams, raw: Buffer, contentType: string | undefined): DeleteOptions {
  let body: JsonObject = {};
  if (raw.length > 0) {
    const { mediaType } = parseMediaType(contentType ?? 'application/json');
    if (mediaType !== 'application/json' && mediaType !== 'application/yaml' && mediaType !== '') throw unsupportedMediaType(['application/json', 'application/yaml']);
    const doc = parseDocument(raw, mediaType === 'application/yaml');
    if (!isJsonObject(doc)) throw badRequest('the body of the request must be a DeleteOptions object');
    body = doc;
  }
  const policy = (body.propagationPolicy ?? query.get('propagationPolicy') ?? (body.orphanDependents === true ? 'Orphan' : 'Background')) as string;
  if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const grace = body.gracePeriodSeconds ?? query.get('gracePeriodSeconds');
  const pre = isJsonObject(body.preconditions) ? body.preconditions : {};
  return {
    dryRun: parseDryRun(query, body.dryRun),
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    gracePeriodSeconds: grace === null || grace === undefined ? undefined : Number(grace),
    preconditions: {
      uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    },
  };
}

/** Whether a boolean query parameter is set, read as the apiserver reads it (see {@link queryBool}). */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  return queryBool(query, name);
}

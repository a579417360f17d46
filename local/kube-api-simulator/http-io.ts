import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { stringify as toYaml } from 'yaml';
import type { ClusterState } from './cluster-state';
import { contentTypeOf, negotiateOutput, type NegotiationOptions, type OutputFormat } from './media-types';
import { canEncodeProtobuf, encodeKubernetesProtobuf } from './protobuf-encoder';
import type { RbacDenial } from './rbac-denials';
import type { ResourcePath } from './request-path';
import { groupVersion, type ResourceType } from './resource-type';
import { internalError, KubeApiError } from './status-errors';
import type { JsonObject, KubeUser } from './types';

/** Everything a resource handler needs for one request. */
export interface HandlerContext {
  readonly state: ClusterState;
  readonly type: ResourceType;
  readonly path: ResourcePath;
  readonly query: URLSearchParams;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The user the request acts as (after impersonation). */
  readonly user: KubeUser;
  /** `Warning` headers to send (e.g. unknown fields under fieldValidation=Warn). */
  readonly warnings: string[];
  /** Aborted when the server closes, so long-running watches and log follows end. */
  readonly shutdown: AbortSignal;
  /** The opt-in RBAC denials in force for this request (what a SelfSubjectAccessReview answers from). */
  readonly denials: readonly RbacDenial[];
}

/** Writes a JSON body with a status code. */
export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(payload.length), ...headers });
  res.end(payload);
}

/** Adds `Warning: 299 - "..."` headers, the form kubectl prints as `Warning: ...`. */
export function warningHeaders(warnings: readonly string[]): Record<string, string[]> {
  return warnings.length ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {};
}

/**
 * `defaultGzipThresholdBytes` of the real server (responsewriters/writers.go): a response body longer
 * than this is gzipped when the client asked for gzip; shorter ones never are.
 */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;

/**
 * `ContentEncodingSupported` (responsewriters/compression.go): the first Accept-Encoding header, split
 * on commas, must hold a token that is exactly `gzip` once spaces are trimmed; `gzip;q=1` or `GZIP` is
 * not one, and `identity` (what Gatehouse sends) never compresses.
 */
export function acceptsGzip(req: Pick<IncomingMessage, 'headersDistinct'>): boolean {
  const header = req.headersDistinct['accept-encoding']?.[0] ?? '';
  return header.split(',').some((token) => token.trim() === 'gzip');
}

/**
 * Writes a serialized response as `SerializeObject` does: with `Content-Encoding: gzip` (and
 * `Vary: Accept-Encoding`) when the client accepts gzip and the body is over the threshold, at the
 * real server's compression level 1.
 */
export function writeSerialized(req: Pick<IncomingMessage, 'headersDistinct'>, res: ServerResponse, code: number, contentType: string, payload: Buffer, headers: Record<string, string> = {}): void {
  if (acceptsGzip(req) && payload.length > GZIP_THRESHOLD_BYTES) {
    const gzipped = gzipSync(payload, { level: 1 });
    res.writeHead(code, { ...headers, 'Content-Type': contentType, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': String(gzipped.length) });
    res.end(gzipped);
    return;
  }
  res.writeHead(code, { ...headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) });
  res.end(payload);
}

/** What this endpoint can serve besides JSON and YAML: protobuf for built-in kinds, never custom resources. */
export function outputOptions(type: ResourceType): NegotiationOptions {
  return { protobuf: !type.custom && canEncodeProtobuf(groupVersion(type), type.kind) };
}

/** The Content-Type and bytes of a body in a format. */
export function serialize(format: OutputFormat, body: JsonObject): { readonly contentType: string; readonly payload: Buffer } {
  const contentType = contentTypeOf(format);
  if (format.kind === 'protobuf' || (format.kind === 'partial' && format.protobuf)) return { contentType, payload: encodeKubernetesProtobuf(body).bytes };
  return { contentType, payload: Buffer.from(format.kind === 'yaml' ? toYaml(body) : JSON.stringify(body)) };
}

/** Writes an object in the format the Accept header asked for (JSON, YAML, protobuf, Table, PartialObjectMetadata). */
export function sendFormatted(ctx: HandlerContext, code: number, body: JsonObject, format: OutputFormat = negotiateOutput(ctx.req.headers.accept, outputOptions(ctx.type))): void {
  const { contentType, payload } = serialize(format, body);
  for (const [name, values] of Object.entries(warningHeaders(ctx.warnings))) ctx.res.setHeader(name, values);
  writeSerialized(ctx.req, ctx.res, code, contentType, payload);
}

/**
 * The format of an answer that is never converted (a delete's Status or object, a Scale): the encoding
 * the client asked for, JSON when it asked for a Table or PartialObjectMetadata.
 */
export function plainFormat(ctx: HandlerContext, options: NegotiationOptions = outputOptions(ctx.type)): OutputFormat {
  const format = negotiateOutput(ctx.req.headers.accept, options);
  return format.kind === 'table' || format.kind === 'partial' ? { kind: 'json' } : format;
}

/**
 * Turns anything thrown into a Status response (unexpected errors become a 500 Status, never a stack
 * trace), negotiated as `ErrorNegotiated` does: the client's JSON, YAML or protobuf (conversions such
 * as `as=Table` do not apply to a Status; `protobuf: false` for custom resources, whose serializers
 * have none), `Retry-After` from `details.retryAfterSeconds`, gzip when large; when no clause can be
 * served, and for a 406, indented JSON as `WriteRawJSON` writes it.
 */
export function sendError(res: ServerResponse, err: unknown, req?: IncomingMessage, options: { readonly protobuf?: boolean } = {}): number {
  const e = err instanceof KubeApiError ? err : internalError(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return e.code;
  }
  const status = e.toStatus();
  const headers: Record<string, string> = { ...e.headers };
  const retry = (status.details as JsonObject | undefined)?.retryAfterSeconds;
  if (typeof retry === 'number' && retry > 0) headers['Retry-After'] = String(retry);
  if (!req) {
    sendJson(res, e.code, status, 'application/json', headers);
    return e.code;
  }
  let format: OutputFormat | undefined;
  try {
    // A 406 is what negotiation itself failed with: WriteObjectNegotiated then writes it as raw JSON.
    format = e.code === 406 ? undefined : negotiateOutput(req.headers.accept, { protobuf: options.protobuf ?? true, conversions: false });
  } catch {
    format = undefined;
  }
  const { contentType, payload } = format ? serialize(format, status) : { contentType: 'application/json', payload: Buffer.from(JSON.stringify(status, null, 2)) };
  writeSerialized(req, res, e.code, contentType, payload, headers);
  return e.code;
}

/** Writes plain text (pod logs, health checks). */
export function sendText(res: ServerResponse, code: number, text: string): void {
  const payload = Buffer.from(text);
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(payload.length) });
  res.end(payload);
}

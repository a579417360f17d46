import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import type { ClusterState } from './cluster-state';
import { contentTypeOf, negotiateOutput, type OutputFormat } from './media-types';
import type { ResourcePath } from './request-path';
import type { ResourceType } from './resource-type';
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

/** Writes an object in the format the Accept header asked for (JSON, YAML, Table, PartialObjectMetadata). */
export function sendFormatted(ctx: HandlerContext, code: number, body: JsonObject, format: OutputFormat = negotiateOutput(ctx.req.headers.accept)): void {
  const isYaml = format.kind === 'yaml';
  const payload = Buffer.from(isYaml ? toYaml(body) : JSON.stringify(body));
  for (const [name, values] of Object.entries(warningHeaders(ctx.warnings))) ctx.res.setHeader(name, values);
  ctx.res.writeHead(code, { 'Content-Type': contentTypeOf(format), 'Content-Length': String(payload.length) });
  ctx.res.end(payload);
}

/** Turns anything thrown into a Status response (unexpected errors become a 500 Status, never a stack trace). */
export function sendError(res: ServerResponse, err: unknown): number {
  const e = err instanceof KubeApiError ? err : internalError(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return e.code;
  }
  sendJson(res, e.code, e.toStatus(), 'application/json', { ...e.headers });
  return e.code;
}

/** Writes plain text (pod logs, health checks). */
export function sendText(res: ServerResponse, code: number, text: string): void {
  const payload = Buffer.from(text);
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(payload.length) });
  res.end(payload);
}

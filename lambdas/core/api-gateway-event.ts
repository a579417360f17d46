import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from './errors';

/** A proxied request, independent of how it arrived (API Gateway, or local mode's front, which builds the same event). */
export interface ProxyRequest {
  readonly requestId: string;
  readonly method: string;
  /** Connection name from the `/k8s/<connection>` prefix. */
  readonly connection: string;
  /** Everything after `/k8s/<connection>`, as it arrived (not decoded); '' for the bare prefix. */
  readonly clusterPath: string;
  /** The query string without `?`, re-encoded from the event's parameters. */
  readonly rawQuery: string;
  /** Lower-cased header names, every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

/** A response to send back, before API Gateway encoding. */
export interface ProxyResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const PREFIX = /^\/k8s\/([^/]+)(\/.*)?$/s;

/**
 * Reads an API Gateway REST (v1) proxy event. Repeated headers come from `multiValueHeaders` (several
 * `Impersonate-Group` headers must all be seen to be refused); bodies arrive base64 because the API lists
 * `*\/*` as a binary media type.
 */
export function fromApiGatewayEvent(event: APIGatewayProxyEvent): ProxyRequest {
  const match = PREFIX.exec(event.path ?? '');
  if (!match) throw new NotFoundError('Gatehouse serves Kubernetes connections under /k8s/<connection>; check the server URL in your kubeconfig.');
  const headers: Record<string, string[]> = {};
  const multi = event.multiValueHeaders ?? {};
  for (const [name, values] of Object.entries(multi)) {
    if (values) (headers[name.toLowerCase()] ??= []).push(...values);
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !(name.toLowerCase() in headers)) headers[name.toLowerCase()] = [value];
  }
  const query = new URLSearchParams();
  const multiQuery = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multiQuery)) for (const v of values ?? []) query.append(name, v);
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !(name in multiQuery)) query.append(name, value);
  }
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  return {
    requestId: event.requestContext?.requestId ?? '',
    method: event.httpMethod.toUpperCase(),
    connection: decodeURIComponent(match[1]!),
    clusterPath: match[2] ?? '',
    rawQuery: query.toString(),
    headers,
    body,
    sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
  };
}

const TEXTUAL = /^(application\/(json|yaml|.*\+json|.*\+yaml)|text\/)/i;

/** Size of a buffered Lambda response payload that Lambda accepts. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Encodes a response for API Gateway: text stays text (cheaper than base64 against Lambda's 6 MB payload
 * limit), anything else is base64 with `isBase64Encoded`.
 */
export function toApiGatewayResult(response: ProxyResponse): APIGatewayProxyResult {
  const contentType = response.headers['content-type'] ?? '';
  const text = TEXTUAL.test(contentType);
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    body: text ? response.body.toString('utf8') : response.body.toString('base64'),
    isBase64Encoded: !text,
  };
}

/**
 * Whether Lambda will accept this response in buffered mode (6 MB for the serialised result). Exact, but
 * cheap for the common case: base64 size is arithmetic, and a text body so small that even worst-case JSON
 * escaping (6 bytes per byte) fits needs no serialising; only large text bodies are serialised to measure.
 */
export function fitsLambdaPayload(response: ProxyResponse): boolean {
  const envelope = Buffer.byteLength(JSON.stringify(response.headers)) + 128;
  const length = response.body.length;
  if (!TEXTUAL.test(response.headers['content-type'] ?? '')) return 4 * Math.ceil(length / 3) + envelope <= LAMBDA_RESPONSE_LIMIT_BYTES;
  if (length * 6 + envelope <= LAMBDA_RESPONSE_LIMIT_BYTES) return true;
  if (length + envelope > LAMBDA_RESPONSE_LIMIT_BYTES) return false;
  return Buffer.byteLength(JSON.stringify(toApiGatewayResult(response))) <= LAMBDA_RESPONSE_LIMIT_BYTES;
}

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotFoundError } from '../errors';

/**
 * An AWS call (or a credential request) as it reached Gatehouse, independent of how it arrived (API Gateway,
 * or local mode's front, which builds the same event). Unlike a kubectl request, an AWS call is verified by its
 * SigV4 signature, so this keeps what the client signed: the path as sent and the decoded query pairs.
 */
export interface AwsProxyRequest {
  readonly requestId: string;
  /** `call`: `/aws/<connection>/...`; `credentials`: `POST /aws-credentials/<connection>`. */
  readonly kind: 'call' | 'credentials';
  readonly method: string;
  readonly connection: string;
  /** The path after `/aws/<connection>`, still percent-encoded as sent; `/` for the bare prefix. */
  readonly callPath: string;
  /**
   * The path the client signed: API Gateway's `requestContext.path`, which keeps the stage (`/prod/aws/...`) and
   * the percent-encoding the client sent; `path` when there is no request context.
   */
  readonly signedPath: string;
  /** Decoded query parameters, repeats kept (API Gateway hands them decoded; SigV4 canonicalises from them). */
  readonly query: readonly (readonly [string, string])[];
  /** Lower-cased header names, every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

const CALL = /^\/aws\/([^/]+)(\/.*)?$/s;
const CREDENTIALS = /^\/aws-credentials\/([^/]+)\/?$/;

/** Whether an API Gateway path is one of the AWS routes (the proxy serves `/k8s/...` otherwise). */
export function isAwsPath(path: string | undefined): boolean {
  return !!path && (CALL.test(path) || CREDENTIALS.test(path));
}

/** Reads an API Gateway REST (v1) proxy event of an AWS route. */
export function fromApiGatewayAwsEvent(event: APIGatewayProxyEvent): AwsProxyRequest {
  const path = event.path ?? '';
  const credentials = CREDENTIALS.exec(path);
  const call = credentials ? null : CALL.exec(path);
  if (!credentials && !call) throw new NotFoundError('Gatehouse serves AWS connections under /aws/<connection>; check AWS_ENDPOINT_URL.');
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values) (headers[name.toLowerCase()] ??= []).push(...values);
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !(name.toLowerCase() in headers)) headers[name.toLowerCase()] = [value];
  }
  const query: Array<[string, string]> = [];
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) for (const v of values ?? []) query.push([name, v]);
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !(name in multi)) query.push([name, value]);
  }
  const connection = safeDecode((credentials ?? call)![1]!);
  return {
    requestId: event.requestContext?.requestId ?? '',
    kind: credentials ? 'credentials' : 'call',
    method: event.httpMethod.toUpperCase(),
    connection,
    callPath: call?.[2] || '/',
    signedPath: event.requestContext?.path || path,
    query,
    headers,
    body: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
    sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

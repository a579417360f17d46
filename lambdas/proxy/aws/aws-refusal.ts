import type { ProxyResponse } from '../../core/api-gateway-event';
import type { AwsProxyRequest } from '../../core/aws/aws-proxy-request';
import type { AwsProtocol, AwsRequestInfo } from '../../core/aws/aws-request-info';
import { awsErrorFor, awsErrorResponse, awsRefusalKindOf, guessAwsProtocol, type AwsRefusalKind } from '../../core/aws/aws-error-response';
import { GatehouseError } from '../../core/errors';
import type { RequestGuard } from '../request-guard';
import type { TrailProtocol } from '../request-trail';

/**
 * A refusal whose AWS error code Gatehouse knows better than its class says: a bad signature, a skewed clock, an
 * expired credential. Everything else is mapped by class (`awsRefusalKindOf`).
 */
export class AwsRefusalError extends GatehouseError {
  constructor(readonly kind: AwsRefusalKind, code: number, reason: string, message: string) {
    super(code, reason, message);
  }
}

/** Longest error message a record keeps. */
const MAX_ERROR_MESSAGE = 1024;

/**
 * The one place a Gatehouse error becomes the answer an AWS SDK or CLI reads: the protocol's error shape, the code
 * the service would use for the same situation, Gatehouse's message (with the request id on 5xx, so an operator
 * can find the record). A HEAD answer carries no body, as on the wire.
 */
export function awsRefusal(error: unknown, protocol: AwsProtocol, requestId: string, method = 'POST', service?: string): { readonly response: ProxyResponse; readonly reason: string; readonly message: string } {
  const kind = error instanceof AwsRefusalError ? error.kind : awsRefusalKindOf(error);
  const known = error instanceof GatehouseError ? error.message : 'Gatehouse failed to handle this call';
  const message = kind === 'internal' || kind.startsWith('upstream') ? `${known} (Gatehouse request id ${requestId})` : known;
  const aws = awsErrorFor(kind, protocol, message);
  const answer = awsErrorResponse(protocol, aws, requestId, service);
  const body = method === 'HEAD' ? Buffer.alloc(0) : answer.body;
  // The Date header lets the SDKs correct their clock after a clock-skew refusal.
  const headers = { ...answer.headers, date: new Date().toUTCString(), 'content-length': String(body.length) };
  return { response: { status: answer.status, headers, body }, reason: aws.code, message };
}

/** The protocol of a call before it is classified, for refusals that come first (an unknown connection, a bad signature). */
export function protocolOfRequest(req: AwsProxyRequest): AwsProtocol {
  return guessAwsProtocol({ method: req.method, headers: req.headers, body: req.body, query: req.query });
}

/** S3 actions whose request or answer body is object data: never decoded, never kept in a replay blob. */
const OBJECT_BODY_ACTIONS = new Set(['PutObject', 'UploadPart', 'GetObject', 'GetObjectTorrent']);

/**
 * How an AWS call's trail renders it: bodies masked by the AWS masker (secrets always masked in the blob), object
 * data left out, refusals as AWS errors, a service's own 403 read from its error body.
 */
export function awsTrailProtocol(
  info: () => AwsRequestInfo | undefined, protocol: () => AwsProtocol,
  options: { readonly connection: string; readonly method: string; readonly guard: Pick<RequestGuard, 'maskAws'> },
): TrailProtocol {
  return {
    mask(body, contentType, status) {
      const call = info();
      if (!call || !options.guard.maskAws) throw new Error('an unclassified AWS body cannot be masked');
      if (call.service === 's3' && OBJECT_BODY_ACTIONS.has(call.action)) throw new Error('S3 object data is not kept');
      return options.guard.maskAws({ connection: options.connection, info: call, status, contentType, body, unmask: false }).body;
    },
    refusal: (error, requestId) => awsRefusal(error, protocol(), requestId, options.method, info()?.service),
    upstreamRefusal: (response) => awsErrorOf(response.body),
  };
}

/** The code and message of a service's error answer (JSON `__type`/`message`, XML `Code`/`Message`). */
export function awsErrorOf(body: Buffer): { readonly errorReason?: string; readonly errorMessage?: string } {
  const text = body.subarray(0, 64 * 1024).toString('utf8');
  let code: string | undefined;
  let message: string | undefined;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    code = typeof json.__type === 'string' ? json.__type.split('#').pop() : typeof json.code === 'string' ? json.code : undefined;
    const m = json.message ?? json.Message;
    message = typeof m === 'string' ? m : undefined;
  } catch {
    code = /<Code>([^<]{1,256})<\/Code>/.exec(text)?.[1];
    message = /<Message>([^<]{0,4096})<\/Message>/.exec(text)?.[1];
  }
  return { ...(code ? { errorReason: code } : {}), ...(message ? { errorMessage: message.slice(0, MAX_ERROR_MESSAGE) } : {}) };
}

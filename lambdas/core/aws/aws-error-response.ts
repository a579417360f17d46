import {
  BadRequestError, ForbiddenError, GatehouseError, PayloadTooLargeError, ServiceUnavailableError, TooManyRequestsError,
  UnauthenticatedError, UnsupportedMediaTypeError, UpstreamResponseError, UpstreamTimeoutError,
} from '../errors';
import type { AwsProtocol } from './aws-request-info';

/**
 * Gatehouse's refusals in the error shape of the caller's protocol, so that the AWS SDKs and the AWS CLI parse
 * them as they parse the service's own and print `An error occurred (<Code>) ...: <message>`: the code decides
 * what the SDK does next (throttling and 5xx codes are retried, clock-skew codes correct the clock, the rest
 * surface to the agent), the message says what Gatehouse did and what to do.
 */

/** An AWS-style error: the code the SDK names the error by, the text it prints, the HTTP status. */
export interface AwsError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

/** An error answer ready to send. */
export interface AwsErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Namespaces of the query services' `ErrorResponse`; the SDKs ignore them, people reading a dump do not. */
const QUERY_NAMESPACES: Readonly<Record<string, string>> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};
const GENERIC_NAMESPACE = 'http://webservices.amazon.com/AWSFault/2005-15-09';

/**
 * The error answer for `protocol`:
 * - `awsJson1_0` / `awsJson1_1`: `{"__type":"<code>","message":"..."}`, `application/x-amz-json-1.0|1.1`;
 * - `restJson1`: `{"message":"..."}` with the code in `x-amzn-ErrorType`, `application/json`;
 * - `awsQuery`: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`, `text/xml`;
 * - `restXml` (S3): `<Error><Code/><Message/><RequestId/></Error>`, `application/xml`, `x-amz-request-id`.
 * JSON protocols carry `x-amzn-ErrorType` and `x-amzn-RequestId`. Everything is escaped. A HEAD answer has no
 * body on the wire: the caller drops it (the SDKs then name the error by status, as for S3's own HEAD errors).
 * `service` (the signing name) only picks the query namespace.
 */
export function awsErrorResponse(protocol: AwsProtocol, error: AwsError, requestId: string, service?: string): AwsErrorResponse {
  const code = error.code.replace(/[^A-Za-z0-9._-]/g, '') || 'InternalFailure';
  const message = error.message.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
  const status = Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
  const id = requestId.replace(/[^\x21-\x7e]/g, '');
  switch (protocol) {
    case 'awsJson1_0':
    case 'awsJson1_1':
      return {
        status,
        headers: { 'content-type': `application/x-amz-json-${protocol === 'awsJson1_0' ? '1.0' : '1.1'}`, 'x-amzn-errortype': code, 'x-amzn-requestid': id },
        body: Buffer.from(JSON.stringify({ __type: code, message }), 'utf8'),
      };
    case 'restJson1':
      return {
        status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': id },
        body: Buffer.from(JSON.stringify({ message }), 'utf8'),
      };
    case 'awsQuery': {
      const ns = (service && Object.prototype.hasOwnProperty.call(QUERY_NAMESPACES, service) && QUERY_NAMESPACES[service]) || GENERIC_NAMESPACE;
      const type = status >= 500 ? 'Receiver' : 'Sender';
      const xml = `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${xmlEscape(id)}</RequestId>\n</ErrorResponse>\n`;
      return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': id }, body: Buffer.from(xml, 'utf8') };
    }
    case 'restXml': {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><RequestId>${xmlEscape(id)}</RequestId></Error>`;
      return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': id }, body: Buffer.from(xml, 'utf8') };
    }
  }
}

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

/** Why Gatehouse refuses (or cannot complete) an AWS call. */
export type AwsRefusalKind =
  | 'policy-denied'
  | 'approval-pending'
  | 'approval-denied'
  | 'approval-expired'
  | 'unauthenticated'
  | 'signature'
  | 'clock-skew'
  | 'expired-token'
  | 'throttled'
  | 'bad-request'
  | 'too-large'
  | 'upstream-unreachable'
  | 'upstream-timeout'
  | 'upstream-bad-answer'
  | 'internal';

type Family = 'json' | 'query' | 's3';

const FAMILY: Readonly<Record<AwsProtocol, Family>> = {
  awsJson1_0: 'json', awsJson1_1: 'json', restJson1: 'json', awsQuery: 'query', restXml: 's3',
};

type Row = Readonly<Record<Family, readonly [code: string, status: number]>>;

/**
 * The codes the services themselves answer for the same situation, per protocol family: JSON services
 * (DynamoDB, KMS, Secrets Manager, Lambda), query services (STS, IAM) and S3.
 */
const TABLE: Readonly<Record<AwsRefusalKind, Row>> = {
  'policy-denied': { json: ['AccessDeniedException', 403], query: ['AccessDenied', 403], s3: ['AccessDenied', 403] },
  'approval-pending': { json: ['AccessDeniedException', 403], query: ['AccessDenied', 403], s3: ['AccessDenied', 403] },
  'approval-denied': { json: ['AccessDeniedException', 403], query: ['AccessDenied', 403], s3: ['AccessDenied', 403] },
  'approval-expired': { json: ['AccessDeniedException', 403], query: ['AccessDenied', 403], s3: ['AccessDenied', 403] },
  unauthenticated: { json: ['UnrecognizedClientException', 403], query: ['InvalidClientTokenId', 403], s3: ['InvalidAccessKeyId', 403] },
  signature: { json: ['InvalidSignatureException', 403], query: ['SignatureDoesNotMatch', 403], s3: ['SignatureDoesNotMatch', 403] },
  // The codes the SDKs read as clock skew: they correct their clock from the Date header and retry.
  'clock-skew': { json: ['InvalidSignatureException', 403], query: ['SignatureDoesNotMatch', 403], s3: ['RequestTimeTooSkewed', 403] },
  'expired-token': { json: ['ExpiredTokenException', 400], query: ['ExpiredToken', 403], s3: ['ExpiredToken', 400] },
  // Throttling codes the SDKs retry with backoff.
  throttled: { json: ['ThrottlingException', 429], query: ['Throttling', 400], s3: ['SlowDown', 503] },
  'bad-request': { json: ['ValidationException', 400], query: ['ValidationError', 400], s3: ['InvalidRequest', 400] },
  'too-large': { json: ['RequestEntityTooLargeException', 413], query: ['RequestEntityTooLarge', 413], s3: ['EntityTooLarge', 400] },
  'upstream-unreachable': { json: ['ServiceUnavailable', 503], query: ['ServiceUnavailable', 503], s3: ['ServiceUnavailable', 503] },
  'upstream-timeout': { json: ['RequestTimeoutException', 504], query: ['RequestTimeout', 504], s3: ['RequestTimeout', 504] },
  'upstream-bad-answer': { json: ['InternalFailure', 502], query: ['InternalFailure', 502], s3: ['InternalError', 502] },
  internal: { json: ['InternalFailure', 500], query: ['InternalFailure', 500], s3: ['InternalError', 500] },
};

/** The AWS error for a Gatehouse refusal in `protocol`: the one table of codes and statuses. */
export function awsErrorFor(kind: AwsRefusalKind, protocol: AwsProtocol, message: string): AwsError {
  const [code, status] = TABLE[kind][FAMILY[protocol]];
  return { code, message, status };
}

/**
 * The refusal kind of a Gatehouse error (the approval and signature kinds are not told apart by class: the
 * caller that knows passes them itself). Anything that is not a GatehouseError is `internal`.
 */
export function awsRefusalKindOf(error: unknown): AwsRefusalKind {
  if (!(error instanceof GatehouseError)) return 'internal';
  if (error instanceof UnauthenticatedError) return 'unauthenticated';
  if (error instanceof ForbiddenError) return 'policy-denied';
  if (error instanceof PayloadTooLargeError) return 'too-large';
  if (error instanceof BadRequestError || error instanceof UnsupportedMediaTypeError) return 'bad-request';
  if (error instanceof TooManyRequestsError) return 'throttled';
  if (error instanceof UpstreamResponseError) return 'upstream-bad-answer';
  if (error instanceof UpstreamTimeoutError || error.code === 504) return 'upstream-timeout';
  if (error instanceof ServiceUnavailableError) return 'upstream-unreachable';
  return error.code >= 500 ? 'internal' : error.code === 403 ? 'policy-denied' : error.code === 401 ? 'unauthenticated' : 'bad-request';
}

/** What `guessAwsProtocol` reads: the call as received, before it could be classified. */
export interface AwsProtocolHints {
  readonly method: string;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  readonly query?: readonly (readonly [string, string])[];
}

/** Signing names of services that speak REST-XML (S3, CloudFront, Route 53). */
const REST_XML = new Set(['s3', 'cloudfront', 'route53']);
/** Signing names of common REST-JSON services. */
const REST_JSON = new Set([
  'lambda', 'apigateway', 'eks', 'bedrock', 'batch', 'backup', 'elasticfilesystem', 'es', 'kafka', 'guardduty', 'securityhub',
  'scheduler', 'pipes', 'appsync', 'appconfig', 'mq', 'iot', 'polly', 'emr-containers', 'emr-serverless', 'amplify', 'xray', 'grafana',
]);

/**
 * The protocol of a call that could not be classified (it failed verification, or its connection is unknown),
 * so its error can still be answered in a shape the SDK reads: `X-Amz-Target` -> awsJson 1.0 or 1.1 by the
 * content type's version; a form body (or a query) with `Action=` -> awsQuery; else by the service of the
 * Authorization header's credential scope (REST-JSON services), else restXml.
 */
export function guessAwsProtocol(hints: AwsProtocolHints): AwsProtocol {
  const header = (name: string): string => (hints.headers[name]?.[0] ?? '').trim();
  const contentType = header('content-type').toLowerCase();
  if (header('x-amz-target') !== '') return /^application\/x-amz-json-1\.0\b/.test(contentType) ? 'awsJson1_0' : 'awsJson1_1';
  if (contentType.startsWith('application/x-www-form-urlencoded') && /(?:^|&)Action=/.test(hints.body.subarray(0, 4096).toString('latin1'))) return 'awsQuery';
  if (hints.query?.some(([k]) => k === 'Action')) return 'awsQuery';
  const service = /Credential=[^/,\s]*\/\d{8}\/[^/,\s]*\/([a-z0-9-]{1,64})\/aws4_request/.exec(header('authorization'))?.[1]
    ?? /^[^/]*\/\d{8}\/[^/]*\/([a-z0-9-]{1,64})\/aws4_request$/.exec(hints.query?.find(([k]) => k === 'X-Amz-Credential')?.[1] ?? '')?.[1];
  if (service && REST_JSON.has(service) && !REST_XML.has(service)) return 'restJson1';
  return 'restXml';
}

import type { JsonObject } from './types';

/** A `metav1.StatusCause`, as the real server lists them under `details.causes`. */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** Identifies what an error is about: resource is the plural (`pods`), as `StatusDetails.kind` holds it. */
export interface QualifiedResource {
  readonly group: string;
  readonly resource: string;
}

/**
 * An error the simulator turns into a `metav1.Status` response. Messages and reasons copy the real
 * API server's (k8s.io/apimachinery/pkg/api/errors), because kubectl prints and branches on them.
 */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** The `metav1.Status` body. */
  toStatus(): JsonObject {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** Builds a Failure `metav1.Status` body. */
export function failureStatus(code: number, reason: string, message: string, details?: JsonObject): JsonObject {
  const status: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
  // StatusReasonUnknown is the empty string, which the real server omits.
  if (reason) status.reason = reason;
  if (details) status.details = details;
  status.code = code;
  return status;
}

/** `pods` or `deployments.apps`: how the real server names a resource in messages. */
export function qualifiedName(qr: QualifiedResource): string {
  return qr.group ? `${qr.resource}.${qr.group}` : qr.resource;
}

function details(qr: QualifiedResource, name: string, extra: JsonObject = {}): JsonObject {
  const d: JsonObject = { name };
  if (qr.group) d.group = qr.group;
  d.kind = qr.resource;
  return { ...d, ...extra };
}

/** 401: exactly the body the real server sends for a missing or rejected credential. */
export function unauthorized(): KubeApiError {
  return new KubeApiError(401, 'Unauthorized', 'Unauthorized');
}

/** 403 as `responsewriters.Forbidden` writes it. */
export function forbidden(qr: QualifiedResource, name: string, reason: string): KubeApiError {
  const subject = name ? `${qualifiedName(qr)} "${name}"` : qualifiedName(qr);
  return new KubeApiError(403, 'Forbidden', `${subject} is forbidden: ${reason}`, details(qr, name));
}

/** 404 for a named object. */
export function notFound(qr: QualifiedResource, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualifiedName(qr)} "${name}" not found`, details(qr, name));
}

/** 404 for a path that names no resource at all. */
export function pathNotFound(): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 on create of an existing name. */
export function alreadyExists(qr: QualifiedResource, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualifiedName(qr)} "${name}" already exists`, details(qr, name));
}

/** 409 on a stale resourceVersion or failed precondition. */
export function conflict(qr: QualifiedResource, name: string, why: string, causes?: readonly StatusCause[]): KubeApiError {
  const extra: JsonObject = causes ? { causes: causes.map((c) => ({ ...c })) } : {};
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(qr)} "${name}": ${why}`,
    details(qr, name, extra),
  );
}

/** The resourceVersion mismatch message the real registry uses (kubectl retries on it). */
export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** 400. */
export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

/** 405. */
export function methodNotAllowed(): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** 406, when nothing in Accept can be served. */
export function notAcceptable(accepted: readonly string[]): KubeApiError {
  return new KubeApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
}

/** 415, for request bodies the simulator cannot decode (protobuf, CBOR, unknown patch types). */
export function unsupportedMediaType(accepted: readonly string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 410, for a watch or continue token older than what the simulator still remembers. */
export function gone(message: string): KubeApiError {
  return new KubeApiError(410, 'Expired', message);
}

/** 504, as the real server answers a list at a resourceVersion it has not reached. */
export function tooLargeResourceVersion(requested: number, current: number): KubeApiError {
  return new KubeApiError(
    504,
    'Timeout',
    `Too large resource version: ${requested}, current: ${current}`,
    { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  );
}

/** One field error in the format of k8s.io/apimachinery/pkg/util/validation/field. */
export interface FieldError {
  readonly type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate';
  readonly field: string;
  /** For Invalid / NotSupported: the offending value, rendered with Go's %q / %v. */
  readonly value?: string | number | boolean;
  readonly detail?: string;
}

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
};

function fieldErrorBody(e: FieldError): string {
  let body = TYPE_TEXT[e.type];
  if (e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate') {
    body += `: ${typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value)}`;
  }
  if (e.detail) body += `: ${e.detail}`;
  return body;
}

/** 422 as `errors.NewInvalid` builds it: `Kind.group "name" is invalid: field: body[, ...]`. */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): KubeApiError {
  const groupKind = group ? `${kind}.${group}` : kind;
  const texts = errors.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const aggregate = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const d: JsonObject = { name };
  if (group) d.group = group;
  d.kind = kind;
  d.causes = errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  return new KubeApiError(422, 'Invalid', `${groupKind} "${name}" is invalid: ${aggregate}`, d);
}

/** 422 with a free-form message, as patch application failures are reported. */
export function unprocessable(message: string): KubeApiError {
  return new KubeApiError(422, 'Invalid', message, {});
}

/** 500, for bugs in the simulator itself: still a Status so kubectl prints it. */
export function internalError(message: string): KubeApiError {
  return new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/**
 * 500 for an error that is not a Status: the real server (responsewriters.ErrorToAPIStatus) sends its
 * text as the message with no reason, as it does for most strategic merge patch failures.
 */
export function unknownServerError(message: string): KubeApiError {
  return new KubeApiError(500, '', message);
}

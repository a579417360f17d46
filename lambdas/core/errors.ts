/**
 * Every failure a client can see is one of these. Each carries the HTTP code and the Kubernetes
 * `StatusReason` it maps to, so that exactly one place (`toKubeStatus`) turns it into the
 * `metav1.Status` body kubectl prints as `Error from server (Reason): message`.
 *
 * Messages are written for the person reading kubectl's output: say what happened and what to do.
 * They must never contain a token, a secret value or a request body.
 */
export class GatehouseError extends Error {
  /** HTTP status code sent to the client. */
  public readonly code: number;
  /** Kubernetes `StatusReason` (`Forbidden`, `Unauthorized`, ...). */
  public readonly reason: string;
  /** Optional `details` of the Status (kind, name, group). */
  public readonly details?: KubeStatusDetails;

  constructor(code: number, reason: string, message: string, details?: KubeStatusDetails) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

/** The `details` block of a Kubernetes Status. */
export interface KubeStatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly retryAfterSeconds?: number;
}

/** 400: the request cannot be understood or is unsafe (path traversal, watch on a buffered endpoint...). */
export class BadRequestError extends GatehouseError {
  constructor(message: string, details?: KubeStatusDetails) {
    super(400, 'BadRequest', message, details);
  }
}

/** 401: no identity could be established from the request's bearer token. */
export class UnauthenticatedError extends GatehouseError {
  constructor(message: string) {
    super(401, 'Unauthorized', message);
  }
}

/** 403: the identity is known but may not do this (no grant, policy deny, pending approval). */
export class ForbiddenError extends GatehouseError {
  constructor(message: string, details?: KubeStatusDetails) {
    super(403, 'Forbidden', message, details);
  }
}

/** 404: a Gatehouse object (connection, record) does not exist. */
export class NotFoundError extends GatehouseError {
  constructor(message: string, details?: KubeStatusDetails) {
    super(404, 'NotFound', message, details);
  }
}

/** 413: the request body is larger than Gatehouse accepts. */
export class PayloadTooLargeError extends GatehouseError {
  constructor(message: string) {
    super(413, 'RequestEntityTooLarge', message);
  }
}

/** 415: a body that a rule must read cannot be decoded (protobuf, unknown content type). */
export class UnsupportedMediaTypeError extends GatehouseError {
  constructor(message: string) {
    super(415, 'UnsupportedMediaType', message);
  }
}

/** 502: the upstream answered with something Gatehouse cannot pass on (e.g. too large to buffer). */
export class UpstreamResponseError extends GatehouseError {
  constructor(message: string) {
    super(502, 'InternalError', message);
  }
}

/** 503: the cluster could not be reached, or a dependency Gatehouse needs to fail closed is down. */
export class ServiceUnavailableError extends GatehouseError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(503, 'ServiceUnavailable', message, retryAfterSeconds ? { retryAfterSeconds } : undefined);
  }
}

/** 504: the cluster did not answer in time. */
export class UpstreamTimeoutError extends GatehouseError {
  constructor(message: string) {
    super(504, 'Timeout', message);
  }
}

/** A stream from the cluster that sent nothing for too long; it is ended with an ERROR event saying so. */
export class UpstreamIdleError extends GatehouseError {
  constructor(message: string) {
    super(504, 'Timeout', message);
  }
}

/** 429: a limit per agent (for example concurrent streams) is reached. */
export class TooManyRequestsError extends GatehouseError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(429, 'TooManyRequests', message, retryAfterSeconds ? { retryAfterSeconds } : undefined);
  }
}

/** 500: a bug or an unexpected failure. The message never carries internals. */
export class InternalError extends GatehouseError {
  constructor(message = 'Gatehouse failed unexpectedly; the request was not forwarded. Retry, and report the request id if it persists.') {
    super(500, 'InternalError', message);
  }
}

/** Raised when configuration (connections, issuers, grants, policy) is invalid. Not a client error. */
export class ConfigError extends Error {
  /** Each problem found, as `where: what is wrong`. */
  public readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

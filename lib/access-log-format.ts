/**
 * API Gateway's access log line: the only trail of requests refused before the proxy runs (stage throttling, 413,
 * a missing route, an integration timeout), and the one line per request in CloudWatch (the proxy logs its own
 * summary at DEBUG: the record holds every fact of it). So it keeps what finding and counting those needs, with
 * short keys, and nothing else: never a header (so never the bearer token, and no User-Agent, which a client could
 * use to forge JSON), never a body or a query string (label selectors can name sensitive things).
 *
 * One list for the stage's format (lib/gateway-api.ts) and for local mode's API Gateway stand-in, which prints the
 * same line (local/api-gateway-front.ts), so that the two cannot drift and the bench measures what CloudWatch gets.
 */
export const ACCESS_LOG_FIELDS = [
  /** The id the proxy's record and replay blob carry (`requestContext.requestId`). */
  ['id', 'requestId'],
  /** Epoch milliseconds. */
  ['time', 'requestTimeEpoch'],
  ['ip', 'identity.sourceIp'],
  ['method', 'httpMethod'],
  /** The path as requested, stage included, without the query string. */
  ['path', 'path'],
  ['status', 'status'],
  /** What Lambda answered the invoke of the function with (not the function's own status): `-` when it was never invoked. */
  ['fnStatus', 'integrationStatus'],
  /** Milliseconds, all of it and the function's part. */
  ['ms', 'responseLatency'],
  ['fnMs', 'integrationLatency'],
  ['bytes', 'responseLength'],
  /** API Gateway's gateway response type (THROTTLED, REQUEST_TOO_LARGE, INTEGRATION_TIMEOUT, ...) and its message. */
  ['error', 'error.responseType'],
  /** Already a quoted JSON string in API Gateway's rendering (`$context.error.messageString`). */
  ['msg', 'error.messageString'],
] as const;

/** An API Gateway `$context` variable the access log reads. */
export type AccessLogVariable = (typeof ACCESS_LOG_FIELDS)[number][1];

/** The one variable API Gateway renders quoted: the format leaves it unquoted. */
const QUOTED_BY_API_GATEWAY: AccessLogVariable = 'error.messageString';

/** The stage's access log format (`AccessLogFormat.custom`): one JSON object of `$context` variables. */
export function accessLogFormat(): string {
  return renderAccessLog((variable) => (variable === QUOTED_BY_API_GATEWAY ? `$context.${variable}` : JSON.stringify(`$context.${variable}`)));
}

/**
 * The line API Gateway would write for these values: every value a string, `-` for one it does not have (as
 * API Gateway prints a missing variable).
 */
export function accessLogLine(values: Readonly<Partial<Record<AccessLogVariable, string | number>>>): string {
  return renderAccessLog((variable) => JSON.stringify(String(values[variable] ?? '-')));
}

function renderAccessLog(value: (variable: AccessLogVariable) => string): string {
  return `{${ACCESS_LOG_FIELDS.map(([key, variable]) => `${JSON.stringify(key)}:${value(variable)}`).join(',')}}`;
}

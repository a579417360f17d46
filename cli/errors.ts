/**
 * Exit codes the CLI promises to scripts (documented in cli/README.md). They never change meaning; new
 * failure kinds get new numbers.
 */
export const EXIT = {
  ok: 0,
  /** Bad command line: unknown command or option, missing or malformed value. */
  usage: 1,
  /** The thing asked for does not exist: request record, session, grant, connection. */
  notFound: 2,
  /** Gatehouse cannot be reached: no target given, no or rejected AWS credentials, stack not found or incomplete, local mode not running. */
  target: 3,
  /** A replay blob does not match the SHA-256 in its record, or is missing although the record names it. */
  integrity: 4,
  /** AWS or the local services failed in another way (throttling, service error). Retrying may help. */
  service: 5,
  /** `doctor`: at least one check failed (each failure is printed with its fix). */
  doctorFailed: 7,
  /** A bug in the CLI (an error it did not expect). The message includes a stack trace to report. */
  internal: 10,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** An error whose message is written for the operator, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong command line. The message says what is wrong and points at `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A record, session, grant or connection that does not exist. */
export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

/** The target (stack, credentials, local mode) cannot be used. */
export class TargetError extends CliError {
  constructor(message: string) {
    super(message, EXIT.target);
  }
}

/** A replay blob failed its integrity check. */
export class IntegrityError extends CliError {
  constructor(message: string) {
    super(message, EXIT.integrity);
  }
}

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'TokenRefreshRequired']);
const ACCESS_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

/**
 * Turns whatever an AWS SDK call threw into a CliError that says what to do. `where` names the
 * resource (table, bucket, endpoint) so the message points at the right place.
 */
export function fromAwsError(error: unknown, where: string): CliError {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string }; errors?: Array<{ code?: string }> };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code ?? '';
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials|security token included in the request is (invalid|expired)/i.test(message)) {
    return new TargetError(`No usable AWS credentials (${name || 'credentials'}: ${firstLine(message)}). Set AWS_PROFILE, run \`aws sso login\`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then retry.`);
  }
  if (ACCESS_ERRORS.has(name)) {
    return new TargetError(`Your AWS credentials may not use ${where} (${name}: ${firstLine(message)}). Ask for a role with read access to Gatehouse's tables and bucket.`);
  }
  if (name === 'ResourceNotFoundException' || name === 'NoSuchBucket') {
    return new TargetError(`${where} does not exist (${name}). Check --stack/--region, or that local mode is the one that wrote the state dir.`);
  }
  if (/region is missing/i.test(message)) {
    return new TargetError('No AWS region: pass --region or set AWS_REGION.');
  }
  if (CONNECTION_CODES.has(code) || /ECONNREFUSED|connect ECONN/.test(message)) {
    return new TargetError(`Cannot reach ${where} (${code || firstLine(message)}). If this is local mode, is \`npm run local\` still running?`);
  }
  return new CliError(`${where} failed: ${name ? `${name}: ` : ''}${firstLine(message)}`, EXIT.service);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}

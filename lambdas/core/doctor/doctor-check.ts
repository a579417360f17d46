/**
 * What `gatehouse doctor` reports: one line per check, and for a failed check the one step that fixes it.
 * Checks are pure functions from what a probe observed (an AWS answer, the cluster's status code) to a
 * `DoctorCheck`; the probes themselves are adapters. Nothing here ever holds a token or a secret value.
 */

/** The doctor's route on the gateway: IAM-authorized (operators' AWS credentials), never an agent's. */
export const DOCTOR_ROUTE_PATH = '/operator/doctor';

/** The outcome of one check. */
export interface DoctorCheck {
  /** Short name, e.g. `connection demo: assume role`. */
  readonly name: string;
  readonly ok: boolean;
  /** What was observed (who the cluster says the caller is, the AWS error). Never a secret. */
  readonly detail: string;
  /** For a failed check: the one step that fixes it. */
  readonly fix?: string;
  /** A check that was not run because an earlier one failed (no role, no token). */
  readonly skipped?: boolean;
}

/** The whole answer of the doctor route. */
export interface DoctorReport {
  /** True when every check passed. */
  readonly ok: boolean;
  /** The IAM principal that called the doctor route (API Gateway's `userArn`), when known. */
  readonly calledBy?: string;
  readonly checks: readonly DoctorCheck[];
}

/** What a probe saw when an AWS or network call failed: the error's name (or errno code) and message, maybe an HTTP status. */
export interface ProbeFailure {
  readonly code: string;
  readonly message: string;
  /** HTTP status of the service's answer; absent when the service could not be reached. */
  readonly status?: number;
}

/** Either what the probe read, or how it failed. */
export type ProbeOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ProbeFailure };

/** A passed check. */
export function passed(name: string, detail: string): DoctorCheck {
  return { name, ok: true, detail };
}

/** A failed check with its fix. */
export function failed(name: string, detail: string, fix: string): DoctorCheck {
  return { name, ok: false, detail, fix };
}

/** A check not run because `because` failed first; it counts as failed. */
export function skipped(name: string, because: string): DoctorCheck {
  return { name, ok: false, skipped: true, detail: `not checked: ${because} failed` };
}

/** The report of a list of checks. */
export function doctorReport(checks: readonly DoctorCheck[], calledBy?: string): DoctorReport {
  return { ok: checks.every((c) => c.ok), ...(calledBy ? { calledBy } : {}), checks };
}

/** The failure's code and message as one phrase, for a check's detail. */
export function describeFailure(failure: ProbeFailure): string {
  return `${failure.code}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.message}`;
}

/** True when AWS answered that the caller may not do this. */
export function isAccessDenied(failure: ProbeFailure): boolean {
  return /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(failure.code) || /is not authorized to perform/.test(failure.message);
}

/** True when the service was never reached (DNS, connection refused, timeout). */
export function isUnreachable(failure: ProbeFailure): boolean {
  return failure.status === undefined;
}

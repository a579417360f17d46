import type { ProbeFailure, ProbeOutcome } from '../core/doctor/doctor-check';

/**
 * Runs one probe and keeps what it saw. An AWS SDK error gives its name, message and HTTP status; the STS role
 * assumer's error carries STS's own error as `cause` (its message names the missing permission); a network
 * error has no status. Messages never carry a token or secret: AWS and Gatehouse errors do not include them.
 */
export async function probe<T>(run: () => Promise<T>): Promise<ProbeOutcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, failure: probeFailureOf(error) };
  }
}

/** The failure a thrown error describes (the innermost AWS error when there is one). */
export function probeFailureOf(error: unknown): ProbeFailure {
  const cause = (error as { cause?: unknown }).cause;
  const source = cause instanceof Error ? cause : error;
  const e = source as { name?: unknown; message?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.code === 'string' && status === undefined ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  const message = (typeof e.message === 'string' ? e.message : String(source)).slice(0, 500);
  return { code, message, ...(status !== undefined ? { status } : {}) };
}

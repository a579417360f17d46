import { GatehouseError, InternalError, KubeStatusDetails } from './errors';

/** A Kubernetes `metav1.Status` object, the only error body a client ever receives from Gatehouse. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: KubeStatusDetails;
}

/**
 * The one place where errors become Status objects. Anything that is not a GatehouseError is a bug
 * and is reported as a generic 500 so that internals (stack traces, SDK messages) never leak.
 */
export function toKubeStatus(error: unknown, requestId?: string): KubeStatus {
  const known = error instanceof GatehouseError ? error : new InternalError();
  const suffix = requestId && known.code >= 500 ? ` (Gatehouse request id ${requestId})` : '';
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${known.message}${suffix}`,
    reason: known.reason,
    code: known.code,
    ...(known.details ? { details: known.details } : {}),
  };
}

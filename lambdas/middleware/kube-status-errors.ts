import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { GatehouseError } from '../core/errors';
import { toKubeStatus } from '../core/kube-status';

/** Options of {@link kubeStatusErrors}. */
export interface KubeStatusErrorsOptions {
  /** Where unexpected errors are reported (known refusals are logged by the proxy itself). */
  readonly logError: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Turns any error into the Kubernetes Status response kubectl prints well. Known GatehouseErrors keep
 * their code and message; anything else is a bug, logged with its stack and answered with a generic 500
 * that leaks nothing.
 */
export function kubeStatusErrors(options: KubeStatusErrorsOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const requestId = request.event?.requestContext?.requestId;
      if (!(error instanceof GatehouseError)) {
        options.logError('unexpected error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
      }
      const status = toKubeStatus(error, requestId);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status.details?.retryAfterSeconds) headers['retry-after'] = String(status.details.retryAfterSeconds);
      request.response = { statusCode: status.code, headers, body: JSON.stringify(status), isBase64Encoded: false };
    },
  };
}

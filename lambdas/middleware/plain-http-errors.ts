import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** Options of {@link plainHttpErrors}. */
export interface PlainHttpErrorsOptions {
  readonly logError: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * For routes that are not Kubernetes (Slack's interactions endpoint): any unexpected error is logged with its
 * stack and answered with a bare 500 JSON body that leaks nothing. Slack shows the clicker that the action
 * failed, and nothing was decided.
 */
export function plainHttpErrors(options: PlainHttpErrorsOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      options.logError('unexpected error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
      request.response = { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'internal_error' }), isBase64Encoded: false };
    },
  };
}

import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { plainHttpErrors } from '../middleware/plain-http-errors';
import { createApprovalWorkflowDependencies } from './approval-workflow-dependencies';
import { createInteractionHandler, type InteractionRequest } from './handle-interaction';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

let handle: ReturnType<typeof createInteractionHandler> | undefined;

/** Slack's interactions route (`POST /slack/interactions`), without middleware. Exported for tests and local mode. */
export async function run(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  handle ??= createInteractionHandler(createApprovalWorkflowDependencies(process.env, {
    log: (level, message, fields) => logger[level](message, fields ?? {}),
    metric: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
  }));
  const response = await handle(toInteractionRequest(event));
  return { statusCode: response.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(response.body), isBase64Encoded: false };
}

/**
 * The exact body bytes and lower-cased headers of the event. The API lists every media type as binary, so
 * Slack's form post usually arrives base64-encoded: it is decoded, never re-serialized, before verification.
 */
export function toInteractionRequest(event: APIGatewayProxyEvent): InteractionRequest {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) if (values?.length) headers[name.toLowerCase()] = values[0]!;
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined && !(name.toLowerCase() in headers)) headers[name.toLowerCase()] = value;
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  return { headers, body, sourceIp: event.requestContext?.identity?.sourceIp ?? undefined };
}

/** The Lambda entry point. */
export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(plainHttpErrors({ logError: (message, fields) => logger.error(message, fields) }));

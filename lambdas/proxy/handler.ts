import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { fromApiGatewayEvent, toApiGatewayResult } from '../core/api-gateway-event';
import { kubeStatusErrors } from '../middleware/kube-status-errors';
import { createProxyDependencies } from './dependencies';
import { proxyRequest, type ProxyDependencies } from './proxy-request';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

let dependencies: ProxyDependencies | undefined;

/** The proxy, without middleware: one API Gateway event in, one result out. Exported for tests. */
export async function run(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  dependencies ??= createProxyDependencies(process.env, { logger, metrics, tracer });
  const request = fromApiGatewayEvent(event);
  logger.appendKeys({ requestId: request.requestId, connection: request.connection });
  return toApiGatewayResult(await proxyRequest(request, dependencies));
}

/** The Lambda entry point. */
export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(kubeStatusErrors({ logError: (message, fields) => logger.error(message, fields) }));

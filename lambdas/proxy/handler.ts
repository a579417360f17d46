import { Readable } from 'node:stream';
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { fromApiGatewayEvent } from '../core/api-gateway-event';
import { kubeStatusErrors } from '../middleware/kube-status-errors';
import { periodicMetrics } from '../middleware/periodic-metrics';
import { createProxyDependencies } from './dependencies';
import type { ProxyDependencies } from './proxy-request';
import { streamRequest, type StreamedResponse } from './stream-request';
import { fromApiGatewayAwsEvent, isAwsPath } from '../core/aws/aws-proxy-request';

const logger = new Logger();
const metrics = new Metrics();
// One EMF document a minute per container instead of one per request; a failure metric still goes out at once.
const metricsFlush = periodicMetrics({ metrics, captureColdStartMetric: true });
// The tracing SDK (X-Ray, cls-hooked) is loaded only when tracing is on: off, a cold start pays nothing for it.
const tracer: Tracer | undefined = process.env.POWERTOOLS_TRACE_ENABLED === 'true'
  ? new (require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer')).Tracer()
  : undefined;

let dependencies: ProxyDependencies | undefined;

/** What the handler answers: API Gateway's response streaming takes status and headers first, then the body. */
export interface StreamingResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readable | string;
}

/** Work left for after each invocation's response has gone out (record completion, replay), by invocation. */
const afterResponse = new WeakMap<object, () => Promise<void>>();

/** The proxy, without middleware: one API Gateway event in, a streamed answer out. Exported for tests. */
export async function run(event: APIGatewayProxyEvent, context: object = {}): Promise<StreamingResult> {
  startLogKeys(event);
  dependencies ??= createProxyDependencies(process.env, { logger, metrics, tracer });
  const response = isAwsPath(event.path) ? await awsRoute(event, dependencies) : await kubeRoute(event, dependencies);
  if (response.afterResponse) afterResponse.set(context, response.afterResponse);
  return { statusCode: response.status, headers: response.headers, body: Buffer.isBuffer(response.body) ? Readable.from([response.body]) : response.body };
}

async function kubeRoute(event: APIGatewayProxyEvent, deps: ProxyDependencies): Promise<StreamedResponse> {
  const request = fromApiGatewayEvent(event);
  logger.appendKeys({ connection: request.connection });
  return streamRequest(request, deps);
}

/** `/aws/<connection>/...` and `/aws-credentials/<connection>`: answered in AWS's (or the credential process's) own shapes. */
async function awsRoute(event: APIGatewayProxyEvent, deps: ProxyDependencies): Promise<StreamedResponse> {
  const request = fromApiGatewayAwsEvent(event);
  logger.appendKeys({ connection: request.connection });
  // Loaded on the first AWS call: a container that only serves kubectl never pays for the AWS path at cold start.
  if (request.kind === 'credentials') return (require('./aws/issue-aws-credentials') as typeof import('./aws/issue-aws-credentials')).issueAwsCredentials(request, deps);
  return (require('./aws/aws-call') as typeof import('./aws/aws-call')).awsCall(request, deps);
}

/**
 * The log keys of this invocation, on every line it writes, those after the response included: the previous
 * invocation's keys go, the request id (the one the record and the API Gateway access log carry) comes. Set here
 * rather than by Powertools' `injectLambdaContext`, which adds the Lambda context's keys (function ARN, name and
 * memory, Lambda's own request id, cold start: ~230 B a line that say nothing about the request) and resets the
 * keys in `after`, before the record's completion has logged anything.
 */
function startLogKeys(event: APIGatewayProxyEvent): void {
  logger.resetKeys();
  logger.appendKeys({ requestId: event.requestContext?.requestId ?? '' });
}

/**
 * Runs what is left once the response stream has ended (middy calls `requestEnd` after piping the body to
 * the client): the client is not waiting any more, and the invocation does not end before the record is done.
 * The metrics that work adds (latency, outcome, a failed record write) are published now if due, not with the
 * container's next invocation.
 */
async function finishAfterResponse(request: { readonly context: object }): Promise<void> {
  const work = afterResponse.get(request.context);
  afterResponse.delete(request.context);
  try {
    await work?.();
  } finally {
    metricsFlush.publishDue();
  }
}

/**
 * The Lambda entry point, in response-streaming mode (the REST API integration uses `responseTransferMode:
 * STREAM`): every answer is streamed, so watches and log follows flow as they come and answers past 6 MB fit.
 */
const traced = middy(run, { streamifyResponse: true, requestEnd: finishAfterResponse });
if (tracer) traced.use((require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler(tracer));
export const handler = traced
  .use(metricsFlush)
  .use(kubeStatusErrors({ logError: (message, fields) => logger.error(message, fields) }));

import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { plainHttpErrors } from '../middleware/plain-http-errors';
import { createDoctorDependencies } from './dependencies';
import { runDoctor, type DoctorDependencies } from './run-doctor';

const logger = new Logger();

let dependencies: DoctorDependencies | undefined;

/**
 * `GET /operator/doctor[?connection=<name>]`, without middleware. API Gateway lets only IAM-signed calls through
 * (AuthorizationType.IAM), so this never runs for an agent; the caller's ARN is echoed in the report. Answers 200
 * with the report whether or not checks failed (failures are findings, not errors), 404 for an unknown connection.
 */
export async function run(event: APIGatewayProxyEvent, deps?: DoctorDependencies): Promise<APIGatewayProxyResult> {
  const resolved = deps ?? (dependencies ??= createDoctorDependencies(process.env));
  const only = event.queryStringParameters?.connection ?? undefined;
  const calledBy = event.requestContext?.identity?.userArn ?? undefined;
  const known = [...resolved.connections, ...(resolved.awsConnections ?? [])];
  if (only !== undefined && !known.some((c) => c.name === only)) {
    const names = known.map((c) => c.name).join(', ');
    return json(404, { error: `Connection "${only.slice(0, 64)}" does not exist on this Gatehouse; it has: ${names || 'none'}.` });
  }
  const report = await runDoctor(resolved, { only, calledBy });
  logger.info('doctor ran', { calledBy, ok: report.ok, failed: report.checks.filter((c) => !c.ok).map((c) => c.name) });
  return json(200, report);
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), isBase64Encoded: false };
}

/** The Lambda entry point. */
export const handler = middy((event: APIGatewayProxyEvent) => run(event))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(plainHttpErrors({ logError: (message, fields) => logger.error(message, fields) }));

import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { createApprovalWorkflowDependencies, type ApprovalWorkflowDependencies } from './approval-workflow-dependencies';
import { finalizeApproval, type FinalizeInput } from './finalize-approval';

const logger = new Logger();
const tracer = new Tracer();

let dependencies: ApprovalWorkflowDependencies | undefined;

/** The state machine's record step, without middleware. Exported for tests and local mode. */
export async function run(event: FinalizeInput): Promise<{ readonly outcome: string; readonly result: string }> {
  dependencies ??= createApprovalWorkflowDependencies(process.env, { log: (level, message, fields) => logger[level](message, fields ?? {}) });
  logger.appendKeys({ approvalId: event?.approvalId });
  return finalizeApproval(event, dependencies);
}

/** The Lambda entry point. */
export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }));

import './promise-with-resolvers';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import { verifyAuthorizationHeader } from '../lambdas/core/sigv4';
import type { AslDefinition } from '../lib/approval-state-machine';

/**
 * LOCAL STAND-IN for AWS Step Functions. It speaks the service's JSON 1.0 protocol (StartExecution, DescribeStateMachine,
 * DescribeExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) well enough for the real
 * `@aws-sdk/client-sfn` pointed at it with `AWS_ENDPOINT_URL_SFN`, and runs each execution with
 * aws-local-stepfunctions on the definition CDK synthesizes (`synthesizeApprovalDefinition`). Lambda tasks
 * run the local handlers instead (by state name); a `.waitForTaskToken` task waits until SendTaskSuccess or
 * SendTaskFailure arrives with the execution's task token, exactly as the deployed workflow does.
 */

/** aws-local-stepfunctions' task overrides, by state name. */
export type TaskOverrides = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** A local stand-in for a Lambda function: gets the task's `Payload`, returns the function's result. */
export type LocalLambdaHandler = (payload: unknown) => Promise<unknown> | unknown;

/** Options of the stand-in. */
export interface StepFunctionsStandInOptions {
  /** The rendered, synthesized definition. */
  readonly definition: AslDefinition;
  /** A local handler for each Lambda task, keyed by state name. */
  readonly handlers: Readonly<Record<string, LocalLambdaHandler>>;
  /** @default 'gatehouse-approvals' */
  readonly stateMachineName?: string;
  /** @default '111122223333' */
  readonly accountId?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  readonly host?: string;
  readonly port?: number;
  /** When given, every request must be SigV4-signed with these (as the Lambdas' role credentials would). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly log?: (line: string) => void;
}

/** One execution, as DescribeExecution reports it. */
export interface LocalExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: string;
  error?: string;
  cause?: string;
  readonly startDate: Date;
  stopDate?: Date;
  /** States entered, in order (for tests). */
  readonly states: string[];
}

/** A running stand-in. */
export interface StepFunctionsStandIn {
  readonly url: string;
  readonly stateMachineArn: string;
  executions(): readonly LocalExecution[];
  /** Resolves when the execution has ended (for tests). */
  finished(executionArn: string): Promise<LocalExecution>;
  close(): Promise<void>;
}

interface Callback {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Running {
  readonly execution: LocalExecution;
  readonly token: string;
  readonly done: Promise<void>;
  callback?: Callback;
  abort(): void;
}

class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_BODY = 1024 * 1024;

/**
 * The task overrides that make aws-local-stepfunctions behave like the deployed service for Lambda tasks:
 * `lambda:invoke` returns `{ ExecutedVersion, Payload, StatusCode }` around the handler's result, and
 * `lambda:invoke.waitForTaskToken` invokes the handler, then waits for `waitForCallback` (the task's output is
 * the SendTaskSuccess output; SendTaskFailure fails the task with its error and cause). A handler that throws
 * fails the task with the error's name, as a Lambda function error does.
 */
export function localTaskOverrides(
  definition: AslDefinition,
  handlers: Readonly<Record<string, LocalLambdaHandler>>,
  waitForCallback: (stateName: string) => Promise<unknown>,
  onTaskStart: (stateName: string) => void = () => undefined,
): TaskOverrides {
  const overrides: TaskOverrides = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const handler = handlers[stateName];
    if (!handler) throw new Error(`No local handler for task state "${stateName}" (${resource})`);
    const invoke = async (payload: unknown): Promise<unknown> => {
      try {
        return await handler(payload);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        throw Object.assign(new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message })), { name: e.name });
      }
    };
    if (/:lambda:invoke\.waitForTaskToken$/.test(resource)) {
      overrides[stateName] = (async (input: { Payload?: unknown }) => {
        onTaskStart(stateName);
        // Registered before the invoke: an answer may arrive while the notifier is still running.
        const answer = waitForCallback(stateName);
        answer.catch(() => undefined);
        await invoke(input.Payload);
        return answer;
      }) as never;
    } else if (/:lambda:invoke$/.test(resource)) {
      overrides[stateName] = (async (input: { Payload?: unknown }) => {
        onTaskStart(stateName);
        return { ExecutedVersion: '$LATEST', Payload: (await invoke(input.Payload)) ?? null, StatusCode: 200 };
      }) as never;
    } else {
      throw new Error(`Task state "${stateName}" uses ${resource}, which the local stand-in does not run`);
    }
  }
  return overrides;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startStepFunctionsStandIn(options: StepFunctionsStandInOptions): Promise<StepFunctionsStandIn> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const name = options.stateMachineName ?? 'gatehouse-approvals';
  const stateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
  const log = options.log ?? (() => undefined);
  // Validates the definition once, as CreateStateMachine would.
  const machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const runs = new Map<string, Running>();
  const byToken = new Map<string, Running>();

  function start(executionName: string, input: string): Running {
    const executionArn = `arn:aws:states:${region}:${accountId}:execution:${name}:${executionName}`;
    const token = `AQ${randomBytes(96).toString('base64url')}`;
    const execution: LocalExecution = { executionArn, name: executionName, input, status: 'RUNNING', startDate: new Date(), states: [] };
    const run = {} as Running;
    const overrides = localTaskOverrides(
      options.definition,
      options.handlers,
      () => new Promise((resolve, reject) => { run.callback = { resolve, reject }; }),
      (stateName) => {
        // A new task means the previous one is over (answered or timed out): its token no longer works.
        run.callback = undefined;
        execution.states.push(stateName);
      },
    );
    const handle = machine.run(JSON.parse(input), {
      overrides: { taskResourceLocalHandlers: overrides },
      context: { Task: { Token: token }, Execution: { Id: executionArn, Name: executionName }, StateMachine: { Id: stateMachineArn, Name: name } },
    });
    const done = handle.result.then(
      (output) => Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: unknown) => {
        if (error instanceof ExecutionTimeoutError) return Object.assign(execution, { status: 'TIMED_OUT', error: 'States.Timeout' });
        if (error instanceof ExecutionAbortedError) return Object.assign(execution, { status: 'ABORTED' });
        const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
        return Object.assign(execution, { status: 'FAILED', error: cause instanceof Error ? cause.name : 'Error', cause: cause instanceof Error ? cause.message : String(cause) });
      },
    ).then(() => {
      execution.stopDate = new Date();
      run.callback = undefined;
      log(`execution ${executionName} ${execution.status.toLowerCase()}`);
    });
    Object.assign(run, { execution, token, done, abort: handle.abort });
    runs.set(executionName, run);
    byToken.set(token, run);
    log(`execution ${executionName} started`);
    return run;
  }

  function answer(token: unknown, settle: (callback: Callback) => void): Record<string, never> {
    if (typeof token !== 'string' || token === '') throw new ApiError('InvalidToken', 'Invalid Token');
    const run = byToken.get(token);
    if (!run) throw new ApiError('InvalidToken', 'Invalid Token');
    const callback = run.callback;
    if (!callback) throw new ApiError('TaskTimedOut', 'Task Timed Out');
    run.callback = undefined;
    settle(callback);
    return {};
  }

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution(body) {
      if (body.stateMachineArn !== stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      const executionName = body.name === undefined ? randomUUID() : String(body.name);
      if (!NAME.test(executionName)) throw new ApiError('InvalidName', `Invalid Name: '${executionName}'`);
      const input = body.input === undefined ? '{}' : String(body.input);
      try {
        JSON.parse(input);
      } catch {
        throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
      }
      const existing = runs.get(executionName);
      if (existing) {
        // Standard workflows: the same name and input returns the running execution; anything else is refused.
        if (existing.execution.input === input && existing.execution.status === 'RUNNING') return describeStart(existing.execution);
        throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.execution.executionArn}'`);
      }
      return describeStart(start(executionName, input).execution);
    },
    DescribeStateMachine(body) {
      // What `gatehouse doctor` reads: the one state machine, active, of type STANDARD (its definition is the synthesized one).
      if (body.stateMachineArn !== stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      return { stateMachineArn, name, status: 'ACTIVE', type: 'STANDARD', definition: JSON.stringify(options.definition), roleArn: `arn:aws:iam::${accountId}:role/gatehouse-approvals-local`, creationDate: 1_700_000_000 };
    },
    DescribeExecution(body) {
      const run = [...runs.values()].find((r) => r.execution.executionArn === body.executionArn);
      if (!run) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      const e = run.execution;
      return {
        executionArn: e.executionArn, stateMachineArn, name: e.name, status: e.status, startDate: e.startDate.getTime() / 1000,
        ...(e.stopDate ? { stopDate: e.stopDate.getTime() / 1000 } : {}), input: e.input,
        ...(e.output !== undefined ? { output: e.output } : {}), ...(e.error ? { error: e.error } : {}), ...(e.cause ? { cause: e.cause } : {}),
      };
    },
    SendTaskSuccess(body) {
      let output: unknown;
      try {
        output = JSON.parse(String(body.output));
      } catch {
        throw new ApiError('InvalidOutput', 'Invalid Output');
      }
      return answer(body.taskToken, (callback) => callback.resolve(output));
    },
    SendTaskFailure(body) {
      const error = typeof body.error === 'string' ? body.error : '';
      const cause = typeof body.cause === 'string' ? body.cause : '';
      return answer(body.taskToken, (callback) => callback.reject(Object.assign(new Error(cause), { name: error })));
    },
    SendTaskHeartbeat(body) {
      const run = typeof body.taskToken === 'string' ? byToken.get(body.taskToken) : undefined;
      if (!run) throw new ApiError('InvalidToken', 'Invalid Token');
      if (!run.callback) throw new ApiError('TaskTimedOut', 'Task Timed Out');
      return {};
    },
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => send(res, 500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : 'internal error' }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return sendError(res, new ApiError('ValidationException', 'Request too large', 413));
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    if (options.credentials) {
      const creds = options.credentials;
      const verified = verifyAuthorizationHeader(
        { method: req.method ?? 'POST', path: (req.url ?? '/').split('?')[0]!, query: (req.url ?? '').split('?')[1] ?? '', headers: req.headers, body: raw },
        { lookupSecret: (id) => (id === creds.accessKeyId ? creds.secretAccessKey : undefined), service: 'states', region, now: new Date() },
      );
      if (!verified.ok) return sendError(res, new ApiError(verified.code === 'InvalidClientTokenId' ? 'UnrecognizedClientException' : 'InvalidSignatureException', verified.message, 400));
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = operations[target.replace(/^AWSStepFunctions\./, '')];
    if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.') || !operation) {
      return sendError(res, new ApiError('UnknownOperationException', `Unknown operation ${target}`));
    }
    let body: Record<string, unknown>;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return sendError(res, new ApiError('SerializationException', 'Malformed JSON'));
    }
    try {
      send(res, 200, operation(body));
    } catch (error) {
      if (error instanceof ApiError) return sendError(res, error);
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stateMachineArn,
    executions: () => [...runs.values()].map((r) => r.execution),
    async finished(executionArn) {
      const run = [...runs.values()].find((r) => r.execution.executionArn === executionArn);
      if (!run) throw new Error(`no execution ${executionArn}`);
      await run.done;
      return run.execution;
    },
    close: async () => {
      for (const run of runs.values()) if (run.execution.status === 'RUNNING') run.abort();
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
}

function describeStart(execution: LocalExecution): Record<string, unknown> {
  return { executionArn: execution.executionArn, startDate: execution.startDate.getTime() / 1000 };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: ApiError): void {
  res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': error.code })
    .end(JSON.stringify({ __type: `com.amazonaws.swf.service.v2.model#${error.code}`, message: error.message }));
}

import { PassThrough, type Writable } from 'node:stream';

/**
 * LOCAL MODE ONLY: the Lambda Node.js runtime's response-streaming globals (`awslambda.streamifyResponse`,
 * `awslambda.HttpResponseStream.from`), as the runtime provides them, so the proxy's streaming handler runs
 * unchanged here. The wire contract is the runtime's: `HttpResponseStream.from` writes a JSON prelude
 * (`statusCode`, `headers`, `cookies`), then 8 NUL bytes, then the body; API Gateway (or the local front)
 * reads the prelude to start its HTTP response and passes the rest on as it comes.
 */

/** The marker the runtime (and the local front) uses to tell a streaming handler from a buffered one. */
export const STREAMING_HANDLER = Symbol.for('aws.lambda.runtime.handler.streaming');

/** The prelude delimiter: 8 NUL bytes. */
export const PRELUDE_DELIMITER = Buffer.alloc(8);

/** A handler as `awslambda.streamifyResponse` receives it. */
export type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<unknown>;

interface AwsLambdaGlobal {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: { from(stream: Writable, prelude: Record<string, unknown>): Writable };
}

/**
 * Installs the globals unless a real runtime already did; idempotent. Other libraries (the AWS SDK's invoke
 * store) create an empty `awslambda` object, so each member is added on its own.
 */
export function installLambdaStreamingGlobals(): void {
  const g = globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> };
  const lambda = (g.awslambda ??= {});
  lambda.streamifyResponse ??= (handler) => {
    Object.defineProperty(handler, STREAMING_HANDLER, { value: 'response', enumerable: false });
    return handler;
  };
  lambda.HttpResponseStream ??= {
    from(stream, prelude) {
      stream.write(Buffer.from(JSON.stringify(prelude), 'utf8'));
      stream.write(PRELUDE_DELIMITER);
      return stream;
    },
  };
}

/** True for a handler wrapped by `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING_HANDLER] === 'response';
}

/** What the front reads from a streaming invocation: the prelude once, then body chunks. */
export interface StreamedInvocation {
  /** Resolves with the prelude (or a default 200 when the handler wrote none before the body ended). */
  readonly prelude: Promise<{ readonly statusCode: number; readonly headers: Record<string, string>; readonly cookies?: readonly string[] }>;
  /** The body after the prelude. */
  readonly body: PassThrough;
  /** The stream handed to the handler. */
  readonly responseStream: PassThrough;
}

/**
 * Splits what a streaming handler writes into the prelude and the body, as API Gateway does. A handler that
 * writes no prelude (not an HTTP response stream) gets status 200, as with the real integration.
 */
export function readStreamedInvocation(): StreamedInvocation {
  const responseStream = new PassThrough();
  const body = new PassThrough();
  let pending: Buffer = Buffer.alloc(0);
  let done = false;
  let resolvePrelude!: StreamedInvocation['prelude'] extends Promise<infer T> ? (value: T) => void : never;
  const prelude = new Promise<Awaited<StreamedInvocation['prelude']>>((resolve) => { resolvePrelude = resolve; });
  const startBody = (rest: Buffer) => {
    done = true;
    if (rest.length > 0) body.write(rest);
  };
  responseStream.on('data', (chunk: Buffer) => {
    if (done) {
      body.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const at = pending.indexOf(PRELUDE_DELIMITER);
    if (at < 0) {
      // A body that does not start with a JSON prelude is sent as is, with status 200.
      if (pending[0] !== 0x7b || pending.length > 64 * 1024) {
        resolvePrelude({ statusCode: 200, headers: {} });
        startBody(pending);
      }
      return;
    }
    let parsed: { statusCode?: number; headers?: Record<string, string>; cookies?: string[] } = {};
    try {
      parsed = JSON.parse(pending.subarray(0, at).toString('utf8')) as typeof parsed;
    } catch {
      parsed = {};
    }
    resolvePrelude({ statusCode: parsed.statusCode ?? 200, headers: parsed.headers ?? {}, ...(parsed.cookies ? { cookies: parsed.cookies } : {}) });
    startBody(pending.subarray(at + PRELUDE_DELIMITER.length));
  });
  responseStream.on('end', () => {
    if (!done) {
      resolvePrelude({ statusCode: 200, headers: {} });
      startBody(pending);
    }
    body.end();
  });
  responseStream.on('error', (error) => body.destroy(error));
  return { prelude, body, responseStream };
}

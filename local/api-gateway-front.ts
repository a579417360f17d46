import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { verifyAuthorizationHeader } from '../lambdas/core/sigv4';
import { accessLogLine } from '../lib/access-log-format';
import { listenOn } from './listen-on';
import { isStreamingHandler, readStreamedInvocation, type StreamingHandler } from './lambda-response-streaming';

/** A Lambda handler as API Gateway invokes it (buffered); a streaming one is told apart by its runtime marker. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Options of the local API Gateway front. */
export interface ApiGatewayFrontOptions {
  readonly handler: ProxyHandler;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly host?: string;
  readonly port?: number;
  /** Stage name, as in `https://<api>/<stage>/k8s/...`; '' serves at the root. @default '' */
  readonly stage?: string;
  /** Further routes by exact path (e.g. `/slack/interactions`), each with its own handler, as further API Gateway resources. */
  readonly routes?: Readonly<Record<string, ProxyHandler>>;
  /**
   * Routes (exact paths) that use IAM authorization (`AuthorizationType.IAM`): a request must be SigV4-signed for
   * `execute-api` in `region` with `credentials`, the only principal local IAM knows, or it gets API Gateway's 403.
   */
  readonly iamRoutes?: { readonly paths: readonly string[]; readonly region: string; readonly principalArn: string; readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } };
  /** Streamed responses: idle time after which the front closes the stream (API Gateway regional: 5 min). */
  readonly streamIdleTimeoutMs?: number;
  /** Where the stage's access log line of each request goes (lib/access-log-format.ts). @default stdout, with local mode's other logs */
  readonly accessLog?: (line: string) => void;
}

/** A running front. */
export interface ApiGatewayFront {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** API Gateway's limits, reproduced so local mode fails where production would. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;
/** A streamed response may last 15 minutes (REST API response streaming). */
const STREAM_MAX_MS = 15 * 60_000;
const STREAM_IDLE_MS = 5 * 60_000;

/**
 * LOCAL MODE ONLY: plays API Gateway's REST API (Lambda proxy integration, binary media types `*\/*`) in
 * front of the very handler the Lambda runs. Each HTTPS request becomes the v1 proxy event API Gateway
 * would send (multiValueHeaders, multiValueQueryStringParameters, base64 body) and the handler's result is
 * written back, decoded as API Gateway would. Like the stage, it writes one access log line per request, in the
 * stage's format: that line is part of what a request costs in CloudWatch, and the bench measures it.
 */
export async function startApiGatewayFront(options: ApiGatewayFrontOptions): Promise<ApiGatewayFront> {
  const stagePrefix = options.stage ? `/${options.stage}` : '';
  const writeAccessLog = options.accessLog ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const server = https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    logAccess(req, res, writeAccessLog);
    void serve(req, res).catch(() => gatewayError(res, 502, 'Internal server error', 'INTEGRATION_FAILURE'));
  });
  // kubectl reuses connections; keep them open like API Gateway does.
  server.keepAliveTimeout = 60_000;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) return gatewayError(res, 413, 'Request Too Long', 'REQUEST_TOO_LARGE');
      chunks.push(chunk as Buffer);
    }
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const signedPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    let path = signedPath;
    if (stagePrefix) {
      if (!path.startsWith(`${stagePrefix}/`)) return gatewayError(res, 403, 'Missing Authentication Token', 'MISSING_AUTHENTICATION_TOKEN');
      path = path.slice(stagePrefix.length);
    }
    const route = Object.prototype.hasOwnProperty.call(options.routes ?? {}, path) ? options.routes![path] : undefined;
    if (!route && !PROXY_ROUTES.test(path)) return gatewayError(res, 403, 'Missing Authentication Token', 'MISSING_AUTHENTICATION_TOKEN');
    const rawQuery = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const requestBody = Buffer.concat(chunks);
    let caller: string | undefined;
    if (options.iamRoutes?.paths.includes(path)) {
      const denied = iamDenial(req, signedPath, rawQuery, requestBody, options.iamRoutes);
      if (denied) return gatewayError(res, 403, denied, req.headers.authorization ? 'INVALID_SIGNATURE' : 'MISSING_AUTHENTICATION_TOKEN');
      caller = options.iamRoutes.principalArn;
    }
    const access = accessEntries.get(res)!;
    const event = toEvent(req, access.requestId, path, signedPath, rawQuery, requestBody, options.stage ?? 'local', route ? path : undefined, caller);
    const target = route ?? options.handler;
    access.invokedAt = Date.now();
    if (isStreamingHandler(target)) return serveStreamed(target, event, res);
    const result = await withTimeout(target(event, lambdaContext(event.requestContext.requestId)), INTEGRATION_TIMEOUT_MS);
    if (!result) return gatewayError(res, 504, 'Endpoint request timed out', 'INTEGRATION_TIMEOUT');
    const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
    Object.assign(access, { answeredAt: Date.now(), bytes: body.length });
    const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
    headers['content-length'] = String(body.length);
    headers['x-amzn-requestid'] = event.requestContext.requestId;
    res.writeHead(result.statusCode, headers).end(body);
  }

  /**
   * REST API response streaming (`responseTransferMode: STREAM`): the prelude's status and headers start the
   * response, the body follows chunk by chunk (chunked transfer, no content-length), until the handler ends it,
   * the idle timeout or the 15-minute limit. A client that goes away ends the invocation's stream.
   */
  async function serveStreamed(target: StreamingHandler, event: APIGatewayProxyEvent, res: ServerResponse): Promise<void> {
    const invocation = readStreamedInvocation();
    const requestId = event.requestContext.requestId;
    const done = target(event, invocation.responseStream, lambdaContext(requestId, STREAM_MAX_MS)).then(
      () => { if (!invocation.responseStream.writableEnded) invocation.responseStream.end(); },
      (error: unknown) => invocation.responseStream.destroy(error instanceof Error ? error : new Error(String(error))),
    );
    const idleMs = options.streamIdleTimeoutMs ?? STREAM_IDLE_MS;
    // Until the prelude nothing flows, so the idle timeout bounds it (the stream integration's own timeout is
    // 15 minutes): this is what lets a request held for its approval wait minutes.
    const prelude = await withTimeout(Promise.race([invocation.prelude, done.then(() => invocation.prelude)]), idleMs);
    if (!prelude) {
      invocation.responseStream.destroy();
      return gatewayError(res, 504, 'Endpoint request timed out', 'INTEGRATION_TIMEOUT');
    }
    const access = accessEntries.get(res)!;
    access.answeredAt = Date.now();
    const headers: Record<string, string | string[]> = { ...prelude.headers, 'x-amzn-requestid': requestId };
    // The body is streamed chunked, so its length goes; a HEAD answer has no body, and its length is the resource's
    // (S3's HeadObject ContentLength), so it stays.
    if (event.httpMethod !== 'HEAD') delete headers['content-length'];
    if (prelude.cookies?.length) headers['set-cookie'] = [...prelude.cookies];
    res.writeHead(prelude.statusCode, headers);
    res.flushHeaders();
    let idle = setTimeout(() => stop(), idleMs);
    const cap = setTimeout(() => stop(), STREAM_MAX_MS);
    const stop = () => {
      clearTimeout(idle);
      clearTimeout(cap);
      invocation.responseStream.destroy();
      invocation.body.destroy();
      res.end();
    };
    res.on('close', () => { if (!res.writableFinished) stop(); });
    invocation.body.on('data', (chunk: Buffer) => {
      clearTimeout(idle);
      idle = setTimeout(() => stop(), idleMs);
      access.bytes += chunk.length;
      res.write(chunk);
    });
    await new Promise<void>((resolve) => {
      invocation.body.on('end', () => { clearTimeout(idle); clearTimeout(cap); res.end(); resolve(); });
      invocation.body.on('error', () => { stop(); resolve(); });
      invocation.body.on('close', () => resolve());
    });
    await done;
  }

  await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1', { service: 'Gatehouse gateway', option: '--port' });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${options.host ?? '127.0.0.1'}:${port}${stagePrefix}`,
    port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** API Gateway's answer to a request an IAM-authorized method refuses, or undefined when the signature verifies. */
function iamDenial(req: IncomingMessage, path: string, query: string, body: Buffer, iam: NonNullable<ApiGatewayFrontOptions['iamRoutes']>): string | undefined {
  if (!req.headers.authorization) return 'Missing Authentication Token';
  const { accessKeyId, secretAccessKey } = iam.credentials;
  const verified = verifyAuthorizationHeader(
    { method: req.method ?? 'GET', path, query, headers: req.headers, body },
    { lookupSecret: (id) => (id === accessKeyId ? secretAccessKey : undefined), service: 'execute-api', region: iam.region, now: new Date() },
  );
  if (verified.ok) return undefined;
  return verified.code === 'InvalidClientTokenId' ? 'The security token included in the request is invalid.' : verified.message;
}

/** The proxy Lambda's routes: kubectl's `/k8s/<connection>/...`, AWS calls and the AWS credential endpoint. */
const PROXY_ROUTES = /^\/(?:k8s|aws)\/[^/]+(?:\/.*)?$|^\/aws-credentials\/[^/]+$/s;

function toEvent(
  req: IncomingMessage, requestId: string, path: string, requestPath: string, rawQuery: string, body: Buffer, stage: string, fixedResource?: string, userArn?: string,
): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    (multiValueHeaders[name] ??= []).push(value);
    headers[name] = value;
  }
  const multiQuery: Record<string, string[]> = {};
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    (multiQuery[name] ??= []).push(value);
    query[name] = value;
  }
  const [, prefix = 'k8s', connection = '', proxy] = /^\/(k8s|aws|aws-credentials)\/([^/]+)(?:\/(.*))?$/s.exec(path) ?? [];
  const resource = fixedResource ?? (proxy === undefined ? `/${prefix}/{connection}` : `/${prefix}/{connection}/{proxy+}`);
  return {
    resource,
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: rawQuery ? query : null,
    multiValueQueryStringParameters: rawQuery ? multiQuery : null,
    pathParameters: fixedResource ? null : { connection, ...(proxy === undefined ? {} : { proxy }) },
    stageVariables: null,
    body: body.length ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null, ...(userArn ? { userArn } : {}),
      } as APIGatewayProxyEvent['requestContext']['identity'],
      // What the client asked for, stage included when the URL has one (as with a custom domain, it may not):
      // the path an AWS SDK signed.
      path: requestPath,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}

function lambdaContext(awsRequestId: string, budgetMs = INTEGRATION_TIMEOUT_MS): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'gatehouse-proxy-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:gatehouse-proxy-local',
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: '/aws/lambda/gatehouse-proxy-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** API Gateway's own answer (a gateway response of `type`), before or instead of the function's. */
function gatewayError(res: ServerResponse, status: number, message: string, type: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ message });
  Object.assign(accessEntries.get(res) ?? {}, { error: type, message, bytes: Buffer.byteLength(body) });
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

/** What the stage's access log line of one request needs that only the front knows, filled in as it goes. */
interface AccessEntry {
  readonly requestId: string;
  readonly receivedAt: number;
  invokedAt?: number;
  answeredAt?: number;
  bytes: number;
  error?: string;
  message?: string;
}

const accessEntries = new WeakMap<ServerResponse, AccessEntry>();

/**
 * Starts the access log entry of a request (its id is the one the function's event gets) and writes its line, in
 * the stage's own format, once the response is done or the client has gone.
 */
function logAccess(req: IncomingMessage, res: ServerResponse, write: (line: string) => void): void {
  const entry: AccessEntry = { requestId: randomUUID(), receivedAt: Date.now(), bytes: 0 };
  accessEntries.set(res, entry);
  res.once('close', () => write(accessLogLine({
    requestId: entry.requestId,
    requestTimeEpoch: entry.receivedAt,
    'identity.sourceIp': req.socket.remoteAddress,
    httpMethod: req.method,
    path: (req.url ?? '/').split('?')[0],
    status: res.statusCode,
    // Lambda accepted the invoke and answered: what API Gateway logs as the integration status, whatever the function said.
    integrationStatus: entry.answeredAt === undefined ? undefined : 200,
    responseLatency: Date.now() - entry.receivedAt,
    integrationLatency: entry.invokedAt === undefined || entry.answeredAt === undefined ? undefined : entry.answeredAt - entry.invokedAt,
    responseLength: entry.bytes,
    'error.responseType': entry.error,
    'error.messageString': entry.message,
  })));
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

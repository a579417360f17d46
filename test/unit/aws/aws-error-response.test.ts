// The SDK clients are used only as the reference parsers of the error shapes (no network: a fake handler answers).
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HttpResponse } from '@smithy/core/protocols';
import {
  AwsError, awsErrorFor, awsErrorResponse, AwsErrorResponse, AwsRefusalKind, awsRefusalKindOf, guessAwsProtocol, xmlEscape,
} from '../../../lambdas/core/aws/aws-error-response';
import type { AwsProtocol } from '../../../lambdas/core/aws/aws-request-info';
import {
  BadRequestError, ForbiddenError, InternalError, PayloadTooLargeError, ServiceUnavailableError, TooManyRequestsError, UnauthenticatedError,
  UnsupportedMediaTypeError, UpstreamResponseError, UpstreamTimeoutError,
} from '../../../lambdas/core/errors';

const REQUEST_ID = 'gh-7f3c2a10-5b1e-4c8e-9d2f-0a1b2c3d4e5f';

function clientConfig(answer: AwsErrorResponse) {
  return {
    region: 'eu-west-1', endpoint: 'https://gatehouse.example.com/prod/aws/prod-aws', maxAttempts: 1,
    credentials: { accessKeyId: 'GHAKEXAMPLE', secretAccessKey: 'secret', sessionToken: 'ghs1.x.y' },
    requestHandler: {
      handle: async () => ({ response: new HttpResponse({ statusCode: answer.status, headers: { ...answer.headers }, body: new Uint8Array(answer.body) }) }),
    },
  };
}

/** Sends one call through the real client of the protocol and returns what it threw. */
async function thrownBy(protocol: AwsProtocol, answer: AwsErrorResponse): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number; requestId?: string } }> {
  const config = clientConfig(answer);
  const send: Record<AwsProtocol, () => Promise<unknown>> = {
    awsJson1_0: () => new DynamoDBClient(config).send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: '42' } } })),
    awsJson1_1: () => new SecretsManagerClient(config).send(new GetSecretValueCommand({ SecretId: 'prod/db' })),
    awsQuery: () => new STSClient(config).send(new GetCallerIdentityCommand({})),
    restXml: () => new S3Client({ ...config, forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'orders', Key: 'a.csv' })),
    restJson1: () => new LambdaClient(config).send(new GetFunctionCommand({ FunctionName: 'orders' })),
  };
  try {
    await send[protocol]();
  } catch (error) {
    return error as never;
  }
  throw new Error('the client did not throw');
}

const PROTOCOLS: AwsProtocol[] = ['awsJson1_0', 'awsJson1_1', 'awsQuery', 'restXml', 'restJson1'];
const KINDS: AwsRefusalKind[] = [
  'policy-denied', 'approval-pending', 'approval-denied', 'approval-expired', 'unauthenticated', 'signature', 'clock-skew', 'expired-token',
  'throttled', 'bad-request', 'too-large', 'upstream-unreachable', 'upstream-timeout', 'upstream-bad-answer', 'internal',
];

describe('awsErrorResponse as the AWS SDK v3 reads it', () => {
  it.each(PROTOCOLS)('%s: the SDK names the error by the code and prints the message', async (protocol) => {
    // Arrange
    const error: AwsError = { code: 'AccessDeniedException', message: 'Gatehouse policy deny-prod-writes refused dynamodb:PutItem on orders.', status: 403 };

    // Act
    const thrown = await thrownBy(protocol, awsErrorResponse(protocol, error, REQUEST_ID));

    // Assert
    expect(thrown.name).toBe('AccessDeniedException');
    expect(thrown.message).toBe(error.message);
    expect(thrown.$metadata.httpStatusCode).toBe(403);
    expect(thrown.$metadata.requestId).toBe(REQUEST_ID);
  });

  it.each(PROTOCOLS)('%s: markup and quotes in the message arrive as written', async (protocol) => {
    // Arrange
    const message = 'Rule <deny & "hold"> matched \'s3:GetObject\' on a]]>b; see https://gatehouse/approvals?id=1&x=2';

    // Act
    const thrown = await thrownBy(protocol, awsErrorResponse(protocol, { code: 'AccessDenied', message, status: 403 }, REQUEST_ID));

    // Assert
    expect(thrown.message).toBe(message);
  });

  it.each(PROTOCOLS.flatMap((protocol) => KINDS.map((kind) => [protocol, kind] as const)))('%s: %s comes out with the table\'s code and status', async (protocol, kind) => {
    // Arrange
    const error = awsErrorFor(kind, protocol, `Gatehouse: ${kind}.`);

    // Act
    const thrown = await thrownBy(protocol, awsErrorResponse(protocol, error, REQUEST_ID));

    // Assert
    expect(thrown.name).toBe(error.code);
    expect(thrown.message).toBe(`Gatehouse: ${kind}.`);
    expect(thrown.$metadata.httpStatusCode).toBe(error.status);
  });
});

describe('awsErrorResponse shapes', () => {
  it('answers awsJson1_1 with __type, the JSON content type and the error-type header', () => {
    // Act
    const answer = awsErrorResponse('awsJson1_1', { code: 'AccessDeniedException', message: 'no', status: 403 }, REQUEST_ID);

    // Assert
    expect(answer.headers).toEqual({ 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': REQUEST_ID });
    expect(JSON.parse(answer.body.toString())).toEqual({ __type: 'AccessDeniedException', message: 'no' });
  });

  it('answers awsQuery with Sender for a 4xx and Receiver for a 5xx, in STS\'s namespace', () => {
    // Act
    const sender = awsErrorResponse('awsQuery', { code: 'AccessDenied', message: 'no', status: 403 }, REQUEST_ID, 'sts').body.toString();
    const receiver = awsErrorResponse('awsQuery', { code: 'ServiceUnavailable', message: 'down', status: 503 }, REQUEST_ID).body.toString();

    // Assert
    expect(sender).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(sender).toContain('<Type>Sender</Type>');
    expect(receiver).toContain('<Type>Receiver</Type>');
    expect(receiver).toContain(`<RequestId>${REQUEST_ID}</RequestId>`);
  });

  it('answers restXml as S3 does, with x-amz-request-id', () => {
    // Act
    const answer = awsErrorResponse('restXml', { code: 'AccessDenied', message: 'a < b', status: 403 }, REQUEST_ID);

    // Assert
    expect(answer.headers).toEqual({ 'content-type': 'application/xml', 'x-amz-request-id': REQUEST_ID });
    expect(answer.body.toString()).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>a &lt; b</Message><RequestId>${REQUEST_ID}</RequestId></Error>`);
  });

  it('keeps header values clean of what a code or request id could smuggle in', () => {
    // Act
    const answer = awsErrorResponse('restJson1', { code: 'Bad\r\nSet-Cookie: x', message: 'm', status: 400 }, 'id\r\nX-Evil: 1');

    // Assert
    expect(answer.headers['x-amzn-errortype']).toBe('BadSet-Cookiex');
    expect(answer.headers['x-amzn-requestid']).toBe('idX-Evil:1');
  });

  it('replaces characters XML cannot carry, so the body stays well-formed', () => {
    // Act
    const body = awsErrorResponse('restXml', { code: 'InvalidRequest', message: 'nul\u0000 here', status: 400 }, REQUEST_ID).body.toString();

    // Assert
    expect(body).toContain('<Message>nul? here</Message>');
  });

  it('answers 500 for a status that is not an error status', () => {
    expect(awsErrorResponse('restJson1', { code: 'X', message: 'm', status: 200 }, REQUEST_ID).status).toBe(500);
  });

  it('escapes the five XML specials', () => {
    expect(xmlEscape(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });
});

describe('awsErrorFor', () => {
  it.each([
    ['policy-denied', 'awsJson1_0', 'AccessDeniedException', 403],
    ['policy-denied', 'awsQuery', 'AccessDenied', 403],
    ['policy-denied', 'restXml', 'AccessDenied', 403],
    ['approval-pending', 'restJson1', 'AccessDeniedException', 403],
    ['unauthenticated', 'awsJson1_1', 'UnrecognizedClientException', 403],
    ['unauthenticated', 'awsQuery', 'InvalidClientTokenId', 403],
    ['unauthenticated', 'restXml', 'InvalidAccessKeyId', 403],
    ['signature', 'awsJson1_0', 'InvalidSignatureException', 403],
    ['signature', 'restXml', 'SignatureDoesNotMatch', 403],
    ['clock-skew', 'restXml', 'RequestTimeTooSkewed', 403],
    ['expired-token', 'awsJson1_0', 'ExpiredTokenException', 400],
    ['expired-token', 'awsQuery', 'ExpiredToken', 403],
    ['throttled', 'awsJson1_1', 'ThrottlingException', 429],
    ['throttled', 'awsQuery', 'Throttling', 400],
    ['throttled', 'restXml', 'SlowDown', 503],
    ['upstream-unreachable', 'restXml', 'ServiceUnavailable', 503],
    ['bad-request', 'awsQuery', 'ValidationError', 400],
  ] as const)('%s in %s is %s %i', (kind, protocol, code, status) => {
    expect(awsErrorFor(kind, protocol, 'm')).toEqual({ code, status, message: 'm' });
  });
});

describe('awsRefusalKindOf', () => {
  it.each([
    [new UnauthenticatedError('x'), 'unauthenticated'],
    [new ForbiddenError('x'), 'policy-denied'],
    [new BadRequestError('x'), 'bad-request'],
    [new UnsupportedMediaTypeError('x'), 'bad-request'],
    [new PayloadTooLargeError('x'), 'too-large'],
    [new TooManyRequestsError('x'), 'throttled'],
    [new UpstreamResponseError('x'), 'upstream-bad-answer'],
    [new UpstreamTimeoutError('x'), 'upstream-timeout'],
    [new ServiceUnavailableError('x'), 'upstream-unreachable'],
    [new InternalError(), 'internal'],
    [new Error('boom'), 'internal'],
  ] as const)('maps %p to %s', (error, kind) => {
    expect(awsRefusalKindOf(error)).toBe(kind);
  });
});

describe('guessAwsProtocol', () => {
  const auth = (service: string) => [`AWS4-HMAC-SHA256 Credential=GHAK1/20260506/eu-west-1/${service}/aws4_request, SignedHeaders=host, Signature=ab`];
  it.each([
    ['a DynamoDB call', { 'x-amz-target': ['DynamoDB_20120810.GetItem'], 'content-type': ['application/x-amz-json-1.0'] }, '', 'awsJson1_0'],
    ['a Secrets Manager call', { 'x-amz-target': ['secretsmanager.GetSecretValue'], 'content-type': ['application/x-amz-json-1.1'] }, '', 'awsJson1_1'],
    ['a target with plain JSON', { 'x-amz-target': ['X.Y'], 'content-type': ['application/json'] }, '', 'awsJson1_1'],
    ['an STS form call', { 'content-type': ['application/x-www-form-urlencoded; charset=utf-8'] }, 'Action=GetCallerIdentity&Version=2011-06-15', 'awsQuery'],
    ['a form without Action', { 'content-type': ['application/x-www-form-urlencoded'] }, 'a=b', 'restXml'],
    ['an S3 PutObject of JSON', { 'content-type': ['application/json'], authorization: auth('s3') }, '{"a":1}', 'restXml'],
    ['a Lambda call', { 'content-type': ['application/json'], authorization: auth('lambda') }, '{}', 'restJson1'],
    ['nothing to go by', {}, '', 'restXml'],
  ])('reads %s as %s', (_name, headers, body, expected) => {
    expect(guessAwsProtocol({ method: 'POST', headers, body: Buffer.from(body) })).toBe(expected);
  });

  it('reads a query-string call with Action as awsQuery', () => {
    expect(guessAwsProtocol({ method: 'GET', headers: {}, body: Buffer.alloc(0), query: [['Action', 'GetCallerIdentity']] })).toBe('awsQuery');
  });

  it('reads the service of a presigned URL\'s credential', () => {
    expect(guessAwsProtocol({ method: 'GET', headers: {}, body: Buffer.alloc(0), query: [['X-Amz-Credential', 'GHAK1/20260506/eu-west-1/lambda/aws4_request']] })).toBe('restJson1');
  });
});

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { fitsLambdaPayload, fromApiGatewayEvent, toApiGatewayResult } from '../../../lambdas/core/api-gateway-event';
import { NotFoundError } from '../../../lambdas/core/errors';

const event = (overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent => ({
  resource: '/k8s/{connection}/{proxy+}', path: '/k8s/prod/api/v1/pods', httpMethod: 'GET', headers: {}, multiValueHeaders: {},
  queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null, body: null, isBase64Encoded: false,
  requestContext: { requestId: 'r1', identity: { sourceIp: '10.0.0.1' } } as APIGatewayProxyEvent['requestContext'], ...overrides,
});

describe('fromApiGatewayEvent', () => {
  it('keeps every value of repeated headers so that none can slip past a check', () => {
    const request = fromApiGatewayEvent(event({ headers: { 'Impersonate-Group': 'b' }, multiValueHeaders: { 'Impersonate-Group': ['a', 'b'] } }));
    expect(request.headers['impersonate-group']).toEqual(['a', 'b']);
  });

  it('decodes a base64 body, as API Gateway sends it with binary media types */*', () => {
    expect(fromApiGatewayEvent(event({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true })).body.toString()).toBe('{"a":1}');
  });

  it.each([
    ['/k8s/prod', 'prod', ''],
    ['/k8s/prod/api', 'prod', '/api'],
    ['/k8s/prod/apis/apps/v1/namespaces/x/deployments', 'prod', '/apis/apps/v1/namespaces/x/deployments'],
  ])('splits %s into connection and cluster path', (path, connection, clusterPath) => {
    expect(fromApiGatewayEvent(event({ path }))).toMatchObject({ connection, clusterPath });
  });

  it('rebuilds the query from repeated parameters', () => {
    expect(fromApiGatewayEvent(event({ multiValueQueryStringParameters: { labelSelector: ['app=x'], limit: ['500'] } })).rawQuery).toBe('labelSelector=app%3Dx&limit=500');
  });

  it('refuses a path outside /k8s/<connection> with a 404 that says where connections live', () => {
    expect(() => fromApiGatewayEvent(event({ path: '/admin' }))).toThrow(NotFoundError);
  });
});

describe('toApiGatewayResult and fitsLambdaPayload', () => {
  it('returns JSON as text and binary as base64', () => {
    expect(toApiGatewayResult({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') })).toMatchObject({ body: '{}', isBase64Encoded: false });
    expect(toApiGatewayResult({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1]) })).toMatchObject({ body: 'AAE=', isBase64Encoded: true });
  });

  it.each([
    ['a small JSON body', 'application/json', Buffer.from('{"a":1}'), true],
    ['5 MB of plain JSON', 'application/json', Buffer.from(`{"x":"${'a'.repeat(5_000_000)}"}`), true],
    ['4 MB of JSON full of quotes (escaping doubles it)', 'application/json', Buffer.from(`["${'\\"'.repeat(2_000_000)}"]`), false],
    ['5 MB of binary (base64 adds a third)', 'application/octet-stream', Buffer.alloc(5_000_000), false],
    ['4 MB of binary', 'application/octet-stream', Buffer.alloc(4_000_000), true],
    ['7 MB of text', 'text/plain', Buffer.alloc(7_000_000, 'a'), false],
  ])('judges %s', (_case, contentType, body, fits) => {
    expect(fitsLambdaPayload({ status: 200, headers: { 'content-type': contentType }, body })).toBe(fits);
  });
});

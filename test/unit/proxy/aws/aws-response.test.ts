import { awsResponseHeaders, isObjectData } from '../../../../lambdas/proxy/aws/aws-response';
import type { AwsRequestInfo } from '../../../../lambdas/core/aws/aws-request-info';

const info = (service: string, action: string): AwsRequestInfo => ({ service, action, region: 'us-east-1', protocol: 'restXml', iamAction: `${service}:${action}`, resources: [], params: {}, summary: '' });

describe('awsResponseHeaders', () => {
  it('keeps what the SDK reads and drops the connection headers, cookies and those the connection names', () => {
    const headers = awsResponseHeaders({
      'Content-Type': 'application/xml', ETag: '"abc"', 'x-amz-request-id': 'R1', 'x-amz-meta-owner': 'ci', 'Content-Length': '12',
      Connection: 'keep-alive, x-internal', 'x-internal': 'secret', 'Set-Cookie': ['a=b'], 'Transfer-Encoding': 'chunked', Server: 'AmazonS3',
    });
    expect(headers).toEqual({ 'content-type': 'application/xml', etag: '"abc"', 'x-amz-request-id': 'R1', 'x-amz-meta-owner': 'ci', 'content-length': '12' });
  });

  it('drops a value with characters HTTP does not allow rather than pass on a header injection', () => {
    expect(awsResponseHeaders({ 'x-amz-meta-note': 'a\r\nset-cookie: x=y' })).toEqual({});
  });
});

describe('isObjectData', () => {
  it.each([
    ['s3', 'GetObject', 200, true],
    ['s3', 'GetObject', 206, true],
    ['s3', 'GetObject', 404, false],
    ['s3', 'ListObjectsV2', 200, false],
    ['dynamodb', 'GetItem', 200, false],
  ] as const)('tells %s %s answered %d apart (object data: %s)', (service, action, status, expected) => {
    expect(isObjectData(info(service, action), status)).toBe(expected);
  });
});

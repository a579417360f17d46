import https from 'node:https';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ACCESS_LOG_FIELDS, accessLogFormat, accessLogLine } from '../../../lib/access-log-format';
import { startApiGatewayFront, type ApiGatewayFront, type ProxyHandler } from '../../../local/api-gateway-front';
import { createLocalCa, issueServerCertificate } from '../../../local/local-ca';

/**
 * The stage's access log line, from the one field list: the format API Gateway is given, and the line local mode's
 * API Gateway stand-in prints for each request, so the bench measures what CloudWatch would get.
 */

const KEYS = ACCESS_LOG_FIELDS.map(([key]) => key);

describe('accessLogLine', () => {
  it('renders every field as a string, with - for a value API Gateway does not have', () => {
    const line = accessLogLine({ requestId: 'r-1', requestTimeEpoch: 1700000000000, status: 429, 'error.responseType': 'THROTTLED', 'error.messageString': 'Too Many Requests' });

    expect(JSON.parse(line)).toEqual({
      id: 'r-1', time: '1700000000000', ip: '-', method: '-', path: '-', status: '429', fnStatus: '-', ms: '-', fnMs: '-', bytes: '-',
      error: 'THROTTLED', msg: 'Too Many Requests',
    });
  });

  it('keeps a message that holds quotes valid JSON', () => {
    const line = accessLogLine({ 'error.messageString': 'bad "thing"\n' });

    expect(JSON.parse(line).msg).toBe('bad "thing"\n');
  });

  it('has the keys of the stage\'s format, in its order', () => {
    const format = JSON.parse(accessLogFormat().replace('$context.error.messageString', '"x"')) as Record<string, string>;

    expect(Object.keys(format)).toEqual(KEYS);
    expect(Object.keys(JSON.parse(accessLogLine({})))).toEqual(KEYS);
  });
});

describe('the local API Gateway front\'s access log', () => {
  const ca = createLocalCa('access log test CA');
  const tls = issueServerCertificate(ca, ['127.0.0.1']);
  let front: ApiGatewayFront;
  let lines: string[];
  let seenRequestIds: string[];

  const handler: ProxyHandler = async (event): Promise<APIGatewayProxyResult> => {
    seenRequestIds.push(event.requestContext.requestId);
    return { statusCode: 403, headers: { 'content-type': 'application/json' }, body: '{"kind":"Status"}' };
  };

  beforeEach(async () => {
    lines = [];
    seenRequestIds = [];
    front = await startApiGatewayFront({ handler, tls, stage: 'v1', accessLog: (line) => lines.push(line) });
  });

  afterEach(() => front.close());

  async function request(method: string, path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${front.url.replace(/\/v1$/, '')}${path}`, { method, ca: ca.certPem, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The line is written when the response closes, which can come just after the client has read it. */
  async function loggedLines(count: number): Promise<Record<string, string>[]> {
    while (lines.length < count) await new Promise((resolve) => setImmediate(resolve));
    return lines.map((line) => JSON.parse(line) as Record<string, string>);
  }

  it('writes one line per request that reached the function, with the id the function\'s event carried and its status', async () => {
    const status = await request('GET', '/v1/k8s/demo/api/v1/namespaces/default/pods?labelSelector=app%3Dsecret');

    const [entry] = await loggedLines(1);
    expect(status).toBe(403);
    expect(lines).toHaveLength(1);
    expect(entry).toMatchObject({
      id: seenRequestIds[0], ip: '127.0.0.1', method: 'GET', path: '/v1/k8s/demo/api/v1/namespaces/default/pods',
      status: '403', fnStatus: '200', bytes: String('{"kind":"Status"}'.length), error: '-', msg: '-',
    });
    expect(Number(entry!.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(entry!.ms)).toBeGreaterThanOrEqual(Number(entry!.fnMs));
  });

  it('logs a request refused before the function with API Gateway\'s error type and no function status', async () => {
    const status = await request('GET', '/v1/nowhere');

    const [entry] = await loggedLines(1);
    expect(status).toBe(403);
    expect(seenRequestIds).toEqual([]);
    expect(entry).toMatchObject({ path: '/v1/nowhere', status: '403', fnStatus: '-', fnMs: '-', error: 'MISSING_AUTHENTICATION_TOKEN', msg: 'Missing Authentication Token' });
  });

  it('never logs the query string or a header', async () => {
    await request('GET', '/v1/k8s/demo/api/v1/secrets?fieldSelector=metadata.name%3Dtoken');

    await loggedLines(1);
    expect(lines[0]).not.toMatch(/fieldSelector|token|authorization|user-agent/i);
  });
});

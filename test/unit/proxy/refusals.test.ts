import type { ProxyRequest } from '../../../lambdas/core/api-gateway-event';
import { classifyRequest } from '../../../lambdas/core/classify-request';
import { BadRequestError } from '../../../lambdas/core/errors';
import { parseClusterPath } from '../../../lambdas/core/safe-cluster-path';
import { refuseUnbufferable } from '../../../lambdas/proxy/refusals';

const LOG_PATH = '/api/v1/namespaces/prod/pods/web-0/log';

function check(rawQuery: string, clusterPath = LOG_PATH): void {
  const req: ProxyRequest = { requestId: 'r', method: 'GET', connection: 'prod', clusterPath, rawQuery, headers: {}, body: Buffer.alloc(0) };
  const { path, query } = parseClusterPath(clusterPath, rawQuery);
  refuseUnbufferable(req, classifyRequest('GET', path, query));
}

describe('refuseUnbufferable: follow read as the API server reads it', () => {
  it.each([
    'follow=true', 'follow=1', 'follow=yes', 'follow=on', 'follow=', 'follow', 'follow=TRUE', 'follow=%20false',
    'follow=true&follow=false', 'tailLines=10&follow=y',
  ])('refuses a followed log with %s', (rawQuery) => {
    expect(() => check(rawQuery)).toThrow(BadRequestError);
    expect(() => check(rawQuery)).toThrow(/Following logs/);
  });

  it.each(['', 'follow=false', 'follow=False', 'follow=0', 'follow=fal%C5%BFe', 'follow=false&follow=true', 'tailLines=10'])(
    'passes a log read with %j',
    (rawQuery) => {
      expect(() => check(rawQuery)).not.toThrow();
    },
  );

  it('reads follow only on the log subresource', () => {
    expect(() => check('follow=true', '/api/v1/namespaces/prod/pods/web-0')).not.toThrow();
  });

  it.each(['watch=yes', 'watch=', 'watch=on'])('refuses a list with %s as a watch', (rawQuery) => {
    expect(() => check(rawQuery, '/api/v1/namespaces/prod/pods')).toThrow(/Watching is not supported/);
  });
});

import type { ProxyRequest } from '../../../lambdas/core/api-gateway-event';
import { classifyRequest } from '../../../lambdas/core/classify-request';
import { BadRequestError } from '../../../lambdas/core/errors';
import { parseClusterPath } from '../../../lambdas/core/safe-cluster-path';
import { noGrantMessage, refuseUnbufferable } from '../../../lambdas/proxy/refusals';

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

describe('noGrantMessage', () => {
  it('says what to do when only issuer-less grants would have matched on a multi-issuer gateway', () => {
    const identity = { issuer: 'github', agent: 'acme/app', session: 's', groups: [], claims: {} };
    const info = classifyRequest('GET', '/api/v1/namespaces/prod/pods', new URLSearchParams());
    expect(noGrantMessage(identity, 'prod', info, { miss: 'issuer' })).toBe(
      'The grant for agent "acme/app" (issuer github) on connection "prod" names no issuer, and this Gatehouse trusts several, so it matches no one; '
        + 'ask a Gatehouse operator to re-create it with --issuer github.',
    );
  });
});

import { Buffer } from 'node:buffer';
import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput } from '../../../lambdas/core/aws/aws-request-info';

const ACCOUNT = '111122223333';
const FN = (rest: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${rest}`;

function lambda(method: string, path: string, body = '', query: [string, string][] = [], headers: Record<string, string[]> = {}): AwsCallInput {
  return { method, path, query, headers, body: Buffer.from(body), service: 'lambda', region: 'us-east-1', accountId: ACCOUNT };
}

describe('classifyAwsRequest: Lambda', () => {
  it.each<[string, string, string, string, readonly string[]]>([
    ['GET', '/2015-03-31/functions', '', 'ListFunctions', []],
    ['GET', '/2015-03-31/functions/', '', 'ListFunctions', []],
    ['POST', '/2015-03-31/functions', '{"FunctionName":"new","Runtime":"nodejs20.x"}', 'CreateFunction', [FN('new')]],
    ['GET', '/2015-03-31/functions/app', '', 'GetFunction', [FN('app')]],
    ['DELETE', '/2015-03-31/functions/app', '', 'DeleteFunction', [FN('app')]],
    ['POST', '/2015-03-31/functions/app/invocations', '{"any":"payload"}', 'Invoke', [FN('app')]],
    ['GET', '/2015-03-31/functions/app/configuration', '', 'GetFunctionConfiguration', [FN('app')]],
    ['PUT', '/2015-03-31/functions/app/configuration', '{"Timeout":30}', 'UpdateFunctionConfiguration', [FN('app')]],
    ['PUT', '/2015-03-31/functions/app/code', '{"ImageUri":"x"}', 'UpdateFunctionCode', [FN('app')]],
    ['POST', '/2015-03-31/functions/app%3Alive/invocations', '', 'Invoke', [FN('app:live')]],
    ['GET', `/2015-03-31/functions/${ACCOUNT}%3Afunction%3Aapp`, '', 'GetFunction', [FN('app')]],
    ['GET', '/2015-03-31/functions/444455556666%3Afunction%3Aapp%3A3', '', 'GetFunction', ['arn:aws:lambda:us-east-1:444455556666:function:app:3']],
    ['DELETE', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A444455556666%3Afunction%3Aapp', '', 'DeleteFunction', ['arn:aws:lambda:eu-west-1:444455556666:function:app']],
  ])('classifies %s %s', (method, path, body, action, resources) => {
    const info = classifyAwsRequest(lambda(method, path, body));
    expect(info).toMatchObject({ protocol: 'restJson1', action, iamAction: `lambda:${action}`, resources });
  });

  it('adds a Qualifier parameter to a bare name', () => {
    const info = classifyAwsRequest(lambda('GET', '/2015-03-31/functions/app', '', [['Qualifier', 'live']]));
    expect(info).toMatchObject({ resources: [FN('app:live')], params: { FunctionName: 'app', Qualifier: 'live' } });
  });

  it('gives the route label and the decoded body as params, the label winning over the body', () => {
    const info = classifyAwsRequest(lambda('PUT', '/2015-03-31/functions/app/configuration', '{"FunctionName":"other","Timeout":30}'));
    expect(info.params).toEqual({ FunctionName: 'app', Timeout: 30 });
    expect(info.resources).toEqual([FN('app')]);
  });

  it('gives Invoke its header members as params, not the payload', () => {
    const info = classifyAwsRequest(lambda('POST', '/2015-03-31/functions/app/invocations', '{"secret":"x"}', [], { 'x-amz-invocation-type': ['Event'] }));
    expect(info.params).toEqual({ FunctionName: 'app', InvocationType: 'Event' });
  });

  it('leaves params undefined for a body that is not JSON', () => {
    expect(classifyAwsRequest(lambda('PUT', '/2015-03-31/functions/app/configuration', '{"Timeout":'))).toMatchObject({ action: 'UpdateFunctionConfiguration', params: undefined, resources: [FN('app')] });
  });

  it.each<[string, string, string]>([
    ['an alias route', 'GET', '/2015-03-31/functions/app/aliases'],
    ['a route of another API version', 'POST', '/2014-11-13/functions/app/invoke-async/'],
    ['a method the route does not have', 'PATCH', '/2015-03-31/functions/app'],
    ['Invoke by GET', 'GET', '/2015-03-31/functions/app/invocations'],
    ['a bad escape in the name', 'GET', '/2015-03-31/functions/app%E0%A4%A'],
    ['an empty name', 'GET', '/2015-03-31/functions//configuration'],
    ['a prefix that only starts like the functions route', 'GET', '/2015-03-31/functionsx'],
  ])('gives an unknown action for %s', (_case, method, path) => {
    expect(classifyAwsRequest(lambda(method, path))).toMatchObject({ action: '', iamAction: 'lambda:', params: undefined });
  });
});

import { Readable } from 'node:stream';
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { HttpRequest } from '@smithy/core/protocols';
import { ServiceUnavailableError } from '../../../../lambdas/core/errors';
import { mintSessionCredential } from '../../../../lambdas/core/aws/session-credentials';
import type { AwsProxyRequest } from '../../../../lambdas/core/aws/aws-proxy-request';
import type { AwsConnectionConfig, GatewayConfig } from '../../../../lambdas/core/gateway-config';
import type { AwsUpstreamRequest } from '../../../../lambdas/core/ports';
import { compilePolicy, serializePolicy } from '../../../../lambdas/core/policy/compile-policy';
import { awsCall } from '../../../../lambdas/proxy/aws/aws-call';
import { createRequestGuard } from '../../../../lambdas/proxy/create-request-guard';
import type { ProxyDependencies } from '../../../../lambdas/proxy/proxy-request';
import { PACK_SOURCES } from '../../policy/policy-test-support';
import { harness, type HarnessOptions } from '../support/proxy-harness';

/**
 * One AWS call through the proxy's own code over in-memory ports and the real guard: what the SDK gets back, what
 * reached the service, and what the record says, above all when something Gatehouse needs cannot be had.
 */

const KEY = { id: 'k1', key: Buffer.alloc(32, 9) };
const HOST = 'abc.execute-api.us-east-1.amazonaws.com';
const AWS_CONNECTION: AwsConnectionConfig = {
  name: 'prod-aws', accountId: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/gatehouse-prod-aws', regions: ['us-east-1'], services: ['dynamodb'],
  endpoints: { dynamodb: 'https://dynamodb.internal.example' },
};
const GUARD = createRequestGuard({ issuers: [], connections: [], awsConnections: [AWS_CONNECTION] } as unknown as GatewayConfig, serializePolicy(compilePolicy([{
  source: 'policy.yaml', text: 'apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [aws-baseline]\ndefaults: { "*": allow }\n',
}], { packs: PACK_SOURCES })));

interface AwsHarnessOptions extends HarnessOptions {
  failIntent?: boolean;
  failGrants?: boolean;
  noGrant?: boolean;
  failKey?: boolean;
  unreachable?: boolean;
  answer?: string;
}

function awsHarness(options: AwsHarnessOptions = {}) {
  const h = harness(options);
  const sent: AwsUpstreamRequest[] = [];
  const deps: ProxyDependencies = {
    ...h.deps,
    guard: GUARD,
    grants: {
      grantsFor: async (c) => {
        if (options.failGrants) throw new Error('ProvisionedThroughputExceeded');
        return options.noGrant ? [] : [{ grantId: 'g-aws', connection: c, principalType: 'agent', principal: 'bot', createdAt: '', createdBy: '', source: 'cli' }];
      },
    },
    records: options.failIntent ? { ...h.deps.records, putIntent: async () => { h.events.push('intent-failed'); throw new Error('throttled'); } } : h.deps.records,
    aws: {
      connections: new Map([[AWS_CONNECTION.name, AWS_CONNECTION]]),
      credentialKeys: async () => {
        if (options.failKey) throw new Error('AccessDeniedException');
        return { current: KEY, byId: new Map([[KEY.id, KEY.key]]) };
      },
      credentialLifetimeSeconds: 3600,
      maxClockSkewSeconds: 300,
      upstream: {
        open: async (request) => {
          h.events.push('upstream');
          sent.push(request);
          if (options.unreachable) throw new ServiceUnavailableError('dynamodb.internal.example cannot be reached; retry.', 1);
          return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-crc32': '123' }, latencyMs: 2, body: Readable.from([Buffer.from(options.answer ?? '{"Item":{"id":{"S":"o-1"}}}')]), abort: () => undefined };
        },
      },
    },
    now: () => new Date(),
  };
  return { ...h, deps, sent };
}

/** The request the real DynamoDB client sends for `command`, signed with a Gatehouse session credential, as Gatehouse receives it. */
async function signedCall(command: unknown): Promise<AwsProxyRequest> {
  const credential = mintSessionCredential({
    key: KEY, identity: { issuer: 'ci', agent: 'bot', session: 'bot#7', groups: [], claims: {} }, connection: 'prod-aws', now: new Date(), lifetimeSeconds: 3600,
  });
  let seen: HttpRequest | undefined;
  const client = new DynamoDBClient({
    region: 'us-east-1', endpoint: `https://${HOST}/prod/aws/prod-aws`, credentials: credential, maxAttempts: 1,
    requestHandler: { handle: async (request: HttpRequest) => { seen = request; throw new Error('captured'); }, updateHttpClientConfig: () => undefined, httpHandlerConfigs: () => ({}) },
  });
  await expect(client.send(command as GetItemCommand)).rejects.toThrow('captured');
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(seen!.headers)) headers[name.toLowerCase()] = [value];
  return {
    requestId: 'req-aws', kind: 'call', method: seen!.method, connection: 'prod-aws', callPath: '/', signedPath: seen!.path, query: [], headers,
    body: Buffer.from(seen!.body as string),
  };
}

const json = (body: Buffer | Readable) => JSON.parse((body as Buffer).toString('utf8')) as Record<string, unknown>;

describe('an AWS call through the proxy', () => {
  it('forwards an allowed call to the connection\'s endpoint, signed with the role session instead of the agent\'s credential', async () => {
    // Arrange
    const { deps, sent, events, records } = awsHarness();
    const req = await signedCall(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } }));
    // Act
    const answer = await awsCall(req, deps);
    await answer.afterResponse?.();
    // Assert
    expect(answer.status).toBe(200);
    expect(json(answer.body as Buffer)).toEqual({ Item: { id: { S: 'o-1' } } });
    expect(events.slice(0, 3)).toEqual(['intent', 'assume', 'upstream']);
    expect(sent[0]!.url).toBe('https://dynamodb.internal.example/');
    expect(sent[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAXXXXXXXXXXXXXXXX\//);
    expect(JSON.stringify(sent[0]!.headers)).not.toContain(req.headers['x-amz-security-token']![0]);
    expect(records['req-aws']).toMatchObject({ outcome: 'forwarded', awsService: 'dynamodb', awsAction: 'GetItem', decision: 'allow' });
  });

  it('drops the service\'s body checksum when masking changed the body, so the SDK does not reject the answer', async () => {
    const { deps } = awsHarness({ answer: '{"Item":{"id":{"S":"o-1"},"password":{"S":"hunter2"}}}' });
    const answer = await awsCall(await signedCall(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } })), deps);
    expect((answer.body as Buffer).toString()).not.toContain('hunter2');
    expect(answer.headers['x-amz-crc32']).toBeUndefined();
    expect(answer.headers['content-length']).toBe(String((answer.body as Buffer).length));
  });

  it.each<[string, AwsHarnessOptions, number, string, RegExp]>([
    ['the intent record cannot be written', { failIntent: true }, 503, 'ServiceUnavailable', /could not write the audit record/],
    ['the grants cannot be read', { failGrants: true }, 503, 'ServiceUnavailable', /could not read grants/],
    ['the agent has no grant', { noGrant: true }, 403, 'AccessDeniedException', /No grant lets bot \(ci\) call AWS through "prod-aws"/],
    ['the credential key cannot be read', { failKey: true }, 503, 'ServiceUnavailable', /could not read its credential key/],
  ])('does not forward the call when %s, and answers in the SDK\'s error shape', async (_label, options, status, code, message) => {
    // Arrange
    const { deps, events } = awsHarness(options);
    // Act
    const answer = await awsCall(await signedCall(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } })), deps);
    // Assert
    expect(answer.status).toBe(status);
    expect(json(answer.body as Buffer)).toMatchObject({ __type: code, message: expect.stringMatching(message) });
    expect(events).not.toContain('upstream');
    expect(events).not.toContain('assume');
  });

  it('answers a call policy sends to a person with AccessDenied when approvals are not configured, and never runs it', async () => {
    const { deps, events, records } = awsHarness();
    const answer = await awsCall(await signedCall(new DeleteTableCommand({ TableName: 'orders' })), deps);
    expect(answer.status).toBe(403);
    expect(json(answer.body as Buffer)).toMatchObject({ __type: 'AccessDeniedException', message: expect.stringMatching(/approv/i) });
    expect(events).not.toContain('upstream');
    expect(records['req-aws']).toMatchObject({ decision: 'approve', ruleId: 'aws-baseline/approve-delete-tables' });
  });

  it('records a call the service could not be reached for as failed, and tells the SDK to retry', async () => {
    const { deps, records } = awsHarness({ unreachable: true });
    const answer = await awsCall(await signedCall(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } })), deps);
    expect(answer.status).toBe(503);
    expect(json(answer.body as Buffer)).toMatchObject({ __type: 'ServiceUnavailable' });
    expect(records['req-aws']).toMatchObject({ outcome: 'failed' });
  });

  it('answers a call for a connection that does not exist without verifying or recording anything', async () => {
    const { deps, events } = awsHarness();
    const answer = await awsCall({ ...(await signedCall(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } }))), connection: 'nope' }, deps);
    expect(answer.status).toBe(400);
    expect(json(answer.body as Buffer).message).toMatch(/AWS connection "nope" does not exist/);
    expect(events).toEqual([]);
  });
});

import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { grantFromSpec, grantToItem } from '../../lambdas/core/grant';
import { signJwt } from '../../local/sign-jwt';
import { demoToken, documents, kubeconfigFor, kubectl, localGatehouse, rawRequest, upstreamCount } from './support/local-gatehouse';

jest.setTimeout(60_000);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function expectStatus(response: { status: number; body: string }, code: number, message: RegExp): Promise<void> {
  expect(response.status).toBe(code);
  const status = JSON.parse(response.body) as { kind: string; code: number; message: string };
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  expect(status.message).toMatch(message);
}

describe('identity', () => {
  const now = Math.floor(Date.now() / 1000);
  const gh = () => localGatehouse();
  const demoKey = () => createPrivateKey(fs.readFileSync(path.join(gh().stateDir, 'demo-issuer-key.pem')));
  const publicPem = () => demoKey().export({ type: 'pkcs1', format: 'pem' }).toString();
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  it.each([
    ['no token', () => ({}), /No bearer token/],
    ['a malformed token', () => bearer('not-a-jwt'), /not trusted|not a well-formed JWT/],
    ['an expired token', () => bearer(demoToken({ exp: now - 600, iat: now - 1200, nbf: now - 1200 })), /expired/],
    ['a token not valid yet', () => bearer(demoToken({ nbf: now + 600 })), /not valid yet/],
    ['a token from an unknown issuer', () => bearer(signJwt({ iss: 'https://evil.example', aud: 'gatehouse', sub: 'demo-agent', exp: now + 600 }, { alg: 'RS256', key: otherKey, kid: 'x' })), /not trusted/],
    ['a token for another audience', () => bearer(demoToken({ aud: 'someone-else' })), /audience/],
    ['an unsigned token (alg none)', () => bearer(signJwt({ iss: gh().issuer, aud: 'gatehouse', sub: 'demo-agent', exp: now + 600 }, { alg: 'none' })), /algorithm|could not be verified|well-formed/],
    ['an HS256 token signed with the issuer public key', () => bearer(signJwt({ iss: gh().issuer, aud: 'gatehouse', sub: 'demo-agent', exp: now + 600 }, { alg: 'HS256', secret: publicPem(), kid: 'gatehouse-demo-1' })), /algorithm|could not be verified/],
    ['a token signed by a key the issuer does not publish', () => bearer(signJwt({ iss: gh().issuer, aud: 'gatehouse', sub: 'demo-agent', exp: now + 600 }, { alg: 'RS256', key: otherKey, kid: 'gatehouse-demo-1' })), /signature does not verify|key its issuer does not publish/],
  ])('answers %s with a 401 Status and forwards nothing', async (_name, headers, message) => {
    const before = await upstreamCount();
    const response = await rawRequest('/k8s/demo/api/v1/pods', { headers: headers() });
    await expectStatus(response, 401, message);
    expect(await upstreamCount()).toBe(before);
  });

  it('makes kubectl print the 401 as a login error', async () => {
    const result = await kubectl(kubeconfigFor(demoToken({ aud: 'wrong' })), ['get', 'pods']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/You must be logged in to the server/);
  });
});

/** Retries until `check` passes: new grants take effect within the proxy's 5-second grant cache. */
async function eventually(check: () => Promise<void>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 400));
    }
  }
}

describe('grants', () => {
  const putGrant = async (spec: Parameters<typeof grantFromSpec>[0]) => {
    const item = grantToItem(grantFromSpec(spec, { createdAt: new Date().toISOString(), createdBy: 'e2e', source: 'cli', grantId: `e2e-${Math.random().toString(36).slice(2)}` }));
    await documents().send(new PutCommand({ TableName: 'gatehouse-grants', Item: item }));
    return item;
  };

  it('refuses an agent without a grant with a 403 naming the agent and the connection, and records it', async () => {
    const before = await upstreamCount();
    const response = await rawRequest('/k8s/demo/api/v1/pods', { headers: bearer(demoToken({ sub: 'stranger-agent', run_id: 'stranger-run' })) });
    await expectStatus(response, 403, /Agent "stranger-agent" \(issuer demo\) has no grant on connection "demo"/);
    expect(await upstreamCount()).toBe(before);
    const records = await documents().send(new QueryCommand({
      TableName: 'gatehouse-records', IndexName: 'by-agent', KeyConditionExpression: 'agentKey = :a', ExpressionAttributeValues: { ':a': 'agent#demo#stranger-agent' },
    }));
    expect(records.Items?.[0]).toMatchObject({ outcome: 'denied', status: 403, connection: 'demo', verb: 'list', resource: 'pods' });
  });

  it('stops honouring a grant when it expires', async () => {
    await putGrant({ connection: 'demo', agent: 'expiring-agent', expiresAt: new Date(Date.now() + 7_000).toISOString() });
    const token = demoToken({ sub: 'expiring-agent' });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) })).status).toBe(200));
    await new Promise((r) => setTimeout(r, 7_500));
    // DynamoDB's TTL may already have removed the item, so "no grant" is as right as "expired".
    await expectStatus(await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) }), 403, /has expired|has no grant/);
  });

  it('admits an agent through a group grant', async () => {
    const response = await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(demoToken({ sub: 'ops-bot', groups: ['gatehouse-demo-ops'] })) });
    expect(response.status).toBe(200);
  });

  it('limits a namespaced grant to its namespaces', async () => {
    await putGrant({ connection: 'demo', agent: 'staging-bot', namespaces: ['staging'] });
    const token = demoToken({ sub: 'staging-bot' });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces/staging/pods', { headers: bearer(token) })).status).toBe(200));
    await expectStatus(await rawRequest('/k8s/demo/api/v1/namespaces/prod/pods', { headers: bearer(token) }), 403, /does not cover namespace "prod"/);
  });

  it('stops honouring a revoked grant within seconds, without a restart', async () => {
    const item = await putGrant({ connection: 'demo', agent: 'revoked-agent' });
    const token = demoToken({ sub: 'revoked-agent' });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) })).status).toBe(200));
    await documents().send(new DeleteCommand({ TableName: 'gatehouse-grants', Key: { pk: item.pk, sk: item.sk } }));
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      status = (await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) })).status;
    }
    expect(status).toBe(403);
  });
});

describe('unsafe requests', () => {
  it.each([
    ['a .. segment', '/k8s/demo/api/v1/namespaces/../secrets', 400],
    ['an encoded dot segment', '/k8s/demo/api/v1/namespaces/%2e%2e/secrets', 400],
    ['an encoded slash', '/k8s/demo/api/v1/namespaces/prod%2Fsecrets', 400],
    ['an absolute URL as the request target', 'https://evil.example/k8s/demo/api/v1/pods', 403],
  ])('refuses %s and forwards nothing', async (_name, target, code) => {
    const before = await upstreamCount();
    const response = await rawRequest(target, { headers: bearer(demoToken()) });
    expect(response.status).toBe(code);
    expect(await upstreamCount()).toBe(before);
  });

  it.each([
    ['Impersonate-User', { 'impersonate-user': 'system:admin' }],
    ['Impersonate-Group', { 'impersonate-group': ['system:masters', 'other'] }],
  ])('refuses a client-supplied %s header with 403', async (_name, headers) => {
    const before = await upstreamCount();
    await expectStatus(await rawRequest('/k8s/demo/api/v1/pods', { headers: { ...bearer(demoToken()), ...headers } }), 403, /impersonation/);
    expect(await upstreamCount()).toBe(before);
  });

  it('makes kubectl --as fail as forbidden without reaching the cluster', async () => {
    const before = await upstreamCount();
    const result = await kubectl(kubeconfigFor(demoToken()), ['get', 'pods', '--as', 'system:admin']);
    expect(result.code).not.toBe(0);
    // kubectl's discovery client drops the Status message of a 403 on /api; the raw test above checks it.
    expect(result.stderr).toMatch(/Error from server \(Forbidden\)/);
    expect(await upstreamCount()).toBe(before);
  });

  it('answers a connection that does not exist with a 404 Status', async () => {
    await expectStatus(await rawRequest('/k8s/nope/api/v1/pods', { headers: bearer(demoToken()) }), 404, /Connection "nope" does not exist/);
  });

  it('refuses a body over the limit with 413', async () => {
    const before = await upstreamCount();
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'y'.repeat(300_000) } });
    const response = await rawRequest('/k8s/demo/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { ...bearer(demoToken()), 'content-type': 'application/json' }, body });
    await expectStatus(response, 413, /over Gatehouse's limit/);
    expect(await upstreamCount()).toBe(before);
  });
});

describe('upstream failures', () => {
  it('explains an unreachable cluster with a 503 Status', async () => {
    await expectStatus(await rawRequest('/k8s/unreachable/api/v1/pods', { headers: bearer(demoToken()) }), 503, /could not be reached/);
  });

  it('explains a cluster that does not answer in time with a 504 Status', async () => {
    await expectStatus(await rawRequest('/k8s/misbehaving/api/v1/namespaces/x/slow', { headers: bearer(demoToken()) }), 504, /did not answer within 3 s/);
  });

  it('tells the user to page a response over the Lambda limit', async () => {
    await expectStatus(await rawRequest('/k8s/misbehaving/api/v1/namespaces/x/huge', { headers: bearer(demoToken()) }), 502, /--chunk-size/);
  });
});

import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { grantFromSpec, grantToItem } from '../../lambdas/core/grant';
import { signJwt } from '../../local/sign-jwt';
import { eventually as until } from './support/cli-helpers';
import { demoToken, documents, kubeconfigFor, kubectl, localGatehouse, ownSession, rawRequest, requestIdOf, sessionRecords, sessionUpstreamRequests, unique, upstreamRequestsFor } from './support/local-gatehouse';
import { LOCAL_TABLES } from '../../local/create-tables';

jest.setTimeout(60_000);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts that nothing reached the cluster for the request that got this response (by its request id). */
async function expectNothingForwarded(response: { headers: Record<string, string | string[] | undefined> }): Promise<void> {
  expect(await upstreamRequestsFor([requestIdOf(response)])).toEqual([]);
}

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
    const response = await rawRequest('/k8s/demo/api/v1/pods', { headers: headers() });
    await expectStatus(response, 401, message);
    await expectNothingForwarded(response);
  });

  it('makes kubectl print the 401 as a login error', async () => {
    const result = await kubectl(kubeconfigFor(demoToken({ aud: 'wrong' })), ['get', 'pods']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/You must be logged in to the server/);
  });
});

/** Retries until `check` passes: new grants take effect within the proxy's 5-second grant cache. */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The status `path` answers for `token` once it stops being 200 (polled), or 200 if it never does within `ms`. */
async function statusOnceRefused(path: string, token: string, ms: number): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  let last: Awaited<ReturnType<typeof rawRequest>> | undefined;
  await until(async () => {
    last = await rawRequest(path, { headers: bearer(token) });
    return last.status !== 200;
  }, ms, 250);
  return last!;
}

describe('grants', () => {
  const putGrant = async (spec: Parameters<typeof grantFromSpec>[0]) => {
    const item = grantToItem(grantFromSpec(spec, { createdAt: new Date().toISOString(), createdBy: 'e2e', source: 'cli', grantId: `e2e-${Math.random().toString(36).slice(2)}` }));
    await documents().send(new PutCommand({ TableName: 'gatehouse-grants', Item: item }));
    return item;
  };

  it('refuses an agent without a grant with a 403 naming the agent and the connection, and records it', async () => {
    const agent = `stranger-${unique()}`;
    const response = await rawRequest('/k8s/demo/api/v1/pods', { headers: bearer(demoToken({ sub: agent, run_id: 'stranger-run' })) });
    await expectStatus(response, 403, new RegExp(`Agent "${agent}" \\(issuer demo\\) has no grant on connection "demo"`));
    await expectNothingForwarded(response);
    const records = await documents().send(new QueryCommand({
      TableName: LOCAL_TABLES.records, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': `session#demo#${agent}/stranger-run` },
    }));
    expect(records.Items).toEqual([
      expect.objectContaining({ requestId: requestIdOf(response), outcome: 'denied', status: 403, connection: 'demo', verb: 'list', resource: 'pods' }),
    ]);
  });

  it('stops honouring a grant when it expires', async () => {
    const expiresAt = Date.now() + 10_000;
    const agent = `expiring-${unique()}`;
    await putGrant({ connection: 'demo', agent, expiresAt: new Date(expiresAt).toISOString() });
    const token = demoToken({ sub: agent });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) })).status).toBe(200), expiresAt - Date.now() - 500);
    // Waits for the refusal itself (bounded), not a fixed time.
    const refused = await statusOnceRefused('/k8s/demo/api/v1/namespaces', token, expiresAt - Date.now() + 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    // DynamoDB's TTL may already have removed the item, so "no grant" is as right as "expired".
    await expectStatus(refused, 403, /has expired|has no grant/);
    await expectNothingForwarded(refused);
  });

  it('admits an agent through a group grant', async () => {
    const response = await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(demoToken({ sub: 'ops-bot', groups: ['gatehouse-demo-ops'] })) });
    expect(response.status).toBe(200);
  });

  it('limits a namespaced grant to its namespaces', async () => {
    const agent = `staging-bot-${unique()}`;
    await putGrant({ connection: 'demo', agent, namespaces: ['staging'] });
    const token = demoToken({ sub: agent });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces/staging/pods', { headers: bearer(token) })).status).toBe(200));
    const refused = await rawRequest('/k8s/demo/api/v1/namespaces/prod/pods', { headers: bearer(token) });
    await expectStatus(refused, 403, /does not cover namespace "prod"/);
    await expectNothingForwarded(refused);
  });

  it('stops honouring a revoked grant within seconds, without a restart', async () => {
    const agent = `revoked-${unique()}`;
    const item = await putGrant({ connection: 'demo', agent });
    const token = demoToken({ sub: agent });
    await eventually(async () => expect((await rawRequest('/k8s/demo/api/v1/namespaces', { headers: bearer(token) })).status).toBe(200));
    await documents().send(new DeleteCommand({ TableName: 'gatehouse-grants', Key: { pk: item.pk, sk: item.sk } }));
    const revokedAt = Date.now();
    const refused = await statusOnceRefused('/k8s/demo/api/v1/namespaces', token, 10_000);
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    await expectStatus(refused, 403, new RegExp(`Agent "${agent}" \\(issuer demo\\) has no grant on connection "demo"`));
    await expectNothingForwarded(refused);
  });
});

describe('unsafe requests', () => {
  it.each([
    ['a .. segment', '/k8s/demo/api/v1/namespaces/../secrets', /refused the request path: it contains a "\." or "\.\." segment/],
    ['an encoded dot segment', '/k8s/demo/api/v1/namespaces/%2e%2e/secrets', /refused the request path: it contains a percent-encoded dot \(%2e\)/],
    ['an encoded slash', '/k8s/demo/api/v1/namespaces/prod%2Fsecrets', /refused the request path: it contains a percent-encoded slash \(%2f\)/],
  ])('refuses %s with a 400 Status and forwards nothing', async (_name, target, message) => {
    const response = await rawRequest(target, { headers: bearer(demoToken()) });
    await expectStatus(response, 400, message);
    await expectNothingForwarded(response);
  });

  it('refuses an absolute URL as the request target at the front door, before Gatehouse runs', async () => {
    const response = await rawRequest('https://evil.example/k8s/demo/api/v1/pods', { headers: bearer(demoToken()) });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ message: 'Missing Authentication Token' });
    // No request id: the proxy never saw it, so it cannot have forwarded anything.
    expect(response.headers['x-amzn-requestid']).toBeUndefined();
  });

  it.each([
    ['Impersonate-User', { 'impersonate-user': 'system:admin' }, 'impersonate-user'],
    ['Impersonate-Group', { 'impersonate-group': ['system:masters', 'other'] }, 'impersonate-group'],
  ])('refuses a client-supplied %s header with 403', async (_name, headers, named) => {
    const response = await rawRequest('/k8s/demo/api/v1/pods', { headers: { ...bearer(demoToken()), ...headers } });
    await expectStatus(response, 403, new RegExp(`does not accept client impersonation headers \\(${named}\\)`));
    await expectNothingForwarded(response);
  });

  it('makes kubectl --as fail as forbidden without reaching the cluster', async () => {
    const own = ownSession('refusals-as');
    const result = await kubectl(own.kubeconfig(), ['get', 'pods', '--as', 'system:admin']);
    expect(result.code).not.toBe(0);
    // kubectl's discovery client drops the Status message of a 403 on /api (when discovery is not cached yet);
    // the records hold it for every request kubectl made.
    expect(result.stderr).toMatch(/Error from server \(Forbidden\)/);
    const records = await sessionRecords(own.session);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record).toMatchObject({ outcome: 'denied', status: 403, errorMessage: expect.stringMatching(/does not accept client impersonation headers \(impersonate-user\)/) });
    }
    expect(await sessionUpstreamRequests(own.session)).toEqual([]);
  });

  it('answers a connection that does not exist with a 404 Status', async () => {
    await expectStatus(await rawRequest('/k8s/nope/api/v1/pods', { headers: bearer(demoToken()) }), 404, /Connection "nope" does not exist/);
  });

  it('refuses a body over the limit with 413', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'y'.repeat(300_000) } });
    const response = await rawRequest('/k8s/demo/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { ...bearer(demoToken()), 'content-type': 'application/json' }, body });
    await expectStatus(response, 413, /over Gatehouse's limit/);
    await expectNothingForwarded(response);
  });
});

describe('upstream failures', () => {
  it('explains an unreachable cluster with a 503 Status', async () => {
    await expectStatus(await rawRequest('/k8s/unreachable/api/v1/pods', { headers: bearer(demoToken()) }), 503, /could not be reached/);
  });

  it('explains a cluster that does not answer in time with a 504 Status', async () => {
    await expectStatus(await rawRequest('/k8s/misbehaving/api/v1/namespaces/x/slow', { headers: bearer(demoToken()) }), 504, /did not answer within 3 s/);
  });

  it('tells the user to page a response over limits.maxResponseBytes (16 MiB here)', async () => {
    await expectStatus(await rawRequest('/k8s/misbehaving/api/v1/namespaces/x/huge', { headers: bearer(demoToken()) }), 502, /larger than .*Page the list with --chunk-size=100/s);
  });
});

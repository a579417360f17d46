import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import https from 'node:https';
import fs from 'node:fs';
import { grantFromSpec, grantToItem } from '../../../lambdas/core/grant';
import { demoToken, documents, localGatehouse, type Instance } from './local-gatehouse';

/** Polls `probe` until it answers something, up to `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Gives `agent` a grant of its own on connection `demo`, written to the grants table as the operator CLI writes
 * it, and waits until `front` (the API Gateway front's handler or the session front, each with its own 5 s grant
 * cache) lets the agent in. `revoke` deletes it.
 */
export async function addGrant(agent: string, options: { readonly instance?: Instance; readonly front?: 'gateway' | 'session' } = {}): Promise<{ revoke(): Promise<void> }> {
  const instance = options.instance ?? 'main';
  const item = grantToItem(grantFromSpec({ connection: 'demo', agent, issuer: 'demo' }, { grantId: `g-${agent}`, createdAt: new Date().toISOString(), createdBy: 'e2e', source: 'cli' }));
  await documents(instance).send(new PutCommand({ TableName: 'gatehouse-grants', Item: item }));
  const gh = localGatehouse(instance);
  const base = options.front === 'session' ? gh.sessionFrontUrl : gh.gatewayUrl;
  const token = demoToken({ sub: agent, run_id: 'probe' }, 600, instance);
  await eventually(async () => ((await status(`${base}/k8s/demo/api/v1/namespaces/staging/pods`, token, fs.readFileSync(gh.caFile, 'utf8'))) === 200 ? true : undefined), 15_000);
  return { revoke: async () => { await documents(instance).send(new DeleteCommand({ TableName: 'gatehouse-grants', Key: { pk: item.pk, sk: item.sk } })); } };
}

function status(url: string, token: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); }).on('error', reject);
  });
}

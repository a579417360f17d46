import { execFile } from 'node:child_process';
import path from 'node:path';
import { demoToken, kubeconfigFor, kubectl, ownSession, sessionRecords } from './support/local-gatehouse';

jest.setTimeout(60_000);

function probe(kubeconfig: string, namespace = 'staging'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'support/client-node-probe.mjs'), kubeconfig, namespace], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

describe('@kubernetes/client-node through Gatehouse', () => {
  it('lists, creates, reads and deletes like against a cluster', async () => {
    // Pods in staging: no other test adds or removes any there (prod's api pods go when an approval test deletes the Deployment).
    const own = ownSession('client-node');
    const result = await probe(own.kubeconfig());
    expect(result.error).toBeUndefined();
    const seenByKubectl = (await kubectl(own.kubeconfig(), ['get', 'pods', '-n', 'staging', '-o', 'name'])).stdout.trim().split('\n').map((n) => n.replace('pod/', ''));
    expect(seenByKubectl.length).toBeGreaterThan(0);
    expect([...(result.pods as string[])].sort()).toEqual(seenByKubectl.sort());
    expect(result.configMap).toEqual({ from: 'client-node' });
    expect(result.deleted).toBe(true);
    // Through Gatehouse, recorded in the session like kubectl's requests.
    const records = await sessionRecords(own.session);
    expect(records.filter((r) => !String(r.userAgent ?? '').startsWith('kubectl/')).map((r) => `${r.verb} ${r.resource}`)).toEqual([
      'list pods', 'create configmaps', 'get configmaps', 'delete configmaps',
    ]);
  });

  it('gets a 401 Status for an untrusted token', async () => {
    const result = await probe(kubeconfigFor(demoToken({ aud: 'not-gatehouse' })));
    // client-node 1.x does not surface a 401 body; the Status message itself is checked in refusals.test.ts.
    expect(result.error).toMatchObject({ code: 401 });
    expect(result.pods).toBeUndefined();
  });
});

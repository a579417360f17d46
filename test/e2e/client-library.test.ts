import { execFile } from 'node:child_process';
import path from 'node:path';
import { demoToken, kubeconfigFor, kubectl } from './support/local-gatehouse';

jest.setTimeout(60_000);

function probe(kubeconfig: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'support/client-node-probe.mjs'), kubeconfig], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

describe('@kubernetes/client-node through Gatehouse', () => {
  it('lists, creates, reads and deletes like against a cluster', async () => {
    const kubeconfig = kubeconfigFor(demoToken({ run_id: 'client-node' }));
    const result = await probe(kubeconfig);
    expect(result.error).toBeUndefined();
    const seenByKubectl = (await kubectl(kubeconfig, ['get', 'pods', '-n', 'prod', '-o', 'name'])).stdout.trim().split('\n').map((n) => n.replace('pod/', ''));
    expect(seenByKubectl.length).toBeGreaterThan(0);
    expect([...(result.pods as string[])].sort()).toEqual(seenByKubectl.sort());
    expect(result.configMap).toEqual({ from: 'client-node' });
    expect(result.deleted).toBe(true);
  });

  it('gets a 401 Status for an untrusted token', async () => {
    const result = await probe(kubeconfigFor(demoToken({ aud: 'not-gatehouse' })));
    // client-node 1.x does not surface a 401 body; the Status message itself is checked in refusals.test.ts.
    expect(result.error).toMatchObject({ code: 401 });
    expect(result.pods).toBeUndefined();
  });
});

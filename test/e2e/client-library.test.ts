import { execFile, spawn } from 'node:child_process';
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

  it('keeps an informer in sync while objects change, through list and watch', async () => {
    // Arrange: an informer on ConfigMaps in a namespace of this test's own.
    const own = ownSession('client-node-informer');
    const ns = `informer-${Date.now().toString(36)}`;
    expect((await kubectl(own.kubeconfig(), ['create', 'namespace', ns])).code).toBe(0);
    expect((await kubectl(own.kubeconfig(), ['create', 'configmap', 'before', '-n', ns, '--from-literal=a=1'])).code).toBe(0);
    const informer = spawn(process.execPath, [path.join(__dirname, 'support/client-node-informer.mjs'), own.kubeconfig(), ns]);
    const lines: Array<Record<string, any>> = [];
    const waiters: Array<() => void> = [];
    let buffer = '';
    informer.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const complete = buffer.split('\n');
      buffer = complete.pop()!;
      for (const line of complete) if (line) lines.push(JSON.parse(line));
      waiters.forEach((w) => w());
    });
    const seen = (match: (l: Record<string, any>) => boolean) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`informer did not report it; it printed:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)), 30_000);
      const check = () => { if (lines.some(match)) { clearTimeout(timer); resolve(); } };
      waiters.push(check);
      check();
    });
    try {
      await seen((l) => l.event === 'ready');
      // Act: change objects while it watches.
      expect((await kubectl(own.kubeconfig(), ['create', 'configmap', 'during', '-n', ns, '--from-literal=a=1'])).code).toBe(0);
      await seen((l) => l.event === 'add' && l.name === 'during');
      expect((await kubectl(own.kubeconfig(), ['patch', 'configmap', 'during', '-n', ns, '--type=merge', '-p', '{"data":{"a":"2"}}'])).code).toBe(0);
      await seen((l) => l.event === 'update' && l.name === 'during' && l.data?.a === '2');
      expect((await kubectl(own.kubeconfig(), ['delete', 'configmap', 'during', '-n', ns])).code).toBe(0);
      await seen((l) => l.event === 'delete' && l.name === 'during');
      // Assert
      expect(lines.filter((l) => l.name === 'before' || l.name === 'during').map((l) => `${l.event} ${l.name}`)).toEqual(['add before', 'add during', 'update during', 'delete during']);
      expect(lines.filter((l) => l.event === 'error')).toEqual([]);
      const records = await sessionRecords(own.session);
      expect(records.some((r) => r.verb === 'watch' && r.resource === 'configmaps' && r.namespace === ns)).toBe(true);
    } finally {
      informer.kill('SIGTERM');
    }
  });

  it('gets a 401 Status for an untrusted token', async () => {
    const result = await probe(kubeconfigFor(demoToken({ aud: 'not-gatehouse' })));
    // client-node 1.x does not surface a 401 body; the Status message itself is checked in refusals.test.ts.
    expect(result.error).toMatchObject({ code: 401 });
    expect(result.pods).toBeUndefined();
  });
});

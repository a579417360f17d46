import { Readable } from 'node:stream';
import { UpstreamIdleError } from '../../../lambdas/core/errors';
import { streamRequest } from '../../../lambdas/proxy/stream-request';
import type { RequestGuard } from '../../../lambdas/proxy/request-guard';
import { GUARD, harness, request } from './support/proxy-harness';
import type { RecordKey } from '../../../lambdas/core/session-record';

async function drain(body: Buffer | Readable): Promise<string> {
  if (Buffer.isBuffer(body)) return body.toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

const SECRET_EVENT = `${JSON.stringify({ type: 'ADDED', object: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db', namespace: 'app' }, data: { password: Buffer.from('hunter2').toString('base64') } } })}\n`;
const watchSecrets = () => request({ requestId: 'req-w', clusterPath: '/api/v1/namespaces/app/secrets', rawQuery: 'watch=true' });

/** The real guard, with every decision letting the client read Secrets in clear (a rule's unmaskSecrets). */
const UNMASKING: RequestGuard = {
  ...GUARD,
  inspect: (input) => {
    const inspection = GUARD.inspect(input);
    return { ...inspection, decide: (facts) => ({ ...inspection.decide(facts), unmaskSecrets: true }) };
  },
};

describe('a streamed watch, recorded', () => {
  it('completes its record once, with what the stream was and where its recording is', async () => {
    // Arrange
    const h = harness({ streamChunks: [SECRET_EVENT, SECRET_EVENT] });
    // Act
    const response = await streamRequest(watchSecrets(), h.deps);
    await drain(response.body);
    await response.afterResponse?.();
    // Assert
    expect(h.events.filter((e) => e === 'complete').length).toBe(2); // one part noted, then the completion
    expect(h.records['req-w']).toMatchObject({
      phase: 'complete', outcome: 'forwarded', streamUnits: 2, streamEndedBy: 'cluster', streamParts: 1, streamLastPartSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const blob = JSON.parse(Object.entries(h.blobs).find(([key]) => key.endsWith('req-w.json'))![1]);
    expect(blob.response).toMatchObject({ status: 200, stream: { parts: 1, units: 2, endedBy: 'cluster' } });
    expect(blob.response.body).toBeUndefined();
  });

  it('records Secrets masked even when policy lets the client read them in clear', async () => {
    // Arrange
    const h = harness({ streamChunks: [SECRET_EVENT] });
    // Act
    const response = await streamRequest(watchSecrets(), { ...h.deps, guard: UNMASKING });
    const seen = await drain(response.body);
    await response.afterResponse?.();
    // Assert
    expect(seen).toContain(Buffer.from('hunter2').toString('base64'));
    const part = Object.entries(h.blobs).find(([key]) => key.includes('/req-w/part-000001'))![1];
    expect(part).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(part).toContain('KioqTUFTS0VEKioq');
    expect(h.records['req-w']).toMatchObject({ unmasked: true });
  });

  it('ends a watch the cluster went silent on with an ERROR event, and records it ended idle', async () => {
    // Arrange: the cluster sends one event, then the upstream client reports it idle.
    const h = harness();
    const upstream = {
      ...h.deps.upstream,
      open: async () => ({
        status: 200, headers: { 'content-type': 'application/json' }, latencyMs: 1, abort: () => undefined,
        body: (async function* () {
          yield Buffer.from(SECRET_EVENT);
          throw new UpstreamIdleError('The cluster of connection "prod" sent nothing for 240 s, so Gatehouse closed the stream; run the command again.');
        })(),
      }),
    };
    // Act
    const response = await streamRequest(watchSecrets(), { ...h.deps, upstream });
    const text = await drain(response.body);
    await response.afterResponse?.();
    // Assert
    const events = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(events[1].object).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout', message: expect.stringMatching(/sent nothing for 240 s/) });
    expect(h.records['req-w']).toMatchObject({ streamEndedBy: 'idle', streamUnits: 1 });
  });

});

describe('the one durable write on the critical path', () => {
  const listPods = () => request({ requestId: 'req-l', clusterPath: '/api/v1/namespaces/app/pods' });

  it('answers with the intent record written and completes the record and the replay blob only after the response', async () => {
    // Arrange
    const h = harness({ upstreamBody: '{"kind":"PodList","apiVersion":"v1","items":[]}' });
    // Act
    const response = await streamRequest(listPods(), h.deps);
    const beforeCompletion = { ...h.records['req-l'] };
    const eventsBefore = [...h.events];
    await response.afterResponse!();
    // Assert
    expect(response.status).toBe(200);
    expect(eventsBefore).toEqual(['intent', 'assume', 'upstream']);
    expect(beforeCompletion).toMatchObject({ phase: 'intent' });
    expect(h.records['req-l']).toMatchObject({ phase: 'complete', outcome: 'forwarded', status: 200 });
    expect(Object.keys(h.blobs).some((key) => key.endsWith('req-l.json'))).toBe(true);
  });

  it('leaves the record visibly incomplete, and still finishes, when the completion cannot be written after the answer', async () => {
    // Arrange
    const h = harness({ failComplete: true, upstreamBody: '{"kind":"PodList","apiVersion":"v1","items":[]}' });
    // Act
    const response = await streamRequest(listPods(), h.deps);
    await expect(response.afterResponse!()).resolves.toBeUndefined();
    // Assert
    expect(response.status).toBe(200);
    expect(h.records['req-l']).toMatchObject({ phase: 'intent' });
  });

  it('ends a watch for the client before its record is completed', async () => {
    // Arrange
    // Arrange: record writes that take as long as the test wants.
    const h = harness({ streamChunks: [SECRET_EVENT] });
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => { release = resolve; });
    const records = { ...h.deps.records, complete: async (key: RecordKey, attributes: Record<string, unknown>) => { await slow; await h.deps.records.complete(key, attributes); } };
    // Act
    const response = await streamRequest(watchSecrets(), { ...h.deps, records });
    await drain(response.body);
    const phaseAtEnd = h.records['req-w']!.phase;
    release();
    await response.afterResponse!();
    // Assert
    expect(phaseAtEnd).toBe('intent');
    expect(h.records['req-w']).toMatchObject({ phase: 'complete', streamEndedBy: 'cluster' });
  });
});

import { Readable } from 'node:stream';
import { UpstreamIdleError } from '../../../lambdas/core/errors';
import { streamRequest } from '../../../lambdas/proxy/stream-request';
import type { RequestGuard } from '../../../lambdas/proxy/request-guard';
import { GUARD, harness, request } from './support/proxy-harness';

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
    await drain((await streamRequest(watchSecrets(), h.deps)).body);
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
    const seen = await drain((await streamRequest(watchSecrets(), { ...h.deps, guard: UNMASKING })).body);
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
    const text = await drain((await streamRequest(watchSecrets(), { ...h.deps, upstream })).body);
    // Assert
    const events = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(events[1].object).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout', message: expect.stringMatching(/sent nothing for 240 s/) });
    expect(h.records['req-w']).toMatchObject({ streamEndedBy: 'idle', streamUnits: 1 });
  });
});

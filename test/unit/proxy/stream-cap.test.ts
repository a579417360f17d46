import { Readable } from 'node:stream';
import type { StreamLeases } from '../../../lambdas/core/ports';
import { streamRequest } from '../../../lambdas/proxy/stream-request';
import { harness, request, statusOf } from './support/proxy-harness';

/** Leases kept in memory, as the DynamoDB adapter keeps them (its own tests run on DynamoDB Local). */
function memoryLeases(options: { fail?: boolean } = {}) {
  const held = new Map<string, Set<string>>();
  const calls: string[] = [];
  const leases: StreamLeases = {
    async acquire(key, leaseId, _expiresAt, cap) {
      calls.push(`acquire ${key} ${leaseId}`);
      if (options.fail) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      const mine = held.get(key) ?? new Set<string>();
      held.set(key, mine);
      if (mine.size >= cap) return { acquired: false, live: mine.size };
      mine.add(leaseId);
      return { acquired: true, live: mine.size - 1 };
    },
    async release(key, leaseId) {
      calls.push(`release ${key} ${leaseId}`);
      held.get(key)?.delete(leaseId);
    },
  };
  return { leases, held, calls };
}

const watch = (requestId: string) => request({ requestId, clusterPath: '/api/v1/namespaces/app/pods', rawQuery: 'watch=true' });

async function drain(body: Buffer | Readable): Promise<string> {
  if (Buffer.isBuffer(body)) return body.toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('the cap on an agent\'s open streams', () => {
  it('refuses one watch over the cap with a 429 that says what to do, and opens nothing upstream', async () => {
    // Arrange: the agent already holds its limit of two watches.
    const { leases, held } = memoryLeases();
    held.set('ci:bot', new Set(['w1', 'w2']));
    const h = harness({ streamLeases: leases });
    const deps = { ...h.deps, streamLimits: { ...h.deps.streamLimits!, maxStreamsPerAgent: 2 } };
    // Act
    const status = await statusOf(streamRequest(watch('req-3'), deps));
    // Assert
    expect(status).toMatchObject({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 5 } });
    expect(status.message).toMatch(/Agent "bot" already has 2 open streams \(watches and log follows\), the most this Gatehouse allows one agent \(limits.maxStreamsPerAgent\); stop one of them/);
    expect(h.forwarded).toEqual([]);
    expect(h.events).not.toContain('intent');
    expect(h.records['req-3']).toMatchObject({ phase: 'complete', outcome: 'rejected', status: 429, verb: 'watch' });
  });

  it('gives the place back when the watch ends, so the next one opens', async () => {
    // Arrange
    const { leases, held } = memoryLeases();
    const h = harness({ streamLeases: leases, streamChunks: ['{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"web"}}}\n'] });
    const deps = { ...h.deps, streamLimits: { ...h.deps.streamLimits!, maxStreamsPerAgent: 1 } };
    // Act
    const first = await streamRequest(watch('req-1'), deps);
    const whileOpen = await statusOf(streamRequest(watch('req-2'), deps));
    const events = await drain(first.body);
    const second = await streamRequest(watch('req-3'), deps);
    // Assert
    expect(whileOpen.code).toBe(429);
    expect(events).toContain('"ADDED"');
    expect(second.status).toBe(200);
    expect([...held.get('ci:bot')!]).toEqual(['req-3']);
  });

  it('gives the place back when the client goes away before reading', async () => {
    const { leases, held } = memoryLeases();
    const h = harness({ streamLeases: leases, streamChunks: [] });
    const response = await streamRequest(watch('req-1'), h.deps);
    (response.body as Readable).destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.get('ci:bot')!.size).toBe(0);
  });

  it('fails closed with a 503 when the open streams cannot be counted', async () => {
    const { leases } = memoryLeases({ fail: true });
    const h = harness({ streamLeases: leases });
    const status = await statusOf(streamRequest(watch('req-1'), h.deps));
    expect(status).toMatchObject({ code: 503, details: { retryAfterSeconds: 2 } });
    expect(status.message).toMatch(/could not count your open streams/);
    expect(h.forwarded).toEqual([]);
  });

  it.each([
    ['a get', request({ clusterPath: '/api/v1/namespaces/app/pods/web' })],
    ['a list', request({ clusterPath: '/api/v1/namespaces/app/pods' })],
    ['logs without follow', request({ clusterPath: '/api/v1/namespaces/app/pods/web/log' })],
  ])('does not count %s, which is not an open stream', async (_case, req) => {
    const { leases, calls } = memoryLeases();
    const h = harness({ streamLeases: leases });
    await streamRequest(req, h.deps);
    expect(calls).toEqual([]);
  });

  it('counts a log follow like a watch', async () => {
    const { leases, calls } = memoryLeases();
    const h = harness({ streamLeases: leases, streamChunks: ['line 1\n'] });
    const response = await streamRequest(request({ requestId: 'req-9', clusterPath: '/api/v1/namespaces/app/pods/web/log', rawQuery: 'follow=true' }), h.deps);
    await drain(response.body);
    expect(calls).toEqual(['acquire ci:bot req-9', 'release ci:bot req-9']);
  });
});

import type { ProxyRequest } from '../../../lambdas/core/api-gateway-event';
import type { ApprovalStore } from '../../../lambdas/core/approvals/approval-ports';
import { createApprovalGate } from '../../../lambdas/approvals/create-approval-gate';
import { proxyRequest, type ProxyDependencies } from '../../../lambdas/proxy/proxy-request';
import { streamRequest } from '../../../lambdas/proxy/stream-request';
import type { ApprovalGate, ApprovalState } from '../../../lambdas/core/approval';
import { SETTINGS } from '../approvals/support/fixtures';
import { harness, request, statusOf } from './support/proxy-harness';

/**
 * Promises the proxy makes at its edges, over in-memory ports and the real request guard: what the agent
 * gets (status, Status message), what reached the cluster, and what the record says.
 */

/** `kubectl run web --image=nginx` as client-go sends it with protobuf: the `k8s\0` envelope, then the Pod. */
const PROTOBUF_POD = Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), Buffer.from('\n\x0b\n\x02v1\x12\x03Pod\x12\x20\n\x03web\x12\x03app', 'binary')]);

describe('the proxy at its edges', () => {
  describe('a body a rule cannot read', () => {
    it.each([['buffered', proxyRequest], ['streamed', streamRequest]] as const)('refuses a protobuf pod create with 415 (%s), tells the agent to use kubectl apply -f, and forwards nothing', async (_transport, send) => {
      // Arrange
      const h = harness();
      const createPod = request({
        method: 'POST', headers: { authorization: ['Bearer agent-jwt'], 'content-type': ['application/vnd.kubernetes.protobuf'] }, body: PROTOBUF_POD,
      });
      // Act
      const status = await statusOf(send(createPod, h.deps));
      // Assert
      expect(status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
      expect(status.message).toMatch(/cannot read this request's body \(application\/vnd\.kubernetes\.protobuf\) and policy rule "baseline\/[a-z-]+" must inspect it/);
      expect(status.message).toMatch(/kubectl apply -f/);
      expect(h.forwarded).toEqual([]);
      expect(h.events).not.toContain('assume');
      expect(h.records['req-1']).toMatchObject({ phase: 'complete', outcome: 'denied', status: 415, errorReason: 'UnsupportedMediaType', verb: 'create', resource: 'pods' });
    });

    it('opens a watch that carries a body no rule can read: body rules never apply to watches, and the cluster ignores GET bodies', async () => {
      // Arrange
      const h = harness({ streamChunks: ['{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"web"}}}\n'] });
      const watchWithBody = request({ rawQuery: 'watch=1', headers: { authorization: ['Bearer agent-jwt'], 'content-type': ['application/vnd.kubernetes.protobuf'] }, body: PROTOBUF_POD });
      // Act
      const response = await streamRequest(watchWithBody, h.deps);
      // Assert
      expect(response.status).toBe(200);
      expect(h.events).toContain('open');
      expect(h.records['req-1']).toMatchObject({ verb: 'watch', decision: 'allow' });
    });

    it('forwards the same pod sent as JSON', async () => {
      // Arrange: the control: the refusal above is about the encoding, not the pod.
      const h = harness();
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'app' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
      // Act
      const response = await proxyRequest(request({
        method: 'POST', headers: { authorization: ['Bearer agent-jwt'], 'content-type': ['application/json'] }, body: Buffer.from(JSON.stringify(pod)),
      }), h.deps);
      // Assert
      expect(response.status).toBe(200);
      expect(h.forwarded).toHaveLength(1);
      expect(JSON.parse(h.forwarded[0]!.request.body!.toString())).toEqual(pod);
    });
  });

  describe('approvals', () => {
    const deleteInPayments = () => request({ method: 'DELETE', clusterPath: '/apis/apps/v1/namespaces/payments/deployments/ledger' });

    it('refuses with a Status saying approvals are not configured when policy asks for a person and there are none, and forwards nothing', async () => {
      // Arrange
      const h = harness({ approvals: undefined });
      // Act
      const status = await statusOf(proxyRequest(deleteInPayments(), h.deps));
      // Assert
      expect(status.code).toBe(403);
      expect(status.message).toMatch(/policy rule "payments-deletes" requires a person to approve this request/);
      expect(status.message).toMatch(/no approvals are configured on this Gatehouse; ask an operator to configure approvals, or to change the rule/);
      expect(h.forwarded).toEqual([]);
      expect(h.events).not.toContain('intent');
      expect(h.records['req-1']).toMatchObject({ outcome: 'denied', decision: 'approve', ruleId: 'payments-deletes', status: 403 });
    });

    it('answers 503 and forwards nothing when the approval store cannot be read', async () => {
      // Arrange: the real gate over an approvals table that fails every read.
      const down = () => Promise.reject(Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' }));
      const store = { linksFor: down, windowsFor: down, create: down, get: down, consumeOneTime: down, recordDecision: down } as unknown as ApprovalStore;
      const starter = { start: jest.fn(async () => ({ executionArn: 'arn:aws:states:::execution:x' })) };
      const gate = createApprovalGate({ store, starter, settings: SETTINGS, now: () => new Date('2026-11-22T10:00:00Z') });
      const h = harness({ approvals: { gate, settings: SETTINGS } });
      // Act
      const status = await statusOf(proxyRequest(deleteInPayments(), h.deps));
      // Assert
      expect(status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', details: { retryAfterSeconds: 2 } });
      expect(status.message).toMatch(/could not read approvals, so it cannot tell whether a person approved this request; retry shortly/);
      expect(h.forwarded).toEqual([]);
      expect(starter.start).not.toHaveBeenCalled();
      expect(h.records['req-1']).toMatchObject({ outcome: 'rejected', decision: 'approve', status: 503, errorReason: 'ServiceUnavailable' });
    });
  });

  describe('record and replay writes that fail after the answer', () => {
    it('still gives the agent the answer when the replay blob cannot be written, and marks the record replayMissing', async () => {
      // Arrange
      const h = harness({ failReplay: true, upstreamBody: '{"kind":"PodList","apiVersion":"v1","items":[]}' });
      // Act
      const response = await proxyRequest(request(), h.deps);
      // Assert
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString())).toEqual({ kind: 'PodList', apiVersion: 'v1', items: [] });
      expect(h.records['req-1']).toMatchObject({ phase: 'complete', outcome: 'forwarded', status: 200, replayMissing: true });
      expect(h.forwarded).toHaveLength(1);
    });

    it('still gives the agent the answer when the record cannot be completed, leaving the intent record in phase intent', async () => {
      // Arrange
      const h = harness({ failComplete: true, upstreamBody: '{"kind":"PodList","apiVersion":"v1","items":[]}' });
      // Act
      const response = await proxyRequest(request(), h.deps);
      // Assert: the answer went out once; the durable record shows the request was forwarded but not how it ended.
      expect(response.status).toBe(200);
      expect(h.forwarded).toHaveLength(1);
      expect(h.records['req-1']).toMatchObject({ phase: 'intent', outcome: 'pending', verb: 'list', resource: 'pods' });
      expect(h.records['req-1']).not.toHaveProperty('status');
      expect(h.metrics).toContain('record_write_failed');
      expect(Object.keys(h.blobs)).toHaveLength(1);
    });
  });

  describe('per-connection masking patterns', () => {
    const configMap = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'billing' }, data: { note: 'the billing client uses acme_live_Ab12Cd34Ef56Gh78 for now' } });
    const getConfigMap = (c: string) => request({ connection: c, clusterPath: '/api/v1/namespaces/app/configmaps/billing' });

    it('masks a connection\'s own pattern in its responses and counts it in the record', async () => {
      // Arrange
      const h = harness({ upstreamBody: configMap });
      // Act
      const response = await proxyRequest(getConfigMap('prod'), h.deps);
      // Assert
      expect(response.body.toString()).not.toContain('acme_live_Ab12Cd34Ef56Gh78');
      expect(JSON.parse(response.body.toString()).data.note).toMatch(/^the billing client uses \*\*\*MASKED\*\*\* for now$/);
      expect(h.records['req-1']).toMatchObject({ maskedCounts: { 'acme-api-key': 1 } });
      expect(Object.values(h.blobs)[0]).not.toContain('acme_live_Ab12Cd34Ef56Gh78');
    });

    it('does not apply one connection\'s pattern to another connection', async () => {
      // Arrange
      const h = harness({ upstreamBody: configMap });
      // Act
      const response = await proxyRequest(getConfigMap('dev'), h.deps);
      // Assert
      expect(JSON.parse(response.body.toString()).data.note).toBe('the billing client uses acme_live_Ab12Cd34Ef56Gh78 for now');
      expect(h.records['req-1']!.maskedCounts).toBeUndefined();
    });
  });

  describe('approvals that hold the request open', () => {
    const NOW = new Date('2026-11-22T10:00:00Z');
    const deleteInPayments = (rawQuery = '') => request({ method: 'DELETE', clusterPath: '/apis/apps/v1/namespaces/payments/deployments/ledger', rawQuery });

    /** A gate whose pending approval is decided by `decision` while the proxy holds the request. */
    function holdingGate(decision: ApprovalState) {
      const waits: Date[] = [];
      const gate: ApprovalGate = {
        check: async () => ({ state: 'none' }),
        open: async () => ({ state: 'pending', approvalId: 'apr-held0000001' }),
        waitForDecision: async (_subject, _id, until) => { waits.push(until); return decision; },
      };
      return { gate, waits };
    }
    const approved: ApprovalState = { state: 'approved', approvalId: 'apr-held0000001', kind: 'one-time', approver: 'U0APPROVER', decidedAt: '2026-11-22T10:01:00Z' };

    it('holds a delete that needs a person, runs it once the person approves, and gives kubectl the cluster\'s answer', async () => {
      // Arrange
      const { gate, waits } = holdingGate(approved);
      const h = harness({ approvals: { gate, settings: { ...SETTINGS, holdSeconds: 240 } } });
      // Act
      const response = await streamRequest(deleteInPayments(), h.deps);
      await response.afterResponse?.();
      // Assert
      expect(response.status).toBe(200);
      expect(waits).toEqual([new Date(NOW.getTime() + 240_000)]);
      expect(h.forwarded).toHaveLength(1);
      expect(h.forwarded[0]!.request.method).toBe('DELETE');
      expect(h.records['req-1']).toMatchObject({ outcome: 'forwarded', decision: 'approve', approval: { approvalId: 'apr-held0000001', outcome: 'approved', approver: 'U0APPROVER' } });
    });

    it('gives up holding in time to answer before the client\'s own --request-timeout', async () => {
      // Arrange: kubectl --request-timeout=30s sends timeout=30s.
      const { gate, waits } = holdingGate(approved);
      const h = harness({ approvals: { gate, settings: { ...SETTINGS, holdSeconds: 240 } } });
      // Act
      await streamRequest(deleteInPayments('timeout=30s'), h.deps);
      // Assert
      expect(waits).toEqual([new Date(NOW.getTime() + 25_000)]);
    });

    it('answers 403 with the approval id, saying it waited, when nobody decides during the hold', async () => {
      // Arrange
      const { gate } = holdingGate({ state: 'pending', approvalId: 'apr-held0000001' });
      const h = harness({ approvals: { gate, settings: { ...SETTINGS, holdSeconds: 240 } } });
      let clock = NOW.getTime();
      gate.waitForDecision = async (_subject, approvalId, until) => { clock = until.getTime(); return { state: 'pending', approvalId }; };
      // Act
      const status = await statusOf(streamRequest(deleteInPayments(), { ...h.deps, now: () => new Date(clock) }));
      // Assert
      expect(status.code).toBe(403);
      expect(status.message).toMatch(/Approval apr-held0000001 is pending; the request was not run\. Gatehouse held the request for 240 s and nobody decided\. Once it is approved, run the same command again/);
      expect(h.forwarded).toEqual([]);
      expect(h.records['req-1']).toMatchObject({ outcome: 'denied', approval: { approvalId: 'apr-held0000001', outcome: 'pending' } });
    });

    it('refuses, and forwards nothing, when the grant is revoked while the request is held', async () => {
      // Arrange: the grant is gone by the time the person approves.
      const { gate } = holdingGate(approved);
      const h = harness({ approvals: { gate, settings: { ...SETTINGS, holdSeconds: 240 } } });
      let reads = 0;
      const deps: ProxyDependencies = { ...h.deps, grants: { grantsFor: async (c) => (++reads === 1 ? h.deps.grants.grantsFor(c) : []) } };
      // Act
      const status = await statusOf(streamRequest(deleteInPayments(), deps));
      // Assert
      expect(status.code).toBe(403);
      expect(status.message).toMatch(/has no grant on connection "prod"/);
      expect(h.forwarded).toEqual([]);
    });

    it.each<[string, () => ProxyDependencies['approvals'], (r: ProxyRequest, d: ProxyDependencies) => Promise<unknown>]>([
      ['holdSeconds is 0', () => ({ gate: holdingGate(approved).gate, settings: { ...SETTINGS, holdSeconds: 0 } }), streamRequest],
      ['the answer is buffered (API Gateway\'s 29 s)', () => ({ gate: holdingGate(approved).gate, settings: { ...SETTINGS, holdSeconds: 240 } }), proxyRequest],
    ])('answers pending at once when %s', async (_case, approvals, send) => {
      // Arrange
      const h = harness({ approvals: approvals() });
      const wait = jest.spyOn(h.deps.approvals!.gate, 'waitForDecision');
      // Act
      const status = await statusOf(send(deleteInPayments(), h.deps));
      // Assert
      expect(status.message).toMatch(/Approval apr-held0000001 is pending; the request was not run\. Once it is approved/);
      expect(wait).not.toHaveBeenCalled();
      expect(h.forwarded).toEqual([]);
    });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledPolicy } from '../../../lambdas/core/policy/compile-policy';
import { decodeRequestBody } from '../../../lambdas/core/policy/decode-request-body';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { loadPolicyFiles } from '../../../lambdas/core/policy/load-policy-files';
import type { PolicyDecision, PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { input, objectBody, resourceRequest } from './policy-test-support';
import {
  BASELINE_COMPLIANT, BASELINE_POD, BASELINE_VIOLATIONS, PodParts, RESTRICTED_COMPLIANT, RESTRICTED_POD, RESTRICTED_VIOLATIONS, variant, WORKLOAD_KINDS,
} from './pod-security-fixtures';

/**
 * The baseline and restricted packs against the Pod Security Standards: every control is broken once per table
 * row, as a Pod, a Deployment and a CronJob, and must be denied by its own rule; the allowed values and absent
 * fields must pass. Decisions must also be free of CEL errors, since an erroring expression would deny (fail
 * closed) and so hide a broken one.
 */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles the packs the way synth does: a policy file on disk, packs from policies/packs. */
function policyWith(packs: string[], extra = ''): CompiledPolicy {
  const path = join(dir, `policy-${packs.join('-')}-${extra.length}.yaml`);
  writeFileSync(path, `apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [${packs.join(', ')}]\ndefaults: { "*": allow }\n${extra}`);
  return loadPolicyFiles([path]);
}

const baseline = policyWith(['baseline']);
const restricted = policyWith(['baseline', 'restricted']);

const KINDS = ['Pod', 'Deployment', 'CronJob'] as const;

/** A create of `pod` wrapped as `kind` in namespace `namespace`. */
function createInput(kind: string, pod: PodParts, namespace = 'shop'): PolicyInput {
  const k = WORKLOAD_KINDS[kind]!;
  return input(resourceRequest({ verb: 'create', resource: k.resource, apiGroup: k.apiGroup, namespace }), { body: objectBody(k.wrap(pod)) });
}

function outcome(decision: PolicyDecision) {
  return { effect: decision.effect, ruleId: decision.ruleId, celErrors: decision.celErrors ?? [] };
}

const each = <T extends unknown[]>(rows: [string, ...T][]) => KINDS.flatMap((kind) => rows.map(([name, ...rest]) => [kind, name, ...rest] as [string, string, ...T]));

describe('baseline pack: the Pod Security Standards baseline profile', () => {
  it.each(each(BASELINE_VIOLATIONS))('%s with %s -> deny (%s)', (kind, _name, ruleId, pod) => {
    expect(outcome(evaluatePolicy(baseline, createInput(kind, pod)))).toEqual({ effect: 'deny', ruleId, celErrors: [] });
  });

  it.each(each(BASELINE_COMPLIANT))('%s with %s -> allow', (kind, _name, pod) => {
    expect(outcome(evaluatePolicy(baseline, createInput(kind, pod)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });

  it.each(Object.keys(WORKLOAD_KINDS))('finds the pod template of a %s', (kind) => {
    const hostPort = variant(BASELINE_POD, { container: { ports: [{ containerPort: 80, hostPort: 8080 }] } });
    expect(outcome(evaluatePolicy(baseline, createInput(kind, hostPort)))).toEqual({ effect: 'deny', ruleId: 'baseline/no-host-ports', celErrors: [] });
    expect(outcome(evaluatePolicy(baseline, createInput(kind, BASELINE_POD)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });

  it('tells the agent which field to change', () => {
    const decision = evaluatePolicy(baseline, createInput('Deployment', variant(BASELINE_POD, { container: { securityContext: { capabilities: { add: ['NET_ADMIN'] } } } })));
    expect(decision.message).toContain('securityContext.capabilities.add may only list AUDIT_WRITE, CHOWN');
  });

  describe('patches are judged by the object they leave', () => {
    const deployment = (pod: PodParts) => WORKLOAD_KINDS.Deployment!.wrap(pod);
    const patch = (value: unknown, live: unknown, stored: unknown) => input(
      resourceRequest({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }),
      { body: decodeRequestBody('application/strategic-merge-patch+json', Buffer.from(JSON.stringify(value))), oldObject: live, object: stored },
    );
    const setImage = { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } };

    it('denies kubectl set image on a deployment whose live pod template uses a hostPort', () => {
      const live = deployment(variant(BASELINE_POD, { container: { ports: [{ containerPort: 80, hostPort: 80 }] } }));
      const stored = deployment(variant(BASELINE_POD, { container: { image: 'nginx:1.28', ports: [{ containerPort: 80, hostPort: 80 }] } }));
      expect(outcome(evaluatePolicy(baseline, patch(setImage, live, stored)))).toEqual({ effect: 'deny', ruleId: 'baseline/no-host-ports', celErrors: [] });
    });

    it('allows kubectl set image on a compliant deployment', () => {
      const stored = deployment(variant(BASELINE_POD, { container: { image: 'nginx:1.28' } }));
      expect(outcome(evaluatePolicy(baseline, patch(setImage, deployment(BASELINE_POD), stored)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
    });
  });

  describe('kubectl debug (pods/ephemeralcontainers)', () => {
    const livePod = WORKLOAD_KINDS.Pod!.wrap(BASELINE_POD);
    const debug = (namespace: string, debugger_: Record<string, unknown>) => {
      const stored = { ...livePod, spec: { ...(livePod.spec as object), ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', ...debugger_ }] } };
      const body = decodeRequestBody('application/strategic-merge-patch+json', Buffer.from(JSON.stringify({ spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', ...debugger_ }] } })));
      return input(resourceRequest({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace, name: 'web' }), { body, oldObject: livePod, object: stored });
    };

    it.each<[string, string, Record<string, unknown>, string, string]>([
      ['a plain debug container', 'shop', {}, 'allow', 'default'],
      ['--profile=sysadmin (privileged)', 'shop', { securityContext: { privileged: true } }, 'deny', 'baseline/no-privileged-pods'],
      ['--profile=netadmin (NET_ADMIN, NET_RAW)', 'shop', { securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } }, 'deny', 'baseline/no-added-capabilities'],
      ['SYS_PTRACE to trace the app', 'shop', { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }, 'deny', 'baseline/no-added-capabilities'],
      ['a plain debug container in kube-system', 'kube-system', {}, 'deny', 'baseline/no-debug-kube-system'],
    ])('%s in %s -> %s (%s)', (_name, namespace, container, effect, ruleId) => {
      expect(outcome(evaluatePolicy(baseline, debug(namespace, container)))).toEqual({ effect, ruleId, celErrors: [] });
    });

    it('does not apply the service account rule: debugging does not change who the pod runs as', () => {
      const withSa = { ...livePod, spec: { ...(livePod.spec as object), serviceAccountName: 'deployer', ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36' }] } };
      const body = decodeRequestBody('application/strategic-merge-patch+json', Buffer.from(JSON.stringify({ spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36' }] } })));
      const request = resourceRequest({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'shop', name: 'web' });
      expect(outcome(evaluatePolicy(baseline, input(request, { body, object: withSa, oldObject: livePod })))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
    });
  });

  describe('kube-system', () => {
    const daemonSet = WORKLOAD_KINDS.DaemonSet!.wrap(BASELINE_POD);
    const applyBody = decodeRequestBody('application/apply-patch+yaml', Buffer.from(JSON.stringify(daemonSet)));
    const setEnv = decodeRequestBody('application/strategic-merge-patch+json', Buffer.from(JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'ENABLE_PREFIX_DELEGATION', value: 'true' }] }] } } } })));
    const write = (verb: string, oldObject: unknown, body = applyBody) => input(
      resourceRequest({ verb, resource: 'daemonsets', apiGroup: 'apps', namespace: 'kube-system', name: 'web' }),
      { body, oldObject, object: daemonSet },
    );

    it.each(KINDS)('denies creating a %s in kube-system', (kind) => {
      expect(outcome(evaluatePolicy(baseline, createInput(kind, BASELINE_POD, 'kube-system')))).toEqual({ effect: 'deny', ruleId: 'baseline/no-pods-in-kube-system', celErrors: [] });
    });

    it.each<[string, string, unknown, ReturnType<typeof decodeRequestBody>, string, string]>([
      ['a server-side apply that creates a DaemonSet', 'patch', null, applyBody, 'deny', 'baseline/no-pods-in-kube-system-by-apply'],
      ['a PUT that creates a DaemonSet', 'update', null, objectBody(daemonSet), 'deny', 'baseline/no-pods-in-kube-system-by-apply'],
      ['a server-side apply to an existing DaemonSet', 'patch', daemonSet, applyBody, 'allow', 'default'],
      ['kubectl set env on an existing DaemonSet', 'patch', daemonSet, setEnv, 'allow', 'default'],
      ['kubectl replace of an existing DaemonSet', 'update', daemonSet, objectBody(daemonSet), 'allow', 'default'],
    ])('%s -> %s (%s)', (_name, verb, oldObject, body, effect, ruleId) => {
      expect(outcome(evaluatePolicy(baseline, write(verb, oldObject, body)))).toEqual({ effect, ruleId, celErrors: [] });
    });

    it('still judges an existing kube-system workload by the pod rules', () => {
      const stored = WORKLOAD_KINDS.DaemonSet!.wrap(variant(BASELINE_POD, { container: { securityContext: { capabilities: { add: ['NET_ADMIN'] } } } }));
      const request = resourceRequest({ verb: 'patch', resource: 'daemonsets', apiGroup: 'apps', namespace: 'kube-system', name: 'web' });
      expect(outcome(evaluatePolicy(baseline, input(request, { body: applyBody, oldObject: daemonSet, object: stored })))).toEqual({ effect: 'deny', ruleId: 'baseline/no-added-capabilities', celErrors: [] });
    });

    it('leaves other namespaces alone', () => {
      expect(outcome(evaluatePolicy(baseline, createInput('Pod', BASELINE_POD, 'kube-public')))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
    });
  });

  describe('service accounts with tokens', () => {
    const irsa = variant(BASELINE_POD, { spec: { serviceAccountName: 's3-reader' } });

    it('says how to switch the rule off', () => {
      expect(evaluatePolicy(baseline, createInput('Deployment', irsa)).message).toContain('disable: [baseline/no-service-account-tokens]');
    });

    it('allows them once the rule is disabled (teams that use IRSA)', () => {
      const policy = policyWith(['baseline'], 'disable: [baseline/no-service-account-tokens]\n');
      expect(outcome(evaluatePolicy(policy, createInput('Deployment', irsa)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
    });
  });
});

describe('restricted pack: the Pod Security Standards restricted profile (with baseline)', () => {
  it.each(each(RESTRICTED_VIOLATIONS))('%s with %s -> deny (%s)', (kind, _name, ruleId, pod) => {
    expect(outcome(evaluatePolicy(restricted, createInput(kind, pod)))).toEqual({ effect: 'deny', ruleId, celErrors: [] });
  });

  it.each(each(RESTRICTED_COMPLIANT))('%s with %s -> allow', (kind, _name, pod) => {
    expect(outcome(evaluatePolicy(restricted, createInput(kind, pod)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });

  it.each(Object.keys(WORKLOAD_KINDS))('finds the pod template of a %s', (kind) => {
    const escalating = variant(RESTRICTED_POD, { container: { securityContext: { allowPrivilegeEscalation: true } } });
    expect(outcome(evaluatePolicy(restricted, createInput(kind, escalating)))).toEqual({ effect: 'deny', ruleId: 'restricted/no-privilege-escalation', celErrors: [] });
    expect(outcome(evaluatePolicy(restricted, createInput(kind, RESTRICTED_POD)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });

  it('denies kubectl run nginx, naming the first rule broken and listing the others', () => {
    const decision = evaluatePolicy(restricted, createInput('Pod', BASELINE_POD));
    expect(decision.effect).toBe('deny');
    expect(decision.matchedRuleIds).toEqual(['restricted/no-privilege-escalation', 'restricted/run-as-non-root', 'restricted/seccomp-required', 'restricted/drop-all-capabilities']);
  });

  it('keeps baseline in force: a hostPath volume is denied by baseline, restricted agrees', () => {
    const decision = evaluatePolicy(restricted, createInput('Pod', variant(RESTRICTED_POD, { spec: { volumes: [{ name: 'root', hostPath: { path: '/' } }] } })));
    expect(outcome(decision)).toEqual({ effect: 'deny', ruleId: 'baseline/no-host-path', celErrors: [] });
    expect(decision.matchedRuleIds).toEqual(['baseline/no-host-path', 'restricted/volume-types']);
  });

  it('leaves pods alone without the pack', () => {
    expect(outcome(evaluatePolicy(baseline, createInput('Pod', variant(RESTRICTED_POD, { podSecurityContext: { runAsUser: 0 } }))))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });
});

describe('manifests as tools write them', () => {
  // Helm renders an empty value as null (`ports:` with nothing under it), and the API server drops such fields
  // before anything judges the pod. Gatehouse's CEL variables keep them, so `.orValue([])` yields null and the
  // expressions error, which denies (fail closed). Expected to pass once the CEL input drops null fields as the
  // API server does; until then this documents the gap.
  const helmish: PodParts = {
    metadata: { annotations: null as unknown as Record<string, string> },
    spec: {
      volumes: null,
      initContainers: null,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, sysctls: null },
      containers: [{
        name: 'app', image: 'nginx:1.27', ports: null, env: null, volumeMounts: null,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: null } },
      }],
    },
  };

  it.each(KINDS)('a %s with null lists passes both packs', (kind) => {
    expect(outcome(evaluatePolicy(restricted, createInput(kind, helmish)))).toEqual({ effect: 'allow', ruleId: 'default', celErrors: [] });
  });
});

import { decodeRequestBody } from '../../../lambdas/core/policy/decode-request-body';
import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import { policyDecisionError } from '../../../lambdas/core/policy/policy-decision-error';
import type { BodyInput } from '../../../lambdas/core/policy/policy-types';
import { ForbiddenError, UnsupportedMediaTypeError } from '../../../lambdas/core/errors';
import { input, nonResourceRequest, objectBody, podSpec, policyWithPacks, resourceRequest } from './policy-test-support';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const privileged = { securityContext: { privileged: true } };
const r = resourceRequest;

/** Puts the expected outcome first so test titles read "name -> effect (rule)". */
function outcomeFirst<T extends unknown[]>(rows: [string, ...T, string, string][]): [string, string, string, ...T][] {
  return rows.map((row) => {
    const name = row[0];
    const effect = row[row.length - 2] as string;
    const ruleId = row[row.length - 1] as string;
    return [name, effect, ruleId, ...(row.slice(1, -2) as T)];
  });
}

describe('baseline pack', () => {
  const policy = policyWithPacks(['baseline']);

  it.each(outcomeFirst<[ReturnType<typeof r>, BodyInput]>([
    ['delete ns kube-system', r({ verb: 'delete', resource: 'namespaces', namespace: 'kube-system', name: 'kube-system' }), { state: 'none' }, 'deny', 'baseline/no-delete-namespaces'],
    ['deletecollection namespaces', r({ verb: 'deletecollection', resource: 'namespaces' }), { state: 'none' }, 'deny', 'baseline/no-delete-namespaces'],
    ['delete a CRD', r({ verb: 'delete', resource: 'customresourcedefinitions', apiGroup: 'apiextensions.k8s.io', name: 'widgets.acme.io' }), { state: 'none' }, 'deny', 'baseline/no-delete-crds'],
    ['delete a node', r({ verb: 'delete', resource: 'nodes', name: 'ip-10-0-0-1' }), { state: 'none' }, 'deny', 'baseline/no-delete-nodes'],
    ['exec into kube-system over SPDY (create)', r({ verb: 'create', resource: 'pods', namespace: 'kube-system', name: 'coredns-1', subresource: 'exec' }), { state: 'none' }, 'deny', 'baseline/no-exec-kube-system'],
    ['exec into kube-system over WebSocket (get)', r({ verb: 'get', resource: 'pods', namespace: 'kube-system', name: 'coredns-1', subresource: 'exec' }), { state: 'none' }, 'deny', 'baseline/no-exec-kube-system'],
    ['attach in kube-system', r({ verb: 'create', resource: 'pods', namespace: 'kube-system', name: 'x', subresource: 'attach' }), { state: 'none' }, 'deny', 'baseline/no-exec-kube-system'],
    ['port-forward in kube-system', r({ verb: 'get', resource: 'pods', namespace: 'kube-system', name: 'x', subresource: 'portforward' }), { state: 'none' }, 'deny', 'baseline/no-exec-kube-system'],
    ['exec into an app namespace', r({ verb: 'create', resource: 'pods', namespace: 'shop', name: 'web-1', subresource: 'exec' }), { state: 'none' }, 'allow', 'default'],
    ['kubectl run --privileged', r({ verb: 'create', resource: 'pods', namespace: 'shop' }), objectBody({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: podSpec({}, privileged) }), 'deny', 'baseline/no-privileged-pods'],
    ['privileged init container', r({ verb: 'create', resource: 'pods', namespace: 'shop' }), objectBody({ spec: podSpec({ initContainers: [{ name: 'init', ...privileged }] }) }), 'deny', 'baseline/no-privileged-pods'],
    ['privileged ephemeral container (kubectl debug)', r({ verb: 'patch', resource: 'pods', namespace: 'shop', name: 'web-1', subresource: 'ephemeralcontainers' }),
      decodeRequestBody('application/strategic-merge-patch+json', json({ spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox', ...privileged }] } })), 'deny', 'baseline/no-privileged-pods'],
    ['privileged via JSON patch on a deployment', r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }),
      decodeRequestBody('application/json-patch+json', json([{ op: 'add', path: '/spec/template/spec/containers/0/securityContext/privileged', value: true }])), 'deny', 'baseline/no-privileged-pods'],
    ['privileged in a CronJob', r({ verb: 'create', resource: 'cronjobs', apiGroup: 'batch', namespace: 'shop' }),
      objectBody({ kind: 'CronJob', spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec({}, privileged) } } } } }), 'deny', 'baseline/no-privileged-pods'],
    ['privileged: yes in a server-side apply of a StatefulSet', r({ verb: 'patch', resource: 'statefulsets', apiGroup: 'apps', namespace: 'shop', name: 'db' }),
      decodeRequestBody('application/apply-patch+yaml', Buffer.from('apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - name: db\n        securityContext:\n          privileged: yes\n')), 'deny', 'baseline/no-privileged-pods'],
    ['an ordinary pod', r({ verb: 'create', resource: 'pods', namespace: 'shop' }), objectBody({ spec: podSpec({}, { securityContext: { privileged: false, runAsNonRoot: true } }) }), 'allow', 'default'],
    ['a hostPath volume', r({ verb: 'create', resource: 'daemonsets', apiGroup: 'apps', namespace: 'shop' }),
      objectBody({ spec: { template: { spec: podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }) } } }), 'deny', 'baseline/no-host-path'],
    ['hostNetwork on a pod', r({ verb: 'create', resource: 'pods', namespace: 'shop' }), objectBody({ spec: podSpec({ hostNetwork: true }) }), 'deny', 'baseline/no-host-namespaces'],
    ['hostPID by merge patch on a job', r({ verb: 'patch', resource: 'jobs', apiGroup: 'batch', namespace: 'shop', name: 'j' }),
      decodeRequestBody('application/merge-patch+json', json({ spec: { template: { spec: { hostPID: true } } } })), 'deny', 'baseline/no-host-namespaces'],
    ['ClusterRoleBinding to cluster-admin', r({ verb: 'create', resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io' }),
      objectBody({ kind: 'ClusterRoleBinding', roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'me' }] }), 'deny', 'baseline/no-cluster-admin-bindings'],
    ['RoleBinding to cluster-admin', r({ verb: 'create', resource: 'rolebindings', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop' }),
      objectBody({ roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }), 'deny', 'baseline/no-cluster-admin-bindings'],
    ['RoleBinding to view', r({ verb: 'create', resource: 'rolebindings', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop' }),
      objectBody({ roleRef: { kind: 'ClusterRole', name: 'view' } }), 'allow', 'default'],
    ['ClusterRole with * on *', r({ verb: 'create', resource: 'clusterroles', apiGroup: 'rbac.authorization.k8s.io' }),
      objectBody({ rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }), 'deny', 'baseline/no-wildcard-roles'],
    ['JSON patch turning a role\'s verbs into *', r({ verb: 'patch', resource: 'roles', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop', name: 'r' }),
      decodeRequestBody('application/json-patch+json', json([{ op: 'replace', path: '/rules/0/verbs', value: ['*'] }])), 'deny', 'baseline/no-wildcard-roles'],
    ['Role with * verbs on pods only', r({ verb: 'create', resource: 'roles', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop' }),
      objectBody({ rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] }), 'allow', 'default'],
    ['Role granting impersonate', r({ verb: 'create', resource: 'roles', apiGroup: 'rbac.authorization.k8s.io', namespace: 'shop' }),
      objectBody({ rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }] }), 'deny', 'baseline/no-escalation-verbs'],
    ['an impersonate request', r({ verb: 'impersonate', resource: 'users', name: 'admin' }), { state: 'none' }, 'deny', 'baseline/no-escalation-requests'],
    ['get a Secret in kube-system', r({ verb: 'get', resource: 'secrets', namespace: 'kube-system', name: 'aws-creds' }), { state: 'none' }, 'deny', 'baseline/no-kube-system-secrets'],
    ['list Secrets across all namespaces', r({ verb: 'list', resource: 'secrets' }), { state: 'none' }, 'deny', 'baseline/no-kube-system-secrets'],
    ['get a Secret in an app namespace', r({ verb: 'get', resource: 'secrets', namespace: 'shop', name: 'db' }), { state: 'none' }, 'allow', 'default'],
    ['apply of a Secret read back masked', r({ verb: 'update', resource: 'secrets', namespace: 'shop', name: 'db' }),
      objectBody({ kind: 'Secret', data: { password: 'KioqTUFTS0VEKioq' } }), 'deny', 'baseline/no-masked-secret-writeback'],
  ]))('%s -> %s (%s)', (_name, effect, ruleId, request, body) => {
    const decision = evaluatePolicy(policy, input(request, { body }));
    expect({ effect: decision.effect, ruleId: decision.ruleId }).toEqual({ effect, ruleId });
  });

  it('denies deleting kube-system with the rule\'s own message', () => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'delete', resource: 'namespaces', namespace: 'kube-system', name: 'kube-system' })));
    expect(decision.message).toBe('Deleting namespaces is not allowed through Gatehouse (it deletes everything in them); ask a cluster admin.');
    expect(policyDecisionError(decision)).toBeInstanceOf(ForbiddenError);
  });

  it.each(outcomeFirst<[ReturnType<typeof r>]>([
    ['create pods', r({ verb: 'create', resource: 'pods', namespace: 'shop' }), 'deny', 'undecodable-body'],
    ['patch deployments', r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), 'deny', 'undecodable-body'],
    ['get pods (no body rule can apply)', r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'web' }), 'allow', 'default'],
    ['create configmaps (no body rule on them)', r({ verb: 'create', resource: 'configmaps', namespace: 'shop' }), 'allow', 'default'],
  ]))('a protobuf body on %s -> %s (%s)', (_name, effect, reason, request) => {
    const body = decodeRequestBody('application/vnd.kubernetes.protobuf', Buffer.from([0x6b, 0x38, 0x73, 0x00]));
    const decision = evaluatePolicy(policy, input(request, { body }));
    expect({ effect: decision.effect, reason: decision.reason }).toEqual({ effect, reason });
  });

  it('turns the undecodable-body decision into a 415 that names the rule', () => {
    const body = decodeRequestBody('application/vnd.kubernetes.protobuf', Buffer.from([1, 2, 3]));
    const decision = evaluatePolicy(policy, input(r({ verb: 'create', resource: 'pods', namespace: 'shop' }), { body }));
    const error = policyDecisionError(decision);
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error?.code).toBe(415);
    expect(decision.message).toContain('baseline/no-privileged-pods');
  });

  it('prefers an outright deny over the 415 when one applies regardless of the body', () => {
    const body: BodyInput = { state: 'undecodable', contentType: 'application/vnd.kubernetes.protobuf' };
    const withReadOnly = policyWithPacks(['baseline', 'read-only']);
    const decision = evaluatePolicy(withReadOnly, input(r({ verb: 'create', resource: 'pods', namespace: 'shop' }), { body }));
    expect({ effect: decision.effect, reason: decision.reason, ruleId: decision.ruleId }).toEqual({ effect: 'deny', reason: 'rule', ruleId: 'read-only/deny-writes' });
  });
});

describe('read-only pack', () => {
  const policy = policyWithPacks(['read-only'], '{ "*": approve }');

  it.each(outcomeFirst<[ReturnType<typeof r>]>([
    ['get pods', r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'web' }), 'allow', 'read-only/allow-reads'],
    ['watch deployments', r({ verb: 'watch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop' }), 'allow', 'read-only/allow-reads'],
    ['get pod logs', r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'web', subresource: 'log' }), 'allow', 'read-only/allow-reads'],
    ['GET /version', nonResourceRequest('/version'), 'allow', 'read-only/allow-reads'],
    ['kubectl auth can-i', r({ verb: 'create', resource: 'selfsubjectaccessreviews', apiGroup: 'authorization.k8s.io' }), 'allow', 'read-only/allow-access-reviews'],
    ['create a deployment', r({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'shop' }), 'deny', 'read-only/deny-writes'],
    ['scale (update deployments/scale)', r({ verb: 'update', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web', subresource: 'scale' }), 'deny', 'read-only/deny-writes'],
    ['delete a pod', r({ verb: 'delete', resource: 'pods', namespace: 'shop', name: 'web' }), 'deny', 'read-only/deny-writes'],
    ['exec over WebSocket (a GET)', r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'web', subresource: 'exec' }), 'deny', 'read-only/no-exec'],
    ['service proxy', r({ verb: 'get', resource: 'services', namespace: 'shop', name: 'web', subresource: 'proxy' }), 'deny', 'read-only/no-exec'],
    ['POST to a non-resource URL', nonResourceRequest('/logs', 'post'), 'deny', 'read-only/deny-writes'],
  ]))('%s -> %s (%s)', (_name, effect, ruleId, request) => {
    const decision = evaluatePolicy(policy, input(request));
    expect({ effect: decision.effect, ruleId: decision.ruleId }).toEqual({ effect, ruleId });
  });

  it('explains the denial of a create', () => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'create', resource: 'configmaps', namespace: 'shop' })));
    expect(decision.message).toBe('This connection is read-only through Gatehouse; only get, list and watch are allowed.');
  });
});

describe('production-approval pack', () => {
  const policy = policyWithPacks(['production-approval']);
  const prodLabels = { environment: 'production', team: 'shop' };

  it.each(outcomeFirst<[ReturnType<typeof r>, Record<string, string> | undefined]>([
    ['create a deployment in prod', r({ verb: 'create', resource: 'deployments', apiGroup: 'apps', namespace: 'prod' }), undefined, 'approve', 'production-approval/writes-by-name'],
    ['patch in production', r({ verb: 'patch', resource: 'configmaps', namespace: 'production', name: 'c' }), undefined, 'approve', 'production-approval/writes-by-name'],
    ['delete in prd-eu-1', r({ verb: 'delete', resource: 'pods', namespace: 'prd-eu-1', name: 'p' }), undefined, 'approve', 'production-approval/writes-by-name'],
    ['delete the prod namespace itself', r({ verb: 'delete', resource: 'namespaces', namespace: 'prod', name: 'prod' }), undefined, 'approve', 'production-approval/writes-by-name'],
    ['write in a namespace labelled environment=production', r({ verb: 'update', resource: 'services', namespace: 'shop-live', name: 's' }), prodLabels, 'approve', 'production-approval/writes-by-label'],
    ['exec into prod', r({ verb: 'get', resource: 'pods', namespace: 'prod', name: 'p', subresource: 'exec' }), undefined, 'approve', 'production-approval/exec-by-name'],
    ['exec into prod over SPDY (a create, held as an exec, not as a write)', r({ verb: 'create', resource: 'pods', namespace: 'prod', name: 'p', subresource: 'exec' }), undefined, 'approve', 'production-approval/exec-by-name'],
    ['port-forward (SPDY POST) in a labelled namespace', r({ verb: 'create', resource: 'pods', namespace: 'shop-live', name: 'p', subresource: 'portforward' }), prodLabels, 'approve', 'production-approval/exec-by-label'],
    ['attach (WebSocket GET) in a labelled namespace', r({ verb: 'get', resource: 'pods', namespace: 'shop-live', name: 'p', subresource: 'attach' }), prodLabels, 'approve', 'production-approval/exec-by-label'],
    ['read in prod', r({ verb: 'list', resource: 'pods', namespace: 'prod' }), undefined, 'allow', 'default'],
    ['write in staging', r({ verb: 'create', resource: 'pods', namespace: 'staging' }), { environment: 'staging' }, 'allow', 'default'],
    ['write where labels are unknown', r({ verb: 'create', resource: 'pods', namespace: 'shop-live' }), undefined, 'allow', 'default'],
    ['write in "preprod" (not prod)', r({ verb: 'create', resource: 'pods', namespace: 'preprod' }), undefined, 'allow', 'default'],
  ]))('%s -> %s (%s)', (_name, effect, ruleId, request, namespaceLabels) => {
    const decision = evaluatePolicy(policy, input(request, namespaceLabels ? { namespaceLabels } : {}));
    expect({ effect: decision.effect, ruleId: decision.ruleId }).toEqual({ effect, ruleId });
    expect(policyDecisionError(decision)).toBeUndefined();
  });

  it('lets baseline\'s deny win over the approval (deny > approve)', () => {
    const both = policyWithPacks(['baseline', 'production-approval']);
    const decision = evaluatePolicy(both, input(r({ verb: 'delete', resource: 'namespaces', namespace: 'prod', name: 'prod' })));
    expect(decision.effect).toBe('deny');
    expect(decision.matchedRuleIds).toEqual(['baseline/no-delete-namespaces', 'production-approval/writes-by-name']);
  });
});

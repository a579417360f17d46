import { BodyFacts, compileBodyCondition } from '../../../lambdas/core/policy/body-conditions';
import { ANY_KEY, parseFieldPath, valuesAtPath } from '../../../lambdas/core/policy/field-path';
import type { PatchType, PolicyBodySpec } from '../../../lambdas/core/policy/policy-types';
import { podSpec } from './policy-test-support';

/** True when the body block holds for `value` sent to `resource`. */
function holds(spec: PolicyBodySpec, resource: string, value: unknown, patchType?: PatchType): boolean {
  return compileBodyCondition(spec)(new BodyFacts(value, resource, patchType));
}

const privileged = { securityContext: { privileged: true } };
const privilegedPod = podSpec({}, privileged);

describe('body conditions on pod specs', () => {
  it.each<[string, string, unknown, boolean]>([
    ['a privileged container', 'pods', { spec: privilegedPod }, true],
    ['privileged: "true" as text (the API server would refuse it)', 'pods', { spec: podSpec({}, { securityContext: { privileged: 'true' } }) }, false],
    ['a null securityContext', 'pods', { spec: podSpec({}, { securityContext: null }) }, false],
    ['a privileged ephemeral container', 'pods', { spec: podSpec({ ephemeralContainers: [{ name: 'debug', ...privileged }] }) }, true],
    ['containers that are not a list', 'pods', { spec: { containers: { name: 'a', ...privileged } } }, false],
    ['a pod body sent to the deployments URL (the URL decides where the pod is)', 'deployments', { spec: privilegedPod }, false],
    ['a pod template', 'podtemplates', { template: { spec: privilegedPod } }, true],
    ['a ReplicaSet', 'replicasets', { spec: { template: { spec: privilegedPod } } }, true],
    ['a StatefulSet', 'statefulsets', { spec: { template: { spec: privilegedPod } } }, true],
    ['a DaemonSet', 'daemonsets', { spec: { template: { spec: privilegedPod } } }, true],
    ['a Job', 'jobs', { spec: { template: { spec: privilegedPod } } }, true],
    ['a ReplicationController', 'replicationcontrollers', { spec: { template: { spec: privilegedPod } } }, true],
    ['a CronJob', 'cronjobs', { spec: { jobTemplate: { spec: { template: { spec: privilegedPod } } } } }, true],
    ['a CronJob whose template is not where CronJobs keep it', 'cronjobs', { spec: { template: { spec: privilegedPod } } }, false],
    ['a pod whose spec is not a mapping', 'pods', { spec: [privilegedPod] }, false],
    ['a custom resource embedding a pod spec deep down', 'widgets', { spec: { runners: [{ pod: { spec: privilegedPod } }] } }, true],
    ['a custom resource with a pod spec among other lists', 'widgets', { spec: { items: [1, 'x', null, [{ volumes: [], containers: [{ name: 'a', ...privileged }] }]] } }, true],
    ['a custom resource without pod specs', 'widgets', { spec: { securityContext: { privileged: true } } }, false],
    ['one privileged pod spec of two in a custom resource', 'widgets', { spec: { a: { spec: podSpec() }, b: { spec: privilegedPod } } }, true],
    ['a pod spec that is null', 'pods', { spec: null }, false],
    ['containers with a null entry', 'pods', { spec: { containers: [null, { name: 'a', ...privileged }] } }, true],
    ['containers that are names only', 'pods', { spec: { containers: ['a'] } }, false],
  ])('privileged: %s -> %s', (_name, resource, value, expected) => {
    // Act
    const result = holds({ privileged: true }, resource, value);
    // Assert
    expect(result).toBe(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['a hostPath volume', { spec: podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }) }, true],
    ['a null hostPath', { spec: podSpec({ volumes: [{ name: 'x', hostPath: null }] }) }, false],
    ['other volumes only', { spec: podSpec({ volumes: [{ name: 'x', emptyDir: {} }] }) }, false],
    ['one pod spec of two with a hostPath volume', { spec: { a: podSpec(), b: podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }) } }, true],
  ])('hostPath: %s -> %s', (_name, value, expected) => {
    expect(holds({ hostPath: true }, 'widgets', value)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['hostNetwork', { hostNetwork: true }, true],
    ['hostPID', { hostPID: true }, true],
    ['hostIPC', { hostIPC: true }, true],
    ['hostNetwork: false', { hostNetwork: false, hostPID: false, hostIPC: false }, false],
    ['hostNetwork as text', { hostNetwork: 'true' }, false],
  ])('hostNamespaces: %s -> %s', (_name, spec, expected) => {
    expect(holds({ hostNamespaces: true }, 'pods', { spec: podSpec(spec) })).toBe(expected);
  });

  it('hostNamespaces: one pod spec of two in a custom resource is enough', () => {
    expect(holds({ hostNamespaces: true }, 'widgets', { spec: { a: podSpec(), b: podSpec({ hostPID: true }) } })).toBe(true);
  });

  it('requires every condition of the block', () => {
    const both = { spec: podSpec({ hostNetwork: true }, privileged) };
    expect(holds({ privileged: true, hostNamespaces: true }, 'pods', both)).toBe(true);
    expect(holds({ privileged: true, hostNamespaces: true }, 'pods', { spec: privilegedPod })).toBe(false);
  });
});

describe('body conditions on RBAC objects', () => {
  const ordinary = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

  it.each<[string, unknown, PatchType | undefined, boolean]>([
    ['* verbs on * resources', { rules: [{ verbs: ['*'], resources: ['*'] }] }, undefined, true],
    ['every ordinary verb on * resources', { rules: [{ verbs: ordinary, resources: ['*'] }] }, undefined, true],
    ['all ordinary verbs but one', { rules: [{ verbs: ordinary.slice(1), resources: ['*'] }] }, undefined, false],
    ['* verbs on pods', { rules: [{ verbs: ['*'], resources: ['pods'] }] }, undefined, false],
    ['get on *', { rules: [{ verbs: ['get'], resources: ['*'] }] }, undefined, false],
    ['the second rule', { rules: [{ verbs: ['get'], resources: ['pods'] }, { verbs: ['*'], resources: ['*'] }] }, undefined, true],
    ['a patch making verbs * (resources unchanged)', { rules: [{ verbs: ['*'] }] }, 'merge', true],
    ['a JSON patch making resources * (verbs unchanged)', { rules: [{ resources: ['*'] }] }, 'json', true],
    ['a strategic patch making verbs *', { rules: [{ verbs: ['*'] }] }, 'strategic', true],
    ['a full object without resources', { rules: [{ verbs: ['*'] }] }, undefined, false],
    ['a server-side apply without resources (apply sends the whole intent)', { rules: [{ verbs: ['*'] }] }, 'apply', false],
    ['a patch of verbs only, not *', { rules: [{ verbs: ['get'] }] }, 'merge', false],
    ['a patch of resources only, not *', { rules: [{ resources: ['pods'] }] }, 'merge', false],
    ['a patch with get on * resources', { rules: [{ verbs: ['get'], resources: ['*'] }] }, 'merge', false],
    ['a patch with * verbs on named resources', { rules: [{ verbs: ['*'], resources: ['pods'] }] }, 'merge', false],
    ['rules that are not a list', { rules: { verbs: ['*'], resources: ['*'] } }, undefined, false],
    ['a body that is a list', [{ verbs: ['*'], resources: ['*'] }], undefined, false],
  ])('rbacWildcard: %s -> %s', (_name, value, patchType, expected) => {
    expect(holds({ rbacWildcard: true }, 'clusterroles', value, patchType)).toBe(expected);
  });

  it.each<[string, string, unknown, PatchType | undefined, boolean]>([
    ['bind named', 'bind', { rules: [{ verbs: ['bind'], resources: ['pods'] }] }, undefined, true],
    ['bind through * on roles', 'bind', { rules: [{ verbs: ['*'], resources: ['roles'] }] }, undefined, true],
    ['bind through * on clusterroles/status', 'bind', { rules: [{ verbs: ['*'], resources: ['clusterroles/status'] }] }, undefined, true],
    ['bind through * on *', 'bind', { rules: [{ verbs: ['*'], resources: ['*'] }] }, undefined, true],
    ['* on pods does not bind', 'bind', { rules: [{ verbs: ['*'], resources: ['pods'] }] }, undefined, false],
    ['impersonate through * on serviceaccounts', 'impersonate', { rules: [{ verbs: ['*'], resources: ['serviceaccounts'] }] }, undefined, true],
    ['impersonate through * on uids', 'impersonate', { rules: [{ verbs: ['*'], resources: ['uids'] }] }, undefined, true],
    ['* on roles does not impersonate', 'impersonate', { rules: [{ verbs: ['*'], resources: ['roles'] }] }, undefined, false],
    ['escalate through * on clusterroles', 'escalate', { rules: [{ verbs: ['*'], resources: ['clusterroles'] }] }, undefined, true],
    ['an ordinary verb through * on any resource', 'delete', { rules: [{ verbs: ['*'], resources: ['pods'] }] }, undefined, true],
    ['other verbs only', 'bind', { rules: [{ verbs: ['get', 'list'], resources: ['roles'] }] }, undefined, false],
    ['* without resources in a patch (they may be anything)', 'bind', { rules: [{ verbs: ['*'] }] }, 'json', true],
    ['* without resources in a full object', 'bind', { rules: [{ verbs: ['*'] }] }, undefined, false],
    ['verbs that are not a list', 'bind', { rules: [{ verbs: 'bind', resources: ['roles'] }] }, undefined, false],
    ['bind through * when roles is the second resource', 'bind', { rules: [{ verbs: ['*'], resources: ['pods', 'roles'] }] }, undefined, true],
    ['the second rule', 'bind', { rules: [{ verbs: ['get'], resources: ['roles'] }, { verbs: ['bind'], resources: ['roles'] }] }, undefined, true],
    ['resources with a number among them', 'bind', { rules: [{ verbs: ['*'], resources: [7, 'roles'] }] }, undefined, true],
  ])('rbacVerbs: %s -> %s', (_name, verb, value, patchType, expected) => {
    expect(holds({ rbacVerbs: [verb] }, 'roles', value, patchType)).toBe(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['cluster-admin', { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }, true],
    ['a role matching the glob', { roleRef: { name: 'admin-shop' } }, true],
    ['another role', { roleRef: { name: 'view' } }, false],
    ['no roleRef', { subjects: [] }, false],
    ['a roleRef name that is not text', { roleRef: { name: 7 } }, false],
  ])('roleRef: %s -> %s', (_name, value, expected) => {
    expect(holds({ roleRef: ['cluster-admin', 'admin-*'] }, 'rolebindings', value)).toBe(expected);
  });
});

describe('field conditions', () => {
  it.each<[string, PolicyBodySpec, unknown, boolean]>([
    ['a glob on a path from the root', { fields: [{ path: 'metadata.name', values: ['web-*'] }] }, { metadata: { name: 'web-1' } }, true],
    ['a value outside the glob', { fields: [{ path: 'metadata.name', values: ['web-*'] }] }, { metadata: { name: 'db-1' } }, false],
    ['a number', { fields: [{ path: 'spec.replicas', values: [3] }] }, { spec: { replicas: 3 } }, true],
    ['a number written as text does not equal the number', { fields: [{ path: 'spec.replicas', values: ['3'] }] }, { spec: { replicas: 3 } }, false],
    ['a boolean', { fields: [{ path: 'spec.paused', values: [true] }] }, { spec: { paused: true } }, true],
    ['a boolean against its text', { fields: [{ path: 'spec.paused', values: [true] }] }, { spec: { paused: 'true' } }, false],
    ['exists on a present field', { fields: [{ path: 'spec.nodeName', exists: true }] }, { spec: { nodeName: 'n1' } }, true],
    ['exists on a null field', { fields: [{ path: 'spec.nodeName', exists: true }] }, { spec: { nodeName: null } }, false],
    ['exists on an absent field', { fields: [{ path: 'spec.nodeName', exists: true }] }, { spec: {} }, false],
    ['exists on false (present)', { fields: [{ path: 'spec.paused', exists: true }] }, { spec: { paused: false } }, true],
    ['a pod spec path', { fields: [{ podSpecPath: 'serviceAccountName', values: ['default'] }] }, { spec: { template: { spec: podSpec({ serviceAccountName: 'default' }) } } }, true],
    ['a pod spec path is not read from the root', { fields: [{ podSpecPath: 'spec.serviceAccountName', values: ['default'] }] }, { spec: { serviceAccountName: 'default' } }, false],
    ['a pod spec path in the second of two pod specs', { fields: [{ podSpecPath: 'serviceAccountName', values: ['default'] }] }, { spec: { a: podSpec(), b: podSpec({ serviceAccountName: 'default' }) } }, true],
    ['both fields of a block', { fields: [{ path: 'metadata.name', values: ['web'] }, { path: 'spec.replicas', values: [1] }] }, { metadata: { name: 'web' }, spec: { replicas: 2 } }, false],
  ])('%s -> %s', (_name, spec, value, expected) => {
    expect(holds(spec, /second of two/.test(_name) ? 'widgets' : 'deployments', value)).toBe(expected);
  });
});

describe('BodyFacts', () => {
  it.each<[PatchType | undefined, boolean]>([['json', true], ['merge', true], ['strategic', true], ['apply', false], [undefined, false]])('a %s body is partial: %s', (patchType, expected) => {
    expect(new BodyFacts({}, 'pods', patchType).isPartial).toBe(expected);
  });

  it('gives a pod\'s metadata and spec, and every container once', () => {
    const facts = new BodyFacts({ spec: { template: { metadata: { labels: { app: 'web' } }, spec: podSpec({ initContainers: [{ name: 'init' }] }) } } }, 'deployments', undefined);
    expect(facts.pods().map((p) => p.metadata)).toEqual([{ labels: { app: 'web' } }]);
    expect(facts.containers().map((c) => c.name)).toEqual(['app', 'init']);
    expect(facts.containers()).toBe(facts.containers());
  });

  it('gives an empty metadata for a template without one, and for pod specs found in custom resources', () => {
    expect(new BodyFacts({ spec: podSpec() }, 'pods', undefined).pods()[0].metadata).toEqual({});
    expect(new BodyFacts({ spec: { x: podSpec() } }, 'widgets', undefined).pods()).toEqual([{ metadata: {}, spec: podSpec() }]);
  });
});

describe('valuesAtPath', () => {
  const path = (text: string) => {
    const parsed = parseFieldPath(text);
    if (!('path' in parsed)) throw new Error(parsed.error);
    return parsed.path;
  };

  it.each<[string, unknown, string, unknown[]]>([
    ['nested lists, in order', { a: [[1, [2, 3]], 4] }, 'a', [1, 2, 3, 4]],
    ['keys of objects inside lists', { a: [{ b: 1 }, { b: [2, 3] }, 'x', { c: 4 }] }, 'a.b', [1, 2, 3]],
    ['any key of an object, in order', { a: { x: 1, y: { z: 2 } } }, 'a.*', [1, { z: 2 }]],
    ['nothing below a scalar', { a: 'text' }, 'a.b', []],
    ['nothing below null', { a: null }, 'a.b', []],
    ['no inherited property', {}, 'constructor', []],
    ['a key that exists with an undefined-looking value', { a: { b: false } }, 'a.b', [false]],
  ])('reaches %s', (_name, root, text, expected) => {
    expect(valuesAtPath(root, path(text))).toEqual(expected);
  });

  it('takes * as every key of an object', () => {
    expect(valuesAtPath({ a: { p: { b: 1 }, q: { b: 2 }, r: {} } }, ['a', ANY_KEY, 'b'])).toEqual([1, 2]);
  });
});

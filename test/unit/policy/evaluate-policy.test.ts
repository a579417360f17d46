import { evaluatePolicy } from '../../../lambdas/core/policy/evaluate-policy';
import type { PolicyInput } from '../../../lambdas/core/policy/policy-types';
import { identity, input, nonResourceRequest, objectBody, policyFrom, resourceRequest } from './policy-test-support';

const r = resourceRequest;
const policy = policyFrom(`
apiVersion: gatehouse.dev/v1
kind: Policy
defaults: { "*": deny, sandbox: allow, prod: approve }
rules:
  - id: ci-reads
    effect: allow
    match: { agents: ["repo:acme/*"], verbs: [get, list, watch] }
  - id: deployers-write-apps
    effect: allow
    match: { claims: { repository: [acme/app, acme/api] }, verbs: [create, update, patch], apiGroups: [apps], resources: [deployments] }
  - id: platform-group
    effect: allow
    match: { groups: ["platform-*"], issuers: [okta] }
  - id: canary-only
    effect: deny
    message: Only canary deployments may be deleted by CI.
    match: { verbs: [delete], resources: [deployments] }
    except: { names: ["*-canary"] }
  - id: logs-are-fine
    effect: allow
    match: { verbs: [get], resources: [pods], subresources: [log] }
  - id: secrets-unmasked-for-rotation
    effect: allow
    unmaskSecrets: true
    match: { agents: [rotator], verbs: [get], resources: [secrets], namespaces: ["team-*"] }
  - id: staging-cleanup
    effect: approve
    match: { "claims.environment": "stag*", verbs: [deletecollection] }
  - id: version-anyone
    effect: allow
    match: { nonResourceURLs: [/version, "/openapi/*"] }
  - id: sa-default-image-check
    effect: approve
    match:
      verbs: [create]
      resources: [pods]
      body: { fields: [{ podSpecPath: containers.image, values: ["*:latest"] }] }
`);

describe('evaluatePolicy', () => {
  it.each<[string, PolicyInput, string, string]>([
    ['an agent glob', input(r({ verb: 'list', resource: 'pods', namespace: 'shop' })), 'allow', 'ci-reads'],
    ['an agent outside the glob', input(r({ verb: 'list', resource: 'pods', namespace: 'shop' }), { identity: identity({ agent: 'repo:other/app' }) }), 'deny', 'default'],
    ['a claim value', input(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' })), 'allow', 'deployers-write-apps'],
    ['a claim value not listed', input(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { identity: identity({ claims: { repository: 'acme/web' } }) }), 'deny', 'default'],
    ['a missing claim', input(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { identity: identity({ claims: {} }) }), 'deny', 'default'],
    ['the wrong API group', input(r({ verb: 'patch', resource: 'deployments', apiGroup: 'extensions', namespace: 'shop', name: 'web' })), 'deny', 'default'],
    ['a group glob and issuer', input(r({ verb: 'delete', resource: 'configmaps', namespace: 'shop', name: 'c' }), { identity: identity({ issuer: 'okta', groups: ['devs', 'platform-admins'] }) }), 'allow', 'platform-group'],
    ['a group glob with the wrong issuer', input(r({ verb: 'delete', resource: 'configmaps', namespace: 'shop', name: 'c' }), { identity: identity({ groups: ['platform-admins'] }) }), 'deny', 'default'],
    ['except: a canary may be deleted', input(r({ verb: 'delete', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web-canary' }), { identity: identity({ issuer: 'okta', groups: ['platform-x'] }) }), 'allow', 'platform-group'],
    ['deny beats allow for a non-canary', input(r({ verb: 'delete', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { identity: identity({ issuer: 'okta', groups: ['platform-x'] }) }), 'deny', 'canary-only'],
    ['a subresource listed', input(r({ verb: 'get', resource: 'pods', namespace: 'shop', name: 'p', subresource: 'log' }), { identity: identity({ agent: 'x' }) }), 'allow', 'logs-are-fine'],
    ['resources without subresources do not cover them (like RBAC)', input(r({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web', subresource: 'scale' })), 'deny', 'default'],
    ['a namespace glob', input(r({ verb: 'get', resource: 'secrets', namespace: 'team-a', name: 's' }), { identity: identity({ agent: 'rotator' }) }), 'allow', 'secrets-unmasked-for-rotation'],
    ['a namespace outside the glob', input(r({ verb: 'get', resource: 'secrets', namespace: 'shop', name: 's' }), { identity: identity({ agent: 'rotator' }) }), 'deny', 'default'],
    ['a non-resource URL glob', input(nonResourceRequest('/openapi/v3/apis/apps/v1'), { identity: identity({ agent: 'x' }) }), 'allow', 'version-anyone'],
    ['a non-resource URL not listed', input(nonResourceRequest('/metrics'), { identity: identity({ agent: 'x' }) }), 'deny', 'default'],
    ['a body field glob through every pod spec', input(r({ verb: 'create', resource: 'pods', namespace: 'shop' }), { identity: identity({ agent: 'x' }), connection: 'sandbox', body: objectBody({ spec: { containers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'busybox:latest' }] } }) }), 'approve', 'sa-default-image-check'],
    ['a body field not matching', input(r({ verb: 'create', resource: 'pods', namespace: 'shop' }), { identity: identity({ agent: 'x' }), connection: 'sandbox', body: objectBody({ spec: { containers: [{ name: 'a', image: 'nginx:1.27' }] } }) }), 'allow', 'default'],
    ['a claims.<name> shorthand', input(r({ verb: 'deletecollection', resource: 'configmaps', namespace: 'shop' }), { identity: identity({ agent: 'x' }) }), 'approve', 'staging-cleanup'],
    ['the connection default', input(r({ verb: 'create', resource: 'configmaps', namespace: 'shop' }), { connection: 'prod' }), 'approve', 'default'],
    ['the * default', input(r({ verb: 'create', resource: 'configmaps', namespace: 'shop' }), { connection: 'other' }), 'deny', 'default'],
  ])('%s -> %s (%s)', (_name, policyInput, effect, ruleId) => {
    const decision = evaluatePolicy(policy, policyInput);
    expect({ effect: decision.effect, ruleId: decision.ruleId }).toEqual({ effect, ruleId });
  });

  it('lists every matching rule and takes the message of the winning one', () => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'delete', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' }), { identity: identity({ issuer: 'okta', groups: ['platform-x'] }) }));
    expect(decision).toEqual({
      effect: 'deny', reason: 'rule', ruleId: 'canary-only', message: 'Only canary deployments may be deleted by CI.', unmaskSecrets: false,
      matchedRuleIds: ['platform-group', 'canary-only'],
    });
  });

  it('unmasks Secrets when a matching allow rule says so', () => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'get', resource: 'secrets', namespace: 'team-a', name: 's' }), { identity: identity({ agent: 'rotator' }) }));
    expect(decision.unmaskSecrets).toBe(true);
  });

  it('never unmasks on a deny', () => {
    const strict = policyFrom(`apiVersion: gatehouse.dev/v1\nkind: Policy\npacks: [baseline]\nrules:\n  - id: unmask\n    effect: allow\n    unmaskSecrets: true\n    match: { resources: [secrets], verbs: [get] }\n`);
    const decision = evaluatePolicy(strict, input(r({ verb: 'get', resource: 'secrets', namespace: 'kube-system', name: 's' })));
    expect({ effect: decision.effect, unmaskSecrets: decision.unmaskSecrets }).toEqual({ effect: 'deny', unmaskSecrets: false });
  });

  it('explains a default decision', () => {
    const decision = evaluatePolicy(policy, input(r({ verb: 'create', resource: 'configmaps', namespace: 'shop' }), { connection: 'prod' }));
    expect(decision.message).toBe('No Gatehouse policy rule matched; the default for connection "prod" is approve.');
  });

  it('denies by default when a policy sets no defaults (fail closed)', () => {
    const bare = policyFrom('apiVersion: gatehouse.dev/v1\nkind: Policy\n');
    expect(evaluatePolicy(bare, input(r({ verb: 'get', resource: 'pods', namespace: 'shop' }))).effect).toBe('deny');
  });

  it('does not match namespace-label rules when labels are unknown', () => {
    const labelled = policyFrom('apiVersion: gatehouse.dev/v1\nkind: Policy\ndefaults: { "*": allow }\nrules:\n  - id: pci\n    effect: deny\n    match: { namespaceLabels: { compliance: "pci*" } }\n');
    const request = r({ verb: 'get', resource: 'pods', namespace: 'cards' });
    expect(evaluatePolicy(labelled, input(request)).effect).toBe('allow');
    expect(evaluatePolicy(labelled, input(request, { namespaceLabels: { compliance: 'pci-dss' } })).effect).toBe('deny');
  });

  it('decides quickly with many rules (index by verb and resource)', () => {
    const rules = Array.from({ length: 200 }, (_, i) => `  - id: r${i}\n    effect: deny\n    match: { verbs: [delete], resources: [res${i}], namespaces: ["ns-${i}-*"] }\n`).join('');
    const big = policyFrom(`apiVersion: gatehouse.dev/v1\nkind: Policy\ndefaults: { "*": allow }\nrules:\n${rules}`);
    const request = input(r({ verb: 'delete', resource: 'res150', namespace: 'ns-150-a', name: 'x' }));
    expect(evaluatePolicy(big, request).ruleId).toBe('r150');
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) evaluatePolicy(big, request);
    const perSecond = 20_000 / (Number(process.hrtime.bigint() - started) / 1e9);
    expect(perSecond).toBeGreaterThan(50_000); // the bench measures the real figure; this only catches a collapse
  });
});

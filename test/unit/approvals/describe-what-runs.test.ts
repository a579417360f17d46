import { describeWhatRuns, WHAT_RUNS_LIMITS, type WhatRuns, type WhatRunsInput } from '../../../lambdas/core/approvals/describe-what-runs';
import { INERT_PARAMETERS, isLeftOut, MEANING_CHANGING_PARAMETERS, splitQuery } from '../../../lambdas/core/approvals/query-parameters';
import { classifyRequest } from '../../../lambdas/core/classify-request';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl';
const SECRET_B64 = Buffer.from('hunter2-prod-db').toString('base64');

function describe_(method: string, path: string, query = '', contentType = '', body = ''): WhatRuns {
  const q = new URLSearchParams(query);
  const input: WhatRunsInput = { method, request: classifyRequest(method, path, q), query: q, contentType, body: Buffer.from(body) };
  return describeWhatRuns(input);
}
const deploy = '/apis/apps/v1/namespaces/prod/deployments/web';
const secret = '/api/v1/namespaces/prod/secrets/db';

describe('which query parameters an approval covers', () => {
  const del = classifyRequest('DELETE', deploy, new URLSearchParams());
  it.each([
    ['timeout', true], ['pretty', true], ['timeoutSeconds', true], ['allowWatchBookmarks', true],
    ['dryRun', false], ['force', false], ['propagationPolicy', false], ['gracePeriodSeconds', false], ['fieldManager', false],
    ['fieldValidation', false], ['orphanDependents', false], ['resourceVersion', false], ['labelSelector', false], ['x-unknown', false], ['Timeout', false],
  ])('%s is left out: %s', (name, leftOut) => {
    expect(isLeftOut(name, del)).toBe(leftOut);
  });

  it.each<[string, string, string, boolean]>([
    ['list', 'GET', '/api/v1/namespaces/prod/secrets', true],
    ['watch', 'GET', '/api/v1/namespaces/prod/pods?watch=1', true],
    ['deletecollection', 'DELETE', '/api/v1/namespaces/prod/pods', false],
  ])('limit and continue of a %s are left out: %s', (_verb, method, target, leftOut) => {
    const [p, q = ''] = target.split('?');
    const scope = classifyRequest(method, p!, new URLSearchParams(q));
    expect([isLeftOut('limit', scope), isLeftOut('continue', scope)]).toEqual([leftOut, leftOut]);
  });

  it('keeps everything for a proxy subresource and a non-resource path', () => {
    for (const p of ['/api/v1/namespaces/prod/services/web/proxy/admin', '/livez']) {
      expect(splitQuery('timeout=1s&pretty=true', classifyRequest('GET', p, new URLSearchParams())).leftOut).toEqual([]);
    }
  });

  it('documents every parameter it names, and no parameter is both kept and inert', () => {
    for (const name of INERT_PARAMETERS.keys()) expect(MEANING_CHANGING_PARAMETERS.has(name)).toBe(false);
    for (const why of [...INERT_PARAMETERS.values(), ...MEANING_CHANGING_PARAMETERS.values()]) expect(why.length).toBeGreaterThan(10);
  });
});

describe('describeWhatRuns', () => {
  it('describes kubectl delete: method, path, options kept, the timeout left out', () => {
    const what = describe_('DELETE', deploy, 'timeout=30s&propagationPolicy=Background&dryRun=All', 'application/json', '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}');
    expect(what).toMatchObject({
      method: 'DELETE', path: deploy, query: [['dryRun', 'All'], ['propagationPolicy', 'Background']], leftOut: ['timeout'], mediaType: 'application/json',
      body: { state: 'shown', text: '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}', cut: false },
    });
    expect(what.notes).toEqual([expect.stringContaining('dry run')]);
  });

  it.each<[string, string, string, RegExp]>([
    ['force on apply', 'PATCH', 'force=true&fieldManager=ci', /force=true/],
    ['an immediate kill', 'DELETE', 'gracePeriodSeconds=0', /gracePeriodSeconds=0/],
    ['orphaned dependents', 'DELETE', 'propagationPolicy=Orphan', /left running/],
    ['foreground deletion', 'DELETE', 'propagationPolicy=Foreground', /before the object/],
    ['dropped unknown fields', 'PATCH', 'fieldValidation=Ignore', /dropped silently/],
  ])('warns about %s', (_case, method, query, note) => {
    const what = describe_(method, deploy, query, 'application/apply-patch+yaml', method === 'PATCH' ? 'spec: {replicas: 1}' : '');
    expect(what.notes.join('\n')).toMatch(note);
    expect(what.query.map(([n]) => n)).toEqual(expect.arrayContaining([...new URLSearchParams(query).keys()]));
  });

  it('reads delete options from the body too, and warns about a collection delete without selectors', () => {
    expect(describe_('DELETE', deploy, '', 'application/json', '{"gracePeriodSeconds":0}').notes).toEqual([expect.stringContaining('gracePeriodSeconds=0')]);
    expect(describe_('DELETE', '/api/v1/namespaces/prod/pods').notes).toEqual([expect.stringContaining('every object in the collection')]);
  });

  it.each<[string, string, string, string[]]>([
    ['a strategic merge image swap', 'application/strategic-merge-patch+json',
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"evil:latest"}]}}}}', ['set spec.template.spec.containers[name=web].image']],
    ['strategic directives', 'application/strategic-merge-patch+json',
      '{"metadata":{"labels":{"old":null}},"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}],"$setElementOrder/containers":[{"name":"web"}]}}}}',
      ['remove metadata.labels.old', 'remove spec.template.spec.containers[name=sidecar]']],
    ['a merge patch (lists are replaced whole)', 'application/merge-patch+json',
      '{"metadata":{"labels":{"app":"web","app.kubernetes.io/name":"x","gone":null}},"spec":{"template":{"spec":{"containers":[{"name":"web"}]}}}}',
      ['set metadata.labels.app', 'set metadata.labels["app.kubernetes.io/name"]', 'remove metadata.labels.gone', 'set spec.template.spec.containers']],
    ['a JSON patch (ops and pointers as sent)', 'application/json-patch+json',
      '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"evil"},{"op":"remove","path":"/metadata/labels/app"},{"op":"move","from":"/a","path":"/b"}]',
      ['replace /spec/template/spec/containers/0/image', 'remove /metadata/labels/app', 'move /b from /a']],
    ['a server-side apply (identity fields left out)', 'application/apply-patch+yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  labels: {app: web}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n          protocol: TCP\n',
      ['set metadata.labels.app', 'set spec.replicas', 'set spec.template.spec.containers[name=web].image', 'set spec.template.spec.containers[name=web].ports[containerPort=80].protocol']],
  ])('lists the fields of %s', (_case, contentType, body, expected) => {
    const what = describe_('PATCH', deploy, '', contentType, body);
    expect(what.patch?.changes.map((c) => `${c.op} ${c.path}${c.from ? ` from ${c.from}` : ''}`)).toEqual(expected);
    expect(what.patch?.total).toBe(expected.length);
    expect(what.body.state).toBe('shown');
  });

  it('caps the number of fields and says how many there are', () => {
    const labels = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, 'x']));
    const what = describe_('PATCH', deploy, '', 'application/merge-patch+json', JSON.stringify({ metadata: { labels } }));
    expect(what.patch).toMatchObject({ total: 100 });
    expect(what.patch!.changes).toHaveLength(WHAT_RUNS_LIMITS.changes);
  });

  it.each<[string, string, string, string]>([
    ['a Secret created as JSON', 'POST', 'application/json', JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { password: SECRET_B64 } })],
    ['a Secret created as YAML', 'POST', 'application/yaml', `kind: Secret\napiVersion: v1\nmetadata: {name: db}\nstringData:\n  password: hunter2-prod-db\n`],
    ['a merge patch of Secret data', 'PATCH', 'application/merge-patch+json', JSON.stringify({ data: { password: SECRET_B64 } })],
    ['a strategic patch with the last-applied copy', 'PATCH', 'application/strategic-merge-patch+json',
      JSON.stringify({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Secret', data: { password: SECRET_B64 } }) } }, data: { password: SECRET_B64 } })],
    ['a JSON patch of Secret data', 'PATCH', 'application/json-patch+json', JSON.stringify([
      { op: 'replace', path: '/data/password', value: SECRET_B64 }, { op: 'add', path: '/stringData', value: { password: 'hunter2-prod-db' } },
      { op: 'add', path: '/data/odd/', value: SECRET_B64 },
    ])],
    ['a server-side apply of a Secret', 'PATCH', 'application/apply-patch+yaml', `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2-prod-db}\n`],
  ])('never shows the values of %s', (_case, method, contentType, body) => {
    const target = method === 'POST' ? '/api/v1/namespaces/prod/secrets' : secret;
    const what = describe_(method, target, '', contentType, body);
    const all = JSON.stringify(what);
    expect(all).not.toContain(SECRET_B64);
    expect(all).not.toContain('hunter2');
    expect(what.body).toMatchObject({ state: 'shown', text: expect.stringContaining('MASKED') });
    // The preview shows what runs: the masking marker annotation is not something the request adds.
    expect(all).not.toContain('gatehouse.dev/masked');
  });

  it.each<[string, string, string, string]>([
    ['a JWT in a ConfigMap', '/api/v1/namespaces/prod/configmaps/app', 'application/merge-patch+json', JSON.stringify({ data: { token: JWT } })],
    ['a JWT in an env var of a JSON patch', deploy, 'application/json-patch+json', JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'TOKEN', value: JWT } }])],
    ['a JWT in a label key', deploy, 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { [JWT]: 'x' } } })],
  ])('masks credential patterns: %s', (_case, target, contentType, body) => {
    expect(JSON.stringify(describe_('PATCH', target, '', contentType, body))).not.toContain(JWT);
  });

  it('masks credentials in query values (an exec command line)', () => {
    const what = describe_('POST', '/api/v1/namespaces/prod/pods/api-0/exec', `container=api&command=curl&command=-H&command=Authorization: Bearer ${JWT}`);
    expect(JSON.stringify(what)).not.toContain(JWT);
    expect(what.query.map(([n]) => n)).toEqual(['command', 'command', 'command', 'container']);
  });

  it('caps the preview and keeps the full size', () => {
    const body = JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(10_000) } });
    const what = describe_('PUT', '/api/v1/namespaces/prod/configmaps/big', '', 'application/json', body);
    expect(what.body).toMatchObject({ state: 'shown', bytes: body.length, cut: true });
    expect((what.body as { text: string }).text.length).toBeLessThanOrEqual(WHAT_RUNS_LIMITS.preview);
    expect(JSON.stringify(what).length).toBeLessThan(8_000);
  });

  it('stays small however large the request (the approval item must fit DynamoDB\'s 400 KB)', () => {
    const query = Array.from({ length: 500 }, (_, i) => `labelSelector=${'v'.repeat(5_000)}${i}`).join('&');
    const labels = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`${'k'.repeat(1_000)}${i}`, 'x'.repeat(1_000)]));
    const what = describe_('PATCH', `${deploy}${'/x'.repeat(2_000)}`, query, 'application/merge-patch+json', JSON.stringify({ metadata: { labels } }));
    expect(what.moreQuery).toBe(500 - WHAT_RUNS_LIMITS.queryEntries);
    expect(Buffer.byteLength(JSON.stringify(what))).toBeLessThan(30_000);
  });

  it.each<[string, string, string, RegExp]>([
    ['invalid JSON', 'application/json', '{"spec":', /not valid JSON/],
    ['repeated keys', 'application/merge-patch+json', '{"spec":{"replicas":1},"spec":{"hostNetwork":true}}', /repeats a key/],
    ['several YAML documents', 'application/yaml', 'a: 1\n---\nb: 2\n', /several YAML documents/],
    ['protobuf', 'application/vnd.kubernetes.protobuf', 'k8s\u0000\n\u0002v1\u0012\u0006Secret', /does not decode/],
    ['no content type', '', `{"data":{"password":"${SECRET_B64}"}}`, /no content type/],
    ['a JSON patch that is not a list of operations', 'application/json-patch+json', `{"op":"add","path":"/data/x","value":"${SECRET_B64}"}`, /not a list/],
  ])('describes %s without showing it', (_case, contentType, body, why) => {
    const what = describe_('PATCH', secret, '', contentType, body);
    expect(what.body).toMatchObject({ state: 'hidden', bytes: Buffer.byteLength(body), why: expect.stringMatching(why) });
    expect(JSON.stringify(what)).not.toContain(SECRET_B64);
    expect(JSON.stringify(what)).not.toContain('hostNetwork');
  });
});

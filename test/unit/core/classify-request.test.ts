import { classifyRequest, describeRequest } from '../../../lambdas/core/classify-request';
import { BadRequestError } from '../../../lambdas/core/errors';
import type { RequestInfo } from '../../../lambdas/core/request-info';

/** Classifies `path?query` as a decoded request target (the query parsed as Go would). */
function classify(method: string, target: string): RequestInfo {
  const [path = '', query = ''] = target.split(/\?(.*)/s);
  return classifyRequest(method, path, new URLSearchParams(query));
}

type Expected = Partial<RequestInfo>;
const resource = (fields: Expected): Expected => ({ isResourceRequest: true, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', subresource: '', ...fields });

describe('classifyRequest', () => {
  it.each<[string, string, string, Expected]>([
    ['a pod list in a namespace', 'GET', '/api/v1/namespaces/prod/pods?limit=500', resource({ verb: 'list', namespace: 'prod', resource: 'pods', name: '', parts: ['pods'] })],
    ['a pod list in all namespaces', 'GET', '/api/v1/pods?limit=500', resource({ verb: 'list', namespace: '', resource: 'pods', name: '' })],
    ['a trailing slash like the API server (ignored)', 'GET', '/api/v1/namespaces/prod/pods/', resource({ verb: 'list', namespace: 'prod', resource: 'pods' })],
    ['a get of one pod', 'GET', '/api/v1/namespaces/prod/pods/web-0', resource({ verb: 'get', namespace: 'prod', resource: 'pods', name: 'web-0', parts: ['pods', 'web-0'] })],
    ['HEAD as get', 'HEAD', '/api/v1/namespaces/prod/pods/web-0', resource({ verb: 'get', name: 'web-0' })],
    ['POST as create', 'POST', '/api/v1/namespaces/prod/pods?fieldManager=kubectl-create', resource({ verb: 'create', namespace: 'prod', resource: 'pods', name: '' })],
    ['PUT as update in a group', 'PUT', '/apis/apps/v1/namespaces/prod/deployments/api', { isResourceRequest: true, verb: 'update', apiPrefix: 'apis', apiGroup: 'apps', apiVersion: 'v1', namespace: 'prod', resource: 'deployments', name: 'api' }],
    ['server-side apply as patch', 'PATCH', '/apis/apps/v1/namespaces/prod/deployments/api?fieldManager=kubectl&fieldValidation=Strict&force=false', { verb: 'patch', apiGroup: 'apps', resource: 'deployments', name: 'api' }],
    ['DELETE of one object as delete', 'DELETE', '/apis/apps/v1/namespaces/prod/deployments/api', { verb: 'delete', resource: 'deployments', name: 'api' }],
    ['DELETE of a collection as deletecollection', 'DELETE', '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb', resource({ verb: 'deletecollection', resource: 'pods', name: '' })],
    ['the scale subresource', 'GET', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { verb: 'get', apiGroup: 'apps', resource: 'deployments', name: 'api', subresource: 'scale', parts: ['deployments', 'api', 'scale'] }],
    ['a scale update', 'PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { verb: 'patch', subresource: 'scale' }],
    ['pod logs', 'GET', '/api/v1/namespaces/prod/pods/p/log?container=c&follow=true', resource({ verb: 'get', resource: 'pods', name: 'p', subresource: 'log' })],
    ['exec over SPDY', 'POST', '/api/v1/namespaces/prod/pods/p/exec?command=sh&stdin=true&stdout=true&tty=true', resource({ verb: 'create', name: 'p', subresource: 'exec' })],
    ['exec over WebSocket', 'GET', '/api/v1/namespaces/prod/pods/p/exec?command=sh&stdout=true', resource({ verb: 'get', name: 'p', subresource: 'exec' })],
    ['attach', 'POST', '/api/v1/namespaces/prod/pods/p/attach?stdout=true', resource({ verb: 'create', subresource: 'attach' })],
    ['port-forward', 'GET', '/api/v1/namespaces/prod/pods/p/portforward?ports=8080', resource({ verb: 'get', subresource: 'portforward' })],
    ['ephemeral containers', 'PATCH', '/api/v1/namespaces/prod/pods/p/ephemeralcontainers', resource({ verb: 'patch', subresource: 'ephemeralcontainers' })],
    ['status updates', 'PUT', '/api/v1/namespaces/prod/pods/p/status', resource({ verb: 'update', subresource: 'status' })],
    ['the proxy subresource with its tail', 'GET', '/api/v1/namespaces/prod/pods/p/proxy/metrics', resource({ verb: 'get', name: 'p', subresource: 'proxy', parts: ['pods', 'p', 'proxy', 'metrics'] })],
    ['a service proxy with a port name', 'GET', '/api/v1/namespaces/prod/services/https:web:443/proxy/', resource({ resource: 'services', name: 'https:web:443', subresource: 'proxy' })],
    ['a cluster-scoped RBAC name with a colon', 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user', { isResourceRequest: true, verb: 'get', apiGroup: 'rbac.authorization.k8s.io', namespace: '', resource: 'clusterrolebindings', name: 'system:basic-user' }],
    ['a cluster-scoped object', 'GET', '/api/v1/nodes/ip-10-0-0-1.ec2.internal', resource({ verb: 'get', namespace: '', resource: 'nodes', name: 'ip-10-0-0-1.ec2.internal' })],
    ['a custom resource list', 'GET', '/apis/cert-manager.io/v1/namespaces/prod/certificates', { verb: 'list', apiGroup: 'cert-manager.io', namespace: 'prod', resource: 'certificates' }],
    ['the namespace list', 'GET', '/api/v1/namespaces', resource({ verb: 'list', namespace: '', resource: 'namespaces', name: '', parts: ['namespaces'] })],
    ['a namespace object, whose namespace is its name', 'GET', '/api/v1/namespaces/prod', resource({ verb: 'get', namespace: 'prod', resource: 'namespaces', name: 'prod', parts: ['namespaces', 'prod'] })],
    ['a namespace deletion', 'DELETE', '/api/v1/namespaces/prod', resource({ verb: 'delete', namespace: 'prod', resource: 'namespaces', name: 'prod' })],
    ['the namespace status subresource', 'PUT', '/api/v1/namespaces/prod/status', resource({ verb: 'update', namespace: 'prod', resource: 'namespaces', name: 'prod', subresource: 'status', parts: ['namespaces', 'prod', 'status'] })],
    ['the namespace finalize subresource', 'PUT', '/api/v1/namespaces/prod/finalize', resource({ verb: 'update', resource: 'namespaces', name: 'prod', subresource: 'finalize' })],
    ['the deprecated watch prefix in a namespace', 'GET', '/api/v1/watch/namespaces/prod/pods', resource({ verb: 'watch', namespace: 'prod', resource: 'pods', name: '', parts: ['pods'] })],
    ['the deprecated watch prefix across namespaces', 'GET', '/api/v1/watch/pods', resource({ verb: 'watch', namespace: '', resource: 'pods' })],
    ['the deprecated watch prefix on one object', 'GET', '/api/v1/watch/namespaces/prod/pods/web-0', resource({ verb: 'watch', resource: 'pods', name: 'web-0' })],
    ['the deprecated watch prefix in a group', 'GET', '/apis/apps/v1/watch/namespaces/prod/deployments', { verb: 'watch', apiGroup: 'apps', namespace: 'prod', resource: 'deployments' }],
    ['the deprecated proxy prefix, which has no subresource', 'GET', '/api/v1/proxy/namespaces/prod/pods/web-0/metrics', resource({ verb: 'proxy', namespace: 'prod', resource: 'pods', name: 'web-0', subresource: '', parts: ['pods', 'web-0', 'metrics'] })],
    ['an unknown method as an empty verb', 'OPTIONS', '/api/v1/namespaces/prod/pods', resource({ verb: '', resource: 'pods' })],
    ['a lower-case method as an empty verb, like the case-sensitive Go switch', 'get', '/api/v1/namespaces/prod/pods', resource({ verb: '' })],
    ['a method named like an object property as an empty verb', 'constructor', '/api/v1/namespaces/prod/pods', resource({ verb: '' })],
    ['repeated leading slashes, trimmed as Go does', 'GET', '//api/v1/namespaces/prod/pods', resource({ verb: 'list', namespace: 'prod', resource: 'pods', parts: ['pods'] })],
    ['repeated trailing slashes, trimmed as Go does', 'GET', '/api/v1/namespaces/prod/pods//', resource({ verb: 'list', namespace: 'prod', resource: 'pods', parts: ['pods'] })],
  ])('classifies %s', (_case, method, target, expected) => {
    expect(classify(method, target)).toMatchObject(expected);
  });

  it.each<[string, string, string]>([
    ['watch=true', '/api/v1/namespaces/prod/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true', 'watch'],
    ['watch=1', '/api/v1/namespaces/prod/pods?watch=1', 'watch'],
    ['an empty watch value (only false and 0 are false)', '/api/v1/namespaces/prod/pods?watch=', 'watch'],
    ['watch=yes', '/api/v1/namespaces/prod/pods?watch=yes', 'watch'],
    ['watch=false', '/api/v1/namespaces/prod/pods?watch=false', 'list'],
    ['watch=FALSE', '/api/v1/namespaces/prod/pods?watch=FALSE', 'list'],
    ['watch=0', '/api/v1/namespaces/prod/pods?watch=0', 'list'],
    ['the first of repeated watch values', '/api/v1/namespaces/prod/pods?watch=false&watch=true', 'list'],
    ['"falſe", false to Go\'s EqualFold when the options decode', '/api/v1/namespaces/prod/pods?watch=fal%C5%BFe', 'list'],
    ['"falſe", true to strings.ToLower when the options fail to decode', '/api/v1/namespaces/prod/pods?watch=fal%C5%BFe&limit=x', 'watch'],
    ['a bad limit, which still honours watch', '/api/v1/namespaces/prod/pods?watch=true&limit=ten', 'watch'],
    ['watch=false when the options fail to decode', '/api/v1/namespaces/prod/pods?watch=false&limit=x', 'list'],
    ['watch=0 when the options fail to decode', '/api/v1/namespaces/prod/pods?watch=0&limit=x', 'list'],
    ['watch=FALSE when the options fail to decode (ASCII lower-cased)', '/api/v1/namespaces/prod/pods?watch=FALSE&limit=x', 'list'],
    ['watch=False when the options fail to decode', '/api/v1/namespaces/prod/pods?watch=False&limit=x', 'list'],
  ])('reads the list verb from %s', (_case, target, verb) => {
    expect(classify('GET', target).verb).toBe(verb);
  });

  it.each<[string, string, string, string]>([
    ['a list with a metadata.name field selector (a named list)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0', 'list', 'web-0'],
    ['a single-object watch, as kubectl get pod web-0 -w sends it', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&watch=true&resourceVersion=42', 'watch', 'web-0'],
    ['the == operator', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D%3Dweb-0', 'list', 'web-0'],
    ['a name among other field terms', '/api/v1/namespaces/prod/pods?fieldSelector=status.phase%3DRunning,metadata.name%3Dweb-0', 'list', 'web-0'],
    ['the first name in sorted term order', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Db,metadata.name%3Da', 'list', 'a'],
    ['an escaped comma in the value', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%5C,0', 'list', 'web,0'],
    ['a valid label selector alongside', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&labelSelector=app+in+(web,api),tier!%3Ddb', 'list', 'web-0'],
    ['an integer timeout alongside', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&timeoutSeconds=30&limit=%2B500', 'list', 'web-0'],
    ['a != term, which requires no exact match', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name!%3Dweb-0', 'list', ''],
    ['another field only', '/api/v1/namespaces/prod/pods?fieldSelector=spec.nodeName%3Dnode-1', 'list', ''],
    ['an empty field selector', '/api/v1/namespaces/prod/pods?fieldSelector=', 'list', ''],
    ['an empty name', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D', 'list', ''],
    ['a name that is not a valid path segment (slash)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Da%2Fb', 'list', ''],
    ['a name that is not a valid path segment (..)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D..', 'list', ''],
    ['a name that is not a valid path segment (%)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D50%25', 'list', ''],
    ['an unescaped "=" in the value (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Da%3Db', 'list', ''],
    ['a term without an operator (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0,garbage', 'list', ''],
    ['an unknown escape (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%5Cx', 'list', ''],
    ['a non-integer limit (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&limit=abc', 'list', ''],
    ['an out-of-range limit (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&limit=9223372036854775808', 'list', ''],
    ['a fractional timeout (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&timeoutSeconds=3.5', 'list', ''],
    ['an invalid label selector (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&labelSelector=app%3D((', 'list', ''],
    ['a name that is not a valid path segment (.)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3D.', 'list', ''],
    ['a leading comma before the name term (an empty term, skipped)', '/api/v1/namespaces/prod/pods?fieldSelector=,metadata.name%3Dweb-0', 'list', 'web-0'],
    ['an escaped comma, then a second term', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%5C,0,spec.nodeName%3Dnode-1', 'list', 'web,0'],
    ['an escaped backslash in the value', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%5C%5C0', 'list', 'web\\0'],
    ['an escaped "=" in the value', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb%5C%3D0', 'list', 'web=0'],
    ['the smallest int64 limit alongside', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&limit=-9223372036854775808', 'list', 'web-0'],
    ['a limit below int64 (decode error)', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&limit=-9223372036854775809', 'list', ''],
  ])('names %s', (_case, target, verb, name) => {
    const info = classify('GET', target);

    expect(info.verb).toBe(verb);
    expect(info.name).toBe(name);
  });

  it('keeps deletecollection unnamed even with a metadata.name field selector', () => {
    const info = classify('DELETE', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0');

    expect(info).toMatchObject({ verb: 'deletecollection', name: '' });
  });

  it.each([
    'app=web', 'app==web', 'app!=web', 'app', '!app', 'app in (web,api)', 'app notin (web)', 'app in ()',
    'app in (,web)', 'app in (web,)', 'tier,!canary', 'example.com/app=web', 'app=', 'replicas>2', 'replicas<10',
    'in=notin', ' app = web , tier ', '', '\0((', 'app\0=web', `${'k'.repeat(63)}=${'v'.repeat(63)}`,
    'app\t=\tweb', 'app\r=\rweb', 'app\n=\nweb', 'App_Tier.v2=web', `${'a'.repeat(253)}/app=web`, 'app=,tier',
  ])('accepts the label selector %j like labels.Parse', (selector) => {
    const info = classifyRequest('GET', '/api/v1/namespaces/prod/pods', new URLSearchParams({ fieldSelector: 'metadata.name=web-0', labelSelector: selector }));

    expect(info.name).toBe('web-0');
  });

  it.each([
    'app=((', 'app in web', 'app in (web', 'app in (web api)', '!app=web', 'app>x', 'app>', 'replicas<-3', '-app=web',
    'app=-web', 'a/b/c=d', 'Example.com/app=web', '/app=web', 'app=web,', ',app', 'app=web app2', '=web', 'app=a b',
    `${'k'.repeat(64)}=v`, `k=${'v'.repeat(64)}`, 'app in (web),', 'app notin', 'app=!', 'app=web\0,bad(', 'app>=1',
    '-app', 'env in (=)', 'env in (=', 'env in (a,=', 'env in (a,-b)', 'replicas<ten', `${'a'.repeat(254)}/app=web`,
  ])('refuses the label selector %j like labels.Parse', (selector) => {
    const info = classifyRequest('GET', '/api/v1/namespaces/prod/pods', new URLSearchParams({ fieldSelector: 'metadata.name=web-0', labelSelector: selector }));

    expect(info.name).toBe('');
  });

  it.each<[string, string, string, string]>([
    ['/version', 'GET', '/version', 'get'],
    ['/healthz', 'GET', '/healthz', 'get'],
    ['the root', 'GET', '/', 'get'],
    ['/openapi/v3', 'GET', '/openapi/v3', 'get'],
    ['an openapi v3 group document', 'GET', '/openapi/v3/apis/apps/v1?hash=4F9A', 'get'],
    ['/openapi/v2', 'GET', '/openapi/v2', 'get'],
    ['/api', 'GET', '/api', 'get'],
    ['/api/v1 discovery', 'GET', '/api/v1', 'get'],
    ['/apis', 'GET', '/apis', 'get'],
    ['/apis/apps', 'GET', '/apis/apps', 'get'],
    ['a POST as the lower-cased method', 'POST', '/healthz', 'post'],
  ])('classifies %s as a non-resource request', (_case, method, target, verb) => {
    const info = classify(method, target);

    expect(info).toMatchObject({ isResourceRequest: false, verb, apiGroup: '', apiVersion: '', namespace: '', resource: '', name: '', parts: [] });
    expect(info.path).toBe(target.split('?')[0]);
  });

  it('reports the apis prefix on /apis/<group>/<version> discovery, as the API server does', () => {
    expect(classify('GET', '/apis/apps/v1')).toMatchObject({ isResourceRequest: false, apiPrefix: 'apis', verb: 'get' });
  });

  it.each(['/api/v1/watch', '/api/v1/proxy', '/apis/apps/v1/watch'])('refuses %s, which names no resource', (path) => {
    expect(() => classify('GET', path)).toThrow(BadRequestError);
  });
});

describe('describeRequest', () => {
  it.each<[string, string, string]>([
    ['DELETE', '/apis/apps/v1/namespaces/prod/deployments/api', 'delete deployments/api in namespace prod'],
    ['GET', '/api/v1/pods?limit=500', 'list pods in all namespaces'],
    ['GET', '/api/v1/namespaces/prod/pods?watch=1', 'watch pods in namespace prod'],
    ['GET', '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-0&watch=1', 'watch pods/web-0 in namespace prod'],
    ['DELETE', '/api/v1/namespaces/prod/pods', 'deletecollection pods in namespace prod'],
    ['GET', '/api/v1/namespaces/prod/pods/p/log?container=c', 'get pods/p/log in namespace prod'],
    ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale', 'patch deployments/api/scale in namespace prod'],
    ['GET', '/api/v1/nodes', 'list nodes'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user', 'get clusterrolebindings/system:basic-user'],
    ['GET', '/api/v1/namespaces/prod', 'get namespaces/prod'],
    ['PUT', '/api/v1/namespaces/prod/finalize', 'update namespaces/prod/finalize'],
    ['GET', '/apis/cert-manager.io/v1/namespaces/prod/certificates', 'list certificates.cert-manager.io in namespace prod'],
    ['GET', '/apis/cert-manager.io/v1/certificates?watch=true', 'watch certificates.cert-manager.io in all namespaces'],
    ['GET', '/apis/metrics.k8s.io/v1beta1/namespaces/prod/pods', 'list pods.metrics.k8s.io in namespace prod'],
    ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'create selfsubjectaccessreviews'],
    ['GET', '/version', 'get /version'],
    ['GET', '/apis', 'get /apis'],
    ['OPTIONS', '/api/v1/namespaces/prod/pods', 'request pods in namespace prod'],
    ['GET', '/apis/example.com/v1/namespaces/prod/namespaces/a', 'get namespaces.example.com/a in namespace prod'],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Dweb-0', 'list pods/web-0'],
  ])('describes %s %s as "%s"', (method, target, summary) => {
    expect(describeRequest(classify(method, target))).toBe(summary);
  });
});

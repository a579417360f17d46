import { Buffer } from 'node:buffer';
import { BadRequestError } from './errors';
import { queryBool } from './query-bool';
import type { RequestInfo } from './request-info';

// The sets of k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, as kube-apiserver configures them.
const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
// A Map, not an object literal: a method named "constructor" must not find Object.prototype's.
const METHOD_VERBS = new Map([['POST', 'create'], ['GET', 'get'], ['HEAD', 'get'], ['PUT', 'update'], ['PATCH', 'patch'], ['DELETE', 'delete']]);

/**
 * Classifies a request exactly as the API server's `RequestInfoFactory.NewRequestInfo` (Kubernetes
 * 1.31 to 1.35) does, so that Gatehouse's grants and records speak about the same verb, resource,
 * namespace and name as the cluster's own authorizer and audit log.
 *
 * Notable upstream behaviours reproduced on purpose: the method switch is case-sensitive (`get` is not
 * `GET`: verb `''`); `/apis/<group>/<version>` is a non-resource request that still reports
 * `apiPrefix: 'apis'`; a list or watch whose `fieldSelector` requires `metadata.name=<n>` gets name
 * `<n>` (a "named list", authorized like a get of one object) unless the list options fail to decode;
 * deprecated `/watch/` and `/proxy/` path prefixes set the verb (`proxy` never has a subresource).
 *
 * @param method HTTP method as received.
 * @param path decoded path (`ClusterPath.path`), not the encoded one.
 * @param query the request's query parameters.
 * @throws BadRequestError for `/api/v1/watch` or `/api/v1/proxy` without a resource, which the API
 *   server answers with an error too.
 */
export function classifyRequest(method: string, path: string, query: URLSearchParams): RequestInfo {
  const base = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', parts: [] as string[],
  };
  let rest = splitPath(path);
  if (rest.length < 3 || !API_PREFIXES.has(rest[0])) return base;
  const apiPrefix = rest[0];
  rest = rest.slice(1);
  let apiGroup = '';
  if (!GROUPLESS_API_PREFIXES.has(apiPrefix)) {
    if (rest.length < 3) return { ...base, apiPrefix };
    apiGroup = rest[0];
    rest = rest.slice(1);
  }
  const apiVersion = rest[0];
  rest = rest.slice(1);

  let verb: string;
  if (SPECIAL_VERBS.has(rest[0])) {
    if (rest.length < 2) {
      throw new BadRequestError(`The path ${path} uses the "${rest[0]}" prefix without naming a resource; add the resource, e.g. /api/v1/${rest[0]}/namespaces/default/pods.`);
    }
    verb = rest[0];
    rest = rest.slice(1);
  } else {
    verb = METHOD_VERBS.get(method) ?? '';
  }

  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    // `/namespaces/<ns>/status` is the namespace's own subresource; `/namespaces/<ns>/pods` a resource in it.
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const parts = rest;
  const subresource = parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(verb) ? parts[2] : '';
  let name = parts.length >= 2 ? parts[1] : '';
  const resource = parts[0] ?? '';

  if (name === '' && verb === 'get') {
    const options = decodeListOptions(query);
    verb = options.watch ? 'watch' : 'list';
    if (options.nameFromFieldSelector !== undefined && isValidPathSegmentName(options.nameFromFieldSelector)) {
      name = options.nameFromFieldSelector;
    }
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  return { isResourceRequest: true, path, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts };
}

/** Go's `strings.Split(strings.Trim(path, "/"), "/")`, with `[]` for an empty path. */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/** `path.IsValidPathSegmentName` from apimachinery: what may stand as one path segment. */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/**
 * What `ParameterCodec.DecodeParameters` into `ListOptions` yields for the two things requestinfo.go
 * reads. When any option fails to decode (bad selector, non-integer `limit`/`timeoutSeconds`) the
 * server keeps only `watch`, read with `strings.ToLower` (so "falſe" is true there: ToLower leaves "ſ"
 * alone); on success `watch` went through `Convert_Slice_string_To_bool` ({@link queryBool}), which uses
 * `strings.EqualFold`, where the long s "ſ" folds to "s".
 */
function decodeListOptions(query: URLSearchParams): { watch: boolean; nameFromFieldSelector?: string } {
  const watchValue = query.get('watch');
  const labelSelector = query.get('labelSelector');
  const fieldSelector = query.get('fieldSelector');
  const limit = query.get('limit');
  const timeoutSeconds = query.get('timeoutSeconds');
  const fields = fieldSelector === null ? [] : parseFieldSelector(fieldSelector);
  const decoded = fields !== undefined
    && (labelSelector === null || isValidLabelSelector(labelSelector))
    && (limit === null || isGoInt64(limit))
    && (timeoutSeconds === null || isGoInt64(timeoutSeconds));
  if (!decoded) {
    // Lowering ASCII only is exact here: no non-ASCII rune lowers (Go's unicode.ToLower) to a letter of "false".
    const lowered = watchValue?.replace(/[A-Z]/g, (c) => c.toLowerCase());
    return { watch: watchValue !== null && lowered !== 'false' && lowered !== '0' };
  }
  const watch = queryBool(query, 'watch');
  // fields.Selector.RequiresExactMatch: the first `=`/`==` term on the field, in sorted term order.
  const match = fields.find((term) => term.op !== '!=' && term.field === 'metadata.name');
  return { watch, nameFromFieldSelector: match?.value };
}

/** `strconv.ParseInt(s, 10, 64)` succeeds. */
function isGoInt64(text: string): boolean {
  return /^[+-]?[0-9]+$/.test(text) && BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n;
}

type FieldTerm = { readonly field: string; readonly op: string; readonly value: string };

/** `fields.ParseSelector`: terms split on unescaped commas, sorted bytewise; `undefined` on error. */
function parseFieldSelector(selector: string): FieldTerm[] | undefined {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    if (escaped) escaped = false;
    else if (selector[i] === '\\') escaped = true;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (selector !== '') terms.push(selector.slice(start));
  terms.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const result: FieldTerm[] = [];
  for (const term of terms.filter((t) => t !== '')) {
    const split = splitFieldTerm(term);
    const value = split && unescapeFieldValue(split.rest);
    if (!split || value === undefined) return undefined;
    result.push({ field: split.field, op: split.op, value });
  }
  return result;
}

function splitFieldTerm(term: string): { field: string; op: string; rest: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), op, rest: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** `fields.UnescapeValue`: `\\`, `\,`, `\=` are escapes; any other escape or a bare `,`/`=` is an error. */
function unescapeFieldValue(text: string): string | undefined {
  let out = '';
  let escaped = false;
  for (const char of text) {
    if (escaped) {
      if (char !== '\\' && char !== ',' && char !== '=') return undefined;
      out += char;
      escaped = false;
    } else if (char === '\\') escaped = true;
    else if (char === ',' || char === '=') return undefined;
    else out += char;
  }
  return escaped ? undefined : out;
}

// ---- labels.Parse, reduced to "is it valid": only success matters to requestinfo.go. ----

type LabelToken = 'id' | 'eos' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';
const LABEL_SYMBOLS = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const isLabelSpecial = (c: string): boolean => '=!(),><'.includes(c);
const isLabelSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The label selector lexer, byte for byte like Go's, including its NUL quirk: `read()` returns 0 both
 * at the end and for a NUL byte, so a NUL where a token starts ends the input, and one inside a token
 * just ends that token.
 */
function lexLabels(input: string): Array<[LabelToken, string]> {
  const tokens: Array<[LabelToken, string]> = [];
  let pos = 0;
  const read = (): string => (pos < input.length ? input[pos++] : '\0');
  for (;;) {
    let char = read();
    while (isLabelSpace(char)) char = read();
    if (char === '\0') return [...tokens, ['eos', '']];
    let literal = char;
    const special = isLabelSpecial(char);
    for (;;) {
      const next = read();
      if (next === '\0') break;
      // Specials: extend while the run is still an operator ("!=", "=="). Identifiers: up to a special or space.
      const grows = special ? LABEL_SYMBOLS.has(literal + next) : !isLabelSpecial(next) && !isLabelSpace(next);
      if (!grows) {
        pos--;
        break;
      }
      literal += next;
    }
    tokens.push(special ? [literal as LabelToken, literal] : [literal === 'in' || literal === 'notin' ? literal : 'id', literal]);
  }
}

function isLabelKey(key: string): boolean {
  const pieces = key.split('/');
  if (pieces.length > 2) return false;
  const name = pieces[pieces.length - 1];
  const prefixOk = pieces.length === 1 || (pieces[0].length <= 253 && DNS1123_SUBDOMAIN.test(pieces[0]));
  return prefixOk && name.length <= 63 && QUALIFIED_NAME.test(name);
}

const isLabelValue = (value: string): boolean => value === '' || (value.length <= 63 && QUALIFIED_NAME.test(value));

/** True when `labels.Parse(selector)` succeeds (same grammar, same key and value validation). */
function isValidLabelSelector(selector: string): boolean {
  const tokens = lexLabels(selector);
  let pos = 0;
  // In value position the keywords `in`/`notin` are plain identifiers, as in the Go parser.
  const look = (): LabelToken => (tokens[pos][0] === 'in' || tokens[pos][0] === 'notin' ? 'id' : tokens[pos][0]);
  const take = (): [LabelToken, string] => [look(), tokens[pos++][1]];
  const requirement = (): boolean => {
    let [token, key] = take();
    const negated = token === '!';
    if (negated) [token, key] = take();
    if (token !== 'id' || !isLabelKey(key)) return false;
    if (negated || look() === 'eos' || look() === ',') return true;
    const op = tokens[pos++][0];
    let values: string[];
    if (op === 'in' || op === 'notin') {
      if (take()[0] !== '(') return false;
      values = [];
      if (look() === ')') {
        pos++;
        values.push('');
      } else {
        for (;;) {
          const [t, literal] = take();
          if (t === 'id') {
            values.push(literal);
            if (look() === ')') break;
            if (look() !== ',') return false;
          } else if (t === ',') {
            if (values.length === 0 || look() === ')' || look() === ',') values.push('');
            if (look() === ')') break;
          } else return false;
        }
        pos++;
      }
    } else if (['=', '==', '!=', '>', '<'].includes(op)) {
      if (look() === 'eos' || look() === ',') values = [''];
      else {
        const [t, literal] = take();
        if (t !== 'id') return false;
        values = [literal];
      }
      if ((op === '>' || op === '<') && !isGoInt64(values[0])) return false;
    } else return false;
    return values.every(isLabelValue);
  };
  for (;;) {
    const token = look();
    if (token === 'eos') return true;
    if ((token !== 'id' && token !== '!') || !requirement()) return false;
    const [next] = take();
    if (next === 'eos') return true;
    if (next !== ',' || (look() !== 'id' && look() !== '!')) return false;
  }
}

// ---- human summaries ----

// Built-in groups whose resources people name bare ("deployments", "clusterroles"); any other group
// (CRDs, metrics.k8s.io, whose "pods" are not core pods) is shown as `resource.group`, as kubectl does.
const BARE_GROUPS = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io',
  'coordination.k8s.io', 'discovery.k8s.io', 'scheduling.k8s.io', 'node.k8s.io', 'certificates.k8s.io',
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'events.k8s.io',
  'flowcontrol.apiserver.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'resource.k8s.io',
]);
// Built-in cluster-scoped resources: a collection of these is not "in all namespaces".
const CLUSTER_SCOPED = new Set([
  'namespaces', 'nodes', 'persistentvolumes', 'componentstatuses', 'clusterroles', 'clusterrolebindings',
  'customresourcedefinitions', 'apiservices', 'storageclasses', 'csidrivers', 'csinodes', 'volumeattachments',
  'priorityclasses', 'runtimeclasses', 'ingressclasses', 'certificatesigningrequests', 'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings',
  'flowschemas', 'prioritylevelconfigurations', 'deviceclasses', 'resourceslices', 'ipaddresses', 'servicecidrs',
]);
const COLLECTION_VERBS = new Set(['list', 'watch', 'deletecollection']);

/**
 * A one-line human summary of a classified request, for messages and approval prompts:
 * `delete deployments/api in namespace prod`, `list pods in all namespaces`, `get pods/web/log in
 * namespace prod`, `list certificates.cert-manager.io in namespace prod`, `get /version`.
 * Plain text: escape it before putting it into Slack markup or HTML.
 *
 * A collection read without a namespace says "in all namespaces" unless the resource is a known
 * built-in cluster-scoped one; for a cluster-scoped custom resource that wording is broader than true.
 */
export function describeRequest(info: RequestInfo): string {
  const verb = info.verb || 'request';
  if (!info.isResourceRequest) return `${verb} ${info.path}`;
  const resource = BARE_GROUPS.has(info.apiGroup) ? info.resource : `${info.resource}.${info.apiGroup}`;
  const target = [resource, info.name, info.subresource].filter((part) => part !== '').join('/');
  // `/api/v1/namespaces/prod` is the namespace object itself: "in namespace prod" would be redundant.
  const isNamespaceObject = info.apiGroup === '' && info.resource === 'namespaces';
  if (info.namespace !== '' && !isNamespaceObject) return `${verb} ${target} in namespace ${info.namespace}`;
  if (info.namespace === '' && info.name === '' && COLLECTION_VERBS.has(verb) && !CLUSTER_SCOPED.has(info.resource)) {
    return `${verb} ${target} in all namespaces`;
  }
  return `${verb} ${target}`;
}

import { blockReads, matchesRequest } from './compiled-rule';
import type { CompiledPolicy } from './compile-policy';
import type { PolicyInput } from './policy-types';

/** What the proxy must read from the cluster before `evaluatePolicy` can judge a request faithfully. */
export interface PolicyNeeds {
  /**
   * The live object: a patch is judged by the object the server would store (the live object with the patch
   * applied), never by the patch text alone; a CEL rule on `oldObject` reads it too.
   */
  readonly liveObject: boolean;
  /** The request's Namespace object (its labels, CEL's `namespaceObject`). */
  readonly namespace: boolean;
}

const PATCH_VERBS = new Set(['patch']);
const OLD_OBJECT_VERBS = new Set(['update', 'patch', 'delete']);

/**
 * Which cluster reads the candidate rules need for this request. Only rules whose request-line conditions
 * already hold count (namespace labels are treated as unknown-but-possible), so a GET costs no extra read and
 * a patch no rule inspects is forwarded without one.
 */
export function policyNeeds(policy: CompiledPolicy, input: PolicyInput): PolicyNeeds {
  const req = input.request;
  if (!req.isResourceRequest) return { liveObject: false, namespace: false };
  let liveObject = false;
  let namespace = false;
  const hasBody = input.body.state === 'decoded';
  for (const rule of policy.index.candidatesFor(req)) {
    if (!matchesRequest(rule.match, input, true)) continue;
    const reads = blockReads(rule.match);
    if (reads.object && hasBody && PATCH_VERBS.has(req.verb)) liveObject = true;
    if (reads.oldObject && OLD_OBJECT_VERBS.has(req.verb) && req.name !== '') liveObject = true;
    if (req.namespace !== '' && (reads.namespaceObject || rule.except.some((e) => blockReads(e).namespaceObject))) namespace = true;
    if (liveObject && (namespace || req.namespace === '')) break;
  }
  return { liveObject: liveObject && req.name !== '', namespace };
}

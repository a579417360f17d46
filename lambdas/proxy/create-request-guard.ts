import type { GatewayConfig } from '../core/gateway-config';
import { BadRequestError, GatehouseError, UnsupportedMediaTypeError } from '../core/errors';
import { maskResponse } from '../core/masking/mask-response';
import { createStreamMasker } from '../core/masking/stream-masker';
import { compileCredentialPatterns, type CompiledPatterns } from '../core/masking/mask-text';
import { DEFAULT_CREDENTIAL_PATTERNS, type CredentialPattern } from '../core/masking/credential-patterns';
import type { Json } from '../core/patch/apply-json-patch';
import { applyPatch } from '../core/patch/apply-patch';
import { withResourceVersionPrecondition } from '../core/patch/resource-version-precondition';
import { compilePolicy } from '../core/policy/compile-policy';
import { decodeRequestBody } from '../core/policy/decode-request-body';
import { evaluatePolicy } from '../core/policy/evaluate-policy';
import { policyNeeds } from '../core/policy/policy-needs';
import type { PolicyInput } from '../core/policy/policy-types';
import { awsRequestShape } from '../core/approvals/aws-approval-subject';
import type { GuardVerdict, RequestGuard } from './request-guard';

/**
 * Builds the request guard from the configuration and the serialized policy (compiled once per Lambda
 * container). Masking uses the built-in credential patterns plus the connection's own.
 */
export function createRequestGuard(config: GatewayConfig, serializedPolicy: string): RequestGuard {
  const policy = compilePolicy([{ source: 'GATEHOUSE_POLICY', text: serializedPolicy }], { serialized: true });
  const patterns = new Map<string, readonly CredentialPattern[]>();
  for (const connection of config.connections) {
    if (connection.maskingPatterns?.length) {
      patterns.set(connection.name, [...DEFAULT_CREDENTIAL_PATTERNS, ...connection.maskingPatterns.map((p) => ({ id: p.id, regex: p.regex }))]);
    }
  }
  // AWS connections: the built-in credential patterns plus the connection's own, compiled once per container.
  let defaultAwsPatterns: CompiledPatterns | undefined;
  const awsPatterns = new Map<string, CompiledPatterns>();
  for (const connection of config.awsConnections ?? []) {
    if (connection.maskingPatterns?.length) {
      awsPatterns.set(connection.name, compileCredentialPatterns([...DEFAULT_CREDENTIAL_PATTERNS, ...connection.maskingPatterns.map((p) => ({ id: p.id, regex: p.regex }))]));
    }
  }
  return {
    // Status 0 is the request body (for the replay blob and the approver's preview), any other an answer.
    decideAws: ({ identity, connection, info, path }) => {
      const decision = evaluatePolicy(policy, { identity, connection, request: awsRequestShape(info, path), body: { state: 'none' }, aws: info });
      return { effect: decision.effect, reason: decision.reason, ruleId: decision.ruleId, message: decision.message, unmaskSecrets: decision.unmaskSecrets };
    },
    maskAws: ({ connection, info, status, contentType, body, unmask }) => {
      const patterns = awsPatterns.get(connection) ?? (defaultAwsPatterns ??= compileCredentialPatterns(DEFAULT_CREDENTIAL_PATTERNS));
      const input = { info, status, contentType, body, unmask, patterns };
      // Loaded on the first AWS answer: a kubectl-only container never loads the AWS masking tables.
      return status === 0
        ? (require('../core/masking/mask-aws-request-body') as typeof import('../core/masking/mask-aws-request-body')).maskAwsRequestBody(input)
        : (require('../core/masking/mask-aws-response') as typeof import('../core/masking/mask-aws-response')).maskAwsResponse(input);
    },
    inspect: ({ identity, connection, request, contentType, body, query }) => {
      const input: PolicyInput = { identity, connection, request, body: decodeRequestBody(contentType, body), query };
      const needs = policyNeeds(policy, input);
      return {
        needs,
        decide: (facts) => {
          let object: unknown;
          let forwardBody: Buffer | undefined;
          const decoded = input.body;
          if (needs.liveObject && facts.liveObject !== undefined && decoded.state === 'decoded' && decoded.patchType && request.verb === 'patch') {
            object = patchedObject(facts.liveObject, decoded.patch, decoded.patchType, new URLSearchParams(query).get('fieldManager') ?? undefined);
            if (facts.liveObject !== null) forwardBody = guardedBody(body, decoded.patchType, facts.liveObject);
          } else if (decoded.state === 'decoded' && !decoded.patchType && (request.verb === 'create' || request.verb === 'update')) {
            object = decoded.value;
          }
          const decision = evaluatePolicy(policy, {
            ...input,
            ...(object !== undefined ? { object } : {}),
            ...(needs.liveObject && facts.liveObject !== undefined ? { oldObject: facts.liveObject } : {}),
            ...(needs.namespace ? { namespaceObject: facts.namespaceObject ?? null } : {}),
          });
          const verdict: GuardVerdict = { effect: decision.effect, reason: decision.reason, ruleId: decision.ruleId, message: decision.message, unmaskSecrets: decision.unmaskSecrets };
          return forwardBody && decision.effect !== 'deny' ? { ...verdict, forwardBody } : verdict;
        },
      };
    },
    mask: ({ connection, body, contentType, request, unmaskSecrets }) =>
      maskResponse({ body, contentType, request, unmaskSecrets, patterns: patterns.get(connection) }),
    maskStream: ({ connection, kind, contentType, request, unmaskSecrets }) =>
      createStreamMasker({ kind, contentType, request, unmaskSecrets, patterns: patterns.get(connection) }),
  };
}

/** The object the server would store for this patch, or the 422 the server would answer. */
function patchedObject(live: unknown, patch: unknown, kind: 'json' | 'merge' | 'strategic' | 'apply', fieldManager: string | undefined): unknown {
  const result = applyPatch(live as Json | null, patch, kind, { fieldManager });
  if ('error' in result) {
    if (live === null) throw new GatehouseError(404, 'NotFound', 'The object to patch does not exist; create it first (kubectl apply -f, or --server-side apply creates it).');
    throw new GatehouseError(422, 'Invalid', `The patch does not apply to the current object (${result.error}); fetch the object again and rebuild the patch.`);
  }
  return result.value;
}

/** The client's patch with a precondition on the resourceVersion Gatehouse judged. */
function guardedBody(body: Buffer, kind: 'json' | 'merge' | 'strategic' | 'apply', live: unknown): Buffer {
  const metadata = live !== null && typeof live === 'object' ? (live as { metadata?: { resourceVersion?: unknown } }).metadata : undefined;
  const rv = typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : '';
  if (rv === '') throw new BadRequestError('The cluster returned the object without a resourceVersion, so Gatehouse cannot make sure the patch applies to the version it judged; retry.');
  const guarded = withResourceVersionPrecondition(body, kind, rv);
  if (!guarded) {
    throw new UnsupportedMediaTypeError('Gatehouse must pin this patch to the object version it judged and cannot do so for this body (send the patch as JSON, without "metadata": null).');
  }
  return guarded;
}

import type { GatewayConfig } from '../core/gateway-config';
import { maskResponse } from '../core/masking/mask-response';
import { DEFAULT_CREDENTIAL_PATTERNS, type CredentialPattern } from '../core/masking/credential-patterns';
import { compilePolicy } from '../core/policy/compile-policy';
import { decodeRequestBody } from '../core/policy/decode-request-body';
import { evaluatePolicy } from '../core/policy/evaluate-policy';
import type { RequestGuard } from './request-guard';

/**
 * Builds the request guard from the configuration and the serialized policy (compiled once per Lambda
 * container). Masking uses the built-in credential patterns plus the connection's own.
 */
export function createRequestGuard(config: GatewayConfig, serializedPolicy: string): RequestGuard {
  const policy = compilePolicy([{ source: 'GATEHOUSE_POLICY', text: serializedPolicy }]);
  const patterns = new Map<string, readonly CredentialPattern[]>();
  for (const connection of config.connections) {
    if (connection.maskingPatterns?.length) {
      patterns.set(connection.name, [...DEFAULT_CREDENTIAL_PATTERNS, ...connection.maskingPatterns.map((p) => ({ id: p.id, regex: p.regex }))]);
    }
  }
  return {
    decide: ({ identity, connection, request, contentType, body }) => {
      const decision = evaluatePolicy(policy, { identity, connection, request, body: decodeRequestBody(contentType, body) });
      return { effect: decision.effect, reason: decision.reason, ruleId: decision.ruleId, message: decision.message, unmaskSecrets: decision.unmaskSecrets };
    },
    mask: ({ connection, body, contentType, request, unmaskSecrets }) =>
      maskResponse({ body, contentType, request, unmaskSecrets, patterns: patterns.get(connection) }),
  };
}

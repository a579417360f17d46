import type { GatewayConfig } from '../core/gateway-config';
import type { RequestGuard } from './request-guard';

/**
 * Builds the request guard from configuration. Until a policy is configured every granted request is
 * allowed and nothing is masked.
 */
export function createRequestGuard(_config: GatewayConfig): RequestGuard {
  return {
    decide: () => ({ effect: 'allow', ruleId: 'default', message: 'allowed by default', unmaskSecrets: false }),
    mask: ({ body }) => ({ body, counts: {} }),
  };
}

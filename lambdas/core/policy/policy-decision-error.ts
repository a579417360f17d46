import { ForbiddenError, GatehouseError, UnsupportedMediaTypeError } from '../errors';
import type { PolicyDecision } from './policy-types';

/**
 * The client-facing error for a refusing decision: 415 when a rule could not read the body, 403 for a deny.
 * Returns undefined for allow and approve (approval is a flow of its own, not an error here).
 */
export function policyDecisionError(decision: PolicyDecision): GatehouseError | undefined {
  if (decision.effect !== 'deny') return undefined;
  if (decision.reason === 'undecodable-body') return new UnsupportedMediaTypeError(decision.message);
  return new ForbiddenError(decision.message);
}

import { ForbiddenError, GatehouseError, UnsupportedMediaTypeError } from '../errors';
import type { PolicyDecision } from './policy-types';

/**
 * The client-facing error for a refusing decision: 415 when a rule could not read the body, 403 naming the
 * rule for a deny. Returns undefined for allow and approve (approval is a flow of its own, not an error here).
 * The proxy raises exactly this, so what kubectl prints is decided in one place.
 */
export function policyDecisionError(decision: Pick<PolicyDecision, 'effect' | 'reason' | 'ruleId' | 'message'>): GatehouseError | undefined {
  if (decision.effect !== 'deny') return undefined;
  if (decision.reason === 'undecodable-body') return new UnsupportedMediaTypeError(decision.message);
  if (decision.reason === 'unknown-action') return new ForbiddenError(decision.message);
  return new ForbiddenError(`Denied by Gatehouse policy rule "${decision.ruleId}": ${decision.message}`);
}

import type { ApprovalState, ApprovalSubject } from '../approval';
import { ForbiddenError } from '../errors';
import { minutesText } from './approval-message';

/** What the proxy needs of the settings to word its answers. */
export interface RefusalSettings {
  readonly timeoutSeconds: number;
}

/**
 * The 403 the agent's kubectl prints while its request waits for a person. It names the approval, says the
 * request was not run and what to do: run the same command again once it is approved.
 */
export function pendingApprovalError(subject: ApprovalSubject, approvalId: string, settings: RefusalSettings, heldSeconds = 0): ForbiddenError {
  const wait = settings.timeoutSeconds < 60 ? `${settings.timeoutSeconds} seconds` : minutesText(Math.round(settings.timeoutSeconds / 60));
  const held = heldSeconds > 0 ? ` Gatehouse held the request for ${Math.max(1, Math.round(heldSeconds))} s and nobody decided.` : '';
  return new ForbiddenError(
    `Gatehouse policy rule "${subject.ruleId}" requires a person to approve this request (${subject.summary})${because(subject)}. `
      + `Approval ${approvalId} is pending; the request was not run.${held} Once it is approved, run the same command again `
      + `(an approval lets this exact request through once). It expires if nobody decides within ${wait}.`,
  );
}

/** The 403 for a request a person denied; it stays refused, with their reason, for a while. */
export function deniedApprovalError(subject: ApprovalSubject, state: Extract<ApprovalState, { state: 'denied' }>): ForbiddenError {
  return new ForbiddenError(
    `Approval ${state.approvalId} for this request (${subject.summary}) was denied by ${state.approver} at ${state.decidedAt}`
      + `${state.reason ? `: ${sentence(state.reason)}` : ' (no reason given)'}. The request was not run; do not retry it unchanged.`,
  );
}

/** The 403 when policy asks for a person but no approvals are configured on this Gatehouse. */
export function approvalsNotConfiguredError(subject: ApprovalSubject): ForbiddenError {
  return new ForbiddenError(
    `Gatehouse policy rule "${subject.ruleId}" requires a person to approve this request (${subject.summary})${because(subject)}, `
      + 'but no approvals are configured on this Gatehouse; ask an operator to configure approvals, or to change the rule.',
  );
}

function because(subject: ApprovalSubject): string {
  return subject.ruleMessage ? `: ${sentence(subject.ruleMessage)}` : '';
}

/** A message without its final full stop, so it can be followed by punctuation of ours. */
function sentence(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

/** The fields a request's record gets about the approval that concerned it. */
export function recordApprovalOf(state: ApprovalState): Readonly<Record<string, string>> | undefined {
  switch (state.state) {
    case 'approved':
      return { approvalId: state.approvalId, outcome: 'approved', kind: state.kind, approver: state.approver, decidedAt: state.decidedAt };
    case 'denied':
      return { approvalId: state.approvalId, outcome: 'denied', approver: state.approver, reason: state.reason, decidedAt: state.decidedAt };
    case 'pending':
      return { approvalId: state.approvalId, outcome: 'pending' };
    default:
      return undefined;
  }
}

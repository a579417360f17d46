import type { AgentIdentity } from './agent-identity';
import type { RequestInfo } from './request-info';
import type { RecordKey } from './session-record';

/** What the proxy knows about a request that policy says needs a person. */
export interface ApprovalSubject {
  /** The Gatehouse request id of the request that asked. */
  readonly requestId: string;
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly request: RequestInfo;
  /** Readable summary, e.g. `delete deployments/api in namespace prod` (plain text: escape before Slack). */
  readonly summary: string;
  /** SHA-256 over agent, connection, method, canonical path and query, and body: the exact request. */
  readonly fingerprint: string;
  /** The policy rule that asked for approval, and its message. */
  readonly ruleId: string;
  readonly ruleMessage: string;
  /** Where the asking request's record is, so the decision can be noted on it. @default not noted */
  readonly recordKey?: RecordKey;
}

/** Where an approval stands, as the proxy sees it. */
export type ApprovalState =
  | { readonly state: 'approved'; readonly approvalId: string; readonly kind: 'one-time' | 'just-in-time'; readonly approver: string; readonly decidedAt: string }
  | { readonly state: 'pending'; readonly approvalId: string }
  | { readonly state: 'denied'; readonly approvalId: string; readonly approver: string; readonly reason: string; readonly decidedAt: string }
  | { readonly state: 'none' };

/**
 * The approvals port. `check` looks for a decision that covers this exact request (a one-time approval of
 * its fingerprint, consumed atomically so it lets the request through once, or a just-in-time grant whose
 * scope covers it); `open` creates an approval and starts the workflow that asks a person; `waitForDecision`
 * holds on while a person decides.
 */
export interface ApprovalGate {
  check(subject: ApprovalSubject): Promise<ApprovalState>;
  open(subject: ApprovalSubject): Promise<ApprovalState>;
  /**
   * Looks again and again (as `check` does, so an approval found is used up) until approval `approvalId` is no
   * longer pending or `until` has passed; then answers what it found, `pending` if nobody decided in time (or
   * the approval expired meanwhile).
   */
  waitForDecision(subject: ApprovalSubject, approvalId: string, until: Date): Promise<ApprovalState>;
}

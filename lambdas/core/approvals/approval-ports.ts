import type { Approval, ApprovalDecision, ApprovalLink, JitWindow } from './approval-item';
import type { SlackMessage } from './approval-message';

/**
 * The ports of the approval workflow. Each has one thin adapter in `lambdas/adapters/` with its client
 * injected; tests and local mode hand in the same adapters pointed at local servers, or fakes.
 */

/** Approvals, their per-request links, just-in-time windows and seen clicks (DynamoDB, docs/APPROVALS.md). */
export interface ApprovalStore {
  /** Writes a new pending approval and its link, atomically; rejects if the id exists. */
  create(approval: Approval, expiresAtEpoch: number): Promise<void>;
  /** Reads an approval (strongly consistent). */
  get(approvalId: string): Promise<Approval | undefined>;
  /** Every link of a fingerprint (strongly consistent). */
  linksFor(fingerprint: string): Promise<readonly ApprovalLink[]>;
  /** The agent's just-in-time windows in a namespace (strongly consistent; expired ones included). */
  windowsFor(connection: string, issuer: string, agent: string, namespace: string): Promise<readonly JitWindow[]>;
  /**
   * Uses a one-time approval for one request: a conditional write that succeeds for exactly one caller while
   * the approval is approved, unused and inside its window. Resolves false when someone else used it first
   * or it no longer qualifies.
   */
  consumeOneTime(link: ApprovalLink, requestId: string, now: Date): Promise<boolean>;
  /** Keeps the workflow's task token with a pending approval; resolves with the approval, or undefined if it is not pending. */
  attachTaskToken(approvalId: string, taskToken: string): Promise<Approval | undefined>;
  /** Remembers where the Slack message is. */
  attachSlackMessage(approvalId: string, channel: string, ts: string): Promise<void>;
  /**
   * Records a decision on a pending approval (and its link, and the just-in-time window it opens), atomically
   * and only while it is still pending. `recorded` when this call wrote it, `already` when the same outcome
   * was already recorded (a retried step), `conflict` when another outcome was.
   */
  recordDecision(approvalId: string, decision: ApprovalDecision): Promise<{ readonly result: 'recorded' | 'already' | 'conflict'; readonly approval: Approval }>;
  /** Ends a just-in-time approval early. Resolves with the approval, or undefined when there was nothing to revoke. */
  revoke(approvalId: string, revokedBy: string, now: Date): Promise<Approval | undefined>;
  /**
   * Notes that an interaction (identified by a hash of its signature) was handled; false when it was seen
   * before, i.e. the exact same signed request arrived again (a replay).
   */
  claimInteraction(signatureHash: string, expiresAtEpoch: number): Promise<boolean>;
  /** The latest approvals of a connection, newest first (for the operator's list). */
  recent(connection: string, limit: number): Promise<readonly Approval[]>;
}

/** Starts the workflow that asks a person. */
export interface ApprovalStarter {
  /** Starts the execution for an approval (named after it, so a retried start cannot ask twice). */
  start(approval: Pick<Approval, 'approvalId' | 'fingerprint' | 'requestId'>): Promise<{ readonly executionArn: string }>;
}

/** Completes the workflow's waiting task. */
export interface TaskResponder {
  /** SendTaskSuccess. `gone` when the task no longer waits (decided, timed out, or unknown token). */
  succeed(taskToken: string, output: unknown): Promise<'sent' | 'gone'>;
  /** SendTaskFailure. */
  fail(taskToken: string, error: string, cause: string): Promise<'sent' | 'gone'>;
}

/** The parts of the Slack Web API Gatehouse uses. */
export interface SlackApi {
  postMessage(channel: string, message: SlackMessage): Promise<{ readonly channel: string; readonly ts: string }>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  /** Members of a user group (user ids). */
  userGroupMembers(userGroupId: string): Promise<readonly string[]>;
}

/** Reads secret values (Secrets Manager); values are cached briefly and never logged. */
export interface SecretReader {
  read(secretArn: string): Promise<string>;
}

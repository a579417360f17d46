import type { Approval } from './approval-item';
import { approversFor, type ApprovalSettings, type ApproverSet } from './approvals-config';

/** Why a click may not decide. */
export type ApproverRefusal = 'no-approvers' | 'not-an-approver' | 'self-approval';

/** The outcome of {@link checkApprover}. */
export type ApproverCheck = { readonly ok: true } | { readonly ok: false; readonly reason: ApproverRefusal };

/**
 * Whether a Slack user may decide an approval: they must be listed for the approval's connection (a user id,
 * or membership of a listed user group, resolved by the caller into `memberOfGroups`), and they must not be
 * the person behind the agent (`personClaims` maps the agent, or one of its identifying claims such as
 * GitHub's `actor` or an `email`, to a Slack user id). Self-approval is checked first: being an approver
 * does not let anyone approve their own request.
 */
export function checkApprover(
  approval: Pick<Approval, 'connection' | 'agent' | 'claims'>,
  userId: string,
  memberOfGroups: ReadonlySet<string>,
  settings: Pick<ApprovalSettings, 'approvers' | 'personClaims'>,
): ApproverCheck {
  if (personsBehind(approval, settings.personClaims).has(userId)) return { ok: false, reason: 'self-approval' };
  const set = approversFor(settings.approvers, approval.connection);
  if (!set || (!set.userIds?.length && !set.userGroups?.length)) return { ok: false, reason: 'no-approvers' };
  if (set.userIds?.includes(userId)) return { ok: true };
  if (set.userGroups?.some((group) => memberOfGroups.has(group))) return { ok: true };
  return { ok: false, reason: 'not-an-approver' };
}

/** The user groups worth looking up for a clicker: only when their id alone does not decide. */
export function groupsToResolve(connection: string, userId: string, settings: Pick<ApprovalSettings, 'approvers'>): readonly string[] {
  const set: ApproverSet | undefined = approversFor(settings.approvers, connection);
  if (!set || set.userIds?.includes(userId)) return [];
  return set.userGroups ?? [];
}

/** Slack user ids of the people behind an agent: its agent value and each identifying claim value, mapped. */
export function personsBehind(approval: Pick<Approval, 'agent' | 'claims'>, personClaims: Readonly<Record<string, string>>): ReadonlySet<string> {
  const persons = new Set<string>();
  for (const value of [approval.agent, ...Object.values(approval.claims)]) {
    if (Object.prototype.hasOwnProperty.call(personClaims, value)) persons.add(personClaims[value]!);
  }
  return persons;
}

/** What the clicker is told when their click changed nothing. */
export function refusalText(reason: ApproverRefusal | 'already-decided' | 'not-found' | 'invalid-choice', detail = ''): string {
  switch (reason) {
    case 'self-approval':
      return 'You cannot decide on a request made on your own behalf; ask another approver.';
    case 'no-approvers':
      return 'Nobody is configured to approve requests on this connection, so nothing was decided. Ask a Gatehouse operator to set approvals.approvers.';
    case 'not-an-approver':
      return 'You are not an approver for this connection, so your click changed nothing.';
    case 'already-decided':
      return `This approval was already decided or has expired${detail ? ` (${detail})` : ''}; your click changed nothing.`;
    case 'not-found':
      return 'Gatehouse does not know this approval; your click changed nothing.';
    case 'invalid-choice':
      return `That choice cannot be used (${detail}); nothing was decided.`;
  }
}

import type { ApprovalGate, ApprovalState, ApprovalSubject } from '../core/approval';
import { newApprovalId } from '../core/approvals/approval-id';
import { approvalExpiresAtEpoch, lookUpApprovals, newApproval } from '../core/approvals/approval-item';
import type { ApprovalStarter, ApprovalStore } from '../core/approvals/approval-ports';
import type { ApprovalSettings } from '../core/approvals/approvals-config';
import { ServiceUnavailableError } from '../core/errors';

/** Options of {@link createApprovalGate}. */
export interface ApprovalGateOptions {
  readonly store: ApprovalStore;
  readonly starter: ApprovalStarter;
  readonly settings: Pick<ApprovalSettings, 'timeoutSeconds' | 'denialHoldMinutes' | 'retentionDays'>;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often a held request looks for the decision (two table reads each time). @default 1000 */
  readonly pollIntervalMs?: number;
  readonly newId?: () => string;
  /** Structured log lines (ids and outcomes only). */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The proxy's approval gate. `check` answers from the approvals table alone: an active just-in-time window
 * for the agent in the request's namespace, else a one-time approval of this exact request, used up by this
 * very call (so it lets the request through once), else a pending approval or a standing denial. `open`
 * writes a new pending approval and starts the workflow that asks a person; `waitForDecision` polls `check`
 * while the proxy holds the agent's request.
 *
 * Failing to read or write approvals, or to start the workflow, is a 503: the request is never let through
 * by an approval that cannot be established.
 */
export function createApprovalGate(options: ApprovalGateOptions): ApprovalGate {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollIntervalMs ?? 1000;
  const { store, starter, settings } = options;

  async function check(subject: ApprovalSubject): Promise<ApprovalState> {
    const { identity, request } = subject;
    const [links, windows] = await Promise.all([
      store.linksFor(subject.fingerprint),
      store.windowsFor(subject.connection, identity.issuer, identity.agent, request.namespace),
    ]);
    const lookup = lookUpApprovals(links, windows, now(), settings);
    if (lookup.window) {
      const w = lookup.window;
      return { state: 'approved', approvalId: w.approvalId, kind: 'just-in-time', approver: w.approver, decidedAt: w.decidedAt };
    }
    for (const link of lookup.consumable) {
      if (await store.consumeOneTime(link, subject.requestId, now())) {
        log('info', 'one-time approval used', { approvalId: link.approvalId });
        return { state: 'approved', approvalId: link.approvalId, kind: 'one-time', approver: link.approver ?? 'unknown', decidedAt: link.decidedAt ?? '' };
      }
      // Someone else used it first (or its window just closed): try the next one.
    }
    return lookup.otherwise;
  }

  return {
    check: (subject) => guarded('read approvals', () => check(subject)),

    async open(subject) {
      const createdAt = now();
      const approval = newApproval(subject, (options.newId ?? newApprovalId)(), createdAt, settings);
      await guarded('record the approval request', () => store.create(approval, approvalExpiresAtEpoch(createdAt, settings.retentionDays)));
      try {
        await starter.start(approval);
      } catch (error) {
        log('error', 'approval workflow did not start', { approvalId: approval.approvalId, error: errorName(error) });
        await store.recordDecision(approval.approvalId, { outcome: 'failed', decidedAt: now().toISOString(), error: errorName(error) }).catch(() => undefined);
        throw new ServiceUnavailableError('Gatehouse could not start the approval workflow, so nobody was asked and the request was not run; retry shortly.', 5);
      }
      log('info', 'approval requested', { approvalId: approval.approvalId, ruleId: subject.ruleId });
      return { state: 'pending', approvalId: approval.approvalId };
    },

    async waitForDecision(subject, approvalId, until) {
      while (now().getTime() < until.getTime()) {
        await sleep(Math.min(pollMs, Math.max(0, until.getTime() - now().getTime())));
        const state = await guarded('read approvals', () => check(subject));
        // Expired (or failed) meanwhile: nothing covers the request any more, which the agent hears as pending
        // with the id, as a request that nobody decided in time.
        if (state.state === 'none') return { state: 'pending', approvalId };
        if (state.state !== 'pending' || state.approvalId !== approvalId) return state;
      }
      return { state: 'pending', approvalId };
    },
  };

  async function guarded<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw error;
      log('error', `could not ${what}`, { error: errorName(error) });
      throw new ServiceUnavailableError(`Gatehouse could not ${what}, so it cannot tell whether a person approved this request; retry shortly.`, 2);
    }
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

import type { ApprovalState, ApprovalSubject } from '../approval';
import type { ApprovalSettings } from './approvals-config';
import type { WhatRuns } from './describe-what-runs';
import type { RecordKey } from '../session-record';

/**
 * The approval model: one approval per request that policy sent to a person, its state transitions, and the
 * items that make "may this exact request run now?" one consistent read (see docs/APPROVALS.md).
 */

/** Where an approval stands. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'failed' | 'revoked';

/** What an approver allowed. */
export type ApprovalKind = 'one-time' | 'just-in-time';

/** An approval as stored (without table keys). */
export interface Approval {
  readonly approvalId: string;
  readonly status: ApprovalStatus;
  /** `requestFingerprint` of the request that asked. */
  readonly fingerprint: string;
  /** The Gatehouse request id of the request that asked. */
  readonly requestId: string;
  /** Where that request's record is: it gets the decision (absent on approvals opened before records were keyed by session). */
  readonly recordKey?: RecordKey;
  readonly connection: string;
  readonly issuer: string;
  readonly agent: string;
  readonly session: string;
  /** The identifying claims kept for records (never the token); checked for self-approval. */
  readonly claims: Readonly<Record<string, string>>;
  /** Plain text, e.g. `delete deployments/api in namespace prod`; escaped whenever shown in Slack. */
  readonly summary: string;
  readonly path: string;
  readonly verb: string;
  readonly resource: string;
  /** '' for cluster-scoped requests (just-in-time access is then not offered). */
  readonly namespace: string;
  readonly name: string;
  /** What will run: method, path, covered query, media type, masked body preview, patched fields (absent on older items). */
  readonly whatRuns?: WhatRuns;
  readonly ruleId: string;
  readonly ruleMessage: string;
  readonly createdAt: string;
  /** When the workflow gives up waiting (createdAt + timeout). */
  readonly pendingUntil: string;
  /** The Step Functions task token; server-side only, never in Slack, never logged. */
  readonly taskToken?: string;
  readonly slackChannel?: string;
  readonly slackTs?: string;
  readonly kind?: ApprovalKind;
  readonly decidedAt?: string;
  /** Slack user id of whoever decided. */
  readonly approver?: string;
  /** Their Slack user name at the time (display only). */
  readonly approverName?: string;
  readonly reason?: string;
  /** Why asking failed (status `failed`): an error name, never a stack or message. */
  readonly error?: string;
  /** One-time: the exact request may run once until then. */
  readonly oneTimeUntil?: string;
  /** Just-in-time: the namespace and the end of the window. */
  readonly jitNamespace?: string;
  readonly jitUntil?: string;
  /** One-time: when and by which request it was used. */
  readonly consumedAt?: string;
  readonly consumedByRequestId?: string;
  readonly revokedAt?: string;
  readonly revokedBy?: string;
}

/** The per-request index entry: what `check` reads for one fingerprint, kept in step with its approval. */
export interface ApprovalLink {
  readonly fingerprint: string;
  readonly approvalId: string;
  readonly createdAt: string;
  readonly status: ApprovalStatus;
  readonly pendingUntil: string;
  readonly kind?: ApprovalKind;
  readonly decidedAt?: string;
  readonly approver?: string;
  readonly reason?: string;
  readonly oneTimeUntil?: string;
  readonly consumedAt?: string;
}

/** A just-in-time window: the agent may run requests in `namespace` that need approval until `until`. */
export interface JitWindow {
  readonly connection: string;
  readonly issuer: string;
  readonly agent: string;
  readonly namespace: string;
  readonly approvalId: string;
  readonly until: string;
  readonly approver: string;
  readonly decidedAt: string;
  readonly revokedAt?: string;
}

/** A decision, as the workflow hands it to the step that records it. */
export type ApprovalDecision =
  | { readonly outcome: 'approved'; readonly kind: 'one-time'; readonly approver: string; readonly approverName?: string; readonly decidedAt: string }
  | {
    readonly outcome: 'approved'; readonly kind: 'just-in-time'; readonly approver: string; readonly approverName?: string; readonly decidedAt: string;
    readonly jit: { readonly namespace: string; readonly minutes: number };
  }
  | { readonly outcome: 'denied'; readonly approver: string; readonly approverName?: string; readonly decidedAt: string; readonly reason: string }
  | { readonly outcome: 'expired'; readonly decidedAt: string }
  | { readonly outcome: 'failed'; readonly decidedAt: string; readonly error: string };

/** The Step Functions error name a denial is sent with (SendTaskFailure), caught by the state machine. */
export const DENIED_ERROR = 'Gatehouse.Denied';

/** Table keys (docs/APPROVALS.md). */
export const approvalKeys = {
  approval: (approvalId: string) => ({ pk: `approval#${approvalId}`, sk: 'approval' }),
  link: (fingerprint: string, createdAt: string, approvalId: string) => ({ pk: `fp#${fingerprint}`, sk: `approval#${createdAt}#${approvalId}` }),
  linkPartition: (fingerprint: string) => `fp#${fingerprint}`,
  // Connection and issuer names cannot contain '#', and the agent comes last, so the key is unambiguous.
  jitPartition: (connection: string, issuer: string, agent: string) => `jit#${connection}#${issuer}#${agent}`,
  jitSortPrefix: (namespace: string) => `ns#${namespace}#`,
  jit: (w: Pick<JitWindow, 'connection' | 'issuer' | 'agent' | 'namespace' | 'approvalId'>) => ({
    pk: `jit#${w.connection}#${w.issuer}#${w.agent}`, sk: `ns#${w.namespace}#${w.approvalId}`,
  }),
  click: (signatureHash: string) => ({ pk: `click#${signatureHash}`, sk: 'click' }),
  connectionIndex: (connection: string) => `conn#${connection}`,
} as const;

const MINUTE = 60_000;

/** The TTL of an approval and its link: kept as long as records are (they are evidence of who let what through). */
export function approvalExpiresAtEpoch(createdAt: Date, retentionDays: number): number {
  return Math.floor(createdAt.getTime() / 1000) + retentionDays * 86_400;
}

/**
 * A new pending approval for a subject. `whatRuns` comes from `approvalSubjectFor`; the proxy's port type does
 * not name it, so it is optional here and stored whenever the subject carries it.
 */
export function newApproval(subject: ApprovalSubject & { readonly whatRuns?: WhatRuns }, approvalId: string, now: Date, settings: Pick<ApprovalSettings, 'timeoutSeconds'>): Approval {
  const { identity, request } = subject;
  return {
    approvalId,
    status: 'pending',
    fingerprint: subject.fingerprint,
    requestId: subject.requestId,
    ...(subject.recordKey ? { recordKey: subject.recordKey } : {}),
    connection: subject.connection,
    issuer: identity.issuer,
    agent: identity.agent,
    session: identity.session,
    claims: identity.claims,
    summary: subject.summary,
    path: request.path,
    verb: request.verb,
    resource: request.resource,
    namespace: request.namespace,
    name: request.name,
    ...(subject.whatRuns ? { whatRuns: subject.whatRuns } : {}),
    ruleId: subject.ruleId,
    ruleMessage: subject.ruleMessage,
    createdAt: now.toISOString(),
    pendingUntil: new Date(now.getTime() + settings.timeoutSeconds * 1000).toISOString(),
  };
}

/** The link item of an approval. */
export function linkOf(approval: Approval): ApprovalLink {
  return prune({
    fingerprint: approval.fingerprint, approvalId: approval.approvalId, createdAt: approval.createdAt, status: approval.status,
    pendingUntil: approval.pendingUntil, kind: approval.kind, decidedAt: approval.decidedAt, approver: approval.approver,
    reason: approval.reason, oneTimeUntil: approval.oneTimeUntil, consumedAt: approval.consumedAt,
  });
}

/** Raised when a decision does not fit the approval's state (recorded twice, or after it ended). */
export class ApprovalTransitionError extends Error {
  constructor(readonly from: ApprovalStatus, readonly to: ApprovalStatus) {
    super(`an approval that is ${from} cannot become ${to}`);
    this.name = 'ApprovalTransitionError';
  }
}

const TRANSITIONS: Readonly<Record<ApprovalStatus, readonly ApprovalStatus[]>> = {
  pending: ['approved', 'denied', 'expired', 'failed'],
  // Only a just-in-time approval can be revoked (a one-time approval is simply not used, or already was).
  approved: ['revoked'],
  denied: [],
  expired: [],
  failed: [],
  revoked: [],
};

/** Whether an approval may move from one status to another. */
export function canTransition(from: ApprovalStatus, to: ApprovalStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The approval after a decision, and the just-in-time window it opens. Pure: the store writes the result
 * with a condition that the stored approval is still pending, so two decisions can never both land.
 * @throws ApprovalTransitionError when the approval is no longer pending
 */
export function applyDecision(
  approval: Approval,
  decision: ApprovalDecision,
  settings: Pick<ApprovalSettings, 'oneTimeWindowMinutes'>,
): { readonly approval: Approval; readonly window?: JitWindow } {
  const to: ApprovalStatus = decision.outcome;
  if (!canTransition(approval.status, to)) throw new ApprovalTransitionError(approval.status, to);
  const decidedAt = decision.decidedAt;
  const base = { ...approval, status: to, decidedAt };
  switch (decision.outcome) {
    case 'approved': {
      const who = { approver: decision.approver, ...(decision.approverName ? { approverName: decision.approverName } : {}) };
      if (decision.kind === 'one-time') {
        const oneTimeUntil = new Date(Date.parse(decidedAt) + settings.oneTimeWindowMinutes * MINUTE).toISOString();
        return { approval: { ...base, ...who, kind: 'one-time', oneTimeUntil } };
      }
      const jitUntil = new Date(Date.parse(decidedAt) + decision.jit.minutes * MINUTE).toISOString();
      const next: Approval = { ...base, ...who, kind: 'just-in-time', jitNamespace: decision.jit.namespace, jitUntil };
      return {
        approval: next,
        window: {
          connection: approval.connection, issuer: approval.issuer, agent: approval.agent, namespace: decision.jit.namespace,
          approvalId: approval.approvalId, until: jitUntil, approver: decision.approver, decidedAt,
        },
      };
    }
    case 'denied':
      return { approval: { ...base, approver: decision.approver, ...(decision.approverName ? { approverName: decision.approverName } : {}), reason: decision.reason } };
    case 'expired':
      return { approval: base };
    case 'failed':
      return { approval: { ...base, error: decision.error } };
  }
}

/** What the store found for one request: a window or one-time approvals to try, else a plain answer. */
export interface ApprovalLookup {
  /** An active just-in-time window that covers the request. */
  readonly window?: JitWindow;
  /** Approved one-time approvals still in their window and unused, newest first (try to consume in order). */
  readonly consumable: readonly ApprovalLink[];
  /** The answer when nothing above can be used: a pending approval, a standing denial, or none. */
  readonly otherwise: ApprovalState;
}

/**
 * Reads the links of a fingerprint (any order) and the agent's windows in the request's namespace into an
 * answer. A pending approval past its deadline counts as expired (the workflow may not have recorded it yet);
 * a denial stands for `denialHoldMinutes`; a consumed, expired, failed or revoked approval counts for nothing.
 */
export function lookUpApprovals(
  links: readonly ApprovalLink[],
  windows: readonly JitWindow[],
  now: Date,
  settings: Pick<ApprovalSettings, 'denialHoldMinutes'>,
): ApprovalLookup {
  const t = now.getTime();
  const window = windows
    .filter((w) => !w.revokedAt && Date.parse(w.until) > t)
    .sort((a, b) => Date.parse(b.until) - Date.parse(a.until))[0];
  const newestFirst = [...links].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const consumable = newestFirst.filter((l) => l.status === 'approved' && l.kind === 'one-time' && !l.consumedAt && l.oneTimeUntil !== undefined && Date.parse(l.oneTimeUntil) > t);
  let otherwise: ApprovalState = { state: 'none' };
  for (const link of newestFirst) {
    if (link.status === 'pending' && Date.parse(link.pendingUntil) > t) {
      otherwise = { state: 'pending', approvalId: link.approvalId };
      break;
    }
    if (link.status === 'denied' && link.decidedAt && Date.parse(link.decidedAt) + settings.denialHoldMinutes * MINUTE > t) {
      otherwise = { state: 'denied', approvalId: link.approvalId, approver: link.approver ?? 'unknown', reason: link.reason ?? '', decidedAt: link.decidedAt };
      break;
    }
  }
  return { ...(window ? { window } : {}), consumable, otherwise };
}

/**
 * Reads what the workflow hands to the step that records a decision: the approver's SendTaskSuccess output,
 * or what the state machine's catch branches build (`{outcome: 'denied', cause}` from SendTaskFailure's cause,
 * `{outcome: 'expired'}`, `{outcome: 'failed', error}`). Anything malformed is refused rather than guessed at.
 * @throws Error naming what is wrong
 */
export function decisionFromWorkflow(raw: unknown, now: Date, settings: Pick<ApprovalSettings, 'maxJitMinutes'>): ApprovalDecision {
  const v = object(raw, 'decision');
  const decidedAtNow = now.toISOString();
  switch (v.outcome) {
    case 'approved': {
      const approver = string(v.approver, 'approver');
      const decidedAt = isoTime(v.decidedAt) ?? decidedAtNow;
      const approverName = typeof v.approverName === 'string' && v.approverName ? v.approverName.slice(0, 80) : undefined;
      if (v.kind === 'one-time') return { outcome: 'approved', kind: 'one-time', approver, decidedAt, ...(approverName ? { approverName } : {}) };
      if (v.kind === 'just-in-time') {
        const jit = object(v.jit, 'jit');
        return {
          outcome: 'approved', kind: 'just-in-time', approver, decidedAt, ...(approverName ? { approverName } : {}),
          jit: { namespace: jitNamespace(jit.namespace), minutes: jitMinutes(jit.minutes, settings.maxJitMinutes) },
        };
      }
      throw new Error(`unknown approval kind ${JSON.stringify(v.kind)}`);
    }
    case 'denied': {
      const cause = object(typeof v.cause === 'string' ? parseJson(v.cause) : v.cause, 'cause');
      const approverName = typeof cause.approverName === 'string' && cause.approverName ? cause.approverName.slice(0, 80) : undefined;
      return {
        outcome: 'denied', approver: string(cause.approver, 'approver'), decidedAt: isoTime(cause.decidedAt) ?? decidedAtNow,
        reason: typeof cause.reason === 'string' ? cause.reason.slice(0, MAX_REASON_LENGTH) : '', ...(approverName ? { approverName } : {}),
      };
    }
    case 'expired':
      return { outcome: 'expired', decidedAt: decidedAtNow };
    case 'failed':
      return { outcome: 'failed', decidedAt: decidedAtNow, error: typeof v.error === 'string' ? v.error.slice(0, 120) : 'Error' };
    default:
      throw new Error(`unknown outcome ${JSON.stringify(v.outcome)}`);
  }
}

/** Longest deny reason kept. */
export const MAX_REASON_LENGTH = 500;
/** A namespace name (DNS-1123 label). */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks a just-in-time namespace: one real namespace name, never a pattern. */
export function jitNamespace(value: unknown): string {
  if (typeof value !== 'string' || !NAMESPACE_NAME.test(value)) throw new Error(`just-in-time namespace ${JSON.stringify(value)} is not a namespace name`);
  return value;
}

/** Checks a just-in-time duration in minutes. */
export function jitMinutes(value: unknown, max: number): number {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw new Error(`just-in-time minutes ${JSON.stringify(value)} must be an integer from 1 to ${max}`);
  return n;
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} must be a non-empty string`);
  return value.slice(0, 64);
}

function isoTime(value: unknown): string | undefined {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('cause is not JSON');
  }
}

function prune<T extends object>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
}

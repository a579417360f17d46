/**
 * The `approvals` section of Gatehouse's configuration: where approval requests are posted (Slack), who may
 * decide them, and how long each kind of decision lasts. Validated by `readApprovalsConfig`; the Lambdas and
 * local mode read it through `resolveApprovalSettings`, which fills in the defaults.
 */

/** The Slack app that posts approval requests and receives the clicks. */
export interface SlackApprovalsConfig {
  /** Channel id (e.g. `C0123456789`) the requests are posted to; the bot must be a member. */
  readonly channel: string;
  /** Complete ARN of the Secrets Manager secret whose SecretString is the bot token (`xoxb-...`). @default the stack creates the secret, unset */
  readonly botTokenSecretArn?: string;
  /** Complete ARN of the Secrets Manager secret whose SecretString is the app's signing secret. @default the stack creates the secret, unset */
  readonly signingSecretArn?: string;
  /** Base URL of the Slack Web API. Local mode points it at its Slack stand-in. @default 'https://slack.com/api' */
  readonly apiBaseUrl?: string;
}

/** Who may decide: Slack user ids and/or Slack user group ids (members are looked up when someone clicks). */
export interface ApproverSet {
  /** Slack user ids, e.g. `U0123ABCD`. */
  readonly userIds?: readonly string[];
  /** Slack user group ids, e.g. `S0123ABCD` (needs the `usergroups:read` scope). */
  readonly userGroups?: readonly string[];
}

/** The whole `approvals` section. */
export interface ApprovalsConfig {
  readonly slack: SlackApprovalsConfig;
  /**
   * Approvers per connection name, or `*` for every connection without its own entry. A connection's own
   * entry replaces `*` (it does not add to it), so production can have a narrower set.
   */
  readonly approvers: Readonly<Record<string, ApproverSet>>;
  /** How long a request waits for a decision before it expires. Fractions allowed (0.25 = 15 s). @default 30 */
  readonly timeoutMinutes?: number;
  /**
   * How long the proxy holds the agent's request open waiting for the decision; approved meanwhile, the request
   * then runs and the agent gets the cluster's answer (a CI step's `kubectl delete` simply waits for the click).
   * Held, nothing reaches the client, so this plus the upstream timeout must stay within API Gateway's 5-minute
   * idle limit of a streamed response. 0 answers "pending" at once. @default 240
   */
  readonly holdSeconds?: number;
  /** How long after a one-time approval the exact request may run (once). @default 10 */
  readonly oneTimeWindowMinutes?: number;
  /** How long a denial keeps refusing the same exact request before it may be asked again. @default 60 */
  readonly denialHoldMinutes?: number;
  /** Longest just-in-time window an approver can give. @default 240 */
  readonly maxJitMinutes?: number;
  /**
   * Agents (or identifying claim values such as GitHub's `actor` or an `email`) that are people, mapped to
   * their Slack user id: that person may not approve their own requests. @default none
   */
  readonly personClaims?: Readonly<Record<string, string>>;
}

/** Defaults of the optional numbers. */
export const APPROVAL_DEFAULTS = {
  timeoutMinutes: 30,
  holdSeconds: 240,
  oneTimeWindowMinutes: 10,
  denialHoldMinutes: 60,
  maxJitMinutes: 240,
} as const;

/** The Slack Web API of slack.com. */
export const SLACK_API_BASE_URL = 'https://slack.com/api';

/** The approvals configuration with every default applied, plus what the Lambdas need besides it. */
export interface ApprovalSettings {
  readonly slack: Required<SlackApprovalsConfig>;
  readonly approvers: Readonly<Record<string, ApproverSet>>;
  /** Whole seconds (at least 1): Step Functions' TimeoutSeconds is an integer. */
  readonly timeoutSeconds: number;
  /** How long the proxy holds a request for the decision (0: it answers pending at once). */
  readonly holdSeconds: number;
  readonly oneTimeWindowMinutes: number;
  readonly denialHoldMinutes: number;
  readonly maxJitMinutes: number;
  readonly personClaims: Readonly<Record<string, string>>;
  /** Days approval items are kept (the records' retention, so the evidence lives as long as the records). */
  readonly retentionDays: number;
}

/** Applies the defaults. */
export function resolveApprovalSettings(config: ApprovalsConfig, retentionDays = 400): ApprovalSettings {
  const { botTokenSecretArn, signingSecretArn } = config.slack;
  // Either in the configuration or, for secrets the stack created, filled in from the environment first (withSlackSecretArns).
  if (!botTokenSecretArn || !signingSecretArn) {
    throw new Error('approvals.slack: the bot token and signing secret ARNs are neither configured nor set by the stack (GATEHOUSE_SLACK_*_SECRET_ARN); redeploy the stack');
  }
  return {
    slack: { ...config.slack, botTokenSecretArn, signingSecretArn, apiBaseUrl: (config.slack.apiBaseUrl ?? SLACK_API_BASE_URL).replace(/\/+$/, '') },
    approvers: config.approvers,
    timeoutSeconds: approvalTimeoutSeconds(config),
    holdSeconds: config.holdSeconds ?? APPROVAL_DEFAULTS.holdSeconds,
    oneTimeWindowMinutes: config.oneTimeWindowMinutes ?? APPROVAL_DEFAULTS.oneTimeWindowMinutes,
    denialHoldMinutes: config.denialHoldMinutes ?? APPROVAL_DEFAULTS.denialHoldMinutes,
    maxJitMinutes: config.maxJitMinutes ?? APPROVAL_DEFAULTS.maxJitMinutes,
    personClaims: config.personClaims ?? {},
    retentionDays,
  };
}

/** The decision timeout in whole seconds, as the state machine's task timeout. */
export function approvalTimeoutSeconds(config: Pick<ApprovalsConfig, 'timeoutMinutes'>): number {
  return Math.max(1, Math.round((config.timeoutMinutes ?? APPROVAL_DEFAULTS.timeoutMinutes) * 60));
}

/** The approver set that applies to a connection: its own entry, else `*`, else none. */
export function approversFor(approvers: Readonly<Record<string, ApproverSet>>, connection: string): ApproverSet | undefined {
  return Object.prototype.hasOwnProperty.call(approvers, connection) ? approvers[connection] : approvers['*'];
}

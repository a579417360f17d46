import { compact, names, Section, show } from '../config-section';
import { ConfigError } from '../errors';
import type { ApprovalsConfig, ApproverSet, SlackApprovalsConfig } from './approvals-config';

/** What the approvals section is checked against. */
export interface ApprovalsKnown {
  /** Names of the configured connections (approver keys must be one of them or `*`). */
  readonly connectionNames: readonly (string | undefined)[];
  /** Accept `http://127.0.0.1` / `localhost` as `slack.apiBaseUrl` (local mode's Slack stand-in only). */
  readonly allowLocalUrls?: boolean;
  /**
   * `limits.upstreamTimeoutMs` (default 25000): a request approved while held still goes to the cluster, and
   * both must fit in API Gateway's idle limit of a streamed response.
   */
  readonly upstreamTimeoutMs?: number;
}

// Records over every key: adding a field to approvals-config.ts without teaching the validator fails to compile.
const APPROVALS_KEYS: Record<keyof ApprovalsConfig, true> = {
  slack: true, approvers: true, timeoutMinutes: true, holdSeconds: true, oneTimeWindowMinutes: true,
  denialHoldMinutes: true, maxJitMinutes: true, personClaims: true,
};
const SLACK_KEYS: Record<keyof SlackApprovalsConfig, true> = { channel: true, botTokenSecretArn: true, signingSecretArn: true, apiBaseUrl: true };
const APPROVER_KEYS: Record<keyof ApproverSet, true> = { userIds: true, userGroups: true };

/** Complete Secrets Manager ARN, with the six-character suffix Secrets Manager appends (`fromSecretCompleteArn`). */
export const SECRET_COMPLETE_ARN = /^arn:aws(-cn|-us-gov|-iso(-[a-z])?|-eusc)?:secretsmanager:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
/** A Slack user id (`U...`, or `W...` on Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** A Slack user group id. */
export const SLACK_GROUP_ID = /^S[A-Z0-9]{2,20}$/;
/** A Slack channel id (public `C`, private `G`). */
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{2,20}$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Step Functions' task timeout is in seconds; below a few seconds nobody can click in time. Seven days at most. */
const TIMEOUT_MINUTES = { min: 0.05, max: 7 * 24 * 60 };
/**
 * A held request sends nothing to the client until the decision and then the cluster's first byte: hold plus
 * upstream timeout must stay within API Gateway's 5-minute idle limit of a streamed response (regional
 * endpoints), with 10 s to spare for the rest of the request.
 */
const MAX_HOLD_PLUS_UPSTREAM_SECONDS = 290;
/** `limits.upstreamTimeoutMs` when not configured. */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 25_000;

/**
 * Reads and checks the `approvals` section (called by `validateGatewayConfig` with the top-level section's
 * child). Every problem is reported under `approvals: ...`; returns undefined when there was any.
 */
export function readApprovalsConfig(s: Section, known: ApprovalsKnown): ApprovalsConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(APPROVALS_KEYS);
  const slack = s.has('slack') ? readSlack(s.child('slack', s.value('slack')), known) : void s.problem('missing required key "slack"');
  const approvers = readApprovers(s, known);
  const timeoutMinutes = number(s, 'timeoutMinutes', TIMEOUT_MINUTES.min, TIMEOUT_MINUTES.max, 'fractions are allowed, e.g. 0.5 for 30 seconds');
  const holdSeconds = s.integer('holdSeconds', 0, MAX_HOLD_PLUS_UPSTREAM_SECONDS,
    'the proxy holds the agent\'s request open meanwhile, and API Gateway drops a streamed response idle for 5 minutes');
  const upstreamSeconds = Math.ceil((known.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS) / 1000);
  if (holdSeconds !== undefined && holdSeconds + upstreamSeconds > MAX_HOLD_PLUS_UPSTREAM_SECONDS) {
    s.problem(`holdSeconds ${holdSeconds} plus the ${upstreamSeconds} s upstream timeout exceeds ${MAX_HOLD_PLUS_UPSTREAM_SECONDS} s: `
      + `a request approved while held still has to reach the cluster before API Gateway drops the idle response at 5 minutes; use at most ${Math.max(0, MAX_HOLD_PLUS_UPSTREAM_SECONDS - upstreamSeconds)}, or lower limits.upstreamTimeoutMs`);
  }
  const oneTimeWindowMinutes = s.integer('oneTimeWindowMinutes', 1, 24 * 60);
  const denialHoldMinutes = s.integer('denialHoldMinutes', 0, 7 * 24 * 60);
  const maxJitMinutes = s.integer('maxJitMinutes', 1, 24 * 60, 'just-in-time access is meant to be short; give a grant for longer access');
  const personClaims = readPersonClaims(s);
  if (!s.clean) return undefined;
  return compact({
    slack, approvers, timeoutMinutes, holdSeconds, oneTimeWindowMinutes, denialHoldMinutes, maxJitMinutes, personClaims,
  }) as ApprovalsConfig;
}

/**
 * Validates an approvals section on its own (the approvals Lambdas read only this part of the embedded
 * configuration).
 * @throws ConfigError listing every problem
 */
export function validateApprovalsConfig(raw: unknown, source: string, known: ApprovalsKnown): ApprovalsConfig {
  const problems: string[] = [];
  const config = readApprovalsConfig(new Section(problems, 'approvals', raw, 'the approvals section'), known);
  if (!config || problems.length) throw new ConfigError(source, problems);
  return config;
}

function readSlack(s: Section, known: ApprovalsKnown): SlackApprovalsConfig | undefined {
  if (!s.ok) return undefined;
  s.checkKeys(SLACK_KEYS);
  const channel = s.string('channel', true, SLACK_CHANNEL_ID, 'a Slack channel id such as C0123ABCD (channel details > About, at the bottom)');
  const arnHelp = 'a complete Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>); the value is read at run time, never put it here';
  // Both optional: left out, the stack creates the secret (unset) and tells the functions its ARN.
  const botTokenSecretArn = s.string('botTokenSecretArn', false, SECRET_COMPLETE_ARN, arnHelp);
  const signingSecretArn = s.string('signingSecretArn', false, SECRET_COMPLETE_ARN, arnHelp);
  const apiBaseUrl = s.string('apiBaseUrl', false);
  if (apiBaseUrl !== undefined) checkApiBaseUrl(s, apiBaseUrl, known);
  if (botTokenSecretArn !== undefined && botTokenSecretArn === signingSecretArn) {
    s.problem('botTokenSecretArn and signingSecretArn name the same secret; the bot token and the signing secret are two different values');
  }
  if (!s.clean) return undefined;
  return compact({ channel, botTokenSecretArn, signingSecretArn, apiBaseUrl }) as SlackApprovalsConfig;
}

function checkApiBaseUrl(s: Section, value: string, known: ApprovalsKnown): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return s.problem(`apiBaseUrl ${show(value)} is not a URL`);
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (local && !known.allowLocalUrls) return s.problem(`apiBaseUrl ${show(value)} is a local address, accepted only in local mode`);
  if (!local && url.protocol !== 'https:') return s.problem(`apiBaseUrl ${show(value)} must use https`);
  if (url.search || url.hash || url.username || url.password) s.problem(`apiBaseUrl ${show(value)} must not carry a query, fragment or credentials`);
}

function readApprovers(s: Section, known: ApprovalsKnown): Record<string, ApproverSet> | undefined {
  const raw = s.value('approvers');
  if (raw === undefined) return void s.problem('missing required key "approvers" (who may decide: approvers: { "*": { userIds: [U0123ABCD] } })');
  const section = s.child('approvers', raw);
  if (!section.ok) return undefined;
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) section.problem('names nobody; add at least "*" or one connection with userIds or userGroups');
  const result: Record<string, ApproverSet> = {};
  for (const [key, value] of entries) {
    const entry = section.child(show(key), value);
    if (key !== '*' && !known.connectionNames.includes(key)) {
      entry.problem(`is not a defined connection; use "*" or one of: ${names(known.connectionNames)}`);
    }
    if (!entry.ok) continue;
    entry.checkKeys(APPROVER_KEYS);
    const userIds = entry.strings('userIds', false);
    const userGroups = entry.strings('userGroups', false);
    userIds?.forEach((id) => {
      if (!SLACK_USER_ID.test(id)) entry.problem(`userIds entry ${show(id)} is not a Slack user id (U... or W...; profile > ... > Copy member ID)`);
    });
    userGroups?.forEach((id) => {
      if (!SLACK_GROUP_ID.test(id)) entry.problem(`userGroups entry ${show(id)} is not a Slack user group id (S...)`);
    });
    if (!userIds?.length && !userGroups?.length) entry.problem('needs at least one of userIds or userGroups');
    if (entry.clean) result[key] = compact({ userIds, userGroups }) as ApproverSet;
  }
  return section.clean ? result : undefined;
}

function readPersonClaims(s: Section): Record<string, string> | undefined {
  const raw = s.value('personClaims');
  if (raw === undefined) return undefined;
  const section = s.child('personClaims', raw);
  if (!section.ok) return undefined;
  const result: Record<string, string> = {};
  for (const [claim, userId] of Object.entries(raw as Record<string, unknown>)) {
    if (claim.trim() === '') section.problem('has an empty key; keys are agent or claim values such as alice@acme.com');
    else if (typeof userId !== 'string' || !SLACK_USER_ID.test(userId)) section.problem(`${show(claim)} maps to ${show(userId)}, which is not a Slack user id (U... or W...)`);
    else result[claim] = userId;
  }
  return section.clean ? result : undefined;
}

function number(s: Section, key: string, min: number, max: number, why: string): number | undefined {
  const v = s.value(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    return void s.problem(`${key} ${show(v)} must be a number from ${min} to ${max} (${why})`);
  }
  return v;
}

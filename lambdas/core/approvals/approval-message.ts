import type { Approval } from './approval-item';
import type { ApprovalSettings } from './approvals-config';
import { escapeSlackText, slackCode, slackDate, slackPlain, slackUser } from './slack-text';
import { whatRunsBlocks } from './what-runs-blocks';

/** `action_id`s of the buttons; the interactions endpoint accepts only these. */
export const APPROVAL_ACTIONS = { approveOnce: 'gatehouse_approve_once', approveJit: 'gatehouse_approve_jit', deny: 'gatehouse_deny' } as const;
/** `block_id`s of the message's input blocks and of the buttons block. */
export const APPROVAL_BLOCKS = {
  reason: 'gatehouse_deny_reason',
  jitMinutes: 'gatehouse_jit_minutes',
  jitNamespace: 'gatehouse_jit_namespace',
  decision: 'gatehouse_decision',
} as const;
/** `action_id`s of the input elements (read from `state.values` of a click). */
export const APPROVAL_INPUTS = { reason: 'reason', minutes: 'minutes', namespace: 'namespace' } as const;
/** Durations an approver can pick for just-in-time access (those above `maxJitMinutes` are left out). */
export const JIT_MINUTE_CHOICES = [15, 30, 60, 120, 240, 480, 1440] as const;
/** The duration preselected for just-in-time access. */
export const DEFAULT_JIT_MINUTES = 30;

/** A Block Kit block (only the shapes built here). */
export type SlackBlock = Readonly<Record<string, unknown>>;

/** What chat.postMessage / chat.update get: blocks, and the plain fallback for notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
// verbatim: Slack must not turn anything in these texts into links, channel names or mentions.
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });

/**
 * The message that asks: who wants to do what where, why policy asks, and the controls. Every value an
 * agent or a cluster controls is escaped (`slackCode`), so a resource called `<!channel>` shows as text.
 * Only the approval id goes into the buttons; the task token never leaves the server.
 */
export function pendingApprovalMessage(approval: Approval, settings: Pick<ApprovalSettings, 'maxJitMinutes' | 'oneTimeWindowMinutes'>): SlackMessage {
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain('Gatehouse: approval needed') },
    ...describe(approval),
    {
      type: 'input', block_id: APPROVAL_BLOCKS.reason, optional: true,
      label: plain('Reason (shown to the agent if you deny)'),
      element: { type: 'plain_text_input', action_id: APPROVAL_INPUTS.reason, max_length: 500, placeholder: plain('e.g. not during the freeze; use the runbook') },
    },
  ];
  const jit = approval.namespace !== '';
  if (jit) {
    const choices = JIT_MINUTE_CHOICES.filter((m) => m <= settings.maxJitMinutes);
    const initial = choices.includes(DEFAULT_JIT_MINUTES as never) ? DEFAULT_JIT_MINUTES : choices[choices.length - 1] ?? settings.maxJitMinutes;
    const option = (m: number) => ({ text: plain(minutesText(m)), value: String(m) });
    blocks.push(
      {
        type: 'input', block_id: APPROVAL_BLOCKS.jitMinutes, optional: true,
        label: plain('Just-in-time access: for how long'),
        element: {
          type: 'static_select', action_id: APPROVAL_INPUTS.minutes,
          options: (choices.length ? choices : [settings.maxJitMinutes]).map(option), initial_option: option(initial),
        },
      },
      {
        type: 'input', block_id: APPROVAL_BLOCKS.jitNamespace, optional: true,
        label: plain('Just-in-time access: in namespace'),
        element: { type: 'plain_text_input', action_id: APPROVAL_INPUTS.namespace, initial_value: approval.namespace, max_length: 63 },
      },
    );
  }
  blocks.push({
    type: 'actions', block_id: APPROVAL_BLOCKS.decision,
    elements: [
      { type: 'button', action_id: APPROVAL_ACTIONS.approveOnce, text: plain('Approve once'), style: 'primary', value: approval.approvalId },
      ...(jit ? [{ type: 'button', action_id: APPROVAL_ACTIONS.approveJit, text: plain('Grant just-in-time access'), value: approval.approvalId }] : []),
      {
        type: 'button', action_id: APPROVAL_ACTIONS.deny, text: plain('Deny'), style: 'danger', value: approval.approvalId,
        confirm: { title: plain('Deny this request?'), text: plain('The agent is refused, with your reason, until it asks again later.'), confirm: plain('Deny'), deny: plain('Cancel') },
      },
    ],
  });
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`Approve once: this exact request may run once within ${minutesText(settings.oneTimeWindowMinutes)}.`
      + (jit ? ' Just-in-time: the agent\'s requests that need approval in that namespace go through until the time is up.' : '')
      + ` Nobody deciding by ${slackDate(approval.pendingUntil)} expires the request.`)],
  });
  return { text: `Approval needed: ${fallback(approval)}`, blocks };
}

/** The message once decided: the same facts, the controls replaced by who decided, when, and what. */
export function decidedApprovalMessage(approval: Approval): SlackMessage {
  const when = approval.decidedAt ? slackDate(approval.decidedAt) : 'an unknown time';
  const by = approval.approver ? slackUser(approval.approver) : 'someone';
  let outcome: string;
  let title: string;
  switch (approval.status) {
    case 'approved':
      title = 'approved';
      outcome = approval.kind === 'just-in-time'
        ? `:white_check_mark: *Just-in-time access granted* by ${by} at ${when}: requests that need approval in namespace ${slackCode(approval.jitNamespace ?? '')} go through until ${slackDate(approval.jitUntil ?? '')}.`
        : `:white_check_mark: *Approved once* by ${by} at ${when}. The exact request may run once until ${slackDate(approval.oneTimeUntil ?? '')}.`;
      break;
    case 'denied':
      title = 'denied';
      outcome = `:no_entry: *Denied* by ${by} at ${when}. Reason: ${approval.reason ? escapeSlackText(approval.reason, 500) : '_none given_'}`;
      break;
    case 'expired':
      title = 'expired';
      outcome = `:hourglass: *Expired* at ${when}: nobody decided in time. The agent has to ask again.`;
      break;
    case 'revoked':
      title = 'revoked';
      outcome = `:no_entry_sign: *Revoked* by ${approval.revokedBy ? slackCode(approval.revokedBy, 80) : 'an operator'} at ${slackDate(approval.revokedAt ?? '')}; approved earlier by ${by} at ${when}.`;
      break;
    case 'failed':
      title = 'could not be asked';
      outcome = `:warning: *Could not be asked* (${slackCode(approval.error ?? 'Error', 80)}). The agent has to ask again.`;
      break;
    default:
      title = 'pending';
      outcome = ':hourglass_flowing_sand: Waiting for a decision.';
  }
  return {
    text: `Approval ${title}: ${fallback(approval)}`,
    blocks: [
      { type: 'header', text: plain(`Gatehouse: ${title}`) },
      ...describe(approval),
      { type: 'section', block_id: 'gatehouse_outcome', text: mrkdwn(outcome) },
    ],
  };
}

function describe(approval: Approval): SlackBlock[] {
  const claims = Object.entries(approval.claims)
    .filter(([name]) => name !== 'sub')
    .slice(0, 8)
    .map(([name, value]) => `${escapeSlackText(name, 40)}: ${slackCode(value, 120)}`);
  return [
    {
      type: 'section', block_id: 'gatehouse_request',
      text: mrkdwn(`Agent ${slackCode(approval.agent)} (issuer ${slackCode(approval.issuer, 40)}) wants to\n${slackCode(approval.summary, 400)}\non connection ${slackCode(approval.connection, 80)}.`),
    },
    // What exactly would run (approvals created before it was recorded have none).
    ...(approval.whatRuns ? whatRunsBlocks(approval.whatRuns) : []),
    {
      type: 'section', block_id: 'gatehouse_details',
      fields: [
        mrkdwn(`*Policy rule*\n${slackCode(approval.ruleId, 120)}`),
        mrkdwn(`*Why*\n${approval.ruleMessage ? escapeSlackText(approval.ruleMessage, 500) : '_no message_'}`),
        mrkdwn(`*Approval*\n${slackCode(approval.approvalId, 40)}`),
        mrkdwn(`*Request*\n${slackCode(approval.requestId, 80)}`),
        mrkdwn(`*Session*\n${slackCode(approval.session, 200)}`),
        mrkdwn(`*Asked*\n${slackDate(approval.createdAt)}`),
      ],
    },
    ...(claims.length ? [{ type: 'context', elements: [mrkdwn(claims.join('  ·  '))] }] : []),
  ];
}

function fallback(approval: Approval): string {
  return `${slackPlain(approval.agent, 120)} wants to ${slackPlain(approval.summary, 300)} on ${slackPlain(approval.connection, 80)} (${approval.approvalId})`;
}

/** `90` -> `1 h 30 min`, `30` -> `30 minutes`. */
export function minutesText(minutes: number): string {
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} hour${h === 1 ? '' : 's'}`;
}

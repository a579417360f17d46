import { isApprovalId } from './approval-id';
import { MAX_REASON_LENGTH } from './approval-item';
import { APPROVAL_ACTIONS, APPROVAL_BLOCKS, APPROVAL_INPUTS } from './approval-message';
import { SLACK_USER_ID } from './validate-approvals-config';

/** What a click asks for. */
export type ApprovalAction = 'approve-once' | 'approve-jit' | 'deny';

/** A click on one of Gatehouse's buttons, read from a verified `block_actions` payload. */
export interface ApprovalClick {
  readonly action: ApprovalAction;
  readonly approvalId: string;
  /** The Slack user who clicked. */
  readonly userId: string;
  /** Their user name, for display only. */
  readonly userName?: string;
  readonly teamId?: string;
  /** Where the message is (for an ephemeral answer to the clicker). */
  readonly channelId?: string;
  readonly messageTs?: string;
  /** Deny: the reason typed into the message's reason field ('' when empty). */
  readonly reason: string;
  /** Just-in-time: the raw choices from the message (checked against configuration by the handler). */
  readonly jitMinutes?: string;
  readonly jitNamespace?: string;
}

/** The outcome of reading a payload: a click to act on, or why it is ignored. */
export type ParsedInteraction = { readonly click: ApprovalClick } | { readonly ignored: string };

const ACTIONS: Readonly<Record<string, ApprovalAction>> = {
  [APPROVAL_ACTIONS.approveOnce]: 'approve-once',
  [APPROVAL_ACTIONS.approveJit]: 'approve-jit',
  [APPROVAL_ACTIONS.deny]: 'deny',
};

/**
 * Reads Slack's form-encoded interaction body (`payload=<JSON>`). Call only after the signature was verified
 * over these exact bytes. Anything that is not a `block_actions` click on one of Gatehouse's buttons with a
 * well-formed approval id and user id is ignored (and the reason logged by the caller).
 */
export function parseInteractionBody(rawBody: string): ParsedInteraction {
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (payloadText === null) return { ignored: 'no payload field' };
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    return { ignored: 'payload is not JSON' };
  }
  const p = record(payload);
  if (p.type !== 'block_actions') return { ignored: `payload type ${JSON.stringify(p.type)} is not handled` };
  const user = record(p.user);
  if (typeof user.id !== 'string' || !SLACK_USER_ID.test(user.id)) return { ignored: 'no well-formed user id' };
  const actions = Array.isArray(p.actions) ? p.actions.map(record) : [];
  if (actions.length !== 1) return { ignored: `expected one action, got ${actions.length}` };
  const [act] = actions as [Record<string, unknown>];
  const action = typeof act.action_id === 'string' ? ACTIONS[act.action_id] : undefined;
  if (!action) return { ignored: `action ${JSON.stringify(act.action_id)} is not Gatehouse's` };
  if (!isApprovalId(act.value)) return { ignored: 'the button carries no well-formed approval id' };
  const values = record(record(p.state).values);
  const container = record(p.container);
  const channel = record(p.channel);
  const channelId = str(container.channel_id) ?? str(channel.id);
  const messageTs = str(container.message_ts) ?? str(record(p.message).ts);
  const userName = str(user.username) ?? str(user.name);
  const teamId = str(record(p.team).id) ?? str(user.team_id);
  const jitMinutes = str(record(record(record(values[APPROVAL_BLOCKS.jitMinutes])[APPROVAL_INPUTS.minutes]).selected_option).value);
  const jitNamespace = str(record(record(values[APPROVAL_BLOCKS.jitNamespace])[APPROVAL_INPUTS.namespace]).value);
  const reason = (str(record(record(values[APPROVAL_BLOCKS.reason])[APPROVAL_INPUTS.reason]).value) ?? '').trim().slice(0, MAX_REASON_LENGTH);
  return {
    click: {
      action, approvalId: act.value, userId: user.id, reason,
      ...(userName ? { userName: userName.slice(0, 80) } : {}),
      ...(teamId ? { teamId } : {}),
      ...(channelId ? { channelId } : {}),
      ...(messageTs ? { messageTs } : {}),
      ...(jitMinutes !== undefined ? { jitMinutes } : {}),
      ...(jitNamespace !== undefined ? { jitNamespace: jitNamespace.trim() } : {}),
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

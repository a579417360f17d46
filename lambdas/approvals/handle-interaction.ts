import { createHash } from 'node:crypto';
import { DENIED_ERROR, jitMinutes, jitNamespace, type Approval } from '../core/approvals/approval-item';
import { DEFAULT_JIT_MINUTES } from '../core/approvals/approval-message';
import { checkApprover, groupsToResolve, refusalText } from '../core/approvals/approver-check';
import { parseInteractionBody, type ApprovalClick } from '../core/approvals/interaction-payload';
import { SLACK_MAX_SKEW_SECONDS, verifySlackSignature } from '../core/approvals/slack-signature';
import type { ApprovalWorkflowDependencies } from './approval-workflow-dependencies';

/** An interaction as it arrived: lower-cased headers and the exact body bytes (already base64-decoded). */
export interface InteractionRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

/** The answer to Slack (Slack only needs the 200; the body helps the local CLI and logs). */
export interface InteractionResponse {
  readonly statusCode: number;
  readonly body: { readonly ok: boolean; readonly error?: string; readonly approvalId?: string; readonly outcome?: string; readonly kind?: string; readonly message?: string };
}

/** Seen signatures are remembered a little longer than Slack's replay window. */
const SEEN_FOR_SECONDS = SLACK_MAX_SKEW_SECONDS * 2;
/** User group members are looked up at most once a minute per group. */
const GROUP_CACHE_MS = 60_000;
/** The ephemeral answer to the clicker must not hold up the 3-second answer to Slack. */
const EPHEMERAL_TIMEOUT_MS = 800;

/**
 * Slack's interactions endpoint. In order: verify the signature over the raw bytes (constant time, five-minute
 * window); refuse a replay of a request already handled; read the click; load the approval; refuse a clicker
 * who is not an approver of its connection, or who is the person behind the agent; then complete the
 * workflow's waiting task (SendTaskSuccess to approve, SendTaskFailure with the reason to deny). Step Functions
 * accepts one answer per task, so a duplicate or late click changes nothing. Every refusal is logged and
 * counted; a refused clicker is told why in an ephemeral message. Nothing here waits on more than a few short
 * calls, so Slack gets its answer well within 3 seconds; the message itself is updated by the workflow.
 */
export function createInteractionHandler(deps: ApprovalWorkflowDependencies): (request: InteractionRequest) => Promise<InteractionResponse> {
  const groupCache = new Map<string, { readonly at: number; readonly members: Promise<readonly string[]> }>();

  function membersOf(group: string): Promise<readonly string[]> {
    const hit = groupCache.get(group);
    if (hit && deps.now().getTime() - hit.at < GROUP_CACHE_MS) return hit.members;
    const members = deps.slack.userGroupMembers(group);
    groupCache.set(group, { at: deps.now().getTime(), members });
    members.catch(() => groupCache.delete(group));
    return members;
  }

  async function tell(click: ApprovalClick, text: string): Promise<void> {
    if (!click.channelId) return;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, EPHEMERAL_TIMEOUT_MS).unref?.());
    await Promise.race([deps.slack.postEphemeral(click.channelId, click.userId, text).catch(() => undefined), timeout]);
  }

  function refuse(event: string, fields: Record<string, unknown>, statusCode: number, error: string): InteractionResponse {
    deps.log('warn', event, fields);
    deps.metric(`interaction_${error}`, 1);
    return { statusCode, body: { ok: false, error } };
  }

  return async (request) => {
    const { settings, store } = deps;
    const signature = request.headers['x-slack-signature'];
    const signingSecret = await deps.secrets.read(settings.slack.signingSecretArn);
    const verified = verifySlackSignature({
      signingSecret, timestamp: request.headers['x-slack-request-timestamp'], signature, rawBody: request.body, now: deps.now(),
    });
    if (!verified.ok) return refuse('slack interaction refused: bad signature', { reason: verified.reason, sourceIp: request.sourceIp }, 401, 'invalid_signature');

    const signatureHash = createHash('sha256').update(signature!).digest('hex');
    const fresh = await store.claimInteraction(signatureHash, Math.floor(deps.now().getTime() / 1000) + SEEN_FOR_SECONDS);
    if (!fresh) return refuse('slack interaction refused: replayed', { signatureHash: signatureHash.slice(0, 16), sourceIp: request.sourceIp }, 200, 'replayed');

    const parsed = parseInteractionBody(request.body.toString('utf8'));
    if ('ignored' in parsed) return refuse('slack interaction ignored', { reason: parsed.ignored }, 200, 'ignored');
    const { click } = parsed;
    const who = { approvalId: click.approvalId, user: click.userId, action: click.action };

    const approval = await store.get(click.approvalId);
    if (!approval) {
      await tell(click, refusalText('not-found'));
      return refuse('approval click refused: unknown approval', who, 200, 'not_found');
    }
    if (approval.status !== 'pending' || !approval.taskToken) {
      await tell(click, refusalText('already-decided', approval.status));
      return refuse('approval click refused: already decided', { ...who, status: approval.status }, 200, 'already_decided');
    }

    const groups = new Set<string>();
    for (const group of groupsToResolve(approval.connection, click.userId, settings)) {
      const members = await membersOf(group).catch((error: unknown) => {
        deps.log('error', 'could not read a Slack user group', { group, error: error instanceof Error ? error.message : 'Error' });
        return [] as readonly string[];
      });
      if (members.includes(click.userId)) {
        groups.add(group);
        break;
      }
    }
    const allowed = checkApprover(approval, click.userId, groups, settings);
    if (!allowed.ok) {
      await tell(click, refusalText(allowed.reason));
      return refuse('approval click refused: not allowed', { ...who, connection: approval.connection, reason: allowed.reason }, 200, allowed.reason.replace(/-/g, '_'));
    }

    let decided: { readonly outcome: string; readonly kind?: string; readonly send: () => Promise<'sent' | 'gone'> };
    const decidedAt = deps.now().toISOString();
    const approver = { approver: click.userId, ...(click.userName ? { approverName: click.userName } : {}), decidedAt };
    try {
      decided = decisionOf(click, approval, approver);
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'invalid';
      await tell(click, refusalText('invalid-choice', detail));
      return refuse('approval click refused: invalid choice', { ...who, detail }, 200, 'invalid_choice');
    }
    const sent = await decided.send();
    if (sent === 'gone') {
      await tell(click, refusalText('already-decided'));
      return refuse('approval click refused: the workflow no longer waits', who, 200, 'already_decided');
    }
    deps.log('info', 'approval decided', { ...who, connection: approval.connection, outcome: decided.outcome, kind: decided.kind });
    deps.metric(`interaction_${decided.outcome}`, 1);
    return { statusCode: 200, body: { ok: true, approvalId: approval.approvalId, outcome: decided.outcome, ...(decided.kind ? { kind: decided.kind } : {}) } };
  };

  function decisionOf(click: ApprovalClick, approval: Approval, approver: { approver: string; approverName?: string; decidedAt: string }) {
    const token = approval.taskToken!;
    switch (click.action) {
      case 'approve-once':
        return { outcome: 'approved', kind: 'one-time', send: () => deps.responder.succeed(token, { outcome: 'approved', kind: 'one-time', ...approver }) };
      case 'approve-jit': {
        if (approval.namespace === '') throw new Error('just-in-time access needs a namespaced request');
        const jit = {
          namespace: jitNamespace(click.jitNamespace || approval.namespace),
          minutes: jitMinutes(click.jitMinutes ?? Math.min(DEFAULT_JIT_MINUTES, deps.settings.maxJitMinutes), deps.settings.maxJitMinutes),
        };
        return { outcome: 'approved', kind: 'just-in-time', send: () => deps.responder.succeed(token, { outcome: 'approved', kind: 'just-in-time', ...approver, jit }) };
      }
      case 'deny':
        return { outcome: 'denied', send: () => deps.responder.fail(token, DENIED_ERROR, JSON.stringify({ ...approver, reason: click.reason })) };
    }
  }
}

import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APPROVAL_ACTIONS, APPROVAL_BLOCKS, APPROVAL_INPUTS } from '../lambdas/core/approvals/approval-message';
import { isApprovalId } from '../lambdas/core/approvals/approval-id';
import { slackSignature } from '../lambdas/core/approvals/slack-signature';
import { buttonsOf, type StandInMessage } from './slack-stand-in';

/** Where local mode writes what the CLI needs (the Slack stand-in's URL, the signing secret's file), in its state directory. */
export const LOCAL_APPROVALS_FILE = 'approvals.json';

const USAGE = `Usage (local mode must be running; it plays Slack, signed with local mode's signing secret):
  npm run local -- approve <approval-id> [--as U0LOCALAPPROVER] [--kind one-time|jit] [--namespace NS] [--minutes N]
  npm run local -- deny <approval-id> [--reason "why"] [--as U0LOCALAPPROVER]
  npm run local -- approvals          list the approval messages local Slack received

Options:
  --state-dir DIR   local mode's state directory (default .gatehouse)
  --as USER_ID      the Slack user who clicks (default: local mode's approver)`;

/** A click to send, as a person would make it in Slack. */
export interface ClickSpec {
  readonly action: 'approve-once' | 'approve-jit' | 'deny';
  readonly userId: string;
  readonly userName?: string;
  readonly teamId?: string;
  readonly reason?: string;
  readonly minutes?: number;
  readonly namespace?: string;
  /** Where the stand-in's response_url lives. */
  readonly responseUrlBase: string;
  readonly now?: Date;
}

const ACTION_IDS = { 'approve-once': APPROVAL_ACTIONS.approveOnce, 'approve-jit': APPROVAL_ACTIONS.approveJit, deny: APPROVAL_ACTIONS.deny } as const;

/**
 * The `block_actions` payload Slack would send when `userId` clicks a button of `message`, with the message's
 * input fields as Slack reports them in `state.values` (their initial values, changed by `reason`, `minutes`,
 * `namespace` as if typed or picked).
 * @throws Error when the message has no such button (e.g. just-in-time on a cluster-scoped request)
 */
export function interactionPayload(message: StandInMessage, approvalId: string, click: ClickSpec): Record<string, unknown> {
  const actionId = ACTION_IDS[click.action];
  const button = buttonsOf(message.blocks).find((b) => b.action_id === actionId && b.value === approvalId);
  if (!button) throw new Error(`The message for ${approvalId} has no "${click.action}" button (decided already, or not offered for this request)`);
  const decisionBlock = message.blocks.find((b) => b.type === 'actions' && (b.elements as unknown[]).includes(button));
  const values: Record<string, Record<string, unknown>> = {};
  for (const block of message.blocks.filter((b) => b.type === 'input')) {
    const element = block.element as Record<string, unknown>;
    const state = element.type === 'static_select'
      ? { type: 'static_select', selected_option: element.initial_option ?? null }
      : { type: 'plain_text_input', value: element.initial_value ?? null };
    values[String(block.block_id)] = { [String(element.action_id)]: state };
  }
  if (click.reason !== undefined) values[APPROVAL_BLOCKS.reason] = { [APPROVAL_INPUTS.reason]: { type: 'plain_text_input', value: click.reason } };
  if (click.minutes !== undefined) {
    values[APPROVAL_BLOCKS.jitMinutes] = { [APPROVAL_INPUTS.minutes]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: `${click.minutes} minutes`, emoji: true }, value: String(click.minutes) } } };
  }
  if (click.namespace !== undefined) values[APPROVAL_BLOCKS.jitNamespace] = { [APPROVAL_INPUTS.namespace]: { type: 'plain_text_input', value: click.namespace } };
  const now = click.now ?? new Date();
  const actionTs = `${Math.floor(now.getTime() / 1000)}.${String(now.getTime() % 1000).padStart(3, '0')}000`;
  const teamId = click.teamId ?? 'T0LOCAL';
  const name = click.userName ?? click.userId.toLowerCase();
  return {
    type: 'block_actions',
    user: { id: click.userId, username: name, name, team_id: teamId },
    api_app_id: 'A0GATEHOUSE',
    token: 'legacy-verification-token-unused',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${teamId}.local`,
    team: { id: teamId, domain: 'gatehouse-local' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: 'gatehouse-approvals' },
    message: { type: 'message', text: message.text, blocks: message.blocks, ts: message.ts, bot_id: 'B0GATEHOUSE', user: 'U0GATEHOUSEBOT' },
    state: { values },
    response_url: `${click.responseUrlBase}/_stand-in/response/${Date.now()}`,
    actions: [{
      type: 'button', action_id: actionId, block_id: decisionBlock?.block_id ?? APPROVAL_BLOCKS.decision, text: button.text,
      value: approvalId, ...(button.style ? { style: button.style } : {}), action_ts: actionTs,
    }],
  };
}

/** The body and headers Slack sends: `payload=<JSON>`, form-encoded, signed with the app's signing secret. */
export function signedInteraction(payload: unknown, signingSecret: string, now = new Date()): { readonly body: string; readonly headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(signingSecret, timestamp, body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
  };
}

/** The local coordinates the CLI needs, from the files local mode writes into its state directory. */
export interface LocalApprovalsTarget {
  readonly gatewayUrl: string;
  readonly caPem: string;
  readonly slackUrl: string;
  readonly signingSecret: string;
  readonly approver: string;
}

/** Reads `endpoints.json` and `approvals.json` from a state directory. */
export function localApprovalsTarget(stateDir: string): LocalApprovalsTarget {
  const endpointsFile = path.join(stateDir, 'endpoints.json');
  const approvalsFile = path.join(stateDir, LOCAL_APPROVALS_FILE);
  if (!fs.existsSync(endpointsFile) || !fs.existsSync(approvalsFile)) {
    throw new Error(`${stateDir} has no running local mode with approvals (no endpoints.json / ${LOCAL_APPROVALS_FILE}); start it with npm run local.`);
  }
  const endpoints = JSON.parse(fs.readFileSync(endpointsFile, 'utf8')) as { gatewayUrl: string; caFile: string };
  const approvals = JSON.parse(fs.readFileSync(approvalsFile, 'utf8')) as { slack: string; signingSecretFile: string; approver: string };
  return {
    gatewayUrl: endpoints.gatewayUrl,
    caPem: fs.readFileSync(endpoints.caFile, 'utf8'),
    slackUrl: approvals.slack,
    signingSecret: fs.readFileSync(approvals.signingSecretFile, 'utf8').trim(),
    approver: approvals.approver,
  };
}

/** Posts a body to the gateway's interactions route over HTTPS (trusting local mode's CA). */
export function postInteraction(target: Pick<LocalApprovalsTarget, 'gatewayUrl' | 'caPem'>, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(`${target.gatewayUrl}/slack/interactions`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, ca: target.caPem },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Messages the Slack stand-in holds. */
export async function standInMessages(slackUrl: string): Promise<StandInMessage[]> {
  const res = await fetch(`${slackUrl}/_stand-in/messages`);
  return ((await res.json()) as { messages: StandInMessage[] }).messages;
}

/**
 * Runs one CLI command. Returns the exit code; prints what happened. `approve`/`deny` send exactly what
 * Slack would send for that click, correctly signed, to the same endpoint Slack calls.
 */
export async function runApprovalsCli(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' }, as: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' },
      minutes: { type: 'string' }, reason: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  const [command, approvalId] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command ? 0 : 2;
  }
  const target = localApprovalsTarget(path.resolve(values['state-dir'] ?? '.gatehouse'));
  if (command === 'approvals') {
    for (const m of await standInMessages(target.slackUrl)) {
      const id = buttonsOf(m.blocks)[0]?.value ?? buttonsOf(m.history[0]?.blocks ?? [])[0]?.value ?? '?';
      out(`${String(id).padEnd(17)} ${m.text}`);
    }
    return 0;
  }
  if (command !== 'approve' && command !== 'deny') {
    out(`Unknown command "${command}".\n${USAGE}`);
    return 2;
  }
  if (!isApprovalId(approvalId)) {
    out(`"${approvalId ?? ''}" is not an approval id (apr- and 12 characters, as printed in kubectl's message).`);
    return 2;
  }
  const kind = values.kind ?? 'one-time';
  if (command === 'approve' && kind !== 'one-time' && kind !== 'jit') {
    out('--kind must be one-time or jit');
    return 2;
  }
  const message = (await standInMessages(target.slackUrl)).reverse().find((m) => buttonsOf(m.blocks).some((b) => b.value === approvalId));
  if (!message) {
    out(`Local Slack has no open message for ${approvalId}: it was decided already, expired, or never posted (list them with: npm run local -- approvals).`);
    return 1;
  }
  const action = command === 'deny' ? 'deny' : kind === 'jit' ? 'approve-jit' : 'approve-once';
  const payload = interactionPayload(message, approvalId, {
    action, userId: values.as ?? target.approver, responseUrlBase: target.slackUrl,
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    ...(values.minutes !== undefined ? { minutes: Number(values.minutes) } : {}),
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
  });
  const { body, headers } = signedInteraction(payload, target.signingSecret);
  const response = await postInteraction(target, body, headers);
  let answer: { ok?: boolean; error?: string; outcome?: string; kind?: string } = {};
  try {
    answer = JSON.parse(response.body) as typeof answer;
  } catch {
    // Not JSON (e.g. a gateway error): printed raw below.
  }
  if (response.status === 200 && answer.ok) {
    out(`${approvalId}: ${answer.outcome}${answer.kind ? ` (${answer.kind})` : ''} by ${values.as ?? target.approver}`);
    return 0;
  }
  out(`${approvalId}: nothing was decided (HTTP ${response.status}: ${answer.error ?? response.body})`);
  return 1;
}

if (require.main === module) {
  runApprovalsCli(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * LOCAL STAND-IN for the Slack Web API (there is no Slack offline). It answers the methods Gatehouse calls
 * (`chat.postMessage`, `chat.update`, `chat.postEphemeral`, `usergroups.users.list`, `auth.test`) with
 * Slack's shapes and error strings, checks `Authorization: Bearer <bot token>` like Slack does, enforces the
 * Block Kit limits Gatehouse relies on (so a message Slack would refuse fails here too), and records what it
 * received. `GET /_stand-in/messages` lists the messages for the local approvals CLI and tests; it is a
 * loopback-only control endpoint, not part of Slack's API.
 */

/** Options of the stand-in. */
export interface SlackStandInOptions {
  /** The only bot token accepted (`xoxb-...`). */
  readonly botToken: string;
  /** User groups and their members, for `usergroups.users.list`. */
  readonly userGroups?: Readonly<Record<string, readonly string[]>>;
  readonly host?: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
}

/** A message as the stand-in holds it (current version, plus every earlier version). */
export interface StandInMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: readonly Record<string, unknown>[];
  readonly history: Array<{ readonly text: string; readonly blocks: readonly Record<string, unknown>[] }>;
}

/** An ephemeral message (only the clicker sees it in Slack). */
export interface StandInEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
}

/** A running stand-in. */
export interface SlackStandIn {
  /** Base URL of the Web API, e.g. `http://127.0.0.1:1234/api` (the `apiBaseUrl` to configure). */
  readonly apiBaseUrl: string;
  /** The server's root URL. */
  readonly url: string;
  messages(): readonly StandInMessage[];
  ephemerals(): readonly StandInEphemeral[];
  /** The message whose buttons carry this approval id. */
  messageFor(approvalId: string): StandInMessage | undefined;
  close(): Promise<void>;
}

class SlackError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const MAX_BODY = 512 * 1024;

/** Starts the stand-in on 127.0.0.1. */
export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  const log = options.log ?? (() => undefined);
  const messages: StandInMessage[] = [];
  const ephemerals: StandInEphemeral[] = [];
  let counter = 0;

  const methods: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ url: 'https://gatehouse-local.slack.com/', team: 'Gatehouse local', user: 'gatehouse', team_id: 'T0LOCAL', user_id: 'U0GATEHOUSEBOT', bot_id: 'B0GATEHOUSE' }),
    'chat.postMessage': (body) => {
      const channel = channelOf(body);
      const { text, blocks } = content(body);
      counter += 1;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
      messages.push({ channel, ts, text, blocks, history: [] });
      log(`slack: message ${ts} posted to ${channel}: ${text.slice(0, 120)}`);
      return { channel, ts, message: { type: 'message', text, blocks, ts, bot_id: 'B0GATEHOUSE', user: 'U0GATEHOUSEBOT' } };
    },
    'chat.update': (body) => {
      const channel = channelOf(body);
      const message = messages.find((m) => m.channel === channel && m.ts === body.ts);
      if (!message) throw new SlackError('message_not_found');
      const { text, blocks } = content(body);
      message.history.push({ text: message.text, blocks: message.blocks });
      message.text = text;
      message.blocks = blocks;
      log(`slack: message ${message.ts} updated: ${text.slice(0, 120)}`);
      return { channel, ts: message.ts, text, message: { text, blocks } };
    },
    'chat.postEphemeral': (body) => {
      const channel = channelOf(body);
      if (typeof body.user !== 'string' || !/^[UW][A-Z0-9]+$/.test(body.user)) throw new SlackError('user_not_in_channel');
      const { text } = content(body);
      ephemerals.push({ channel, user: body.user, text });
      log(`slack: ephemeral to ${body.user}: ${text.slice(0, 120)}`);
      return { message_ts: `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}` };
    },
    'usergroups.users.list': (body) => {
      const members = typeof body.usergroup === 'string' ? options.userGroups?.[body.usergroup] : undefined;
      if (!members) throw new SlackError('no_such_subteam');
      return { users: [...members] };
    },
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch(() => json(res, 500, { ok: false, error: 'internal_error' }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/_stand-in/messages') return json(res, 200, { messages, ephemerals });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return json(res, 413, { ok: false, error: 'request_too_large' });
      chunks.push(chunk as Buffer);
    }
    const method = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname)?.[1];
    const handler = method ? methods[method] : undefined;
    if (req.method !== 'POST' || !handler) return json(res, 404, { ok: false, error: 'unknown_method' });
    const auth = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!auth) return json(res, 200, { ok: false, error: 'not_authed' });
    if (auth !== options.botToken) return json(res, 200, { ok: false, error: 'invalid_auth' });
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown>;
    const type = String(req.headers['content-type'] ?? '');
    try {
      body = type.startsWith('application/json')
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : Object.fromEntries([...new URLSearchParams(raw)].map(([k, v]) => [k, k === 'blocks' ? JSON.parse(v) : v]));
    } catch {
      return json(res, 200, { ok: false, error: 'invalid_json' });
    }
    try {
      json(res, 200, { ok: true, ...handler(body) });
    } catch (error) {
      if (!(error instanceof SlackError)) throw error;
      json(res, 200, { ok: false, error: error.code });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const url = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiBaseUrl: `${url}/api`,
    messages: () => messages,
    ephemerals: () => ephemerals,
    messageFor: (approvalId) => [...messages].reverse().find((m) => buttonsOf(m.blocks).some((b) => b.value === approvalId) || m.history.some((h) => buttonsOf(h.blocks).some((b) => b.value === approvalId))),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Every button in a message's blocks. */
export function buttonsOf(blocks: readonly Record<string, unknown>[]): Array<Record<string, unknown>> {
  return blocks.flatMap((b) => (b.type === 'actions' && Array.isArray(b.elements) ? (b.elements as Array<Record<string, unknown>>) : []))
    .filter((e) => e.type === 'button');
}

function channelOf(body: Record<string, unknown>): string {
  if (typeof body.channel !== 'string' || !/^[CGD][A-Z0-9]{2,}$/.test(body.channel)) throw new SlackError('channel_not_found');
  return body.channel;
}

function content(body: Record<string, unknown>): { text: string; blocks: Record<string, unknown>[] } {
  const text = typeof body.text === 'string' ? body.text : '';
  const blocks = body.blocks === undefined ? [] : body.blocks;
  if (!Array.isArray(blocks)) throw new SlackError('invalid_blocks_format');
  if (!text && blocks.length === 0) throw new SlackError('no_text');
  if (text.length > 40_000) throw new SlackError('msg_too_long');
  checkBlocks(blocks as Record<string, unknown>[]);
  return { text, blocks: blocks as Record<string, unknown>[] };
}

/** The Block Kit limits Slack enforces on what Gatehouse sends (`invalid_blocks` otherwise). */
function checkBlocks(blocks: readonly Record<string, unknown>[]): void {
  const fail = (): never => { throw new SlackError('invalid_blocks'); };
  const textOf = (t: unknown, max: number, plainOnly = false): void => {
    const o = t as { type?: unknown; text?: unknown } | undefined;
    if (!o || typeof o.text !== 'string' || o.text.length === 0 || o.text.length > max) fail();
    if (o!.type !== 'plain_text' && (plainOnly || o!.type !== 'mrkdwn')) fail();
  };
  if (blocks.length > 50) fail();
  const blockIds = new Set<string>();
  for (const block of blocks) {
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > 255 || blockIds.has(block.block_id)) fail();
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        textOf(block.text, 150, true);
        break;
      case 'section':
        if (block.text) textOf(block.text, 3000);
        if (block.fields) {
          if (!Array.isArray(block.fields) || block.fields.length > 10) fail();
          for (const f of block.fields as unknown[]) textOf(f, 2000);
        }
        if (!block.text && !block.fields) fail();
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) fail();
        for (const e of block.elements as unknown[]) textOf(e, 3000);
        break;
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) fail();
        const actionIds = new Set<string>();
        for (const e of block.elements as Array<Record<string, unknown>>) {
          if (e.type !== 'button') fail();
          textOf(e.text, 75, true);
          if (typeof e.action_id !== 'string' || e.action_id.length > 255 || actionIds.has(e.action_id)) fail();
          actionIds.add(e.action_id as string);
          if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000)) fail();
          if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') fail();
        }
        break;
      }
      case 'input': {
        textOf(block.label, 2000, true);
        const e = block.element as Record<string, unknown> | undefined;
        if (!e || typeof e.action_id !== 'string') fail();
        if (e!.type === 'static_select') {
          if (!Array.isArray(e!.options) || e!.options.length === 0 || e!.options.length > 100) fail();
        } else if (e!.type !== 'plain_text_input') fail();
        break;
      }
      case 'divider':
        break;
      default:
        fail();
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

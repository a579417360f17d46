import type { SlackApi } from '../core/approvals/approval-ports';
import { SLACK_API_BASE_URL } from '../core/approvals/approvals-config';

/** Options of the Slack Web API client. */
export interface SlackWebApiOptions {
  /** The bot token (`xoxb-...`), read lazily (from Secrets Manager) and never logged. */
  readonly token: () => Promise<string>;
  /** Base URL; local mode points it at its Slack stand-in. @default 'https://slack.com/api' */
  readonly baseUrl?: string;
  /** Per call; the interactions endpoint must answer Slack within 3 s. @default 2500 */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** A Slack Web API error (`ok: false`), or an HTTP failure. `code` is Slack's error string, e.g. `channel_not_found`. */
export class SlackApiError extends Error {
  constructor(readonly method: string, readonly code: string, readonly retryAfterSeconds?: number) {
    super(`Slack ${method} failed: ${code}`);
    this.name = 'SlackApiError';
  }
}

/**
 * The few Slack Web API methods Gatehouse uses, over `fetch`. Write methods send JSON (Slack accepts JSON
 * bodies for them); `usergroups.users.list` is form-encoded, as Slack requires for read methods. Messages are
 * posted with `unfurl_links`/`unfurl_media` off, so nothing in them is fetched or previewed.
 */
export function createSlackWebApi(options: SlackWebApiOptions): SlackApi {
  const baseUrl = (options.baseUrl ?? SLACK_API_BASE_URL).replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 2500;

  async function call(method: string, body: Record<string, unknown>, form = false): Promise<Record<string, unknown>> {
    const token = await options.token();
    const response = await doFetch(`${baseUrl}/${method}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json; charset=utf-8',
      },
      body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 429) throw new SlackApiError(method, 'ratelimited', Number(response.headers.get('retry-after') ?? '1'));
    if (!response.ok) throw new SlackApiError(method, `http_${response.status}`);
    const json = (await response.json()) as Record<string, unknown>;
    if (json.ok !== true) throw new SlackApiError(method, typeof json.error === 'string' ? json.error : 'unknown_error');
    return json;
  }

  return {
    async postMessage(channel, message) {
      const out = await call('chat.postMessage', { channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      if (typeof out.ts !== 'string' || typeof out.channel !== 'string') throw new SlackApiError('chat.postMessage', 'no_ts_in_response');
      return { channel: out.channel, ts: out.ts };
    },
    async updateMessage(channel, ts, message) {
      await call('chat.update', { channel, ts, text: message.text, blocks: message.blocks });
    },
    async postEphemeral(channel, user, text) {
      await call('chat.postEphemeral', { channel, user, text });
    },
    async userGroupMembers(userGroupId) {
      const out = await call('usergroups.users.list', { usergroup: userGroupId }, true);
      return Array.isArray(out.users) ? out.users.filter((u): u is string => typeof u === 'string') : [];
    },
  };
}

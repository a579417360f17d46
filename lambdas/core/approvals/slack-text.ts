/**
 * Escaping for text that anyone but Gatehouse controls (agent names, namespaces, resource names, claims,
 * policy messages, deny reasons) before it goes into a Slack message. Slack's mrkdwn turns `<...>` into links
 * and mentions, and `*`, `_`, `~` and backticks into formatting, so a resource named `<!channel>` or
 * `<https://evil.example|click me>` must arrive as those literal characters.
 */

const ZERO_WIDTH_SPACE = '\u200b';
const MENTION_WORDS = /@(here|channel|everyone)\b/gi;
// C0/C1 controls, line and paragraph separators, bidi overrides: none belongs in a one-line value.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Escapes `&`, `<` and `>` (Slack's three control characters, so no `<link|text>`, `<@U123>` or `<!here>` can
 * be formed), turns control characters and line breaks into spaces, breaks `@here`/`@channel`/`@everyone` and
 * `://` with a zero-width space so that neither a mention nor an automatic link can appear, and cuts the
 * text to `maxLength` characters.
 */
export function escapeSlackText(text: string, maxLength = 500): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
  return cut
    .replace(CONTROL, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MENTION_WORDS, (_m, word: string) => `@${ZERO_WIDTH_SPACE}${word}`)
    .replace(/:\/\//g, `:${ZERO_WIDTH_SPACE}//`);
}

/**
 * User-controlled text as inline code: escaped as above, and with backticks replaced by a look-alike
 * (U+02CB) so the value cannot close the code span and start formatting of its own. Inside a code span
 * Slack applies no bold, italics or strike-through. Empty text shows as `(none)`.
 */
export function slackCode(text: string, maxLength = 200): string {
  if (text === '') return '_(none)_';
  return `\`${escapeSlackText(text, maxLength).replace(/`/g, '\u02cb')}\``;
}

/**
 * User-controlled text for a place where it cannot be put in a code span (a message's fallback `text`, used
 * in notifications): escaped as above, with the mrkdwn formatting characters replaced by look-alikes.
 */
export function slackPlain(text: string, maxLength = 500): string {
  const lookAlike: Record<string, string> = { '*': '\u2217', _: '\u02cd', '~': '\u02dc', '`': '\u02cb' };
  return escapeSlackText(text, maxLength).replace(/[*_~`]/g, (c) => lookAlike[c]!);
}

/** A Slack date token (shown in each reader's time zone) with the ISO time as the fallback text. */
export function slackDate(iso: string): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(epoch) ? `<!date^${epoch}^{date_short_pretty} {time_secs}|${escapeSlackText(iso, 40)}>` : escapeSlackText(iso, 40);
}

/** A mention of a Slack user, only for ids that are well formed (they come from Slack, but are checked anyway). */
export function slackUser(userId: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(userId) ? `<@${userId}>` : slackCode(userId, 40);
}

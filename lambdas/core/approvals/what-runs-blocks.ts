import type { SlackBlock } from './approval-message';
import type { WhatRuns } from './describe-what-runs';
import { MEANING_CHANGING_PARAMETERS } from './query-parameters';
import { escapeSlackText, slackCode } from './slack-text';

/** Slack's limit on a section's text. */
export const SLACK_SECTION_TEXT_LIMIT = 3_000;

const PATCH_NAMES = { json: 'JSON patch', merge: 'merge patch', strategic: 'strategic merge patch', apply: 'server-side apply' } as const;
// verbatim: Slack must not turn anything in these texts into links, channel names or mentions.
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });

/**
 * The blocks that show what will run: the request line, media type and warnings; the query parameters the
 * approval covers; the fields a patch changes; the masked body preview. Everything in `WhatRuns` is
 * agent-controlled, so every value is escaped (`slackCode`, or escaped inside a code block) and each section
 * is fitted to Slack's 3,000 characters after escaping, which can make text several times longer. Warnings
 * come first and the parameters Kubernetes gives a meaning come before unknown ones, so no amount of padding
 * an agent adds can push `force=true` out of the message.
 */
export function whatRunsBlocks(what: WhatRuns): SlackBlock[] {
  const head = [`*What will run*\n${slackCode(`${what.method} ${what.path}`, 500)}`];
  if (what.mediaType) head.push(`*Content type* ${slackCode(what.mediaType, 100)}`);
  for (const note of what.notes) head.push(`:warning: ${escapeSlackText(note, 300)}`);
  const blocks: SlackBlock[] = [section('gatehouse_what_runs', fitLines(head, '…'))];

  if (what.query.length || what.leftOut.length) {
    const known = (name: string) => (MEANING_CHANGING_PARAMETERS.has(name) ? 0 : 1);
    const params = [...what.query].sort(([a], [b]) => known(a) - known(b)).map(([name, value]) => `• ${slackCode(`${name}=${value}`, 120)}`);
    const more = what.moreQuery ? [`…and ${what.moreQuery} more`] : [];
    const leftOut = what.leftOut.length ? [`_Not part of the approval (they do not change what runs): ${what.leftOut.map((n) => slackCode(n, 80)).join(' ')}_`] : [];
    blocks.push(section('gatehouse_query', fitLines([`*Query parameters the approval covers*${params.length ? '' : ': none'}`, ...params, ...more, ...leftOut], '…and more: `gatehouse approvals show` lists them all')));
  }

  if (what.patch) {
    const { type, changes, total } = what.patch;
    const items = changes.map((c) => `• ${escapeSlackText(c.op, 20)} ${slackCode(c.path, 200)}${c.from !== undefined ? ` from ${slackCode(c.from, 200)}` : ''}`);
    const more = total > changes.length ? [`…and ${total - changes.length} more`] : [];
    const title = `*What the ${PATCH_NAMES[type]} changes* (${total} ${total === 1 ? 'change' : 'changes'})`;
    blocks.push(section('gatehouse_patch', fitLines([title, ...items, ...more], `…and more (${total} in all)`)));
  }

  const body = what.body;
  if (body.state === 'shown') {
    const asJson = what.mediaType.endsWith('yaml') ? ', shown as JSON' : '';
    const title = `*Body* (${bytes(body.bytes)}, masked${asJson}${body.cut ? ', cut short' : ''})\n`;
    blocks.push(section('gatehouse_body', `${title}${codeBlock(body.text, SLACK_SECTION_TEXT_LIMIT - title.length)}`));
  } else if (body.state === 'hidden') {
    blocks.push(section('gatehouse_body', `*Body* (${bytes(body.bytes)}): not shown, because ${escapeSlackText(body.why, 200)}.`));
  }
  return blocks;
}

function section(blockId: string, text: string): SlackBlock {
  return { type: 'section', block_id: blockId, text: mrkdwn(text) };
}

/**
 * Joins lines until the section limit, then ends with `overflow`. Each line is short enough on its own (every
 * value in it is capped before escaping), so only whole lines are dropped and no code span is cut open.
 */
function fitLines(lines: readonly string[], overflow: string): string {
  let out = '';
  for (const [i, line] of lines.entries()) {
    const next = i === 0 ? line : `${out}\n${line}`;
    if (next.length > SLACK_SECTION_TEXT_LIMIT - overflow.length - 1) return `${out}\n${overflow}`;
    out = next;
  }
  return out;
}

/**
 * Escaped text in a code block of at most `budget` characters. Escaping lengthens text (`<` becomes `&lt;`), so
 * the raw text is cut until the escaped result fits; backticks become a look-alike so the block cannot be closed.
 */
function codeBlock(text: string, budget: number): string {
  const render = (t: string) => `\`\`\`${escapeSlackText(t, t.length).replace(/`/g, '\u02cb')}\`\`\``;
  let raw = text;
  let out = render(raw);
  while (out.length > budget && raw.length > 0) {
    raw = raw.slice(0, Math.max(0, Math.floor(raw.length * (budget / out.length)) - 2));
    out = render(`${raw}…`);
  }
  return out;
}

function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

import { escapeSlackText, slackCode, slackDate, slackPlain, slackUser } from '../../../lambdas/core/approvals/slack-text';

const ZWSP = '\u200b';

describe('escapeSlackText', () => {
  it.each([
    ['plain text', 'delete deployments/api in namespace prod', 'delete deployments/api in namespace prod'],
    ['an ampersand', 'a & b', 'a &amp; b'],
    ['an already escaped entity (escaped again, shown literally)', '&lt;', '&amp;lt;'],
    ['a forged link', '<https://evil.example|click me>', `&lt;https:${ZWSP}//evil.example|click me&gt;`],
    ['a forged user mention', '<@U0ADMIN>', '&lt;@U0ADMIN&gt;'],
    ['a forged channel mention', '<!channel>', '&lt;!channel&gt;'],
    ['a bare @here', 'ping @here now', `ping @${ZWSP}here now`],
    ['a bare @channel in capitals', '@CHANNEL', `@${ZWSP}CHANNEL`],
    ['a bare URL', 'see https://evil.example/x', `see https:${ZWSP}//evil.example/x`],
    ['a new line (cannot start a block of its own)', 'api\n*Approved* by admin', 'api *Approved* by admin'],
    ['a bidi override', 'api\u202Eorp', 'api orp'],
  ])('escapes %s', (_case, input, expected) => {
    expect(escapeSlackText(input)).toBe(expected);
  });

  it('cuts long text', () => {
    expect(escapeSlackText('x'.repeat(600), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('slackCode', () => {
  it.each([
    ['a name', 'api', '`api`'],
    ['a backtick that would close the span', 'api`*bold*`', '`apiˋ*bold*ˋ`'],
    ['a forged mention', '<!here>', '`&lt;!here&gt;`'],
    ['an empty value', '', '_(none)_'],
  ])('shows %s as inline code', (_case, input, expected) => {
    expect(slackCode(input)).toBe(expected);
  });
});

describe('slackDate and slackUser', () => {
  it('uses a Slack date token with the ISO time as the fallback', () => {
    expect(slackDate('2026-01-01T10:00:00.000Z')).toBe('<!date^1767261600^{date_short_pretty} {time_secs}|2026-01-01T10:00:00.000Z>');
  });

  it('mentions only well-formed user ids', () => {
    expect(slackUser('U0APPROVER')).toBe('<@U0APPROVER>');
    expect(slackUser('<!channel>')).toBe('`&lt;!channel&gt;`');
  });
});

describe('slackPlain', () => {
  it('replaces formatting characters with look-alikes and escapes the rest', () => {
    expect(slackPlain('*bold* _it_ ~s~ `c` <!here>')).toBe('\u2217bold\u2217 \u02cdit\u02cd \u02dcs\u02dc \u02cbc\u02cb &lt;!here&gt;');
  });
});

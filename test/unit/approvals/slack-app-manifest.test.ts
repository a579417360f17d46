import { parse } from 'yaml';
import { stringify } from 'yaml';
import { SLACK_BOT_SCOPES, slackAppManifest } from '../../../lambdas/core/approvals/slack-app-manifest';

/**
 * The fields of Slack's app manifest reference (docs.slack.dev, "App manifest reference"; the same shape as
 * @slack/web-api's `Manifest` type) that this manifest uses, with the limits Slack documents. A key Slack does not
 * know, or a value outside its limits, makes "Create app from manifest" fail; so does this check.
 */
const SCHEMA = {
  top: ['_metadata', 'display_information', 'features', 'oauth_config', 'settings', 'functions', 'workflows', 'outgoing_domains', 'types', 'datastores', 'app_directory'],
  metadata: ['major_version', 'minor_version'],
  display: ['name', 'description', 'background_color', 'long_description'],
  features: ['app_home', 'bot_user', 'shortcuts', 'slash_commands', 'unfurl_domains', 'workflow_steps'],
  botUser: ['display_name', 'always_online'],
  oauth: ['redirect_urls', 'scopes', 'token_management_enabled', 'pkce_enabled'],
  scopes: ['bot', 'user', 'bot_optional', 'user_optional'],
  settings: ['allowed_ip_address_ranges', 'event_subscriptions', 'interactivity', 'org_deploy_enabled', 'socket_mode_enabled', 'token_rotation_enabled', 'incoming_webhooks', 'function_runtime', 'siws_links', 'is_hosted'],
  interactivity: ['is_enabled', 'request_url', 'message_menu_options_url'],
};

function checkManifest(m: any): string[] {
  const problems: string[] = [];
  const keys = (where: string, value: Record<string, unknown>, known: readonly string[]) => {
    for (const key of Object.keys(value)) if (!known.includes(key)) problems.push(`${where}.${key} is not a manifest field`);
  };
  keys('manifest', m, SCHEMA.top);
  keys('_metadata', m._metadata, SCHEMA.metadata);
  if (![1, 2].includes(m._metadata.major_version)) problems.push('_metadata.major_version must be 1 or 2');
  keys('display_information', m.display_information, SCHEMA.display);
  const name = m.display_information.name;
  if (typeof name !== 'string' || name.length < 1 || name.length > 35) problems.push('display_information.name: 1 to 35 characters');
  if (m.display_information.description.length > 140) problems.push('display_information.description: at most 140 characters');
  if (!/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(m.display_information.background_color)) problems.push('background_color: a hex colour');
  keys('features', m.features, SCHEMA.features);
  keys('features.bot_user', m.features.bot_user, SCHEMA.botUser);
  const bot = m.features.bot_user.display_name;
  if (typeof bot !== 'string' || bot.length < 1 || bot.length > 80) problems.push('features.bot_user.display_name: 1 to 80 characters');
  keys('oauth_config', m.oauth_config, SCHEMA.oauth);
  keys('oauth_config.scopes', m.oauth_config.scopes, SCHEMA.scopes);
  if (m.oauth_config.scopes.bot.length && !m.features.bot_user) problems.push('bot scopes need features.bot_user');
  keys('settings', m.settings, SCHEMA.settings);
  keys('settings.interactivity', m.settings.interactivity, SCHEMA.interactivity);
  if (typeof m.settings.interactivity.is_enabled !== 'boolean') problems.push('settings.interactivity.is_enabled: required boolean');
  if (!/^https:\/\//.test(m.settings.interactivity.request_url)) problems.push('settings.interactivity.request_url: an https URL');
  return problems;
}

const URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/slack/interactions';

describe('the Slack app manifest', () => {
  it('uses only fields Slack documents, within their limits, and survives a YAML round trip', () => {
    const manifest = slackAppManifest({ interactionsUrl: URL });

    expect(checkManifest(manifest)).toEqual([]);
    expect(parse(stringify(manifest))).toEqual(manifest);
  });

  it('points interactivity at the stack\'s /slack/interactions and asks for exactly the scopes the approval steps call', () => {
    const manifest = slackAppManifest({ interactionsUrl: URL }) as any;

    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: URL });
    expect(manifest.oauth_config.scopes).toEqual({ bot: ['chat:write', 'usergroups:read'] });
    expect(SLACK_BOT_SCOPES).toEqual(['chat:write', 'usergroups:read']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('refuses an app name Slack would reject', () => {
    expect(() => slackAppManifest({ interactionsUrl: URL, name: 'x'.repeat(36) })).toThrow('longer than the 35 characters Slack allows');
  });

  it('is caught by the check when a field is unknown or out of limits', () => {
    const broken = { ...slackAppManifest({ interactionsUrl: 'http://x' }), extra: 1 } as any;

    expect(checkManifest(broken)).toEqual(['manifest.extra is not a manifest field', 'settings.interactivity.request_url: an https URL']);
  });
});

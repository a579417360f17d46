/**
 * The Slack app Gatehouse needs, as an app manifest (Slack's "Create an app > From a manifest"): a bot user, the
 * bot scopes the approval steps call (`chat:write` for chat.postMessage, chat.update and chat.postEphemeral;
 * `usergroups:read` for usergroups.users.list), and interactivity pointed at the stack's `/slack/interactions`.
 */

/** The bot scopes Gatehouse's Slack calls need, and no others. */
export const SLACK_BOT_SCOPES = ['chat:write', 'usergroups:read'] as const;

/** Options of {@link slackAppManifest}. */
export interface SlackAppManifestOptions {
  /** The Request URL for interactivity: the stack output SlackInteractionsUrl. Must be https. */
  readonly interactionsUrl: string;
  /** App and bot name shown in Slack (at most 35 characters). @default 'Gatehouse' */
  readonly name?: string;
}

/** Builds the manifest (manifest schema version 1). */
export function slackAppManifest(options: SlackAppManifestOptions): Record<string, unknown> {
  const name = options.name ?? 'Gatehouse';
  if (name.length > 35) throw new Error(`the Slack app name "${name}" is longer than the 35 characters Slack allows`);
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'Approve or deny the kubectl requests of AI agents and CI jobs that policy holds for a person.',
      background_color: '#1f3a5f',
    },
    features: { bot_user: { display_name: name, always_online: false } },
    oauth_config: { scopes: { bot: [...SLACK_BOT_SCOPES] } },
    settings: {
      interactivity: { is_enabled: true, request_url: options.interactionsUrl },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}

import { stringify } from 'yaml';
import { slackAppManifest } from '../../lambdas/core/approvals/slack-app-manifest';
import { printJson, str, type CommandContext, type GroupSpec } from '../command';
import { TargetError } from '../errors';

/** `gatehouse slack manifest`: the Slack app to create, with this Gatehouse's interactivity URL. */
export const slackGroup: GroupSpec = {
  name: 'slack',
  summary: 'the Slack app that approvals need',
  commands: [
    {
      name: 'manifest',
      summary: 'print a Slack app manifest (bot scopes, interactivity Request URL) to paste into Slack',
      usage: '[--name <app name>]',
      description: [
        'Prints an app manifest for https://api.slack.com/apps > Create New App > From a manifest: a bot user with',
        'the chat:write and usergroups:read scopes and interactivity at this Gatehouse\'s /slack/interactions',
        '(the stack output SlackInteractionsUrl). Then install the app, invite the bot to the approvals channel and put',
        'the Bot User OAuth Token and the Signing Secret into the secrets the stack outputs',
        '(SlackBotTokenSecretArn, SlackSigningSecretArn) with `aws secretsmanager put-secret-value`.',
        'YAML by default; --json for the JSON tab.',
      ].join('\n'),
      options: { name: { type: 'string', placeholder: 'name', description: 'app and bot name shown in Slack (default Gatehouse)' } },
      examples: ['gatehouse --stack Gatehouse slack manifest > slack-manifest.yaml'],
      run: printManifest,
    },
  ],
};

async function printManifest(ctx: CommandContext): Promise<void> {
  const target = await ctx.target();
  const url = target.outputs.SlackInteractionsUrl ?? (target.kind === 'local' ? `${target.endpointUrl}/slack/interactions` : undefined);
  if (!url) {
    throw new TargetError(`Stack ${target.name} has no SlackInteractionsUrl output: approvals are not configured. Add an approvals section (docs/APPROVALS.md) and cdk deploy.`);
  }
  if (target.kind === 'local') ctx.io.stderr.write('note: this is local mode\'s URL; Slack cannot reach 127.0.0.1, so use the manifest of a deployed stack for a real app.\n');
  const manifest = slackAppManifest({ interactionsUrl: url, name: str(ctx, 'name') });
  if (ctx.json) return printJson(ctx, manifest);
  ctx.io.stdout.write(stringify(manifest));
}

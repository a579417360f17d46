import type { ApprovalsConfig } from './approvals-config';

/**
 * What a Slack secret the stack created holds until someone puts the real value in. Secrets Manager refuses an
 * empty SecretString, so "empty" is this marker; the secret reader refuses it (a signing secret anyone can read in
 * this file must never verify a click) and `gatehouse doctor` reports it as not set.
 */
export const SLACK_SECRET_PLACEHOLDER = 'gatehouse:not-set:put-the-real-value-here';

/** Where the stack tells the functions the ARNs of the Slack secrets it created (config without ARNs). */
export const SLACK_SECRET_ENV = {
  botToken: 'GATEHOUSE_SLACK_BOT_TOKEN_SECRET_ARN',
  signingSecret: 'GATEHOUSE_SLACK_SIGNING_SECRET_ARN',
} as const;

/**
 * The approvals section with the Slack secret ARNs filled in from the environment where the configuration left
 * them out (the stack created the secrets, so their ARNs exist only at deploy time). ARNs in the configuration win.
 */
export function withSlackSecretArns(approvals: ApprovalsConfig, env: Readonly<Record<string, string | undefined>>): ApprovalsConfig {
  const slack = approvals.slack;
  return {
    ...approvals,
    slack: {
      ...slack,
      botTokenSecretArn: slack.botTokenSecretArn ?? env[SLACK_SECRET_ENV.botToken],
      signingSecretArn: slack.signingSecretArn ?? env[SLACK_SECRET_ENV.signingSecret],
    },
  };
}

/** The command that fills a Slack secret, for messages (never with a value). */
export function putSecretValueCommand(secretArn: string, what?: 'bot token' | 'signing secret'): string {
  const value = what === 'bot token' ? 'xoxb-...' : what === 'signing secret' ? '<Basic Information > App Credentials > Signing Secret>' : '<value>';
  return `aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string '${value}'`;
}

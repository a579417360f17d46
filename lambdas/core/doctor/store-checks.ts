import { putSecretValueCommand } from '../approvals/slack-secrets';
import { describeFailure, failed, isAccessDenied, isUnreachable, passed, type DoctorCheck, type ProbeFailure, type ProbeOutcome } from './doctor-check';

/** A store the proxy uses, and what the proxy does with it (the doctor does the same). */
export interface StoreUnderCheck {
  /** `grants table`, `records table`, `approvals table`, `replay bucket`, `replay delivery stream`. */
  readonly kind: string;
  /** Table or bucket name. */
  readonly resource: string;
  /** What the probe did, e.g. `Query of connection demo's grants`. */
  readonly operation: string;
}

const NOT_FOUND = /ResourceNotFound|NoSuchBucket|NotFound|StateMachineDoesNotExist/;

/** Could the proxy's role do with a table or the bucket what it does for every request? */
export function storeCheck(store: StoreUnderCheck, outcome: ProbeOutcome<unknown>): DoctorCheck {
  const name = `${store.kind} ${store.resource}`;
  if (outcome.ok) return passed(name, `${store.operation}: ok`);
  return failed(name, `${store.operation}: ${describeFailure(outcome.failure)}`, storeFix(store, outcome.failure));
}

function storeFix(store: StoreUnderCheck, failure: ProbeFailure): string {
  if (isUnreachable(failure)) {
    if (store.kind === 'replay delivery stream') return `Let the proxy reach Data Firehose (${failure.code}): in a VPC, add an interface endpoint for firehose; otherwise run doctor again.`;
    return `Let the proxy reach ${store.kind === 'replay bucket' ? 'S3' : 'DynamoDB'} (${failure.code}): in a VPC, add a gateway endpoint for it; otherwise run doctor again.`;
  }
  if (/KMS/i.test(failure.code) || /kms:/i.test(failure.message)) {
    return `Let the proxy's role (the ProxyRoleArn output) use the ${store.kind}'s KMS key: add it to the key policy, or cdk deploy if the stack passed the key.`;
  }
  if (isAccessDenied(failure)) return `Restore the proxy's permissions on ${store.resource}: cdk deploy (the stack grants exactly this operation; a policy changed by hand, or an SCP or permissions boundary, denies it).`;
  if (NOT_FOUND.test(failure.code)) return `${store.resource} is gone (deleted outside the stack): cdk deploy recreates it; restore retained data from its backup.`;
  return `${store.kind} failed (${failure.code}); run doctor again, and if it persists check AWS Health for the region.`;
}

/** Is the approval state machine there and active? (DescribeStateMachine, the one permission doctor adds to the proxy's role for it.) */
export function stateMachineCheck(stateMachineArn: string, outcome: ProbeOutcome<{ readonly status: string }>): DoctorCheck {
  const name = 'approval state machine';
  if (!outcome.ok) {
    const failure = outcome.failure;
    const fix = isUnreachable(failure)
      ? `Let the proxy reach Step Functions (${failure.code}): in a VPC, add an interface endpoint for states; otherwise run doctor again.`
      : isAccessDenied(failure) || NOT_FOUND.test(failure.code)
        ? `Restore ${stateMachineArn} and the proxy's permissions on it: cdk deploy.`
        : `Step Functions failed (${failure.code}); run doctor again.`;
    return failed(name, `${stateMachineArn}: ${describeFailure(failure)}`, fix);
  }
  if (outcome.value.status !== 'ACTIVE') return failed(name, `${stateMachineArn} is ${outcome.value.status}`, 'The state machine is being deleted: cdk deploy recreates it.');
  return passed(name, `${stateMachineArn} is ACTIVE`);
}

/** A Slack secret as Secrets Manager's DescribeSecret reports it: never its value. */
export interface SecretMetadata {
  /** Versions that carry a staging label (AWSCURRENT, AWSPREVIOUS, ...). */
  readonly labelledVersions: number;
  readonly hasCurrent: boolean;
}

/** Which Slack secret. */
export interface SlackSecretUnderCheck {
  readonly what: 'bot token' | 'signing secret';
  readonly secretArn: string;
  /** The stack created it (the configuration named no ARN): its first version is the "not set" placeholder. */
  readonly createdByStack: boolean;
  /** Its field in `approvals.slack`. */
  readonly field: 'botTokenSecretArn' | 'signingSecretArn';
}

/**
 * Is a Slack secret set? Judged from its metadata only (DescribeSecret), so neither the proxy's role nor doctor
 * can read the bot token or the signing secret: a secret the stack created holds its placeholder until a second
 * version is put; a secret without an AWSCURRENT version has no value at all.
 */
export function slackSecretCheck(secret: SlackSecretUnderCheck, outcome: ProbeOutcome<SecretMetadata>): DoctorCheck {
  const name = `Slack ${secret.what} secret`;
  const fill = putSecretValueCommand(secret.secretArn, secret.what);
  if (!outcome.ok) {
    const failure = outcome.failure;
    if (NOT_FOUND.test(failure.code)) {
      return failed(name, `${secret.secretArn}: ${describeFailure(failure)}`, `Remove approvals.slack.${secret.field} from the configuration and cdk deploy (the stack then creates the secret), then fill it: aws secretsmanager put-secret-value --secret-id <the Slack${secret.what === 'bot token' ? 'BotToken' : 'Signing'}SecretArn output> ...`);
    }
    const fix = isUnreachable(failure)
      ? `Let the proxy reach Secrets Manager (${failure.code}); in a VPC, add an interface endpoint for secretsmanager.`
      : isAccessDenied(failure) ? 'Restore secretsmanager:DescribeSecret on the secret for the proxy\'s role: cdk deploy.' : `Secrets Manager failed (${failure.code}); run doctor again.`;
    return failed(name, `${secret.secretArn}: ${describeFailure(failure)}`, fix);
  }
  const { hasCurrent, labelledVersions } = outcome.value;
  if (!hasCurrent || (secret.createdByStack && labelledVersions <= 1)) {
    return failed(name, `${secret.secretArn} is not set${secret.createdByStack ? ' (it still holds the placeholder the stack created it with)' : ' (no AWSCURRENT version)'}`, fill);
  }
  return passed(name, `${secret.secretArn} is set`);
}

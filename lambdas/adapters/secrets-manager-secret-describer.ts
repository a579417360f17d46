import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretDescriber } from '../core/doctor/doctor-ports';

/**
 * Reads a secret's versions with DescribeSecret, which returns metadata only: the value never reaches this
 * process. Errors pass through for the doctor to classify.
 */
export function createSecretsManagerSecretDescriber(options: { readonly client: Pick<SecretsManagerClient, 'send'> }): SecretDescriber {
  return {
    async describe(secretArn) {
      const out = await options.client.send(new DescribeSecretCommand({ SecretId: secretArn }));
      const stages = Object.values(out.VersionIdsToStages ?? {});
      return { labelledVersions: stages.filter((s) => s.length > 0).length, hasCurrent: stages.some((s) => s.includes('AWSCURRENT')) };
    },
  };
}

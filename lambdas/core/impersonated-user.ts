import type { AgentIdentity } from './agent-identity';
import { InternalError } from './errors';
import type { ImpersonationConfig } from './gateway-config';

/** The prefix of impersonated user names when the connection does not set `userPrefix`. */
export const DEFAULT_USER_PREFIX = 'gatehouse:';

/**
 * Ends the issuer in an impersonated user name. Issuer names are `[a-z0-9-]{1,32}` (validated in the
 * configuration), so they never contain it, and the first `:` after the prefix always ends the issuer
 * whatever the agent value holds (agent claims such as GitHub's `repo:org/app:ref:...` contain colons).
 */
export const ISSUER_SEPARATOR = ':';

const ISSUER_NAME = /^[a-z0-9-]{1,32}$/;

/**
 * The Kubernetes user Gatehouse impersonates for an agent: `<userPrefix><issuer>:<agent>`, e.g.
 * `gatehouse:github:acme/app` with the default prefix `gatehouse:`. The issuer is always part of it, so
 * the same agent value from two issuers (a repository name at GitHub and at GitLab) are two different
 * users to the cluster's RBAC and audit log, and adding a second issuer later renames no one.
 *
 * @param identity the verified agent: its issuer's configured name and its agent claim value.
 * @param impersonation the connection's impersonation settings (only `userPrefix` is read).
 * @throws InternalError when the issuer name could blur the format (it cannot pass configuration
 *   validation); nothing is forwarded then.
 */
export function impersonatedUserFor(
  identity: Pick<AgentIdentity, 'issuer' | 'agent'>,
  impersonation: Pick<ImpersonationConfig, 'userPrefix'> | undefined,
): string {
  if (!ISSUER_NAME.test(identity.issuer)) {
    throw new InternalError(`Gatehouse could not name the impersonated user: issuer name "${identity.issuer.slice(0, 40)}" is not [a-z0-9-]{1,32}. The request was not forwarded; report this to the Gatehouse administrator.`);
  }
  return `${impersonation?.userPrefix ?? DEFAULT_USER_PREFIX}${identity.issuer}${ISSUER_SEPARATOR}${identity.agent}`;
}

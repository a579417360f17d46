import { createHash } from 'node:crypto';
import type { AgentIdentity } from './agent-identity';

/** What Gatehouse asks STS for when it assumes a connection's role on behalf of an agent. */
export interface RoleSessionRequest {
  readonly roleArn: string;
  /** Reaches Kubernetes as the `sessionName` extra and in EKS username templates. */
  readonly roleSessionName: string;
  /** Shown by CloudTrail for everything done with the session, and sticky through role chaining. */
  readonly sourceIdentity: string;
  readonly durationSeconds: number;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
}

const NAME_CHARS = /[^\w+=,.@-]/g;
const TAG_VALUE_CHARS = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

/**
 * Builds the AssumeRole request for an agent on a connection. Names follow STS's rules (2 to 64 chars of
 * `[\w+=,.@-]`); an agent id that does not fit is shortened with a hash suffix so that two agents never
 * collapse onto the same session name.
 */
export function roleSessionFor(identity: AgentIdentity, connection: { readonly name: string; readonly roleArn: string; readonly sessionDurationSeconds?: number }): RoleSessionRequest {
  return {
    roleArn: connection.roleArn,
    roleSessionName: stsName(`${identity.issuer}.${identity.agent}`),
    sourceIdentity: stsName(`${identity.issuer}.${identity.agent}`),
    durationSeconds: connection.sessionDurationSeconds ?? 900,
    tags: [
      { Key: 'gatehouse:agent', Value: tagValue(identity.agent) },
      { Key: 'gatehouse:issuer', Value: tagValue(identity.issuer) },
      { Key: 'gatehouse:connection', Value: tagValue(connection.name) },
      { Key: 'gatehouse:session', Value: tagValue(identity.session) },
    ],
  };
}

/** Fits a value to STS's RoleSessionName / SourceIdentity alphabet and length, keeping it unique. */
export function stsName(raw: string): string {
  let name = raw.replace(NAME_CHARS, '_');
  if (name.startsWith('aws:')) name = `_${name}`;
  if (name.length < 2) name = `${name}__`.slice(0, 2);
  if (name === raw && name.length <= 64) return name;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 10);
  return `${name.slice(0, 64 - hash.length - 1)}-${hash}`;
}

/** Session tag values: at most 256 characters of STS's allowed alphabet. */
function tagValue(raw: string): string {
  const cleaned = raw.replace(TAG_VALUE_CHARS, '_');
  return cleaned.length <= 256 ? cleaned : cleaned.slice(0, 256);
}

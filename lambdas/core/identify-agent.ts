import type { AgentIdentity } from './agent-identity';
import type { IssuerConfig } from './gateway-config';
import { UnauthenticatedError } from './errors';

/** Claims worth keeping in a record when present: they say which run, workflow and actor a request came from. */
const RECORDED_CLAIMS = [
  'sub', 'repository', 'repository_owner', 'workflow_ref', 'job_workflow_ref', 'ref', 'sha', 'run_id', 'run_attempt',
  'actor', 'environment', 'project_path', 'pipeline_id', 'job_id', 'email', 'client_id', 'cid', 'uid',
] as const;

/** Longest claim value kept; anything longer is cut, so a hostile issuer cannot bloat records. */
const MAX_CLAIM_LENGTH = 256;

/**
 * Maps the verified claims of a JWT to the agent identity Gatehouse works with. The agent claim must be a
 * non-empty string or number; the session is the session claim's value, or the UTC day when the issuer
 * has none (so an agent's requests still group into bounded sessions).
 */
export function identifyAgent(claims: Readonly<Record<string, unknown>>, issuer: IssuerConfig, now: Date): AgentIdentity {
  const agentClaim = issuer.agentClaim ?? 'sub';
  const agent = scalar(claims[agentClaim]);
  if (!agent) {
    throw new UnauthenticatedError(
      `The token from issuer "${issuer.name}" has no "${agentClaim}" claim to name the agent; ask the Gatehouse operator to set agentClaim for this issuer.`,
    );
  }
  const sessionValue = issuer.sessionClaim ? scalar(claims[issuer.sessionClaim]) : undefined;
  const session = `${agent}/${sessionValue ?? now.toISOString().slice(0, 10)}`;
  const kept: Record<string, string> = {};
  for (const name of new Set<string>([...RECORDED_CLAIMS, agentClaim, ...(issuer.sessionClaim ? [issuer.sessionClaim] : [])])) {
    const value = scalar(claims[name]);
    if (value) kept[name] = value;
  }
  const exp = typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? { tokenExpiresAtMs: claims.exp * 1000 } : {};
  return { issuer: issuer.name, agent: cut(agent), session: cut(session), groups: groupsOf(claims, issuer.groupsClaim), claims: kept, ...exp };
}

function groupsOf(claims: Readonly<Record<string, unknown>>, groupsClaim: string | undefined): string[] {
  if (!groupsClaim) return [];
  const raw = claims[groupsClaim];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  return list.filter((g): g is string => typeof g === 'string' && g.length > 0).map(cut).slice(0, 100);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return cut(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function cut(value: string): string {
  return value.length > MAX_CLAIM_LENGTH ? value.slice(0, MAX_CLAIM_LENGTH) : value;
}

import type { AgentIdentity } from '../core/agent-identity';
import type { RequestInfo } from '../core/request-info';

/** What policy decided about a request. */
export interface GuardDecision {
  readonly effect: 'allow' | 'deny' | 'approve';
  /** Why: a rule matched, the connection's default applied, or a body a rule must read could not be decoded. */
  readonly reason: 'rule' | 'default' | 'undecodable-body';
  /** The rule that decided, or `default`. */
  readonly ruleId: string;
  readonly message: string;
  /** A rule let this request read Secrets unmasked; recorded as such. */
  readonly unmaskSecrets: boolean;
}

/** The result of masking a body. */
export interface MaskResult {
  readonly body: Buffer;
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * The guardrails port: policy decides, masking cleans what flows back (and what is recorded). The proxy
 * depends on this shape only, so the policy engine can evolve without touching the request path.
 */
export interface RequestGuard {
  decide(input: {
    readonly identity: AgentIdentity;
    readonly connection: string;
    readonly request: RequestInfo;
    readonly contentType: string;
    readonly body: Buffer;
  }): GuardDecision;
  mask(input: { readonly connection: string; readonly body: Buffer; readonly contentType: string; readonly request: RequestInfo; readonly unmaskSecrets: boolean }): MaskResult;
}

import type { AgentIdentity } from '../core/agent-identity';
import type { RequestInfo } from '../core/request-info';
import type { StreamKind, StreamMasker } from '../core/masking/stream-masker';
import type { AwsRequestInfo } from '../core/aws/aws-request-info';

/** What policy decided about a request. */
export interface GuardDecision {
  readonly effect: 'allow' | 'deny' | 'approve';
  /** Why: a rule matched, the connection's default applied, or a body a rule must read could not be decoded. */
  readonly reason: 'rule' | 'default' | 'undecodable-body' | 'unknown-action';
  /** The rule that decided, or `default`. */
  readonly ruleId: string;
  readonly message: string;
  /** A rule let this request read Secrets unmasked; recorded as such. */
  readonly unmaskSecrets: boolean;
}

/** A decision, and the body to forward when it is not the client's own (a patch with a precondition added). */
export interface GuardVerdict extends GuardDecision {
  readonly forwardBody?: Buffer;
}

/** The result of masking a body. */
export interface MaskResult {
  readonly body: Buffer;
  readonly counts: Readonly<Record<string, number>>;
}

/** What the guard is asked about. */
export interface GuardInput {
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly request: RequestInfo;
  readonly contentType: string;
  readonly body: Buffer;
  readonly query: string;
}

/** What the proxy read from the cluster for policy: `null` is "does not exist". */
export interface ClusterFacts {
  readonly liveObject?: unknown;
  readonly namespaceObject?: unknown;
}

/** One request under inspection: what policy must see before it can decide, then the decision. */
export interface GuardInspection {
  /** Reads the proxy must make first (see `policyNeeds`). */
  readonly needs: { readonly liveObject: boolean; readonly namespace: boolean };
  /**
   * Decides with what was read. With a live object, a patch is judged by the object it would produce and
   * forwarded with a resourceVersion precondition (`forwardBody`).
   *
   * @throws GatehouseError when the patch cannot apply to the live object (422) or cannot be guarded (415).
   */
  decide(facts: ClusterFacts): GuardVerdict;
}

/**
 * The guardrails port: policy decides, masking cleans what flows back (and what is recorded). The proxy
 * depends on this shape only, so the policy engine can evolve without touching the request path.
 */
export interface RequestGuard {
  inspect(input: GuardInput): GuardInspection;
  mask(input: { readonly connection: string; readonly body: Buffer; readonly contentType: string; readonly request: RequestInfo; readonly unmaskSecrets: boolean }): MaskResult;
  /** A masker for a stream (watch events, log lines) with the connection's masking patterns. */
  maskStream?(input: { readonly connection: string; readonly kind: StreamKind; readonly contentType: string; readonly request: RequestInfo; readonly unmaskSecrets: boolean }): StreamMasker;
  /** Decides an AWS call with the same policy (rules with `match.aws`, identity rules, the connection default). */
  decideAws?(input: AwsGuardInput): GuardDecision;
  /** Masks an AWS answer (or, with status 0, a request body for the replay blob) with the connection's patterns. */
  maskAws?(input: { readonly connection: string; readonly info: AwsRequestInfo; readonly status: number; readonly contentType: string; readonly body: Buffer; readonly unmask: boolean }): MaskResult;
}

/** What the guard is asked about an AWS call. */
export interface AwsGuardInput {
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly info: AwsRequestInfo;
  readonly method: string;
  /** The call's path after `/aws/<connection>`. */
  readonly path: string;
}

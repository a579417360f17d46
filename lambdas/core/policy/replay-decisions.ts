import type { AgentIdentity } from '../agent-identity';
import type { RequestInfo } from '../request-info';
import type { AwsRequestInfo } from '../aws/aws-request-info';
import type { CompiledPolicy } from './compile-policy';
import { evaluatePolicy } from './evaluate-policy';
import type { BodyInput, PolicyDecision } from './policy-types';

/** A recorded request, as `policy test` replays it. */
export interface ReplayRecord {
  readonly requestId: string;
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly request: RequestInfo;
  readonly body: BodyInput;
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /**
   * The recorded query string (`RequestRecord.query`): exec and port-forward rules read `command`, `container`,
   * `tty`, `stdin` and `ports` from it, CEL `request.dryRun` too. Without it those rules see no options.
   */
  readonly query?: string;
  /** The effect recorded at the time (allow, deny or approve), if known. */
  readonly recordedDecision?: string;
  /** An AWS call: what policy judges instead of `request` (see `PolicyInput.aws`). */
  readonly aws?: AwsRequestInfo;
}

/** One replayed decision. */
export interface ReplayResult {
  readonly requestId: string;
  /** The recorded effect, when the record had one. */
  readonly before?: string;
  readonly after: PolicyDecision;
  /** True when a recorded effect exists and differs from the new one. */
  readonly changed: boolean;
}

/**
 * Evaluates a (candidate) policy against recorded requests, so a policy change can be tested on real traffic
 * before it is deployed. Pure: the CLI loads the records and prints the result.
 */
export function replayDecisions(policy: CompiledPolicy, records: readonly ReplayRecord[]): ReplayResult[] {
  return records.map((record) => {
    const after = evaluatePolicy(policy, record);
    const before = record.recordedDecision;
    return { requestId: record.requestId, ...(before !== undefined ? { before } : {}), after, changed: before !== undefined && before !== after.effect };
  });
}

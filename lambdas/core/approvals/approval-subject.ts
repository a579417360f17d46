import type { AgentIdentity } from '../agent-identity';
import type { ApprovalSubject } from '../approval';
import { describeRequest } from '../classify-request';
import type { RequestInfo } from '../request-info';
import { requestFingerprint } from './fingerprint';

/** What the proxy knows when policy answers `approve`. */
export interface ApprovalSubjectInput {
  readonly requestId: string;
  readonly identity: AgentIdentity;
  readonly connection: string;
  /** HTTP method as received. */
  readonly method: string;
  /** The classified request (its `path` is the checked, decoded path). */
  readonly request: RequestInfo;
  /** The request's query parameters. */
  readonly query: URLSearchParams;
  readonly body: Uint8Array;
  readonly ruleId: string;
  readonly ruleMessage: string;
}

/** Builds the approval subject: the readable summary and the fingerprint of the exact request. */
export function approvalSubjectFor(input: ApprovalSubjectInput): ApprovalSubject {
  return {
    requestId: input.requestId,
    identity: input.identity,
    connection: input.connection,
    request: input.request,
    summary: describeRequest(input.request),
    fingerprint: requestFingerprint({
      issuer: input.identity.issuer, agent: input.identity.agent, connection: input.connection,
      method: input.method, path: input.request.path, query: input.query, body: input.body,
    }),
    ruleId: input.ruleId,
    ruleMessage: input.ruleMessage,
  };
}

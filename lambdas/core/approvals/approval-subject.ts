import type { AgentIdentity } from '../agent-identity';
import type { RecordKey } from '../session-record';
import type { ApprovalSubject } from '../approval';
import { describeRequest } from '../classify-request';
import type { MaskingPatternConfig } from '../gateway-config';
import type { RequestInfo } from '../request-info';
import { describeWhatRuns, type WhatRuns } from './describe-what-runs';
import { requestFingerprint } from './fingerprint';

/** What the proxy knows when policy answers `approve`. */
export interface ApprovalSubjectInput {
  readonly requestId: string;
  /** Where the request's record is (the decision is noted on it). */
  readonly recordKey?: RecordKey;
  readonly identity: AgentIdentity;
  readonly connection: string;
  /** HTTP method as received. */
  readonly method: string;
  /** The classified request (its `path` is the checked, decoded path). */
  readonly request: RequestInfo;
  /** The request's query parameters. */
  readonly query: URLSearchParams;
  /** The request's Content-Type header ('' when absent): the same bytes mean different things as different patches. */
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly ruleId: string;
  readonly ruleMessage: string;
  /** The connection's own credential patterns, so what the approver sees is masked like the connection's responses. */
  readonly maskingPatterns?: readonly MaskingPatternConfig[];
}

/**
 * An approval subject with the description of what will run. `ApprovalSubject` (the proxy's port) does not
 * name it, so it travels as an extra field through `ApprovalGate.open` to `newApproval`, which stores it.
 */
export type DescribedApprovalSubject = ApprovalSubject & { readonly whatRuns: WhatRuns };

/**
 * Builds the approval subject: the readable summary, what will run, and the fingerprint of the exact request.
 * `whatRuns` is worked out on first read: most subjects only meet `check` (a just-in-time window or a one-time
 * approval lets them through), and those should not pay for decoding and masking a large body.
 */
export function approvalSubjectFor(input: ApprovalSubjectInput): DescribedApprovalSubject {
  let whatRuns: WhatRuns | undefined;
  return {
    requestId: input.requestId,
    ...(input.recordKey ? { recordKey: input.recordKey } : {}),
    identity: input.identity,
    connection: input.connection,
    request: input.request,
    summary: describeRequest(input.request),
    fingerprint: requestFingerprint({
      issuer: input.identity.issuer, agent: input.identity.agent, connection: input.connection, method: input.method,
      path: input.request.path, scope: input.request, query: input.query, contentType: input.contentType, body: input.body,
    }),
    get whatRuns(): WhatRuns {
      return (whatRuns ??= describeWhatRuns({
        method: input.method, request: input.request, query: input.query, contentType: input.contentType, body: input.body, maskingPatterns: input.maskingPatterns,
      }));
    },
    ruleId: input.ruleId,
    ruleMessage: input.ruleMessage,
  };
}

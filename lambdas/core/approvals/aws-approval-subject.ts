import type { AgentIdentity } from '../agent-identity';
import type { RecordKey } from '../session-record';
import type { AwsRequestInfo } from '../aws/aws-request-info';
import type { MaskingPatternConfig } from '../gateway-config';
import type { RequestInfo } from '../request-info';
import type { DescribedApprovalSubject } from './approval-subject';
import { describeWhatRuns, type WhatRuns } from './describe-what-runs';
import { requestFingerprint } from './fingerprint';

/** What the AWS path knows when policy answers `approve` for a call. */
export interface AwsApprovalSubjectInput {
  readonly requestId: string;
  /** Where the request's record is (the decision is noted on it). */
  readonly recordKey?: RecordKey;
  readonly identity: AgentIdentity;
  readonly connection: string;
  readonly method: string;
  /** The call's path after `/aws/<connection>`, as sent. */
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly contentType: string;
  readonly info: AwsRequestInfo;
  /** The body byte for byte: the fingerprint covers exactly what will be sent. */
  readonly body: Uint8Array;
  /**
   * The body as an approver may see it: secret values being written (`PutSecretValue`'s `SecretString`) masked.
   * The Slack message and the approvals table only ever hold this one.
   */
  readonly maskedBody: Uint8Array;
  readonly ruleId: string;
  readonly ruleMessage: string;
  readonly maskingPatterns?: readonly MaskingPatternConfig[];
}

/**
 * The approval subject of an AWS call, shaped like a Kubernetes one so the same approvals table, Slack workflow
 * and just-in-time windows serve both: the verb is the API action, the resource the service, the name the
 * primary resource ARN. It is a non-resource request as far as query handling goes, so every query parameter
 * counts (an S3 `uploadId` or `versionId` changes what runs).
 *
 * The fingerprint also covers the IAM action: a JSON-protocol call names its action in the `X-Amz-Target` header,
 * not in the path or body, so without it an approval of one action would also approve another with the same body.
 */
export function awsApprovalSubjectFor(input: AwsApprovalSubjectInput): DescribedApprovalSubject {
  const request = awsRequestShape(input.info, input.path);
  const query = new URLSearchParams(input.query.map(([k, v]): [string, string] => [k, v]));
  let whatRuns: WhatRuns | undefined;
  return {
    requestId: input.requestId,
    ...(input.recordKey ? { recordKey: input.recordKey } : {}),
    identity: input.identity,
    connection: input.connection,
    request,
    summary: input.info.summary,
    fingerprint: requestFingerprint({
      issuer: input.identity.issuer, agent: input.identity.agent, connection: input.connection, method: input.method,
      path: `${input.info.iamAction} ${input.path}`, scope: request, query, contentType: input.contentType, body: input.body,
    }),
    get whatRuns(): WhatRuns {
      return (whatRuns ??= describeWhatRuns({
        method: input.method, request, query, ...previewOf(input.contentType, input.maskedBody), maskingPatterns: input.maskingPatterns,
      }));
    },
    ruleId: input.ruleId,
    ruleMessage: input.ruleMessage,
  };
}

/**
 * The body as the approver reads it: the AWS JSON media types are JSON, and a query call's form body is shown as
 * the object of its parameters; anything else (XML, object data) as the preview shows any body it cannot read.
 */
function previewOf(contentType: string, body: Uint8Array): { readonly contentType: string; readonly body: Uint8Array } {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (/^application\/x-amz-json-1\.[01]$/.test(media)) return { contentType: 'application/json', body };
  if (media === 'application/x-www-form-urlencoded') {
    const params = Object.fromEntries(new URLSearchParams(Buffer.from(body).toString('utf8')));
    return { contentType: 'application/json', body: Buffer.from(JSON.stringify(params)) };
  }
  return { contentType, body };
}

/** An AWS call in the shape approvals and records read for Kubernetes requests. */
export function awsRequestShape(info: AwsRequestInfo, path: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb: info.action,
    apiPrefix: 'aws',
    apiGroup: info.service,
    apiVersion: '',
    namespace: '',
    resource: info.service,
    subresource: '',
    name: info.resources[0] ?? '',
    parts: [],
  };
}

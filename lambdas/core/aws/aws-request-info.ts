/**
 * What an AWS API call is about, read from the request the way the service itself reads it: the service and
 * region from the SigV4 credential scope, the action from the protocol (JSON `X-Amz-Target`, query `Action`,
 * REST-XML and REST-JSON routes), the resources as ARNs where they can be derived. Policy, records, masking and
 * the upstream signer all work on this; `classifyAwsRequest` is the one place that builds it.
 */

/** The wire protocols of the AWS services Gatehouse reads (Smithy's names). */
export type AwsProtocol = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'restXml' | 'restJson1';

/** A call as it reached Gatehouse, after the `/aws/<connection>` prefix was taken off. Plain data, no SDK types. */
export interface AwsCallInput {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The path after `/aws/<connection>`, as sent (percent-encoded as the SDK encoded it), always starting with `/`. */
  readonly path: string;
  /** Decoded query pairs in the order received; repeats kept. */
  readonly query: readonly (readonly [string, string])[];
  /** Lower-cased header names, every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  /** Service signing name from the verified credential scope (`s3`, `dynamodb`, `sts`, ...). */
  readonly service: string;
  /** Region from the verified credential scope. */
  readonly region: string;
  /** Account of the connection (for ARNs of resources named without one). */
  readonly accountId: string;
}

/** The classification of one call. */
export interface AwsRequestInfo {
  /** Service signing name, as in the credential scope and IAM action prefix: `s3`, `dynamodb`, `secretsmanager`. */
  readonly service: string;
  readonly region: string;
  readonly protocol: AwsProtocol;
  /**
   * The API operation name as in the service's API reference and IAM (`GetItem`, `DeleteBucket`,
   * `GetSecretValue`); '' when it cannot be told (an unknown target or route). Such a call matches no `aws.actions`
   * glob and never takes the connection default: only an allow rule with `aws: { unknownActions: true }` lets it through.
   */
  readonly action: string;
  /** `<service>:<action>`, the IAM action name, for rules and records; `<service>:` when the action is unknown. */
  readonly iamAction: string;
  /**
   * The resources the call touches, as ARNs, in a stable order (the primary one first), where they can be
   * derived: S3 `arn:aws:s3:::bucket` / `arn:aws:s3:::bucket/key`, DynamoDB `arn:aws:dynamodb:<r>:<acct>:table/<t>`,
   * Secrets Manager `arn:aws:secretsmanager:<r>:<acct>:secret:<id>`, Lambda `arn:aws:lambda:<r>:<acct>:function:<n>`,
   * IAM `arn:aws:iam::<acct>:user|role|policy|group/<n>`, KMS `arn:aws:kms:<r>:<acct>:key/<id>` or `alias/<n>`,
   * SSM `arn:aws:ssm:<r>:<acct>:parameter/<n>`. Empty when the call names none (ListBuckets) or it cannot be told.
   */
  readonly resources: readonly string[];
  /**
   * The decoded request parameters policy body conditions read: the JSON body of JSON protocols, the query
   * parameters (minus Action/Version) of the query protocol as an object, the route's labels plus query of REST
   * protocols; `undefined` when the body is not decodable as the protocol says (policy then refuses body rules).
   */
  readonly params: unknown;
  /** A one-line description for records and logs, e.g. `dynamodb:GetItem arn:aws:dynamodb:us-east-1:1111:table/orders`. */
  readonly summary: string;
}

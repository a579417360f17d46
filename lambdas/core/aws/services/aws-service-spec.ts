import type { AwsProtocol } from '../aws-request-info';

/**
 * The shapes of the per-service tables `classifyAwsRequest` reads, and the ARN helpers they share. A table says
 * how the service itself tells the operation (a JSON target prefix, query `Action`s, REST routes) and which
 * request fields name the resources it touches.
 */

/** What resource derivation needs to know about the call: where ARNs of resources named without one live. */
export interface ArnContext {
  /** `aws`, `aws-cn`, `aws-us-gov`, ... (from the region). */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** Reads the resources a decoded request names, as ARNs or undefined for fields that are absent. */
export type ResourceReader<P> = (action: string, params: P, ctx: ArnContext) => readonly (string | undefined)[];

/** A service whose operation is `X-Amz-Target: <targetPrefix>.<Operation>` (awsJson1_0 / awsJson1_1). */
export interface JsonServiceSpec {
  readonly kind: 'json';
  readonly protocol: 'awsJson1_0' | 'awsJson1_1';
  readonly targetPrefix: string;
  readonly operations: ReadonlySet<string>;
  readonly resources: ResourceReader<Readonly<Record<string, unknown>>>;
  /** The service also answers the query protocol with the same operations (SQS: older SDKs and CLI v1). */
  readonly alsoQuery?: boolean;
}

/** A service whose operation is the `Action` parameter of a form body or query string (awsQuery, EC2's). */
export interface QueryServiceSpec {
  readonly kind: 'query';
  /** The known operations; `'any'` for EC2, whose hundreds of actions are taken by shape (see `isOperationName`). */
  readonly operations: ReadonlySet<string> | 'any';
  readonly resources: ResourceReader<Readonly<Record<string, string>>>;
}

/** A REST service with its own route table (S3, Lambda). */
export interface RestServiceSpec {
  readonly kind: 'rest';
  readonly protocol: 'restXml' | 'restJson1';
}

export type AwsServiceSpec = JsonServiceSpec | QueryServiceSpec | RestServiceSpec;

/** The result of one protocol reader; `classifyAwsRequest` adds service, region, iamAction and summary. */
export interface ProtocolClassification {
  readonly protocol: AwsProtocol;
  readonly action: string;
  readonly resources: readonly (string | undefined)[];
  readonly params: unknown;
}

/**
 * Most resources a classification lists: S3's DeleteObjects takes 1,000 keys (plus its bucket), DynamoDB's
 * transactions 100 items, so every real call fits, and policy sees each resource it touches (a deny on one key
 * cannot be dodged by listing it after others). A call that reaches this many may name more than were listed:
 * the classifier then makes its action unknown, so only an `unknownActions` rule lets it through. Records keep
 * fewer (session-record.ts).
 */
export const MAX_RESOURCES = 1002;

/**
 * The largest body Gatehouse decodes for classification (JSON, form, DeleteObjects XML). It is the Lambda
 * request payload limit, so a body this large cannot reach the proxy through API Gateway anyway; a larger one is
 * classified with params undefined (policy then refuses body rules) rather than parsed at any cost.
 */
export const MAX_DECODED_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Whether a name has the shape of an AWS operation (PascalCase letters and digits, as every Smithy operation
 * is named). Used where no table lists the operations (EC2, services Gatehouse has no table for), so that a
 * lower-case variant of a name a deny rule spells correctly is unknown rather than a different action.
 */
export function isOperationName(name: string): boolean {
  return /^[A-Z][A-Za-z0-9]{0,127}$/.test(name);
}

/** Deduplicates (first occurrence kept, so the primary resource stays first), drops absent ones, caps the list. */
export function finishResources(list: readonly (string | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const arn of list) {
    if (arn === undefined || arn === '' || seen.has(arn)) continue;
    seen.add(arn);
    if (seen.size === MAX_RESOURCES) break;
  }
  return [...seen];
}

/** A string field of a decoded JSON object, undefined when absent or not a string. */
export function stringField(params: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The string elements of an array field (other elements skipped). */
export function stringListField(params: Readonly<Record<string, unknown>>, name: string): string[] {
  const value = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** A plain object field (not an array), undefined otherwise. */
export function objectField(params: unknown, name: string): Readonly<Record<string, unknown>> | undefined {
  if (!isPlainObject(params) || !Object.prototype.hasOwnProperty.call(params, name)) return undefined;
  const value = params[name];
  return isPlainObject(value) ? value : undefined;
}

export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value is already an ARN: services that accept an ARN where a name goes use it as given. */
export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` for a regional resource of the connection's account. */
export function regionalArn(ctx: ArnContext, service: string, resource: string): string {
  return `arn:${ctx.partition}:${service}:${ctx.region}:${ctx.accountId}:${resource}`;
}

/** `arn:<partition>:<service>::<account>:<resource>` for a global service (IAM): no region in the ARN. */
export function globalArn(ctx: ArnContext, service: string, resource: string): string {
  return `arn:${ctx.partition}:${service}::${ctx.accountId}:${resource}`;
}

/** `value` when it is an ARN, else the regional ARN of `<prefix><value>`; undefined stays undefined. */
export function nameOrArn(ctx: ArnContext, service: string, prefix: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isArn(value) ? value : regionalArn(ctx, service, `${prefix}${value}`);
}

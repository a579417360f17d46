import type { AwsCallInput } from '../aws-request-info';
import {
  type ArnContext, type QueryServiceSpec, MAX_DECODED_BODY_BYTES, globalArn, isArn, regionalArn, stringField,
} from './aws-service-spec';
import { sqsResources } from './json-services';
import { IAM_OPERATIONS, SNS_OPERATIONS, SQS_OPERATIONS, STS_OPERATIONS } from './operation-names';

/**
 * The query-protocol services (awsQuery, and EC2's variant of it): the operation is the `Action` parameter of
 * an `application/x-www-form-urlencoded` POST body, or of the query string on GET.
 *
 * Parameters are kept as the flat pairs the protocol sends (`Tags.member.1.Key`, `InstanceId.1`), not rebuilt
 * into lists: that is exactly what the service receives, and a rule on `Tags.member.1.Key` reads what the
 * service reads, with no reassembly in between that could disagree with it.
 */

type QueryParams = Readonly<Record<string, string>>;

/** The pairs a query call carries, or why it cannot be told: `ambiguous` means the action must be unknown. */
export interface QueryPairs {
  /** Decoded pairs, or undefined when the body is not decodable (bad escapes, not UTF-8, too large). */
  readonly pairs: readonly (readonly [string, string])[] | undefined;
  /** Parameters come from two places (a form body and a query string), so which one the service acts on is unclear. */
  readonly ambiguous: boolean;
}

/**
 * Reads the parameters of a query call the way the service does: the form body for POST, the query string for
 * GET. A form POST that also has a query string is `ambiguous`: the SDKs and CLI never send one, the services
 * do not document which of two disagreeing `Action`s (or `RoleArn`s) they act on, and a classifier that read
 * one while the service read the other would show policy a different call; so such a call's action is unknown.
 */
export function queryPairsOf(input: AwsCallInput): QueryPairs {
  if (input.method === 'GET') return { pairs: input.query, ambiguous: false };
  if (input.method !== 'POST' || !isFormContentType(input.headers)) return { pairs: undefined, ambiguous: false };
  const pairs = input.body.length > MAX_DECODED_BODY_BYTES ? undefined : decodeForm(input.body);
  return { pairs, ambiguous: input.query.length > 0 };
}

/** Whether the request's (one) Content-Type is a URL-encoded form, parameters such as `charset` allowed. */
export function isFormContentType(headers: AwsCallInput['headers']): boolean {
  const values = Object.prototype.hasOwnProperty.call(headers, 'content-type') ? headers['content-type'] : [];
  if (values.length !== 1) return false;
  return values[0].split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * Decodes an `application/x-www-form-urlencoded` body strictly: `+` is a space, escapes must be valid UTF-8.
 * Undefined when they are not (WHATWG's lenient decoder would keep a bad escape as text, which the service
 * would not), so the call is classified as undecodable rather than as something the service may not see.
 */
export function decodeForm(body: Buffer): [string, string][] | undefined {
  const text = body.toString('latin1');
  if (text === '') return [];
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeFormComponent(eq >= 0 ? part.slice(0, eq) : part);
    const value = decodeFormComponent(eq >= 0 ? part.slice(eq + 1) : '');
    if (name === undefined || value === undefined) return undefined;
    pairs.push([name, value]);
  }
  return pairs;
}

function decodeFormComponent(text: string): string | undefined {
  // Raw bytes above 0x7f are not form encoding; escapes are decoded as UTF-8 and must be valid.
  if (/[^\x20-\x7e]/.test(text)) return undefined;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The pairs as an object without `Action` and `Version`; undefined when a name repeats (the service would read
 * one of them and policy might read the other).
 */
export function queryParamsOf(pairs: readonly (readonly [string, string])[]): QueryParams | undefined {
  const seen = new Set<string>();
  for (const [name] of pairs) {
    if (seen.has(name)) return undefined;
    seen.add(name);
  }
  return Object.fromEntries(pairs.filter(([name]) => name !== 'Action' && name !== 'Version'));
}

const IAM_NAMED: readonly (readonly [string, string])[] = [
  ['InstanceProfileName', 'instance-profile/'], ['RoleName', 'role/'], ['GroupName', 'group/'], ['UserName', 'user/'],
  ['ServerCertificateName', 'server-certificate/'],
];
const IAM_ARNS = ['PolicyArn', 'PermissionsBoundary', 'OpenIDConnectProviderArn', 'SAMLProviderArn', 'SerialNumber'];

const iam: QueryServiceSpec = {
  kind: 'query',
  operations: IAM_OPERATIONS,
  // IAM is global: its ARNs have no region. The entity's path is not in the request, so `role/<name>` is
  // written without it (an entity created with a path has `role/<path>/<name>` as its real ARN).
  resources: (_action, p, ctx) => [
    ...IAM_NAMED.map(([field, prefix]) => {
      const name = stringField(p, field);
      return name === undefined ? undefined : isArn(name) ? name : globalArn(ctx, 'iam', `${prefix}${name}`);
    }),
    ...IAM_ARNS.map((field) => {
      const value = stringField(p, field);
      return value !== undefined && isArn(value) ? value : undefined;
    }),
  ],
};

const sts: QueryServiceSpec = {
  kind: 'query',
  operations: STS_OPERATIONS,
  resources: (_action, p) => {
    const role = stringField(p, 'RoleArn');
    return [role !== undefined && isArn(role) ? role : undefined];
  },
};

const sns: QueryServiceSpec = {
  kind: 'query',
  operations: SNS_OPERATIONS,
  resources: (action, p, ctx) => {
    const name = action === 'CreateTopic' ? stringField(p, 'Name') : undefined;
    return [
      ...['TopicArn', 'TargetArn', 'SubscriptionArn', 'EndpointArn', 'PlatformApplicationArn', 'ResourceArn'].map((field) => {
        const value = stringField(p, field);
        return value !== undefined && isArn(value) ? value : undefined;
      }),
      name !== undefined ? regionalArn(ctx, 'sns', name) : undefined,
    ];
  },
};

const ec2: QueryServiceSpec = {
  kind: 'query',
  // EC2 has some 700 actions; they are taken by shape (PascalCase), see isOperationName.
  operations: 'any',
  resources: (_action, p, ctx) => Object.entries(p)
    .filter(([name]) => name === 'InstanceId' || /^InstanceId\.\d+$/.test(name))
    .map(([, id]) => ec2Arn(ctx, id)),
};

function ec2Arn(ctx: ArnContext, id: string): string | undefined {
  return id === '' ? undefined : regionalArn(ctx, 'ec2', `instance/${id}`);
}

const sqsQuery: QueryServiceSpec = {
  kind: 'query',
  operations: SQS_OPERATIONS,
  resources: (_action, p, ctx) => sqsResources(ctx, p),
};

/** The query services by signing name (SQS: for clients that still speak query to it). */
export const QUERY_SERVICES: ReadonlyMap<string, QueryServiceSpec> = new Map([
  ['iam', iam], ['sts', sts], ['sns', sns], ['ec2', ec2], ['sqs', sqsQuery],
]);

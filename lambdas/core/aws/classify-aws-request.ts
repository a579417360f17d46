import { awsPartitionOf } from './aws-endpoints';
import type { AwsCallInput, AwsRequestInfo } from './aws-request-info';
import {
  type ArnContext, MAX_RESOURCES, type JsonServiceSpec, type ProtocolClassification, type QueryServiceSpec, finishResources,
  isOperationName,
} from './services/aws-service-spec';
import { decodeJsonObject } from './services/json-body';
import { JSON_SERVICES } from './services/json-services';
import { classifyLambda } from './services/lambda-routes';
import { QUERY_SERVICES, isFormContentType, queryPairsOf, queryParamsOf } from './services/query-services';
import { classifyS3 } from './services/s3-routes';

/**
 * Classifies an AWS call the way the service named by its verified credential scope reads it: the operation
 * from that service's own protocol (JSON `X-Amz-Target` with the service's own prefix, query `Action`, S3's and
 * Lambda's REST routes), the resources as ARNs, and the decoded parameters policy body conditions read.
 *
 * What cannot be told is unknown, never guessed: a target with another service's prefix, a name not in the
 * service's operation table (a new operation, or a known one in another case), an `Action` given twice or in
 * both the query string and a form body, a route not in the tables. Policy lets an unknown action through only
 * by an explicit `unknownActions` rule.
 *
 * A service without a table (`ecs`, `kinesis`, ...) is classified from the request's shape: `X-Amz-Target` ->
 * awsJson1_1, a form POST -> awsQuery, else restJson1 with action ''. For the first two the operation name the
 * request carries is taken when it has an operation's shape (PascalCase): it is the name the service itself
 * dispatches on, a wrong target prefix is refused by the service rather than run as something else, and it
 * lets rules such as `ecs:Describe*` work without a table. Without a table its spelling cannot be checked, so
 * a deny rule for such a service should be written for every spelling the service accepts (or match
 * case-insensitively, as IAM does). REST services without a table have no action to read: ''.
 *
 * Never throws: undecodable bodies, bad escapes and oversized bodies give params undefined and, where the
 * operation depends on them, action ''.
 */
export function classifyAwsRequest(input: AwsCallInput): AwsRequestInfo {
  const ctx: ArnContext = { partition: awsPartitionOf(input.region).id, region: input.region, accountId: input.accountId };
  let result: ProtocolClassification;
  try {
    result = classifyForService(input, ctx);
  } catch {
    // A last guard: a table bug must give an unknown call (refused unless a rule allows unknown actions), not a 500.
    result = { protocol: guessProtocol(input), action: '', resources: [], params: undefined };
  }
  const resources = finishResources(result.resources);
  // At the cap, resources past it were not listed: policy must not judge the call on part of what it touches.
  const action = resources.length >= MAX_RESOURCES ? '' : result.action;
  const iamAction = `${input.service}:${action}`;
  return {
    service: input.service,
    region: input.region,
    protocol: result.protocol,
    action,
    iamAction,
    resources,
    params: result.params,
    summary: oneLine(resources.length > 0 ? `${iamAction} ${resources[0]}` : iamAction),
  };
}

function classifyForService(input: AwsCallInput, ctx: ArnContext): ProtocolClassification {
  if (input.service === 's3') return classifyS3(input, ctx);
  if (input.service === 'lambda') return classifyLambda(input, ctx);
  const json = JSON_SERVICES.get(input.service);
  const query = QUERY_SERVICES.get(input.service);
  if (json) {
    // SQS speaks both: a form POST or a GET without a target is a query call.
    const queryShaped = input.method === 'GET' || (input.method === 'POST' && isFormContentType(input.headers));
    if (json.alsoQuery && query && targetValues(input).length === 0 && queryShaped) return classifyQuery(input, query, ctx);
    return classifyJson(input, json, ctx);
  }
  if (query) return classifyQuery(input, query, ctx);
  return classifyUnknownService(input);
}

function classifyJson(input: AwsCallInput, spec: JsonServiceSpec, ctx: ArnContext): ProtocolClassification {
  const target = splitTarget(input);
  const action = target !== undefined && target.prefix === spec.targetPrefix && spec.operations.has(target.operation) ? target.operation : '';
  const params = decodeJsonObject(input.body);
  const resources = params ? spec.resources(action, params, ctx) : [];
  return { protocol: spec.protocol, action, resources, params };
}

function classifyQuery(input: AwsCallInput, spec: QueryServiceSpec, ctx: ArnContext): ProtocolClassification {
  const { pairs, ambiguous } = queryPairsOf(input);
  const params = pairs && queryParamsOf(pairs);
  const named = pairs?.find(([name]) => name === 'Action')?.[1] ?? '';
  const known = spec.operations === 'any' ? isOperationName(named) : spec.operations.has(named);
  const action = params && !ambiguous && known ? named : '';
  const resources = params ? spec.resources(action, params, ctx) : [];
  return { protocol: 'awsQuery', action, resources, params };
}

function classifyUnknownService(input: AwsCallInput): ProtocolClassification {
  const protocol = guessProtocol(input);
  if (protocol === 'awsJson1_1') {
    const target = splitTarget(input);
    const action = target && /^[A-Za-z][A-Za-z0-9_.]*$/.test(target.prefix) && isOperationName(target.operation) ? target.operation : '';
    return { protocol, action, resources: [], params: decodeJsonObject(input.body) };
  }
  if (protocol === 'awsQuery') {
    const { pairs, ambiguous } = queryPairsOf(input);
    const params = pairs && queryParamsOf(pairs);
    const named = pairs?.find(([name]) => name === 'Action')?.[1] ?? '';
    return { protocol, action: params && !ambiguous && isOperationName(named) ? named : '', resources: [], params };
  }
  return { protocol, action: '', resources: [], params: undefined };
}

/** The protocol a request of a service without a table looks like. */
function guessProtocol(input: AwsCallInput): ProtocolClassification['protocol'] {
  if (targetValues(input).length > 0) return 'awsJson1_1';
  if (input.method === 'POST' && isFormContentType(input.headers)) return 'awsQuery';
  return 'restJson1';
}

function targetValues(input: AwsCallInput): readonly string[] {
  return Object.prototype.hasOwnProperty.call(input.headers, 'x-amz-target') ? input.headers['x-amz-target'] : [];
}

/** `<prefix>.<operation>` split at the last dot (CloudTrail's prefix has dots); undefined unless exactly one header. */
function splitTarget(input: AwsCallInput): { readonly prefix: string; readonly operation: string } | undefined {
  const values = targetValues(input);
  if (values.length !== 1) return undefined;
  const target = values[0].trim();
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return { prefix: target.slice(0, dot), operation: target.slice(dot + 1) };
}

/** Records and logs take the summary as one line: control characters (an S3 key may hold a newline) become `?`. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '?');
}

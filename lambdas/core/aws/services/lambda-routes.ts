import type { AwsCallInput } from '../aws-request-info';
import { type ArnContext, type ProtocolClassification, isArn, isPlainObject, regionalArn } from './aws-service-spec';
import { decodeJsonObject } from './json-body';

/**
 * Lambda's REST-JSON routes under `/2015-03-31/functions`. Only the function operations below are told apart;
 * every other route (aliases, versions, layers, event source mappings, ...) is unknown (''), so a rule must
 * name `unknownActions` to let it through until it has a row here.
 */

const PREFIX = '/2015-03-31/functions';

// `<METHOD> <route>` -> operation, `{name}` standing for the FunctionName label.
const ROUTES = new Map<string, string>([
  ['GET ', 'ListFunctions'], ['POST ', 'CreateFunction'],
  ['GET {name}', 'GetFunction'], ['DELETE {name}', 'DeleteFunction'],
  ['POST {name}/invocations', 'Invoke'],
  ['GET {name}/configuration', 'GetFunctionConfiguration'], ['PUT {name}/configuration', 'UpdateFunctionConfiguration'],
  ['PUT {name}/code', 'UpdateFunctionCode'],
]);

/** Members of Invoke's input that travel as headers (the body is the function's payload, not parameters). */
const INVOKE_HEADERS: readonly (readonly [string, string])[] = [
  ['x-amz-invocation-type', 'InvocationType'], ['x-amz-log-type', 'LogType'], ['x-amz-client-context', 'ClientContext'],
];

const UNKNOWN: ProtocolClassification = { protocol: 'restJson1', action: '', resources: [], params: undefined };

/** Classifies a Lambda call. Never throws. */
export function classifyLambda(input: AwsCallInput, ctx: ArnContext): ProtocolClassification {
  if (input.path !== PREFIX && !input.path.startsWith(`${PREFIX}/`)) return UNKNOWN;
  const segments = input.path.slice(PREFIX.length + 1).split('/');
  // `/2015-03-31/functions/` is the list route as older SDKs (botocore's model) send it.
  if (segments.length === 1 && segments[0] === '') segments.pop();
  let name: string | undefined;
  if (segments.length > 0) {
    name = decodeLabel(segments[0]);
    if (name === undefined || name === '') return UNKNOWN;
  }
  const route = name === undefined ? '' : ['{name}', ...segments.slice(1)].join('/');
  const action = ROUTES.get(`${input.method} ${route}`) ?? '';
  if (action === '') return { ...UNKNOWN, resources: name !== undefined ? [functionArn(ctx, name, undefined)] : [] };

  const query = queryObject(input.query);
  const labels = name !== undefined ? { FunctionName: name } : {};
  let params: Record<string, unknown> | undefined;
  if (action === 'Invoke') {
    const headers = Object.fromEntries(INVOKE_HEADERS.flatMap(([header, member]) => {
      const values = Object.prototype.hasOwnProperty.call(input.headers, header) ? input.headers[header] : [];
      return values.length === 1 ? [[member, values[0]]] : [];
    }));
    params = query && { ...query, ...headers, ...labels };
  } else {
    const body = decodeJsonObject(input.body);
    // The route's label is what Lambda acts on: a FunctionName in the body or query cannot replace it.
    params = query && body && { ...body, ...query, ...labels };
  }
  const fn = name ?? (isPlainObject(params) && typeof params.FunctionName === 'string' ? params.FunctionName : undefined);
  const qualifier = query && typeof query.Qualifier === 'string' && query.Qualifier !== '' ? query.Qualifier : undefined;
  return { protocol: 'restJson1', action, resources: fn !== undefined && fn !== '' ? [functionArn(ctx, fn, qualifier)] : [], params };
}

/**
 * A function's ARN from what Lambda accepts as FunctionName: a name (`my-function`), a name with a qualifier
 * (`my-function:v1`), a partial ARN (`123456789012:function:my-function`) or a full ARN, kept as given. A
 * `Qualifier` parameter is appended when the name carries none.
 */
export function functionArn(ctx: ArnContext, name: string, qualifier: string | undefined): string {
  if (isArn(name)) return name;
  const partial = /^(\d{12}):function:(.+)$/.exec(name);
  const account = partial ? partial[1] : ctx.accountId;
  const rest = partial ? partial[2] : name;
  const qualified = !rest.includes(':') && qualifier !== undefined ? `${rest}:${qualifier}` : rest;
  return partial ? `arn:${ctx.partition}:lambda:${ctx.region}:${account}:function:${qualified}` : regionalArn(ctx, 'lambda', `function:${qualified}`);
}

function decodeLabel(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function queryObject(pairs: AwsCallInput['query']): Record<string, string> | undefined {
  const names = new Set(pairs.map(([n]) => n));
  return names.size === pairs.length ? Object.fromEntries(pairs) : undefined;
}

import {
  type ArnContext, type JsonServiceSpec, globalArn, isArn, isPlainObject, nameOrArn, objectField, regionalArn,
  stringField, stringListField,
} from './aws-service-spec';
import {
  CLOUDTRAIL_OPERATIONS, DYNAMODB_OPERATIONS, ECR_OPERATIONS, EVENTS_OPERATIONS, KMS_OPERATIONS, LOGS_OPERATIONS,
  SECRETSMANAGER_OPERATIONS, SQS_OPERATIONS, SSM_OPERATIONS,
} from './operation-names';

/**
 * The AWS JSON services: their `X-Amz-Target` prefixes (from each service's Smithy model), protocol versions
 * and the request fields that name their resources. Field names are the services' own (CloudWatch Logs and ECR
 * use camelCase).
 */

type Params = Readonly<Record<string, unknown>>;

// PartiQL calls (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction) name their tables inside the
// statement text. They are not parsed: a statement such as `SELECT "a FROM public" FROM secret` would fool a
// light parser into naming a table the call does not read, which is worse than naming none (a rule allowing a
// table then does not match). Rules for them should be written on the action.
const dynamodb: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_0',
  targetPrefix: 'DynamoDB_20120810',
  operations: DYNAMODB_OPERATIONS,
  resources: (_action, p, ctx) => {
    const table = (name: string | undefined): string | undefined => nameOrArn(ctx, 'dynamodb', 'table/', name);
    const out: (string | undefined)[] = [table(stringField(p, 'TableName'))];
    // BatchGetItem / BatchWriteItem: one entry per table, keyed by its name (or ARN).
    const requestItems = objectField(p, 'RequestItems');
    if (requestItems) for (const name of Object.keys(requestItems)) out.push(table(name || undefined));
    // TransactWriteItems / TransactGetItems: each item names its table inside its one operation member.
    const items = Object.prototype.hasOwnProperty.call(p, 'TransactItems') ? p.TransactItems : undefined;
    if (Array.isArray(items)) {
      for (const item of items) {
        for (const member of ['Get', 'Put', 'Update', 'Delete', 'ConditionCheck']) {
          const op = objectField(item, member);
          if (op) out.push(table(stringField(op, 'TableName')));
        }
      }
    }
    out.push(table(stringField(p, 'SourceTableName')), table(stringField(p, 'TargetTableName')));
    const globalTable = stringField(p, 'GlobalTableName');
    if (globalTable) out.push(globalArn(ctx, 'dynamodb', `global-table/${globalTable}`));
    for (const field of ['TableArn', 'SourceTableArn', 'ResourceArn', 'BackupArn', 'ExportArn', 'ImportArn']) {
      out.push(arnOnly(stringField(p, field)));
    }
    return out;
  },
};

const secretsmanager: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'secretsmanager',
  operations: SECRETSMANAGER_OPERATIONS,
  resources: (action, p, ctx) => {
    // A partial ARN or a name with the random suffix is still the id Secrets Manager resolves: kept whole.
    const secret = (id: string | undefined): string | undefined => nameOrArn(ctx, 'secretsmanager', 'secret:', id);
    return [
      secret(stringField(p, 'SecretId')),
      action === 'CreateSecret' ? secret(stringField(p, 'Name')) : undefined,
      ...stringListField(p, 'SecretIdList').map(secret),
    ];
  },
};

const SSM_PARAMETER_NAME = new Set(['GetParameter', 'PutParameter', 'DeleteParameter', 'GetParameterHistory', 'LabelParameterVersion', 'UnlabelParameterVersion']);
const SSM_PARAMETER_NAMES = new Set(['GetParameters', 'DeleteParameters']);
const SSM_DOCUMENT_NAME = new Set([
  'CreateDocument', 'DeleteDocument', 'DescribeDocument', 'GetDocument', 'UpdateDocument', 'UpdateDocumentDefaultVersion',
  'UpdateDocumentMetadata', 'DescribeDocumentPermission', 'ModifyDocumentPermission', 'ListDocumentVersions',
]);

/** `parameter/x` for `x`, `parameter/a/b` for `/a/b` (the leading `/` not doubled); a `:version` or `:label` selector dropped. */
export function ssmParameterArn(ctx: ArnContext, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (isArn(name)) return name;
  const colon = name.indexOf(':');
  const bare = colon >= 0 ? name.slice(0, colon) : name;
  if (bare === '') return undefined;
  return regionalArn(ctx, 'ssm', `parameter${bare.startsWith('/') ? '' : '/'}${bare}`);
}

const ssm: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'AmazonSSM',
  operations: SSM_OPERATIONS,
  resources: (action, p, ctx) => {
    const out: (string | undefined)[] = [];
    if (SSM_PARAMETER_NAME.has(action)) out.push(ssmParameterArn(ctx, stringField(p, 'Name')));
    if (SSM_PARAMETER_NAMES.has(action)) out.push(...stringListField(p, 'Names').map((n) => ssmParameterArn(ctx, n)));
    if (action === 'GetParametersByPath') out.push(ssmParameterArn(ctx, stringField(p, 'Path')));
    if (SSM_DOCUMENT_NAME.has(action)) out.push(nameOrArn(ctx, 'ssm', 'document/', stringField(p, 'Name')));
    // Commands and sessions run on instances: both the document and the instances matter to a rule.
    if (action === 'SendCommand') {
      out.push(nameOrArn(ctx, 'ssm', 'document/', stringField(p, 'DocumentName')));
      out.push(...stringListField(p, 'InstanceIds').map((id) => ec2InstanceArn(ctx, id)));
    }
    if (action === 'StartSession') out.push(ec2InstanceArn(ctx, stringField(p, 'Target')));
    return out;
  },
};

function ec2InstanceArn(ctx: ArnContext, id: string | undefined): string | undefined {
  return id === undefined ? undefined : isArn(id) ? id : regionalArn(ctx, 'ec2', `instance/${id}`);
}

/** A key id, `alias/<name>`, or an ARN of either. */
export function kmsKeyArn(ctx: ArnContext, keyId: string | undefined): string | undefined {
  if (keyId === undefined) return undefined;
  if (isArn(keyId)) return keyId;
  return regionalArn(ctx, 'kms', keyId.startsWith('alias/') ? keyId : `key/${keyId}`);
}

const kms: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'TrentService',
  operations: KMS_OPERATIONS,
  resources: (_action, p, ctx) => [
    kmsKeyArn(ctx, stringField(p, 'KeyId')),
    kmsKeyArn(ctx, stringField(p, 'AliasName')),
    kmsKeyArn(ctx, stringField(p, 'TargetKeyId')),
    kmsKeyArn(ctx, stringField(p, 'SourceKeyId')),
    kmsKeyArn(ctx, stringField(p, 'DestinationKeyId')),
  ],
};

const CLOUDTRAIL_TRAIL_NAME = new Set(['CreateTrail', 'DeleteTrail', 'GetTrail', 'GetTrailStatus', 'StartLogging', 'StopLogging', 'UpdateTrail']);

const cloudtrail: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
  operations: CLOUDTRAIL_OPERATIONS,
  resources: (action, p, ctx) => {
    const trail = (name: string | undefined): string | undefined => nameOrArn(ctx, 'cloudtrail', 'trail/', name);
    return [
      CLOUDTRAIL_TRAIL_NAME.has(action) ? trail(stringField(p, 'Name')) : undefined,
      trail(stringField(p, 'TrailName')),
      ...stringListField(p, 'trailNameList').map(trail),
      arnOnly(stringField(p, 'ResourceId')),
      ...stringListField(p, 'ResourceIdList').map(arnOnly),
      nameOrArn(ctx, 'cloudtrail', 'eventdatastore/', stringField(p, 'EventDataStore')),
    ];
  },
};

const logs: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'Logs_20140328',
  operations: LOGS_OPERATIONS,
  resources: (_action, p, ctx) => {
    const group = stringField(p, 'logGroupName');
    const identifier = stringField(p, 'logGroupIdentifier');
    const stream = stringField(p, 'logStreamName');
    const groupArn = group !== undefined ? regionalArn(ctx, 'logs', `log-group:${group}`) : identifier !== undefined ? nameOrArn(ctx, 'logs', 'log-group:', identifier) : undefined;
    // The stream is what PutLogEvents / CreateLogStream act on: listed first, its group after.
    const streamArn = group !== undefined && stream !== undefined ? regionalArn(ctx, 'logs', `log-group:${group}:log-stream:${stream}`) : undefined;
    return [streamArn, groupArn, arnOnly(stringField(p, 'resourceArn'))];
  },
};

const EVENTS_RULE_NAME = new Set(['PutRule', 'DeleteRule', 'DescribeRule', 'EnableRule', 'DisableRule']);
const EVENTS_RULE_FIELD = new Set(['PutTargets', 'RemoveTargets', 'ListTargetsByRule']);
const EVENTS_BUS_NAME = new Set(['CreateEventBus', 'DeleteEventBus', 'DescribeEventBus', 'UpdateEventBus']);

const events: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'AWSEvents',
  operations: EVENTS_OPERATIONS,
  resources: (action, p, ctx) => {
    const busName = busNameOf(stringField(p, 'EventBusName'));
    const rule = EVENTS_RULE_NAME.has(action) ? stringField(p, 'Name') : EVENTS_RULE_FIELD.has(action) ? stringField(p, 'Rule') : undefined;
    const out: (string | undefined)[] = [];
    if (rule !== undefined) out.push(isArn(rule) ? rule : regionalArn(ctx, 'events', busName === 'default' ? `rule/${rule}` : `rule/${busName}/${rule}`));
    if (EVENTS_BUS_NAME.has(action)) out.push(nameOrArn(ctx, 'events', 'event-bus/', stringField(p, 'Name')));
    out.push(arnOnly(stringField(p, 'ResourceARN')));
    const entries = Object.prototype.hasOwnProperty.call(p, 'Entries') ? p.Entries : undefined;
    if (action === 'PutEvents' && Array.isArray(entries)) {
      for (const entry of entries) {
        if (!isPlainObject(entry)) continue;
        const bus = stringField(entry, 'EventBusName') ?? 'default';
        out.push(isArn(bus) ? bus : regionalArn(ctx, 'events', `event-bus/${bus}`));
      }
    }
    return out;
  },
};

function busNameOf(value: string | undefined): string {
  if (value === undefined) return 'default';
  const at = value.indexOf(':event-bus/');
  return isArn(value) && at >= 0 ? value.slice(at + ':event-bus/'.length) : value;
}

/** `arn:...:sqs:<region>:<account>:<name>` of a queue URL (`https://sqs.<r>.amazonaws.com/<account>/<name>`). */
export function sqsQueueArnFromUrl(ctx: ArnContext, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const parts = parsed.pathname.split('/').filter((s) => s !== '');
  if (parts.length !== 2 || !/^\d{12}$/.test(parts[0])) return undefined;
  return `arn:${ctx.partition}:sqs:${ctx.region}:${parts[0]}:${parts[1]}`;
}

/** Reads the SQS resources from JSON or query params (the member names are the same in both protocols). */
export function sqsResources(ctx: ArnContext, p: Params): (string | undefined)[] {
  const name = stringField(p, 'QueueName');
  const owner = stringField(p, 'QueueOwnerAWSAccountId');
  return [
    sqsQueueArnFromUrl(ctx, stringField(p, 'QueueUrl')),
    name !== undefined ? `arn:${ctx.partition}:sqs:${ctx.region}:${owner ?? ctx.accountId}:${name}` : undefined,
  ];
}

const sqs: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_0',
  targetPrefix: 'AmazonSQS',
  operations: SQS_OPERATIONS,
  alsoQuery: true,
  resources: (_action, p, ctx) => sqsResources(ctx, p),
};

const ecr: JsonServiceSpec = {
  kind: 'json',
  protocol: 'awsJson1_1',
  targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
  operations: ECR_OPERATIONS,
  resources: (_action, p, ctx) => {
    const name = stringField(p, 'repositoryName');
    const registry = stringField(p, 'registryId') ?? ctx.accountId;
    return [
      name !== undefined ? `arn:${ctx.partition}:ecr:${ctx.region}:${registry}:repository/${name}` : undefined,
      arnOnly(stringField(p, 'resourceArn')),
    ];
  },
};

function arnOnly(value: string | undefined): string | undefined {
  return value !== undefined && isArn(value) ? value : undefined;
}

/** The JSON services by signing name. A Map, so that a service named `constructor` finds nothing. */
export const JSON_SERVICES: ReadonlyMap<string, JsonServiceSpec> = new Map([
  ['dynamodb', dynamodb], ['secretsmanager', secretsmanager], ['ssm', ssm], ['kms', kms], ['cloudtrail', cloudtrail],
  ['logs', logs], ['events', events], ['sqs', sqs], ['ecr', ecr],
]);

import fs from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ConnectionConfig, IssuerConfig } from '../lambdas/core/gateway-config';
import { loadGatewayConfigFile } from '../lib/config/load-gateway-config-file';
import { fromAwsError, TargetError, UsageError } from './errors';

/** Where Gatehouse runs and the clients that reach its tables and bucket. */
export interface Target {
  readonly kind: 'local' | 'stack';
  /** Stack name, or the local state dir. */
  readonly name: string;
  readonly region: string;
  readonly grantsTable: string;
  readonly recordsTable: string;
  readonly replayBucket: string;
  /** How long the replay delivery stream buffers before it writes a batch. @default REPLAY_BATCH_BUFFER_SECONDS (60) */
  readonly replayBatchBufferSeconds?: number;
  /** The approvals table, when approvals are configured. */
  readonly approvalsTable?: string;
  /** Connection name -> kubeconfig server URL. */
  readonly servers: ReadonlyMap<string, string>;
  /** AWS connection name -> its endpoint URL (`<gateway>/aws/<name>`, what AWS_ENDPOINT_URL is set to). */
  readonly awsEndpoints: ReadonlyMap<string, string>;
  /** The gateway's base URL (the stage URL of a stack); Slack's interactions and the doctor route hang off it. */
  readonly endpointUrl: string;
  /** Every stack output by key (empty for local mode): role ARNs, trust policies, Slack secrets. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Full connection settings, when the target exposes them (local mode, a config output, or --config). */
  readonly connections?: readonly ConnectionConfig[];
  readonly issuers?: readonly IssuerConfig[];
  /** Where `connections`/`issuers` came from, for messages. */
  readonly configSource?: string;
  /** CA that signs the gateway's certificate (local mode); deployed stacks use public certificates. */
  readonly caPem?: string;
  /** Local mode's one set of AWS credentials (its stand-ins and IAM-authorized routes accept only these). */
  readonly localCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

/** Target flags as given on the command line (or defaulted from the environment). */
export interface TargetFlags {
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly config?: string;
}

/** How the CLI makes AWS clients; tests replace it. */
export interface AwsFactory {
  cloudFormation(region: string | undefined): { send: CloudFormationClient['send']; readonly config?: { readonly region?: unknown } };
  dynamoDb(options: DynamoDBClientConfig): DynamoDBClient;
  s3(options: S3ClientConfig): S3Client;
}

/** The real SDK clients. */
export const sdkFactory: AwsFactory = {
  cloudFormation: (region) => new CloudFormationClient({ region, maxAttempts: 3 }),
  dynamoDb: (options) => new DynamoDBClient(options),
  s3: (options) => new S3Client(options),
};

/** What local mode writes to `<state-dir>/endpoints.json`. */
interface LocalEndpoints {
  readonly gatewayUrl: string;
  /** The session front (written since it exists; older state dirs lack it). */
  readonly sessionFrontUrl?: string;
  readonly caFile?: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Picks the target from flags, then `GATEHOUSE_STACK` / `GATEHOUSE_LOCAL=1`. */
export function targetFlags(values: TargetFlags, env: Readonly<Record<string, string | undefined>>): TargetFlags {
  if (values.local && values.stack) throw new UsageError('Give either --local or --stack <name>, not both.');
  if (values.local || values.stack) return values;
  if (env.GATEHOUSE_LOCAL === '1' || env.GATEHOUSE_LOCAL === 'true') return { ...values, local: true, stateDir: values.stateDir ?? env.GATEHOUSE_STATE_DIR };
  if (env.GATEHOUSE_STACK) return { ...values, stack: env.GATEHOUSE_STACK };
  throw new TargetError('Which Gatehouse? Pass --stack <name> [--region <region>] for a deployed stack, or --local [--state-dir .gatehouse] for local mode (or set GATEHOUSE_STACK / GATEHOUSE_LOCAL=1).');
}

/** Resolves the target: reads local mode's endpoints file, or the stack's CloudFormation outputs. */
export async function resolveTarget(flags: TargetFlags, env: Readonly<Record<string, string | undefined>>, cwd: string, aws: AwsFactory = sdkFactory): Promise<Target> {
  const chosen = targetFlags(flags, env);
  const target = chosen.local ? localTarget(path.resolve(cwd, chosen.stateDir ?? '.gatehouse'), aws) : await stackTarget(chosen.stack!, chosen.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION, aws);
  if (!chosen.config) return target;
  const config = loadGatewayConfigFile(path.resolve(cwd, chosen.config));
  return { ...target, connections: config.connections, issuers: config.issuers, configSource: chosen.config };
}

function localTarget(stateDir: string, aws: AwsFactory): Target {
  const file = path.join(stateDir, 'endpoints.json');
  if (!fs.existsSync(file)) {
    throw new TargetError(`Local mode is not running here: ${file} does not exist. Start it with \`npm run local\` (or pass --state-dir to the directory it uses).`);
  }
  const endpoints = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalEndpoints;
  const e = endpoints.env ?? {};
  const need = (name: string) => {
    if (!e[name]) throw new TargetError(`${file} has no env.${name}; restart local mode so it rewrites the file.`);
    return e[name]!;
  };
  const region = e.AWS_REGION ?? 'us-east-1';
  const config = e.GATEHOUSE_CONFIG ? (JSON.parse(e.GATEHOUSE_CONFIG) as { connections?: ConnectionConfig[]; issuers?: IssuerConfig[]; awsConnections?: { name: string }[] }) : {};
  const connections = config.connections ?? [];
  const caFile = endpoints.caFile ?? path.join(stateDir, 'ca.pem');
  const requestHandler = { connectionTimeout: 2000, requestTimeout: 10_000 };
  const dynamo = aws.dynamoDb({
    endpoint: need('AWS_ENDPOINT_URL_DYNAMODB'), region, maxAttempts: 2, requestHandler,
    credentials: { accessKeyId: e.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: e.AWS_SECRET_ACCESS_KEY ?? 'local' },
  });
  const s3 = aws.s3({
    endpoint: need('AWS_ENDPOINT_URL_S3'), region, maxAttempts: 2, requestHandler, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    // The S3 server's built-in account: it ignores signatures but knows only this key id.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    kind: 'local',
    name: stateDir,
    region,
    grantsTable: need('GATEHOUSE_GRANTS_TABLE'),
    recordsTable: need('GATEHOUSE_RECORDS_TABLE'),
    replayBucket: need('GATEHOUSE_REPLAY_BUCKET'),
    replayBatchBufferSeconds: e.GATEHOUSE_REPLAY_BATCH_BUFFER_SECONDS ? Number(e.GATEHOUSE_REPLAY_BATCH_BUFFER_SECONDS) : undefined,
    approvalsTable: e.GATEHOUSE_APPROVALS_TABLE,
    // Local mode runs the session front: it serves every request, exec, cp and port-forward included.
    servers: new Map(connections.map((c) => [c.name, `${endpoints.sessionFrontUrl ?? endpoints.gatewayUrl}/k8s/${c.name}`])),
    endpointUrl: endpoints.gatewayUrl,
    awsEndpoints: new Map((config.awsConnections ?? []).map((c) => [c.name, `${endpoints.gatewayUrl}/aws/${c.name}`])),
    outputs: {},
    connections,
    issuers: config.issuers,
    configSource: file,
    caPem: fs.existsSync(caFile) ? fs.readFileSync(caFile, 'utf8') : undefined,
    localCredentials: { accessKeyId: e.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: e.AWS_SECRET_ACCESS_KEY ?? 'local' },
    documents: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    s3,
  };
}

async function stackTarget(stackName: string, region: string | undefined, aws: AwsFactory): Promise<Target> {
  let outputs: Output[];
  const cloudFormation = aws.cloudFormation(region);
  try {
    const result = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = result.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    const message = (error as Error)?.message ?? '';
    if (/does not exist/i.test(message)) {
      throw new TargetError(`Stack "${stackName}" was not found in ${region ?? 'the default region'}. Check --stack (or GATEHOUSE_STACK) and --region (or AWS_REGION).`);
    }
    throw fromAwsError(error, `CloudFormation stack "${stackName}"`);
  }
  const output = (key: string) => outputs.find((o) => o.OutputKey === key)?.OutputValue;
  const need = (key: string) => {
    const value = output(key);
    if (!value) throw new TargetError(`Stack "${stackName}" has no output ${key}: is it a Gatehouse stack, and is it deployed from this version? (cdk deploy)`);
    return value;
  };
  const servers = new Map<string, string>();
  for (const o of outputs) {
    // ServerUrl<Name> outputs end with /k8s/<connection>: the exact name, unlike the PascalCased output id.
    const match = o.OutputKey?.startsWith('ServerUrl') ? /\/k8s\/([a-z0-9-]+)\/?$/.exec(o.OutputValue ?? '') : null;
    if (match) servers.set(match[1]!, o.OutputValue!);
  }
  const awsEndpoints = new Map<string, string>();
  for (const o of outputs) {
    // AwsEndpointUrl<Name> outputs end with /aws/<connection>.
    const match = o.OutputKey?.startsWith('AwsEndpointUrl') ? /\/aws\/([a-z0-9-]+)\/?$/.exec(o.OutputValue ?? '') : null;
    if (match) awsEndpoints.set(match[1]!, o.OutputValue!.replace(/\/$/, ''));
  }
  const configJson = outputs.find((o) => /^(Config|ConfigJson|GatewayConfig)$/i.test(o.OutputKey ?? ''))?.OutputValue;
  const config = configJson ? (JSON.parse(configJson) as { connections?: ConnectionConfig[]; issuers?: IssuerConfig[] }) : undefined;
  const endpointUrl = need('EndpointUrl').replace(/\/$/, '');
  for (const c of config?.connections ?? []) if (!servers.has(c.name)) servers.set(c.name, `${endpointUrl}/k8s/${c.name}`);
  // With the session front deployed, it serves every request of every connection (exec, cp and port-forward
  // included), so kubeconfigs point there, trusting the CA it was given at deploy (unless it has a domain).
  const frontUrl = output('SessionFrontUrl')?.replace(/\/$/, '');
  if (frontUrl) for (const name of servers.keys()) servers.set(name, `${frontUrl}/k8s/${name}`);
  const frontCa = output('SessionFrontCaPem');
  // Without --region the SDK found one (profile, AWS_REGION): the tables live in the stack's region.
  const configured = cloudFormation.config?.region;
  const resolvedRegion = region ?? String(typeof configured === 'function' ? await (configured as () => Promise<string>)() : configured ?? 'us-east-1');
  return {
    kind: 'stack',
    name: stackName,
    region: resolvedRegion,
    grantsTable: need('GrantsTableName'),
    recordsTable: need('RecordsTableName'),
    replayBucket: need('ReplayBucketName'),
    approvalsTable: output('ApprovalsTableName'),
    servers,
    endpointUrl,
    awsEndpoints,
    outputs: Object.fromEntries(outputs.filter((o) => o.OutputKey && o.OutputValue !== undefined).map((o) => [o.OutputKey!, o.OutputValue!])),
    connections: config?.connections,
    issuers: config?.issuers,
    configSource: config ? `stack ${stackName} outputs` : undefined,
    ...(frontCa ? { caPem: Buffer.from(frontCa, 'base64').toString('utf8') } : {}),
    documents: DynamoDBDocumentClient.from(aws.dynamoDb({ region: resolvedRegion, maxAttempts: 5 }), { marshallOptions: { removeUndefinedValues: true } }),
    s3: aws.s3({ region: resolvedRegion, maxAttempts: 5 }),
  };
}

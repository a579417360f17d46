import fs from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { grantFromSpec, grantToItem } from '../lambdas/core/grant';
import { loadGatewayPolicy } from '../lib/config/load-gateway-policy';
import { validateGatewayConfig } from '../lambdas/core/validate-gateway-config';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startApiGatewayFront, type ProxyHandler } from './api-gateway-front';
import { createSessionFrontDependencies } from '../lambdas/session-front/dependencies';
import { startSessionFront } from '../lambdas/session-front/session-front';
import { installLambdaStreamingGlobals } from './lambda-response-streaming';
import { startControlServer } from './control-server';
import { startCountingProxy } from './counting-proxy';
import { createLocalTables, LOCAL_TABLES } from './create-tables';
import { startDemoIssuer, type DemoIssuer } from './demo-issuer';
import { startDynamoDbLocal } from './dynamodb-local';
import { createEksTokenAuthenticator } from './eks-token-authenticator';
import { denialsFromDirectory, startKubeApiSimulator } from './kube-api-simulator';
import { startLocalApprovals } from './local-approvals';
import { renderKubeconfig } from './kubeconfig';
import { createLocalCa, issueServerCertificate, type PemPair } from './local-ca';
import { assertPortFree } from './listen-on';
import { LOCAL_DEFAULTS as D } from './local-defaults';
import { startS3Server } from './s3-server';
import { startFirehoseStandIn } from './firehose-stand-in';
import { REPLAY_BATCH_BUFFER_MIB, REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PREFIX } from '../lambdas/core/replay-batch';
import { startStsStandIn, type StsTrustedAction } from './sts-stand-in';
import { LOCAL_AWS, startLocalAwsAccount, type LocalAwsAccount } from './local-aws-account';
import { DOCTOR_ROUTE_PATH } from '../lambdas/core/doctor/doctor-check';

/** Options of local mode. */
export interface LocalStackOptions {
  /** Where the CA, the demo issuer's key, S3 objects and the kubeconfig live. */
  readonly stateDir: string;
  /** Gateway port; 0 picks a free one. @default 8443 */
  readonly gatewayPort?: number;
  /** Session front port (exec, attach, cp, port-forward, and every other request); 0 picks a free one. @default 8445 */
  readonly sessionFrontPort?: number;
  /** Extra configuration (issuers, connections to real clusters, grants) merged over the embedded defaults. */
  readonly config?: Partial<GatewayConfig>;
  /** Directory that `config.policyFiles` are relative to. @default the current directory */
  readonly configDir?: string;
  /** Keep DynamoDB data across restarts. @default true */
  readonly persist?: boolean;
  /** Port of the demo OIDC issuer (its URL is the tokens' `iss`, so keep it stable). 0 picks a free one. @default 8444 */
  readonly issuerPort?: number;
  /**
   * Reach real clusters: the connections in `config` are used with real AWS STS and this machine's AWS
   * credentials (the default provider chain), and the simulator connection is not started. @default false
   */
  readonly realAws?: boolean;
  /** Simulated cluster latency, for failure and timeout tests. @default 0 */
  readonly upstreamDelayMs?: number;
  /** Port of the Kubernetes API simulator, so a `--config` connection can point at it too. @default any free port */
  readonly simulatorPort?: number;
  /**
   * Failures on purpose, for `gatehouse doctor`: role ARN -> the action its (simulated) trust policy lacks, as the
   * STS stand-in then refuses it. @default none
   */
  readonly stsTrustLacks?: Readonly<Record<string, StsTrustedAction>>;
  /** Start with the Slack secrets unset (the stack's placeholder), as right after a first deploy. @default false */
  readonly unsetSlackSecrets?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * Where local mode's simulated cluster reads opt-in RBAC denials: every `*.json` file in this directory
 * (a list of `RbacDenial`s, see local/kube-api-simulator/rbac-denials.ts) is applied to each request,
 * so a test can make the cluster refuse, say, `delete pods` for one user in one namespace, and undo it by
 * deleting its file. No files: the cluster allows every authenticated request.
 */
export function simulatorDenialsDir(stateDir: string): string {
  return path.join(stateDir, 'simulator-rbac-denials');
}

/** A running local Gatehouse. */
export interface LocalStack {
  /** `https://127.0.0.1:<port>`; the demo connection is at `${gatewayUrl}/k8s/demo`. */
  readonly gatewayUrl: string;
  /** The session front, `https://127.0.0.1:<port>`: the same connections, plus exec, attach, cp and port-forward. */
  readonly sessionFrontUrl: string;
  readonly caPem: string;
  readonly caFile: string;
  readonly kubeconfigFile: string;
  /** An AWS CLI/SDK config whose `gatehouse-local` profile reaches `/aws/local-aws` as the demo agent (absent with real AWS). */
  readonly awsConfigFile?: string;
  readonly issuer: DemoIssuer;
  readonly config: GatewayConfig;
  /** The environment the handler runs with (also what the operator CLI needs to reach local mode). */
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: {
    readonly dynamodb: string; readonly s3: string; readonly sts: string; readonly simulator: string; readonly control: string;
    readonly slack: string; readonly stepFunctions: string;
    /** The AWS account behind `/aws/local-aws` (absent with real AWS). */
    readonly aws?: LocalAwsAccount['endpoints'];
  };
  close(): Promise<void>;
}

/**
 * Starts Gatehouse on a laptop: the same proxy handler the Lambda runs, behind a local API Gateway front,
 * with AWS's DynamoDB Local, an S3 server, and clearly named stand-ins for what has no local version
 * (STS, an EKS cluster's API server, an OIDC issuer). Everything speaks real TLS against a local CA.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  fs.mkdirSync(options.stateDir, { recursive: true });
  const ca = loadOrCreateCa(options.stateDir);
  const caFile = path.join(options.stateDir, 'ca.pem');
  const tls = issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const closers: Array<() => Promise<void>> = [];
  if (options.realAws && !options.config?.connections?.length) {
    throw new Error('--aws needs a --config file naming at least one connection (a real EKS cluster, its role and CA).');
  }
  // The fixed ports first: a second local mode must stop before it starts anything (DynamoDB Local takes seconds).
  await assertPortFree(options.gatewayPort ?? D.gatewayPort, D.host, { service: 'Gatehouse gateway', option: '--port' });
  await assertPortFree(options.issuerPort ?? D.issuerPort, D.host, { service: 'demo OIDC issuer', option: '--issuer-port' });
  await assertPortFree(options.sessionFrontPort ?? D.sessionFrontPort, D.host, { service: 'session front', option: '--session-front-port' });
  // With real AWS, every local service accepts the machine's own credentials, since the SDK signs with them.
  const caller = options.realAws ? await machineCredentials() : D.callerCredentials;
  try {
    const dynamodb = await startDynamoDbLocal({ dataDir: options.persist === false ? undefined : ensureDir(path.join(options.stateDir, 'dynamodb')) });
    closers.push(dynamodb.close);
    const ddb = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: D.region, credentials: caller });
    await createLocalTables(ddb);
    log(`DynamoDB Local      ${dynamodb.endpoint}`);

    const s3 = await startS3Server({ directory: path.join(options.stateDir, 's3'), buckets: [D.bucket], credentials: caller });
    closers.push(s3.close);
    log(`S3 server           ${s3.endpoint}`);
    // Replay blobs go in batches through a Firehose delivery stream, as deployed; its stand-in writes the batches
    // to the S3 server itself (not through the proxy's counted S3 client), buffering for seconds instead of 60 s.
    const firehoseS3 = new S3Client({ endpoint: s3.endpoint, region: D.region, forcePathStyle: true, credentials: caller, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const firehose = await startFirehoseStandIn({
      region: D.region, accountId: D.accountId, callerCredentials: caller, s3: firehoseS3, log,
      streams: [{
        name: D.replayDeliveryStream, bucket: D.bucket, prefix: REPLAY_BATCH_PREFIX, errorOutputPrefix: REPLAY_BATCH_ERROR_PREFIX,
        bufferIntervalSeconds: D.replayBatchBufferSeconds, bufferSizeBytes: REPLAY_BATCH_BUFFER_MIB * 1024 * 1024,
      }],
    });
    closers.push(async () => { await firehose.close(); firehoseS3.destroy(); });
    log(`Firehose stand-in   ${firehose.url}`);

    let acceptSession: ((credentials: { accessKeyId: string; secretAccessKey: string }) => void) | undefined;
    const sts = options.realAws ? undefined : await startStsStandIn({
      accountId: D.accountId, region: D.region, callerCredentials: caller, assumableRoleArns: [D.roleArn, LOCAL_AWS.roleArn, ...roleArnsOf(options.config)],
      trustLacks: options.stsTrustLacks, onSession: (credentials) => acceptSession?.(credentials),
    });
    if (sts) {
      closers.push(sts.close);
      log(`STS stand-in        ${sts.url}`);
    }
    // The AWS account an agent reaches through /aws/local-aws: its own DynamoDB Local, S3 server and Secrets Manager.
    const awsAccount = sts ? await startLocalAwsAccount({ stateDir: options.stateDir, persist: options.persist !== false, region: D.region, stsUrl: sts.url, demoAgent: D.demoAgent }) : undefined;
    if (awsAccount) {
      closers.push(awsAccount.close);
      acceptSession = (credentials) => awsAccount.accept(credentials);
      log(`AWS account         DynamoDB ${awsAccount.endpoints.dynamodb}, S3 ${awsAccount.endpoints.s3}, Secrets Manager ${awsAccount.endpoints.secretsmanager}`);
    }

    const simulator = !sts ? undefined : await startKubeApiSimulator({
      tls,
      port: options.simulatorPort,
      impersonators: [D.connectionUser],
      delayMs: options.upstreamDelayMs,
      rbacDenials: denialsFromDirectory(simulatorDenialsDir(options.stateDir)),
      authenticate: createEksTokenAuthenticator({
        stsEndpoint: sts.url,
        region: D.region,
        clusterName: D.clusterName,
        mapRole: (roleArn) => (roleArn === D.roleArn ? { username: D.connectionUser, groups: ['gatehouse:connections'] } : undefined),
        onReject: (reason) => log(`simulated EKS refused a token: ${reason}`),
      }),
    });
    if (simulator) {
      closers.push(simulator.close);
      log(`Kubernetes API simulator ${simulator.url}`);
    }

    const issuer = await startDemoIssuer({ tls, stateDir: options.stateDir, port: options.issuerPort ?? D.issuerPort });
    closers.push(issuer.close);
    log(`demo OIDC issuer    ${issuer.issuer}`);

    // The handler reaches DynamoDB and S3 through counting proxies, so AWS calls per request can be measured.
    const dynamodbCounter = await startCountingProxy(dynamodb.endpoint);
    closers.push(dynamodbCounter.close);
    const s3Counter = await startCountingProxy(s3.endpoint);
    closers.push(s3Counter.close);
    const firehoseCounter = await startCountingProxy(firehose.url);
    closers.push(firehoseCounter.close);

    // Approvals: a Slack stand-in, Secrets Manager and Step Functions stand-ins running the synthesized workflow.
    const approvals = await startLocalApprovals({
      stateDir: options.stateDir, dynamodb: ddb, region: D.region, accountId: D.accountId, callerCredentials: caller,
      approvals: options.config?.approvals, unsetSlackSecrets: options.unsetSlackSecrets, log,
    });
    closers.push(approvals.close);

    const config = validateGatewayConfig(
      mergeConfig(defaultConfig(issuer.issuer, simulator?.url, ca.certPem, awsAccount), { ...options.config, approvals: approvals.approvals }),
      'local mode configuration', { allowLocalIssuers: true },
    );
    const { serialized: policy } = loadGatewayPolicy(config, options.configDir ?? process.cwd());
    const env = {
      GATEHOUSE_LOCAL_MODE: 'true',
      GATEHOUSE_POLICY: policy,
      GATEHOUSE_CONFIG: JSON.stringify({ ...config, grants: undefined }),
      GATEHOUSE_GRANTS_TABLE: LOCAL_TABLES.grants,
      GATEHOUSE_RECORDS_TABLE: LOCAL_TABLES.records,
      GATEHOUSE_REPLAY_BUCKET: D.bucket,
      GATEHOUSE_REPLAY_STREAM: D.replayDeliveryStream,
      GATEHOUSE_REPLAY_BATCH_BUFFER_SECONDS: String(D.replayBatchBufferSeconds),
      GATEHOUSE_S3_FORCE_PATH_STYLE: 'true',
      ...(awsAccount ? { GATEHOUSE_AWS_CREDENTIAL_KEY: awsAccount.credentialKey } : {}),
      AWS_REGION: options.realAws ? process.env.AWS_REGION ?? config.connections[0]!.region : D.region,
      // Real AWS: the handler signs with the machine's own credentials (the default chain), STS is AWS's.
      ...(sts ? { AWS_ACCESS_KEY_ID: caller.accessKeyId, AWS_SECRET_ACCESS_KEY: caller.secretAccessKey, AWS_ENDPOINT_URL_STS: sts.url } : {}),
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbCounter.url,
      AWS_ENDPOINT_URL_S3: s3Counter.url,
      AWS_ENDPOINT_URL_FIREHOSE: firehoseCounter.url,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      POWERTOOLS_SERVICE_NAME: 'gatehouse',
      POWERTOOLS_METRICS_NAMESPACE: 'Gatehouse',
      POWERTOOLS_TRACE_ENABLED: 'false',
      ...approvals.env,
    };
    Object.assign(process.env, env);
    await seedGrants(ddb, config);

    // Required only now: the handler reads its environment when it builds its dependencies, and wraps
    // itself with the Lambda runtime's response-streaming globals when its module loads.
    installLambdaStreamingGlobals();
    const { handler } = require('../lambdas/proxy/handler') as { handler: ProxyHandler };
    // The doctor runs in this process with the proxy's environment and credentials, as the deployed doctor runs
    // with the proxy's role; its route takes only calls signed with local mode's one set of credentials.
    const doctor: ProxyHandler = (event, context) => (require('../lambdas/doctor/handler') as typeof import('../lambdas/doctor/handler')).handler(event, context);
    const front = await startApiGatewayFront({
      handler, tls, port: options.gatewayPort ?? D.gatewayPort,
      routes: { '/slack/interactions': approvals.interactionsHandler, [DOCTOR_ROUTE_PATH]: doctor },
      iamRoutes: { paths: [DOCTOR_ROUTE_PATH], region: D.region, credentials: caller, principalArn: `arn:aws:iam::${D.accountId}:user/local-mode-operator` },
    });
    closers.push(front.close);
    // The session front: the same dependencies as the handler (same environment), in this process, as its
    // container runs them; it serves every request of a connection, upgrades included.
    const sessionFront = await startSessionFront({
      deps: createSessionFrontDependencies(env, { logger: new Logger({ serviceName: 'gatehouse-session-front' }), metrics: new Metrics({ namespace: 'Gatehouse' }) }),
      tls, port: options.sessionFrontPort ?? D.sessionFrontPort, host: D.host,
    });
    closers.push(sessionFront.close);
    log(`session front       ${sessionFront.url}`);

    const control = await startControlServer({
      upstreamRequests: () => simulator?.requests ?? [],
      refuseFirehosePuts: (on) => firehose.refusePuts(on),
      awsCalls: () => ({ assumeRoleCalls: sts?.assumeRoleCalls ?? 0, getCallerIdentityCalls: sts?.getCallerIdentityCalls ?? 0, dynamodbCalls: dynamodbCounter.count(), s3Calls: s3Counter.count(), firehoseCalls: firehoseCounter.count() }),
    });
    closers.push(control.close);

    const kubeconfigFile = path.join(options.stateDir, 'kubeconfig-demo.yaml');
    const token = issuer.mint({ sub: D.demoAgent, aud: D.audience, run_id: `local-${Date.now()}` }, 12 * 3600);
    const connection = simulator ? D.connection : config.connections[0]!.name;
    // The kubeconfig uses the session front, as a deployment with the front enabled does: every kubectl verb works.
    fs.writeFileSync(kubeconfigFile, renderKubeconfig({ name: 'gatehouse-demo', server: `${sessionFront.url}/k8s/${connection}`, caPem: ca.certPem, user: { token } }), { mode: 0o600 });
    const awsConfigFile = awsAccount ? writeAwsConfig(options.stateDir, front.url, caFile, token) : undefined;
    return {
      gatewayUrl: front.url,
      awsConfigFile,
      sessionFrontUrl: sessionFront.url,
      caPem: ca.certPem,
      caFile,
      kubeconfigFile,
      issuer,
      config,
      env,
      endpoints: {
        dynamodb: dynamodb.endpoint, s3: s3.endpoint, sts: sts?.url ?? 'AWS', simulator: simulator?.url ?? 'none', control: control.url,
        slack: approvals.endpoints.slack, stepFunctions: approvals.endpoints.stepFunctions,
        ...(awsAccount ? { aws: awsAccount.endpoints } : {}),
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/** The demo issuer always; the simulator connection and its grants when the simulator runs. */
function defaultConfig(issuerUrl: string, simulatorUrl: string | undefined, caPem: string, awsAccount: LocalAwsAccount | undefined): GatewayConfig {
  const issuers = [{ name: 'demo', issuer: issuerUrl, audience: [D.audience], agentClaim: 'sub', sessionClaim: 'run_id', groupsClaim: 'groups' }];
  if (!simulatorUrl) return { issuers, connections: [], grants: [] };
  return {
    issuers,
    ...(awsAccount ? { awsConnections: [awsAccount.connection] } : {}),
    connections: [{
      name: D.connection,
      clusterName: D.clusterName,
      region: D.region,
      endpoint: simulatorUrl,
      certificateAuthorityData: Buffer.from(caPem).toString('base64'),
      roleArn: D.roleArn,
      impersonation: { enabled: true },
      description: 'Built-in Kubernetes API simulator (local mode)',
    }],
    grants: [
      { connection: D.connection, agent: D.demoAgent, issuer: 'demo', impersonateGroups: ['gatehouse:agents'] },
      { connection: D.connection, group: 'gatehouse-demo-ops', issuer: 'demo', impersonateGroups: ['gatehouse:agents'] },
      ...(awsAccount?.grants ?? []),
    ],
  };
}

function mergeConfig(base: GatewayConfig, extra: Partial<GatewayConfig> | undefined): GatewayConfig {
  if (!extra) return base;
  return {
    ...base,
    ...extra,
    issuers: [...base.issuers, ...(extra.issuers ?? [])],
    connections: [...base.connections, ...(extra.connections ?? [])],
    ...(base.awsConnections || extra.awsConnections ? { awsConnections: [...(base.awsConnections ?? []), ...(extra.awsConnections ?? [])] } : {}),
    grants: [...(base.grants ?? []), ...(extra.grants ?? [])],
  };
}

function roleArnsOf(config: Partial<GatewayConfig> | undefined): string[] {
  return (config?.connections ?? []).map((c) => c.roleArn);
}

/** This machine's AWS credentials, from the SDK's default provider chain (env, profile, SSO, ...). */
async function machineCredentials(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const { defaultProvider } = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
  try {
    const { accessKeyId, secretAccessKey } = await defaultProvider()();
    return { accessKeyId, secretAccessKey };
  } catch (error) {
    throw new Error(`--aws needs AWS credentials on this machine (env, profile or SSO): ${(error as Error).message}`);
  }
}

async function seedGrants(client: DynamoDBClient, config: GatewayConfig): Promise<void> {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const createdAt = new Date().toISOString();
  for (const spec of config.grants ?? []) {
    const item = grantToItem(grantFromSpec(spec, { createdAt, createdBy: 'local-mode', source: 'config' }));
    await documents.send(new PutCommand({ TableName: LOCAL_TABLES.grants, Item: item }));
  }
}

/**
 * The demo agent's AWS config: a `credential_process` that turns its token into a Gatehouse session credential,
 * local mode's CA, path-style S3. What an agent needs besides the endpoint (`--endpoint-url` or AWS_ENDPOINT_URL).
 */
function writeAwsConfig(stateDir: string, gatewayUrl: string, caFile: string, token: string): string {
  const tokenFile = path.join(stateDir, 'demo-agent-token.jwt');
  fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  const bin = path.resolve(__dirname, '../bin/gatehouse-aws-credentials.js');
  const file = path.join(stateDir, 'aws-config');
  fs.writeFileSync(file, [
    '[profile gatehouse-local]',
    `credential_process = ${process.execPath} ${bin} --endpoint ${gatewayUrl} --connection ${LOCAL_AWS.connection} --token-file ${tokenFile} --ca-file ${caFile}`,
    'region = us-east-1',
    's3 =',
    '  addressing_style = path',
    '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

function loadOrCreateCa(stateDir: string): PemPair {
  const certFile = path.join(stateDir, 'ca.pem');
  const keyFile = path.join(stateDir, 'ca-key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
  const ca = createLocalCa();
  fs.writeFileSync(certFile, ca.certPem);
  fs.writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  return ca;
}

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}

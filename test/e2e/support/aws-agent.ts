import { execFile } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { localGatehouse, unique, type Instance } from './local-gatehouse';

const ROOT = path.resolve(__dirname, '../../..');
/** The AWS CLI v2 (Debian's `awscli` package; .ci/run installs it). A v1 `aws` earlier on PATH would not do. */
export const AWS_CLI = process.env.GATEHOUSE_AWS_CLI ?? '/usr/bin/aws';
/** Local mode's AWS connection (local/local-aws-account.ts). */
export const AWS_CONNECTION = 'local-aws';

/** The hash SigV4 signers take (what @aws-crypto/sha256-js gives the SDK), over node:crypto. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** The credential_process answer. */
export interface SessionCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What running a command printed. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Writes the agent's OIDC token where the credential process reads it, as a CI job's token file. */
export function tokenFile(token: string, instance: Instance = 'main'): string {
  const file = path.join(localGatehouse(instance).stateDir, `token-${unique()}.jwt`);
  fs.writeFileSync(file, token, { mode: 0o600 });
  return file;
}

/** The `credential_process` command line, exactly as an agent's ~/.aws/config names it. */
export function credentialProcess(token: string, instance: Instance = 'main', connection = AWS_CONNECTION): string {
  const gh = localGatehouse(instance);
  return [process.execPath, path.join(ROOT, 'bin/gatehouse-aws-credentials.js'), '--endpoint', gh.gatewayUrl, '--connection', connection, '--token-file', tokenFile(token, instance), '--ca-file', gh.caFile].join(' ');
}

/** Runs the real credential process and reads its answer. */
export async function sessionCredential(token: string, instance: Instance = 'main', connection = AWS_CONNECTION): Promise<SessionCredential> {
  const [file, ...args] = credentialProcess(token, instance, connection).split(' ');
  const result = await run(file!, args, { PATH: process.env.PATH ?? '' });
  if (result.code !== 0) throw new Error(`gatehouse-aws-credentials failed: ${result.stderr}`);
  const out = JSON.parse(result.stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
  return { accessKeyId: out.AccessKeyId, secretAccessKey: out.SecretAccessKey, sessionToken: out.SessionToken, expiration: new Date(out.Expiration) };
}

/** `AWS_ENDPOINT_URL` for an agent: Gatehouse's AWS route for the connection. */
export function awsEndpoint(instance: Instance = 'main', connection = AWS_CONNECTION): string {
  return `${localGatehouse(instance).gatewayUrl}/aws/${connection}`;
}

/**
 * The configuration of an AWS SDK v3 client that goes through Gatehouse: endpoint and credentials only (plus
 * local mode's CA and S3 path-style addressing, which a deployment's API Gateway domain does not need... except
 * path style, which every custom S3 endpoint does).
 */
export function sdkConfig(credentials: SessionCredential, instance: Instance = 'main'): Record<string, unknown> {
  const agent = new https.Agent({ ca: fs.readFileSync(localGatehouse(instance).caFile), keepAlive: true });
  return {
    endpoint: awsEndpoint(instance),
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    // Gatehouse verifies the body hash it receives; aws-chunked streaming checksums are refused (docs/AWS.md).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent, requestTimeout: 60_000 }),
  };
}

/**
 * Runs the AWS CLI v2 as an agent would: a profile whose `credential_process` is gatehouse-aws-credentials, the
 * endpoint given on the command line (this CLI version predates `endpoint_url` in profiles), nothing else.
 */
export async function awsCli(token: string, args: readonly string[], instance: Instance = 'main'): Promise<Run> {
  const gh = localGatehouse(instance);
  const config = path.join(gh.stateDir, `aws-config-${unique()}`);
  fs.writeFileSync(config, [
    '[profile gatehouse]',
    `credential_process = ${credentialProcess(token, instance)}`,
    'region = us-east-1',
    's3 =',
    '  addressing_style = path',
    '',
  ].join('\n'));
  return run(AWS_CLI, ['--endpoint-url', awsEndpoint(instance), '--output', 'json', ...args], {
    PATH: process.env.PATH ?? '', HOME: gh.stateDir,
    AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(gh.stateDir, 'no-credentials'), AWS_PROFILE: 'gatehouse',
    AWS_CA_BUNDLE: gh.caFile, AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
  });
}

/** A request to Gatehouse's AWS route signed with SigV4 by AWS's own signer, then sent as given (for bad input). */
export interface RawAwsRequest {
  readonly method?: string;
  /** Path after `/aws/<connection>`. */
  readonly path?: string;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly service: string;
  readonly region?: string;
  readonly signingDate?: Date;
}

/** Signs `request` with `credentials` (as the SDK would), lets `tamper` change it, sends it; returns status, headers, body. */
export async function signedRequest(
  credentials: SessionCredential, request: RawAwsRequest, tamper: (signed: { headers: Record<string, string>; body: string }) => void = () => undefined,
  instance: Instance = 'main',
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const base = new URL(awsEndpoint(instance));
  const signer = new SignatureV4({ credentials, region: request.region ?? 'us-east-1', service: request.service, sha256: Sha256 as never, uriEscapePath: request.service !== 's3' });
  const signed = await signer.sign({
    method: request.method ?? 'POST', protocol: 'https:', hostname: base.hostname, port: Number(base.port),
    path: `${base.pathname}${request.path ?? '/'}`, query: request.query ?? {},
    headers: { host: base.host, ...request.headers }, body: request.body ?? '',
  }, { signingDate: request.signingDate });
  const sent = { headers: { ...(signed.headers as Record<string, string>) }, body: request.body ?? '' };
  tamper(sent);
  const search = new URLSearchParams(request.query ?? {}).toString();
  const ca = fs.readFileSync(localGatehouse(instance).caFile);
  return new Promise((resolve, reject) => {
    const req = https.request({ host: base.hostname, port: base.port, method: request.method ?? 'POST', path: `${base.pathname}${request.path ?? '/'}${search ? `?${search}` : ''}`, headers: sent.headers, ca, servername: 'localhost' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(sent.body);
  });
}

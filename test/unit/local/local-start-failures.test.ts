import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertPortFree, listenOn, PortInUseError } from '../../../local/listen-on';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Runs `npm run local` (local/main.ts through tsx, as the npm script does) to its exit. */
function runLocal(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['local/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Java processes (DynamoDB Local) whose database lives under `dir`. */
function dynamoDbProcessesUsing(dir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes('DynamoDBLocal') && line.includes(dir));
}

async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

describe('local mode start-up failures', () => {
  let busy: { port: number; close: () => Promise<void> };
  let stateDir: string;

  beforeEach(async () => {
    busy = await occupiedPort();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-start-'));
  });
  afterEach(async () => {
    await busy.close();
  });

  it('rejects a listen on a taken port with a PortInUseError naming the port, the service and the option that moves it', async () => {
    const server = net.createServer();

    const listening = listenOn(server, busy.port, '127.0.0.1', { service: 'demo OIDC issuer', option: '--issuer-port' });

    await expect(listening).rejects.toThrow(PortInUseError);
    await expect(listening).rejects.toThrow(`Port ${busy.port} (demo OIDC issuer) is already in use, most likely by another \`npm run local\`. `
      + 'Stop that one (Ctrl-C in its terminal), or start this one elsewhere: npm run local -- --issuer-port <port> (0 picks a free port).');
  });

  it('lets port 0 and free ports pass the pre-start check', async () => {
    await expect(assertPortFree(0, '127.0.0.1', { service: 'x' })).resolves.toBeUndefined();
    const free = await occupiedPort();
    await free.close();
    await expect(assertPortFree(free.port, '127.0.0.1', { service: 'x' })).resolves.toBeUndefined();
  });

  it('stops a second local mode whose issuer port is taken with what to do, no stack trace, and nothing left running', async () => {
    const { code, stderr } = await runLocal(['--port', '0', '--issuer-port', String(busy.port), '--state-dir', stateDir]);

    expect(code).toBe(1);
    expect(stderr).toContain(`Port ${busy.port} (demo OIDC issuer) is already in use`);
    expect(stderr).toContain('--issuer-port <port>');
    expect(stderr).not.toMatch(/\n\s+at |EADDRINUSE/);
    expect(dynamoDbProcessesUsing(stateDir)).toEqual([]);
  }, 60_000);

  it('names --port when the gateway port is taken', async () => {
    const { code, stderr } = await runLocal(['--port', String(busy.port), '--issuer-port', '0', '--state-dir', stateDir]);

    expect(code).toBe(1);
    expect(stderr).toContain(`Port ${busy.port} (Gatehouse gateway) is already in use`);
    expect(stderr).toContain('npm run local -- --port <port>');
  }, 60_000);

  it('stops DynamoDB Local and every other service it started when a later start-up step fails', async () => {
    const config = path.join(stateDir, 'bad.yaml');
    fs.writeFileSync(config, 'connections:\n  - nme: typo\n');

    const { code, stderr } = await runLocal(['--port', '0', '--issuer-port', '0', '--state-dir', stateDir, '--config', config]);

    expect(code).toBe(1);
    expect(stderr).toContain('DynamoDB Local'); // it had started
    expect(stderr).toContain('local mode configuration is invalid');
    expect(dynamoDbProcessesUsing(stateDir)).toEqual([]);
  }, 90_000);
});

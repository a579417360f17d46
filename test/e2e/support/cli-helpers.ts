import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { localGatehouse, type KubectlResult } from './local-gatehouse';

const ROOT = path.resolve(__dirname, '../../..');

/** What a CLI run printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment the CLI runs with: no stack or local defaults leak in from the developer's shell. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.GATEHOUSE_STACK;
  delete env.GATEHOUSE_LOCAL;
  delete env.PAGER;
  return env;
}

/** Runs `node bin/gatehouse.js --local --state-dir <e2e state dir> ...args` as a user would; never throws. */
export function gatehouse(args: readonly string[], options: { readonly target?: boolean; readonly env?: Record<string, string> } = {}): Promise<CliResult> {
  const targetArgs = options.target === false ? [] : ['--local', '--state-dir', localGatehouse().stateDir];
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/gatehouse.js'), ...targetArgs, ...args], { cwd: ROOT, env: cliEnv(options.env), timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A CLI run that keeps going (`replay --follow`) until stopped with SIGINT, as Ctrl-C would. */
export function startGatehouse(args: readonly string[]): { output(): string; errors(): string; stop(): Promise<CliResult> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/gatehouse.js'), '--local', '--state-dir', localGatehouse().stateDir, ...args], { cwd: ROOT, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  return {
    output: () => stdout,
    errors: () => stderr,
    async stop() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
  };
}

/** Polls `check` until it returns true or the time is up; returns whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs the real kubectl with extra environment (the exec credential plugins read it); never throws. */
export function kubectlWithEnv(kubeconfig: string, args: readonly string[], env: Record<string, string>): Promise<KubectlResult> {
  const binary = path.join(ROOT, '.cache/kubectl/kubectl');
  return new Promise((resolve) => {
    execFile(binary, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: localGatehouse().stateDir, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * A stand-in for the GitHub Actions runner's OIDC token endpoint: answers `?audience=` requests that carry
 * the request token with `{ "value": <token> }`, and records the audiences asked for.
 */
export async function startActionsTokenEndpoint(requestToken: string, token: string): Promise<{ url: string; audiences: string[]; close(): Promise<void> }> {
  const audiences: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers.authorization !== `bearer ${requestToken}`) return void res.writeHead(401).end();
    audiences.push(url.searchParams.get('audience') ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`,
    audiences,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

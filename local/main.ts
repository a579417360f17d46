import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { GatewayConfig } from '../lambdas/core/gateway-config';
import { createLocalCa } from './local-ca';
import { LOCAL_DEFAULTS as D } from './local-defaults';
import type { StsTrustedAction } from './sts-stand-in';

const USAGE = `Usage:
  npm run local [-- options]          start Gatehouse locally on its embedded defaults
  npm run local -- token [--agent A]  print a demo agent token (local mode must have started once)
  npm run local -- approve <id> [--as U..] [--kind one-time|jit --namespace NS --minutes N]
  npm run local -- deny <id> [--reason "why"]     decide an approval as local Slack would (signed click)
  npm run local -- approvals          list the approval messages local Slack received

Options:
  --port N           gateway port (default ${D.gatewayPort}; 0 = any free port)
  --issuer-port N    demo OIDC issuer port (default ${D.issuerPort})
  --session-front-port N  session front port: exec, attach, cp, port-forward and all else (default ${D.sessionFrontPort})
  --state-dir DIR    where the CA, keys, data and kubeconfig live (default .gatehouse)
  --config FILE      YAML/JSON with extra issuers, connections and grants (policyFiles relative to it)
  --aws              reach the --config connections (real EKS clusters) with real AWS STS and this
                     machine's AWS credentials; the simulator connection is then not started
  --no-persist       keep DynamoDB data in memory only
  --upstream-delay-ms N  slow the simulated cluster down (failure tests)
  --simulator-port N     port of the Kubernetes API simulator (default any free one)
  --sts-refuse ARN=ACTION  the STS stand-in refuses ACTION (sts:AssumeRole, sts:TagSession,
                     sts:SetSourceIdentity) on role ARN, as a trust policy without it would (repeatable)
  --unset-slack-secrets  start with the Slack secrets unset, as after a first deploy (doctor tests)
  --agent A --groups g1,g2 --ttl SECONDS --audience AUD   (token)`;

/**
 * Local mode's entry point. kubectl only sends tokens over https and aws-jwt-verify fetches JWKS over https
 * only, so everything is served with a local CA; this process re-executes itself once with
 * NODE_EXTRA_CA_CERTS pointing at that CA, so the handler verifies TLS exactly as it does in Lambda.
 */
async function main(): Promise<void> {
  // Approval commands have options of their own; they talk to a running local mode only.
  if (['approve', 'deny', 'approvals'].includes(process.argv[2] ?? '')) {
    const { runApprovalsCli } = require('./approvals-cli') as typeof import('./approvals-cli');
    process.exitCode = await runApprovalsCli(process.argv.slice(2));
    return;
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' }, 'issuer-port': { type: 'string' }, 'state-dir': { type: 'string' }, config: { type: 'string' },
      'no-persist': { type: 'boolean' }, aws: { type: 'boolean' }, 'upstream-delay-ms': { type: 'string' }, 'ready-file': { type: 'string' },
      'simulator-port': { type: 'string' }, 'session-front-port': { type: 'string' }, 'sts-refuse': { type: 'string', multiple: true }, 'unset-slack-secrets': { type: 'boolean' },
      agent: { type: 'string' }, groups: { type: 'string' }, ttl: { type: 'string' }, audience: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const stateDir = path.resolve(values['state-dir'] ?? '.gatehouse');
  if (positionals[0] === 'token') return printToken(stateDir, values);
  if (positionals.length) throw new Error(`Unknown command "${positionals[0]}".\n${USAGE}`);

  const caFile = path.join(stateDir, 'ca.pem');
  if (process.env.NODE_EXTRA_CA_CERTS !== caFile) return reexecWithCa(stateDir, caFile);

  // Until everything is up, Ctrl-C exits through process.exit, so the 'exit' hooks stop what had started
  // (DynamoDB Local is a Java process that would otherwise outlive us).
  const abortStart = () => process.exit(130);
  process.once('SIGINT', abortStart);
  process.once('SIGTERM', abortStart);
  const { startLocalStack } = require('./local-stack') as typeof import('./local-stack');
  const stack = await startLocalStack({
    stateDir,
    gatewayPort: values.port === undefined ? D.gatewayPort : Number(values.port),
    issuerPort: values['issuer-port'] === undefined ? D.issuerPort : Number(values['issuer-port']),
    sessionFrontPort: values['session-front-port'] === undefined ? D.sessionFrontPort : Number(values['session-front-port']),
    persist: !values['no-persist'],
    realAws: values.aws === true,
    upstreamDelayMs: Number(values['upstream-delay-ms'] ?? 0),
    simulatorPort: values['simulator-port'] === undefined ? undefined : Number(values['simulator-port']),
    stsTrustLacks: stsRefusals(values['sts-refuse'] ?? []),
    unsetSlackSecrets: values['unset-slack-secrets'] === true,
    config: values.config ? loadConfigFile(values.config) : undefined,
    configDir: values.config ? path.dirname(path.resolve(values.config)) : undefined,
    log: (line) => console.error(`  ${line}`),
  });
  const ready = {
    gatewayUrl: stack.gatewayUrl, sessionFrontUrl: stack.sessionFrontUrl, server: `${stack.gatewayUrl}/k8s/${D.connection}`, issuer: stack.issuer.issuer,
    audience: D.audience, caFile: stack.caFile, kubeconfigFile: stack.kubeconfigFile, env: stack.env, endpoints: stack.endpoints,
  };
  fs.writeFileSync(path.join(stateDir, 'endpoints.json'), JSON.stringify(ready, null, 2));
  if (values['ready-file']) {
    // Written whole, then renamed into place: whoever waits for the file never reads half of it.
    fs.writeFileSync(`${values['ready-file']}.tmp`, JSON.stringify(ready));
    fs.renameSync(`${values['ready-file']}.tmp`, values['ready-file']);
  }
  console.error(`
Gatehouse is running locally: API Gateway front ${stack.gatewayUrl}, session front ${stack.sessionFrontUrl} (${values.aws ? `connections ${stack.config.connections.map((c) => c.name).join(', ')} through real AWS STS` : `connection "${D.connection}" -> built-in Kubernetes API simulator`}).

  kubectl --kubeconfig ${path.relative(process.cwd(), stack.kubeconfigFile)} get pods -A
  kubectl --kubeconfig ${path.relative(process.cwd(), stack.kubeconfigFile)} exec -n default nginx -- sh -c 'echo hello'

${stack.awsConfigFile ? `AWS calls (account "local-aws": DynamoDB Local, an S3 server, STS and Secrets Manager), with the AWS CLI v2:
  AWS_CONFIG_FILE=${path.relative(process.cwd(), stack.awsConfigFile)} AWS_CA_BUNDLE=${path.relative(process.cwd(), stack.caFile)} aws --profile gatehouse-local --endpoint-url ${stack.gatewayUrl}/aws/local-aws sts get-caller-identity

` : ''}The kubeconfig holds a 12-hour token for agent "${D.demoAgent}". Mint another agent's token with
  npm run -s local -- token --agent my-agent
Stop with Ctrl-C.`);
  process.off('SIGINT', abortStart);
  process.off('SIGTERM', abortStart);
  // Ctrl-C reaches this process twice (from the terminal's process group and forwarded by the parent that
  // re-executed it): a second signal must not kill it by default before the stack, DynamoDB Local included, is closed.
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void stack.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function reexecWithCa(stateDir: string, caFile: string): void {
  fs.mkdirSync(stateDir, { recursive: true });
  if (!fs.existsSync(caFile)) {
    const ca = createLocalCa();
    fs.writeFileSync(path.join(stateDir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });
    fs.writeFileSync(caFile, ca.certPem);
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    // s3rver's paged listings need the legacy OpenSSL provider on Node 20.
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}

function printToken(stateDir: string, values: { agent?: string; groups?: string; ttl?: string; audience?: string }): void {
  const endpointsFile = path.join(stateDir, 'endpoints.json');
  if (!fs.existsSync(endpointsFile)) throw new Error(`${endpointsFile} not found: start local mode once (npm run local) so the demo issuer exists.`);
  const { issuer, audience } = JSON.parse(fs.readFileSync(endpointsFile, 'utf8')) as { issuer: string; audience: string };
  const { createPrivateKey } = require('node:crypto') as typeof import('node:crypto');
  const { signJwt } = require('./sign-jwt') as typeof import('./sign-jwt');
  const key = createPrivateKey(fs.readFileSync(path.join(stateDir, 'demo-issuer-key.pem')));
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer, aud: values.audience ?? audience, sub: values.agent ?? D.demoAgent, iat: now, nbf: now - 5,
    exp: now + Number(values.ttl ?? 3600), run_id: `manual-${now}`, ...(values.groups ? { groups: values.groups.split(',') } : {}),
  };
  process.stdout.write(`${signJwt(claims, { alg: 'RS256', key, kid: 'gatehouse-demo-1' })}\n`);
}

function stsRefusals(flags: readonly string[]): Record<string, StsTrustedAction> {
  const actions: readonly string[] = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];
  return Object.fromEntries(flags.map((flag) => {
    const at = flag.lastIndexOf('=');
    const action = flag.slice(at + 1);
    if (at < 0 || !actions.includes(action)) throw new Error(`--sts-refuse ${flag}: give ROLE_ARN=ACTION with ACTION one of ${actions.join(', ')}.`);
    return [flag.slice(0, at), action as StsTrustedAction];
  }));
}

function loadConfigFile(file: string): Partial<GatewayConfig> {
  return parseYaml(fs.readFileSync(file, 'utf8')) as Partial<GatewayConfig>;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

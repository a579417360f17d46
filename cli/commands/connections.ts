import fs from 'node:fs';
import path from 'node:path';
import { renderKubeconfig } from '../../local/kubeconfig';
import { printJson, required, str, type CommandContext, type CommandSpec, type GroupSpec } from '../command';
import { NotFoundError, UsageError } from '../errors';
import { connectionsTable, serversTable } from '../views';
import { rbacCommand } from './connection-rbac';

/** The directory holding the exec-credential helpers shipped with the CLI. */
const HELPER_DIR = path.resolve(__dirname, '../../bin');

/** How an agent authenticates, for kubectl and for the AWS SDKs alike: the runner's OIDC token or a token file. */
const AGENT_AUTH_OPTIONS: CommandSpec['options'] = {
  'github-actions': { type: 'boolean', description: 'authenticate with the GitHub Actions OIDC token' },
  audience: { type: 'string', placeholder: 'aud', description: 'audience of the GitHub Actions token (default gatehouse)' },
  'agent-token-file': { type: 'string', placeholder: 'file', description: 'authenticate with the token in this file' },
};

const kubeconfigCommand: CommandSpec = {
  name: 'kubeconfig',
  summary: 'write a kubeconfig for an agent (GitHub Actions OIDC or a token file)',
  usage: '--connection <c> (--github-actions [--audience gatehouse] | --agent-token-file <file>) [--output <file>]',
  description: [
    'Writes a kubeconfig whose user is an exec credential plugin (client.authentication.k8s.io/v1, interactiveMode Never):',
    '  --github-actions     bin/gatehouse-github-token.js asks the Actions runner for an OIDC token with the audience',
    '                       (needs `permissions: id-token: write` in the workflow).',
    '  --agent-token-file   bin/gatehouse-token-file.js reads the token from the file on every kubectl run, so the',
    '                       file can be rotated without rewriting the kubeconfig.',
    'The helpers are plain Node scripts without dependencies; --helper-dir says where they are on the machine',
    'that runs kubectl (default: this checkout). TLS is always verified (local mode: its CA is embedded).',
  ].join('\n'),
  options: {
    connection: { type: 'string', placeholder: 'name', description: 'connection to reach' },
    ...AGENT_AUTH_OPTIONS,
    namespace: { type: 'string', placeholder: 'ns', description: "the context's default namespace" },
    name: { type: 'string', placeholder: 'name', description: 'cluster/context name (default gatehouse-<connection>)' },
    output: { type: 'string', short: 'o', placeholder: 'file', description: 'write to this file (mode 0600) instead of stdout' },
    'helper-dir': { type: 'string', placeholder: 'dir', description: 'where the gatehouse-*.js helpers live where kubectl runs' },
    node: { type: 'string', placeholder: 'command', description: 'command that runs Node.js where kubectl runs (default node)' },
  },
  examples: [
    'gatehouse --stack Gatehouse connections kubeconfig --connection prod --github-actions -o kubeconfig.yaml',
    'gatehouse --local kubeconfig --connection demo --agent-token-file ~/.gatehouse-token > kubeconfig.yaml',
  ],
  run: writeKubeconfig,
};

const awsProfileCommand: CommandSpec = {
  name: 'aws-profile',
  summary: 'write an AWS CLI/SDK profile for an agent on an AWS connection (GitHub Actions OIDC or a token file)',
  usage: '--connection <aws connection> (--github-actions [--audience gatehouse] | --agent-token-file <file>) [--profile <name>] [--output <file>]',
  description: [
    'Writes an AWS config profile (the format of ~/.aws/config) whose credential_process is bin/gatehouse-aws-credentials.js:',
    'it trades the agent\'s OIDC token for a Gatehouse session credential, so the agent holds no AWS credential. The',
    'profile sets endpoint_url (AWS CLI 2.13+, current SDKs; older CLIs take --endpoint-url), path-style S3 and',
    'when_required checksums (Gatehouse verifies what it receives and cannot verify aws-chunked uploads). Use it with',
    'AWS_CONFIG_FILE=<file> AWS_PROFILE=<name>, or append it to ~/.aws/config. See docs/AWS.md.',
  ].join('\n'),
  options: {
    connection: { type: 'string', placeholder: 'name', description: 'AWS connection to reach' },
    ...AGENT_AUTH_OPTIONS,
    profile: { type: 'string', placeholder: 'name', description: 'profile name (default gatehouse-<connection>)' },
    output: { type: 'string', short: 'o', placeholder: 'file', description: 'write to this file (mode 0600) instead of stdout' },
    'helper-dir': { type: 'string', placeholder: 'dir', description: 'where the gatehouse-*.js helpers live where the agent runs' },
    node: { type: 'string', placeholder: 'command', description: 'command that runs Node.js where the agent runs (default node)' },
  },
  examples: [
    'gatehouse --stack Gatehouse connections aws-profile --connection prod-aws --github-actions -o aws-config',
    'gatehouse --local connections aws-profile --connection local-aws --agent-token-file ~/.gatehouse-token',
  ],
  run: writeAwsProfile,
};

/** `gatehouse connections list|kubeconfig|aws-profile`. */
export const connectionsGroup: GroupSpec = {
  name: 'connections',
  summary: 'clusters reachable through Gatehouse, and kubeconfigs for them',
  aliases: ['connection'],
  commands: [
    {
      name: 'list',
      summary: 'list connections with their role, cluster and impersonation settings',
      usage: '',
      description: 'Local mode knows every setting. A deployed stack outputs only each connection\'s server URL; pass\n--config <gatehouse.config.yaml> to see roles, clusters and impersonation.',
      options: {},
      examples: ['gatehouse --local connections list', 'gatehouse --stack Gatehouse --config gatehouse.config.yaml connections list --json'],
      run: listConnections,
    },
    kubeconfigCommand,
    awsProfileCommand,
    rbacCommand,
  ],
};

async function writeAwsProfile(ctx: CommandContext): Promise<void> {
  const connection = required(ctx, 'connection', 'connections aws-profile');
  const tokenFile = str(ctx, 'agent-token-file');
  const github = ctx.values['github-actions'] === true;
  if (github === (tokenFile !== undefined)) throw new UsageError('Give exactly one of --github-actions or --agent-token-file <file>.');
  if (!github && str(ctx, 'audience')) throw new UsageError('--audience only applies to --github-actions.');
  const target = await ctx.target();
  const endpoint = target.awsEndpoints.get(connection);
  if (!endpoint) {
    const known = [...target.awsEndpoints.keys()].sort();
    throw new NotFoundError(`AWS connection "${connection}" does not exist on this Gatehouse${known.length ? `; AWS connections: ${known.join(', ')}` : ' (it has no awsConnections)'}.`);
  }
  const helperDir = str(ctx, 'helper-dir') ?? HELPER_DIR;
  const helper = str(ctx, 'helper-dir') ? path.posix.join(helperDir, 'gatehouse-aws-credentials.js') : path.join(helperDir, 'gatehouse-aws-credentials.js');
  const auth = github ? ['--github-actions', '--audience', str(ctx, 'audience') ?? 'gatehouse'] : ['--token-file', path.resolve(ctx.io.cwd, tokenFile!)];
  if (tokenFile && !fs.existsSync(path.resolve(ctx.io.cwd, tokenFile))) {
    ctx.io.stderr.write(`note: ${tokenFile} does not exist yet; AWS calls will fail until it holds the agent's token.\n`);
  }
  // Local mode's gateway has a certificate from its own CA; a stack's API Gateway has a public one.
  const caFile = target.kind === 'local' ? path.join(target.name, 'ca.pem') : undefined;
  const profile = str(ctx, 'profile') ?? `gatehouse-${connection}`;
  const process = [str(ctx, 'node') ?? 'node', helper, '--endpoint', target.endpointUrl, '--connection', connection, ...auth, ...(caFile ? ['--ca-file', caFile] : [])];
  const text = [
    `[profile ${profile}]`,
    `credential_process = ${process.map(quoteArg).join(' ')}`,
    `region = ${target.region}`,
    `endpoint_url = ${endpoint}`,
    ...(caFile ? [`ca_bundle = ${caFile}`] : []),
    'request_checksum_calculation = when_required',
    'response_checksum_validation = when_required',
    's3 =',
    '  addressing_style = path',
    '',
  ].join('\n');
  const output = str(ctx, 'output');
  if (!output) return void ctx.io.stdout.write(text);
  const file = path.resolve(ctx.io.cwd, output);
  fs.writeFileSync(file, text, { mode: 0o600 });
  if (ctx.json) return printJson(ctx, { file, profile, endpoint, auth: github ? 'github-actions' : 'token-file' });
  ctx.io.stdout.write(`Wrote ${output} (profile ${profile}, endpoint ${endpoint}). Use it with: AWS_CONFIG_FILE=${output} AWS_PROFILE=${profile} aws sts get-caller-identity\n`);
}

/** A credential_process argument, quoted when it holds spaces (the CLI splits the line as a shell would). */
function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

/** `gatehouse kubeconfig`: the same command at the top level, since it is the one people look for. */
export const kubeconfigTopLevel: CommandSpec = kubeconfigCommand;

async function listConnections(ctx: CommandContext): Promise<void> {
  const target = await ctx.target();
  if (target.connections) {
    if (ctx.json) {
      return printJson(ctx, target.connections.map((c) => ({
        name: c.name, clusterName: c.clusterName, region: c.region, roleArn: c.roleArn, endpoint: c.endpoint,
        impersonation: c.impersonation ?? { enabled: false }, description: c.description, server: target.servers.get(c.name),
      })));
    }
    ctx.io.stdout.write(connectionsTable(target.connections, target.servers));
    return;
  }
  const note = `Stack ${target.name}'s outputs name the connections but not their role, cluster or impersonation settings; pass --config <gatehouse.config.yaml> (the file it was deployed from) to see them.`;
  if (ctx.json) {
    printJson(ctx, [...target.servers].map(([name, server]) => ({ name, server, settings: 'unknown' })));
  } else if (target.servers.size) {
    ctx.io.stdout.write(serversTable(target.servers));
  }
  ctx.io.stderr.write(`note: ${note}\n`);
}

async function writeKubeconfig(ctx: CommandContext): Promise<void> {
  const words = 'connections kubeconfig';
  const connection = required(ctx, 'connection', words);
  const tokenFile = str(ctx, 'agent-token-file');
  const github = ctx.values['github-actions'] === true;
  if (github === (tokenFile !== undefined)) throw new UsageError('Give exactly one of --github-actions or --agent-token-file <file>.');
  if (!github && str(ctx, 'audience')) throw new UsageError('--audience only applies to --github-actions.');
  const target = await ctx.target();
  const server = target.servers.get(connection);
  if (!server) {
    const known = [...target.servers.keys()].sort();
    throw new NotFoundError(`Connection "${connection}" does not exist on this Gatehouse${known.length ? `; connections: ${known.join(', ')}` : ''}.`);
  }
  const helperDir = str(ctx, 'helper-dir') ?? HELPER_DIR;
  const node = str(ctx, 'node') ?? 'node';
  const helper = (file: string) => (str(ctx, 'helper-dir') ? path.posix.join(helperDir, file) : path.join(helperDir, file));
  const user = github
    ? { exec: { command: node, args: [helper('gatehouse-github-token.js'), '--audience', str(ctx, 'audience') ?? 'gatehouse'] } }
    : { exec: { command: node, args: [helper('gatehouse-token-file.js'), path.resolve(ctx.io.cwd, tokenFile!)] } };
  if (tokenFile && !fs.existsSync(path.resolve(ctx.io.cwd, tokenFile))) {
    ctx.io.stderr.write(`note: ${tokenFile} does not exist yet; kubectl will fail until it holds the agent's token.\n`);
  }
  const name = str(ctx, 'name') ?? `gatehouse-${connection}`;
  const yaml = renderKubeconfig({ name, server, caPem: target.caPem, user, namespace: str(ctx, 'namespace') });
  const output = str(ctx, 'output');
  if (!output) return void ctx.io.stdout.write(yaml);
  const file = path.resolve(ctx.io.cwd, output);
  fs.writeFileSync(file, yaml, { mode: 0o600 });
  if (ctx.json) return printJson(ctx, { file, context: name, server, auth: github ? 'github-actions' : 'token-file' });
  ctx.io.stdout.write(`Wrote ${output} (context ${name}, server ${server}). Use it with: kubectl --kubeconfig ${output} get pods\n`);
}

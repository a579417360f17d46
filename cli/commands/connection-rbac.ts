import { stringify } from 'yaml';
import { impersonationRbac } from '../../lambdas/core/impersonation-rbac';
import type { ConnectionConfig } from '../../lambdas/core/gateway-config';
import { printJson, type CommandContext, type CommandSpec } from '../command';
import { NotFoundError, TargetError, UsageError } from '../errors';
import { listGrants } from '../grant-table';
import { withProgress } from '../io';
import type { Target } from '../target';

/** `gatehouse connections rbac <name>`: the ClusterRole and binding an impersonating connection's role needs. */
export const rbacCommand: CommandSpec = {
  name: 'rbac',
  summary: 'print the ClusterRole and binding that let a connection role impersonate its agents',
  usage: '<connection>',
  description: [
    'Prints, as YAML for `kubectl apply -f -`, a ClusterRole allowing `impersonate` on exactly the users the',
    "connection's grants produce (<userPrefix><issuer>:<agent>) and the groups they impersonate, plus a binding",
    "to the access entry's first Kubernetes group (or its user name). RBAC names users exactly: grants by group",
    'or with `*` cannot be listed, and are reported on stderr rather than answered with a rule for every user.',
    'Run it again (and re-apply) after adding grants. A deployed stack needs --config for connection settings.',
  ].join('\n'),
  options: {},
  positionals: { min: 1, max: 1 },
  examples: ['gatehouse --stack Gatehouse --config gatehouse.config.yaml connections rbac prod | kubectl apply -f -'],
  run: printRbac,
};

async function printRbac(ctx: CommandContext): Promise<void> {
  const name = ctx.positionals[0]!;
  const target = await ctx.target();
  const connection = connectionOf(target, name);
  if (!connection.impersonation?.enabled) {
    throw new UsageError(`Connection "${name}" does not impersonate (impersonation.enabled is not true), so its role needs no impersonation RBAC.`);
  }
  const grants = await withProgress(ctx.io, 'Reading grants', () => listGrants(target, { connection: name }));
  const rbac = impersonationRbac(connection, grants, target.issuers ?? []);
  if (ctx.json) printJson(ctx, rbac);
  else ctx.io.stdout.write(rbac.objects.map((o) => stringify(o)).join('---\n'));
  if (rbac.subject.assumed) {
    ctx.io.stderr.write(`note: connection "${name}" has no accessEntry with kubernetesGroups; the binding names group ${rbac.subject.name}: `
      + `put the role in it (accessEntry.kubernetesGroups: [${rbac.subject.name}], or aws eks update-access-entry --kubernetes-groups ${rbac.subject.name}).\n`);
  }
  for (const line of rbac.uncovered) ctx.io.stderr.write(`not covered: ${line}\n`);
}

function connectionOf(target: Target, name: string): ConnectionConfig {
  if (!target.connections) {
    throw new TargetError(`Stack ${target.name}'s outputs do not carry connection settings; pass --config <gatehouse.config.yaml> (the file it was deployed from).`);
  }
  const connection = target.connections.find((c) => c.name === name);
  if (!connection) throw new NotFoundError(`Connection "${name}" does not exist; connections: ${target.connections.map((c) => c.name).join(', ') || '(none)'}.`);
  return connection;
}

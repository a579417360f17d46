import https from 'node:https';
import { DOCTOR_ROUTE_PATH, type DoctorCheck, type DoctorReport } from '../../lambdas/core/doctor/doctor-check';
import { signRequestHeaders, type SigV4Credentials } from '../../lambdas/core/sigv4';
import { printJson, str, type CommandContext, type CommandSpec } from '../command';
import { CliError, EXIT, fromAwsError, NotFoundError, TargetError } from '../errors';
import type { Target } from '../target';

/** `gatehouse doctor`: every connection's role, EKS token and impersonation, the stores and the Slack secrets, checked by the gateway itself. */
export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'check each connection (role, EKS token, impersonation), the stores and the Slack secrets from the gateway',
  usage: '[--connection <c>]',
  description: [
    `Calls the gateway's ${DOCTOR_ROUTE_PATH} route, signed with your AWS credentials (IAM authorization: agents cannot`,
    'call it). The gateway runs every check with the proxy\'s own role and code path: per connection it assumes the role',
    'with the source identity and session tags agents get, mints the EKS token and asks the cluster who it is',
    '(SelfSubjectReview), and with impersonation asks again as <userPrefix>doctor; then it uses the grants, records and',
    'approvals tables and the replay bucket as the proxy does, and checks the approval state machine and whether the',
    'Slack secrets are set (from their metadata: no secret value is read). Each failure is printed with the one step',
    `that fixes it. Exit 0 when every check passed, ${EXIT.doctorFailed} when one failed.`,
  ].join('\n'),
  options: { connection: { type: 'string', placeholder: 'c', description: 'check only this connection (the stores are always checked)' } },
  examples: ['gatehouse --stack Gatehouse doctor', 'gatehouse --local doctor --connection demo --json'],
  run: runDoctorCommand,
};

async function runDoctorCommand(ctx: CommandContext): Promise<number> {
  const target = await ctx.target();
  const connection = str(ctx, 'connection');
  const url = new URL(`${target.endpointUrl}${DOCTOR_ROUTE_PATH}`);
  if (connection) url.searchParams.set('connection', connection);
  const credentials = await credentialsFor(target);
  const signed = signRequestHeaders({
    method: 'GET', host: url.host, path: url.pathname, query: connection ? { connection } : {}, region: target.region, service: 'execute-api',
    credentials, now: ctx.now(), headers: { accept: 'application/json' },
  });
  const answer = await get(url, signed.headers, target.caPem);
  if (answer.status === 404 && connection) throw new NotFoundError(messageOf(answer.body) ?? `Connection "${connection}" does not exist on ${target.name}.`);
  if (answer.status === 403) {
    throw new TargetError(
      `The gateway refused your AWS credentials for ${DOCTOR_ROUTE_PATH} (${messageOf(answer.body) ?? 'Forbidden'}). Call it with credentials of the stack's account that may execute-api:Invoke ` +
        `GET ${DOCTOR_ROUTE_PATH} on this API (an administrator may), and check --region is the stack's (${target.region}).`,
    );
  }
  if (answer.status === 404) throw new TargetError(`${target.name} has no ${DOCTOR_ROUTE_PATH} route: deploy this version of Gatehouse (cdk deploy), or restart local mode.`);
  if (answer.status !== 200) throw new CliError(`The doctor route answered ${answer.status} (${messageOf(answer.body) ?? 'no message'}); run it again, and if it persists read the doctor function's logs.`, EXIT.service);
  const report = JSON.parse(answer.body) as DoctorReport;
  if (ctx.json) printJson(ctx, report);
  else ctx.io.stdout.write(formatDoctorReport(report, ctx.io.stdout.isTTY === true));
  return report.ok ? EXIT.ok : EXIT.doctorFailed;
}

/**
 * The report for people: one line per check (✓/✗ on a terminal, ok/FAIL otherwise), the fix indented under each
 * failure, and a last line that counts them.
 */
export function formatDoctorReport(report: DoctorReport, tty: boolean): string {
  const mark = (c: DoctorCheck) => (c.ok ? (tty ? '✓' : 'ok  ') : c.skipped ? (tty ? '-' : 'SKIP') : (tty ? '✗' : 'FAIL'));
  const lines = report.calledBy ? [`checked by the gateway for ${report.calledBy}`] : [];
  for (const check of report.checks) {
    lines.push(`${mark(check)} ${check.name}: ${check.detail}`);
    if (check.fix) lines.push(`${tty ? '  ' : '     '}fix: ${check.fix}`);
  }
  const failedCount = report.checks.filter((c) => !c.ok).length;
  lines.push(failedCount ? `${failedCount} of ${report.checks.length} checks failed` : `all ${report.checks.length} checks passed`);
  return `${lines.join('\n')}\n`;
}

async function credentialsFor(target: Target): Promise<SigV4Credentials> {
  if (target.localCredentials) return target.localCredentials;
  const { defaultProvider } = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
  try {
    return await defaultProvider()();
  } catch (error) {
    throw fromAwsError(error, 'the doctor route');
  }
}

function messageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.error === 'string' ? parsed.error : undefined;
    return message?.slice(0, 300);
  } catch {
    return undefined;
  }
}

function get(url: URL, headers: Record<string, string | readonly string[]>, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'GET', headers: headers as Record<string, string>, ...(ca ? { ca } : {}), timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('the doctor route did not answer within 60 s')));
    req.on('error', (error) => reject(new TargetError(`Could not reach ${url.origin} (${(error as NodeJS.ErrnoException).code ?? error.message}): is the stack deployed, or local mode running?`)));
    req.end();
  });
}

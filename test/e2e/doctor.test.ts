import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../local/free-port';
import { createLocalCa } from '../../local/local-ca';
import { LOCAL_DEFAULTS as D } from '../../local/local-defaults';

const ROOT = path.resolve(__dirname, '../..');
const REFUSED_ROLE = 'arn:aws:iam::111122223333:role/gatehouse-refused';
const UNTAGGED_ROLE = 'arn:aws:iam::111122223333:role/gatehouse-untagged';

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

/**
 * `gatehouse doctor` against a local mode of its own, started with each failure doctor can report made on purpose:
 * a role whose trust the STS stand-in refuses, one that refuses session tags, a connection whose token the simulated
 * cluster rejects (the token is bound to another cluster name), and Slack secrets still unset.
 */
describe('gatehouse doctor against local mode', () => {
  let stateDir: string;
  let child: ChildProcess;
  let ready: { gatewayUrl: string };

  const doctor = (args: readonly string[]): Promise<Run> => new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.GATEHOUSE_STACK;
    delete env.GATEHOUSE_LOCAL;
    execFile(process.execPath, [path.join(ROOT, 'bin/gatehouse.js'), '--local', '--state-dir', stateDir, 'doctor', ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-doctor-'));
    const ca = createLocalCa();
    fs.writeFileSync(path.join(stateDir, 'ca.pem'), ca.certPem);
    fs.writeFileSync(path.join(stateDir, 'ca-key.pem'), ca.keyPem);
    const simulatorPort = await freePort();
    const simulator = `https://127.0.0.1:${simulatorPort}`;
    const connection = (name: string, roleArn: string, clusterName: string = D.clusterName) => ({
      name, clusterName, region: D.region, endpoint: simulator, certificateAuthorityData: Buffer.from(ca.certPem).toString('base64'), roleArn,
    });
    const configFile = path.join(stateDir, 'doctor-config.yaml');
    fs.writeFileSync(configFile, stringify({
      connections: [connection('refused', REFUSED_ROLE), connection('untagged', UNTAGGED_ROLE), connection('wrong-cluster', D.roleArn, 'another-cluster')],
      approvals: {},
    }));
    const readyFile = path.join(stateDir, 'ready.json');
    const out = fs.openSync(path.join(stateDir, 'gatehouse.log'), 'a');
    child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [
      'local/main.ts', '--port', '0', '--issuer-port', '0', '--session-front-port', '0', '--state-dir', stateDir, '--no-persist', '--ready-file', readyFile, '--config', configFile,
      '--simulator-port', String(simulatorPort), '--sts-refuse', `${REFUSED_ROLE}=sts:AssumeRole`, '--sts-refuse', `${UNTAGGED_ROLE}=sts:TagSession`, '--unset-slack-secrets',
    ], { cwd: ROOT, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Local mode writes its ready file once everything listens; fs.watch tells us when, no polling interval.
    await Promise.race([
      new Promise<void>((resolve) => {
        const watcher = fs.watch(stateDir, () => { if (fs.existsSync(readyFile)) { watcher.close(); resolve(); } });
        if (fs.existsSync(readyFile)) { watcher.close(); resolve(); }
      }),
      exited.then(() => { throw new Error(`local mode exited:\n${fs.readFileSync(path.join(stateDir, 'gatehouse.log'), 'utf8').slice(-3000)}`); }),
    ]);
    ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { gatewayUrl: string };
  }, 150_000);

  afterAll(async () => {
    if (child?.pid) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await exited;
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  describe('with every failure present', () => {
    let run: Run;
    beforeAll(async () => {
      run = await doctor([]);
    }, 60_000);

    it('exits 7 and counts the failures', () => {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(7);
      expect(run.stdout).toMatch(/\d+ of \d+ checks failed\n$/);
    });

    it('shows that the demo connection works end to end: role, the cluster\'s view of the caller and impersonation', () => {
      expect(run.stdout).toContain('ok   connection demo: assume role: assumed arn:aws:iam::111122223333:role/gatehouse-demo-connection as session _gatehouse.doctor with source identity _gatehouse.doctor and 4 session tags');
      expect(run.stdout).toContain('ok   connection demo: cluster accepts the EKS token: the cluster sees user "gatehouse-connection:demo" in groups [gatehouse:connections');
      expect(run.stdout).toContain('ok   connection demo: impersonation: impersonating "gatehouse:doctor" works: the cluster sees user "gatehouse:doctor"');
    });

    it('checks the AWS connection\'s role and the AWS credential key as the proxy uses them', () => {
      expect(run.stdout).toContain('ok   AWS connection local-aws: assume role: assumed arn:aws:iam::111122223333:role/gatehouse-local-aws as session _gatehouse.doctor');
      expect(run.stdout).toMatch(/ok {3}AWS credential key local mode's key: GetSecretValue, as the proxy reads it: ok/);
    });

    it('reports a role whose trust policy refuses the proxy, with the command that attaches the stack\'s trust policy', () => {
      expect(run.stdout).toContain(`FAIL connection refused: assume role: AccessDenied (HTTP 403): User: arn:aws:iam::111122223333:user/sts-stand-in-caller is not authorized to perform: sts:AssumeRole on resource: ${REFUSED_ROLE}`);
      expect(run.stdout).toContain("fix: Make arn:aws:iam::111122223333:role/gatehouse-refused trust the proxy's role (the ProxyRoleArn output) for sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity: aws iam update-assume-role-policy --role-name gatehouse-refused");
      expect(run.stdout).toContain("OutputKey=='TrustPolicyRefused'");
      expect(run.stdout).toContain('SKIP connection refused: cluster accepts the EKS token: not checked: assume role failed');
    });

    it('reports a trust policy without sts:TagSession, naming that one action', () => {
      expect(run.stdout).toContain(`is not authorized to perform: sts:TagSession on resource: ${UNTAGGED_ROLE}`);
      expect(run.stdout).toContain(`fix: Allow sts:TagSession in ${UNTAGGED_ROLE}'s trust policy`);
    });

    it('reports a token the cluster rejects, with the access entry to create', () => {
      expect(run.stdout).toContain('FAIL connection wrong-cluster: cluster accepts the EKS token: the cluster answered 401');
      expect(run.stdout).toContain(`fix: Map ${D.roleArn} to a Kubernetes user in cluster another-cluster: set accessEntry on connection "wrong-cluster" and cdk deploy, or aws eks create-access-entry --cluster-name another-cluster --principal-arn ${D.roleArn}`);
    });

    it('reports the unset Slack secrets with the put-secret-value command, never a value', () => {
      expect(run.stdout).toMatch(/FAIL Slack bot token secret: arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse\/local\/slack-bot-token-LoCaL1 is not set/);
      expect(run.stdout).toContain("fix: aws secretsmanager put-secret-value --secret-id arn:aws:secretsmanager:us-east-1:111122223333:secret:gatehouse/local/slack-bot-token-LoCaL1 --secret-string 'xoxb-...'");
      expect(run.stdout).toContain('FAIL Slack signing secret secret:');
      expect(run.stdout).not.toContain('gatehouse:not-set');
    });

    it('finds the stores and the state machine reachable with the proxy\'s permissions', () => {
      expect(run.stdout).toMatch(/ok {3}grants table \S+: Query of each connection's grants/);
      expect(run.stdout).toMatch(/ok {3}records table \S+: a stream lease taken and given back: ok/);
      expect(run.stdout).toMatch(/ok {3}replay bucket \S+: PutObject replay\/doctor\/probe.json: ok/);
      expect(run.stdout).toMatch(/ok {3}replay delivery stream gatehouse-replay-batches: PutRecord of a probe line \(partition doctor\): ok/);
      expect(run.stdout).toMatch(/ok {3}approvals table \S+: GetItem of an approval: ok/);
      expect(run.stdout).toMatch(/ok {3}approval state machine: \S+ is ACTIVE/);
    });
  });

  it('checks one connection with --connection and prints JSON with --json', async () => {
    // Act
    const run = await doctor(['--connection', 'demo', '--json']);

    // Assert
    const report = JSON.parse(run.stdout) as { ok: boolean; calledBy: string; checks: Array<{ name: string; ok: boolean }> };
    expect(report.calledBy).toBe('arn:aws:iam::111122223333:user/local-mode-operator');
    expect(report.checks.filter((c) => c.name.startsWith('connection')).map((c) => c.name)).toEqual([
      'connection demo: assume role', 'connection demo: cluster accepts the EKS token', 'connection demo: impersonation',
    ]);
    expect(run.code).toBe(7); // the Slack secrets are still unset
  }, 60_000);

  it('exits 2 for a connection that does not exist', async () => {
    // Act
    const run = await doctor(['--connection', 'nope']);

    // Assert
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Connection "nope" does not exist');
  }, 60_000);

  it.each([
    ['unsigned', {}, 'Missing Authentication Token'],
    ['signed with unknown credentials', { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN0000000000/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00', 'x-amz-date': '20260101T000000Z' }, ''],
  ])('refuses a call to the doctor route that is %s with 403, as IAM authorization does', async (_case, headers, message) => {
    // Act
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      https.get(`${ready.gatewayUrl}/operator/doctor`, { ca: fs.readFileSync(path.join(stateDir, 'ca.pem'), 'utf8'), headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });

    // Assert
    expect(answer.status).toBe(403);
    expect(answer.body).toContain(message);
    expect(answer.body).not.toContain('checks');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadGatewayConfigFile } from '../../lib/config/load-gateway-config-file';
import { FIXTURE_CONFIG_PATH } from './fixtures/synth-stack';

const ROOT = path.join(__dirname, '..', '..');

/** Runs bin/gatehouse-app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(configFile: string): { status: number | null; stderr: string } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'gatehouse-app-'));
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'gatehouse-app.ts')], {
    cwd: ROOT,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ configFile }), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('the CDK app', () => {
  it('refuses to synthesize an invalid configuration, naming each field and exiting non-zero', () => {
    const config = parse(readFileSync(FIXTURE_CONFIG_PATH, 'utf8'));
    config.connections[1].roleArn = 'not-an-arn';
    config.grants[0].conection = config.grants[0].connection;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-config-')), 'bad.yaml');
    writeFileSync(file, stringify(config));

    const { status, stderr } = runApp(file);

    expect(status).toBe(1);
    expect(stderr).toContain(`${file} is invalid:`);
    expect(stderr).toContain('connections[1] "prod-eu": roleArn "not-an-arn" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
    expect(stderr).toContain('grants[0]: unknown key "conection"; did you mean "connection"?');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace burying the problems
  });

  it('reports a missing configuration file with what to do', () => {
    const { status, stderr } = runApp('does-not-exist.yaml');

    expect(status).toBe(1);
    expect(stderr).toContain('does-not-exist.yaml is invalid:\n  - file not found; copy gatehouse.config.example.yaml');
  });

  it('reports YAML syntax errors with their position', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gatehouse-config-')), 'broken.yaml');
    writeFileSync(file, 'issuers:\n  - name: github\n    name: again\n');

    expect(() => loadGatewayConfigFile(file)).toThrow(/Map keys must be unique at line 3/);
  });

  it('ships an example configuration that validates', () => {
    const config = loadGatewayConfigFile(path.join(ROOT, 'gatehouse.config.example.yaml'));

    expect(config.connections.map((c) => c.name)).toEqual(['staging', 'prod']);
    expect(config.grants?.some((g) => g.expiresAt)).toBe(true);
  });
});

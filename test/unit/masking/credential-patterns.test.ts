import { CredentialPattern, DEFAULT_CREDENTIAL_PATTERNS, MASKED_VALUE } from '../../../lambdas/core/masking/credential-patterns';
import { maskResponse } from '../../../lambdas/core/masking/mask-response';
import { request } from './masking-fixtures';

const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF', 'K1lLmUq2W0mYxA5W1bR3e6o8b9ZtZ3xDqv8fY2Yq3nYQ0l9B6kR7cXyZp4dW2m1a', '-----END RSA PRIVATE KEY-----'].join('\n');
const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIiwiYXVkIjoiZ2F0ZWhvdXNlIn0.dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZQ';

/** Credentials recognised by their value, wherever they are. */
const valueCases: [string, string][] = [
  ['aws-access-key-id', 'AKIAIOSFODNN7EXAMPLE'],
  ['aws-access-key-id', 'ASIAY34FZKBOKMUTVV7A'],
  ['pem-private-key', PEM],
  ['pem-private-key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----'],
  ['jwt', JWT],
  ['github-token', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['github-token', 'gho_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['github-token', 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['github-token', 'github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX'],
  ['gitlab-token', 'glpat-xR4nD0mT0k3nV4lu3AbC'],
  ['slack-token', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
  ['slack-token', 'xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef'],
  ['eks-token', 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ'],
];

/** Where a credential can sit in a response: [description, build(credential) -> response]. */
const carriers: [string, (c: string) => { body: string; contentType: string; resource: string; subresource?: string }][] = [
  ['a ConfigMap value', (c) => ({ body: JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg' }, data: { config: c } }), contentType: 'application/json', resource: 'configmaps' })],
  ['a config file in a ConfigMap', (c) => ({ body: JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg' }, data: { 'app.ini': `[upload]\nendpoint = https://s3.example.com\ncredential = ${c}\n` } }), contentType: 'application/json', resource: 'configmaps' })],
  ['a pod env value', (c) => ({ body: JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'CONFIG', value: c }] }] } }), contentType: 'application/json', resource: 'pods' })],
  ['an annotation', (c) => ({ body: JSON.stringify({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd', annotations: { 'example.com/deployed-with': `ci run using ${c}` } } }), contentType: 'application/json', resource: 'deployments' })],
  ['a container log', (c) => ({ body: `2025-01-01T00:00:00Z INFO starting\n2025-01-01T00:00:01Z DEBUG using credential ${c} for upload\n`, contentType: 'text/plain', resource: 'pods', subresource: 'log' })],
];

function run(c: { body: string; contentType: string; resource: string; subresource?: string }, patterns?: CredentialPattern[]) {
  return maskResponse({ body: Buffer.from(c.body), contentType: c.contentType, request: request(c.resource, 'get', { subresource: c.subresource ?? '' }), unmaskSecrets: false, patterns });
}

describe('credential patterns', () => {
  const table = valueCases.flatMap(([id, credential]) => carriers.map(([where, build]) => [id, where, credential, build] as const));
  it.each(table)('masks %s in %s', (id, _where, credential, build) => {
    const out = run(build(credential));
    const text = out.body.toString();
    for (const line of credential.split('\n')) expect(text).not.toContain(line.slice(11));
    expect(text).toContain(MASKED_VALUE);
    expect(out.counts[id]).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['an env var named like a password', JSON.stringify({ kind: 'Pod', spec: { containers: [{ env: [{ name: 'DB_PASSWORD', value: 'hunter2-is-weak' }] }] } }), 'application/json', 'named-credential'],
    ['a camelCase JSON key', JSON.stringify({ kind: 'ConfigMap', data: { apiKey: 'hunter2-is-weak' } }), 'application/json', 'named-credential'],
    ['a dotted properties key', JSON.stringify({ kind: 'ConfigMap', data: { 'application.properties': 'spring.datasource.url=jdbc:x\nspring.datasource.password=hunter2-is-weak\n' } }), 'application/json', 'named-credential'],
    ['a YAML key in a config file', JSON.stringify({ kind: 'ConfigMap', data: { 'values.yaml': 'oauth:\n  client_secret: hunter2-is-weak # rotate monthly\n' } }), 'application/json', 'named-credential'],
    ['KEY=value in a log', 'export GITHUB_TOKEN=hunter2-is-weak && ./deploy.sh\n', 'text/plain', 'named-credential'],
    ['a JSON log line', '{"level":"debug","msg":"login","password":"hunter2-is-weak","user":"bob"}\n', 'text/plain', 'named-credential'],
    ['a flag', 'exec /app --db-password=hunter2-is-weak --verbose\n', 'text/plain', 'named-credential'],
    ['an AWS secret access key in a credentials file', '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = hunter2isweak/K7MDENG/bPxRfiCYEXAMPLEKEY\n', 'text/plain', 'aws-secret-access-key'],
    ['an AWS secret access key env var', JSON.stringify({ kind: 'Pod', spec: { containers: [{ env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'hunter2isweak/K7MDENG/bPxRfiCYEXAMPLEKEY' }] }] } }), 'application/json', 'aws-secret-access-key'],
    ['a password in a connection string', JSON.stringify({ kind: 'ConfigMap', data: { DATABASE_URL: 'postgres://app:hunter2-is-weak@db.shop:5432/app?sslmode=require' } }), 'application/json', 'connection-string-password'],
  ])('masks %s', (_name, body, contentType, id) => {
    const out = run({ body, contentType, resource: contentType === 'text/plain' ? 'pods' : 'configmaps' });
    expect(out.body.toString()).not.toMatch(/hunter2-?is-?weak/);
    expect(out.counts[id]).toBeGreaterThanOrEqual(1);
  });

  it('masks only the password of a connection string', () => {
    const out = run({ body: 'connecting to postgres://app:hunter2-is-weak@db.shop:5432/app\n', contentType: 'text/plain', resource: 'pods' });
    expect(out.body.toString()).toBe(`connecting to postgres://app:${MASKED_VALUE}@db.shop:5432/app\n`);
  });

  it.each([
    ['a timestamp and an image', '2025-01-01T10:00:00Z pulled nginx:1.27 from registry.example.com:5000/nginx@sha256:abc\n'],
    ['a URL without credentials', 'GET https://api.example.com:8443/v1/items?page=2 200\n'],
    ['words near key names', 'token refresh scheduled; password policy unchanged; secret rotation disabled\n'],
    ['a token TTL', 'token_ttl=3600 password_min_length=12\n'],
    ['booleans under credential-like keys', 'automountServiceAccountToken: false\nrequire_password=true\n'],
    ['an AWS account ARN', 'assumed arn:aws:iam::123456789012:role/gatehouse-shop as AROAEXAMPLEROLEID12345\n'],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3xX\n-----END CERTIFICATE-----\n'],
  ])('leaves %s alone', (_name, log) => {
    const out = run({ body: log, contentType: 'text/plain', resource: 'pods' });
    expect(out.body.toString()).toBe(log);
    expect(out.changed).toBe(false);
  });

  it('accepts custom patterns (string regexes, key names)', () => {
    const patterns: CredentialPattern[] = [...DEFAULT_CREDENTIAL_PATTERNS, { id: 'acme-key', regex: 'acme_live_[a-z0-9]{16}', hints: ['acme_live_'] }, { id: 'pin', regex: '^\\d{4}$', keyNames: '(^|_)pin$' }];
    const out = run({ body: JSON.stringify({ kind: 'ConfigMap', data: { key: 'use acme_live_0123456789abcdef now', CARD_PIN: '1234' } }), contentType: 'application/json', resource: 'configmaps' }, patterns);
    expect(out.counts).toEqual({ 'acme-key': 1, pin: 1 });
  });

  it.each([
    ['JWT-like runs', 'eyJ-'.repeat(1_250_000)],
    // 12 MB: an unbounded JWT segment would be backtracked into and overflow V8's regexp stack here, every time.
    ['one 12 MB JWT-like run', 'eyJ-'.repeat(3_000_000)],
    ['key=value pairs', 'a=b '.repeat(1_250_000)],
    ['password words without values', 'password '.repeat(600_000)],
    ['scheme separators', '://a:'.repeat(1_000_000)],
    ['AKIA prefixes', 'AKIA'.repeat(1_250_000)],
    ['PEM headers without an end', '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(150_000)],
    ['one long token', 'x'.repeat(5_000_000)],
  ])('stays fast on 5 MB of hostile log text (%s)', (_name, log) => {
    const started = Date.now();
    run({ body: log, contentType: 'text/plain', resource: 'pods' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

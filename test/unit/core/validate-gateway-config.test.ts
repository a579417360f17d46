import { ConfigError } from '../../../lambdas/core/errors';
import { validateGatewayConfig } from '../../../lambdas/core/validate-gateway-config';

// A real self-signed certificate (CN=kubernetes), base64 of its PEM as in a kubeconfig.
const CA = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmakNDQVNXZ0F3SUJBZ0lVR3lBWlRPZ2VQQ2pHZmxOMENRS0NZL3c4b1Nrd0NnWUlLb1pJemowRUF3SXcKRlRFVE1CRUdBMVVFQXd3S2EzVmlaWEp1WlhSbGN6QWVGdzB5TmpFeE1qSXdNakEwTkRSYUZ3MHpOakV4TVRrdwpNakEwTkRSYU1CVXhFekFSQmdOVkJBTU1DbXQxWW1WeWJtVjBaWE13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPClBRTUJCd05DQUFTWFZXMlZNbEdzZmZOMjFvWFQvL2pBUEZIQXR3MDIyZ3g0Z2lUQy9hZjBlL2RaMDg4T3B2b3YKSWZRSFpSVXNpR09qUFhCZjhiM0JFaWlONkFETGxNSmpvMU13VVRBZEJnTlZIUTRFRmdRVTRFL01kUllxcGRiWAp1TkpCWkJ0L2JoYklXMmN3SHdZRFZSMGpCQmd3Rm9BVTRFL01kUllxcGRiWHVOSkJaQnQvYmhiSVcyY3dEd1lEClZSMFRBUUgvQkFVd0F3RUIvekFLQmdncWhrak9QUVFEQWdOSEFEQkVBaUJ3amlWanRNWGttT2JINFZNVm5NcjMKSXRCY1FRWEp2dDJXRnlqaFRBY0ZvUUlnSU5CbGxhMldTazNJSW1rV1VCMm1yaVJyeTBsSHNQMEVoRllHd2d1ZgpNVGc9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K';

type Mutable = { [key: string]: any };

const valid = (): Mutable => ({
  issuers: [
    { name: 'github', issuer: 'https://token.actions.githubusercontent.com', audience: ['gatehouse'], agentClaim: 'repository', sessionClaim: 'run_id' },
    { name: 'okta', issuer: 'https://acme.okta.com/oauth2/default', audience: ['api://gatehouse'], groupsClaim: 'groups' },
  ],
  connections: [
    {
      name: 'demo', clusterName: 'demo', region: 'eu-west-1', endpoint: 'https://ABC123.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthorityData: CA, roleArn: 'arn:aws:iam::123456789012:role/gatehouse-demo',
    },
    {
      name: 'prod', clusterName: 'prod_1', region: 'us-east-1', endpoint: 'https://10.0.0.1:6443/',
      certificateAuthorityData: CA, roleArn: 'arn:aws:iam::123456789012:role/teams/gatehouse-prod',
      impersonation: { enabled: true }, sessionDurationSeconds: 3600,
    },
  ],
  grants: [
    { connection: 'demo', agent: 'acme/*', issuer: 'github' },
    { connection: 'prod', group: 'sre', issuer: 'okta', namespaces: ['payments', 'team-*'], expiresAt: '2030-01-31T18:00:00+01:00', impersonateGroups: ['sre'] },
  ],
  limits: { maxRequestBodyBytes: 6 * 1024 * 1024, upstreamTimeoutMs: 28_999 },
  retentionDays: 30,
});

function problemsOf(raw: unknown, options?: { allowLocalIssuers?: boolean }): readonly string[] {
  try {
    validateGatewayConfig(raw, 'test.yaml', options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function withChange(change: (config: Mutable) => void): Mutable {
  const config = valid();
  change(config);
  return config;
}

describe('validateGatewayConfig', () => {
  it('returns a valid configuration typed, with endpoints normalized to their origin', () => {
    const config = validateGatewayConfig(valid(), 'test.yaml');

    expect(config.connections.map((c) => c.endpoint)).toEqual(['https://abc123.gr7.eu-west-1.eks.amazonaws.com', 'https://10.0.0.1:6443']);
    expect(config.grants).toHaveLength(2);
    expect(config.retentionDays).toBe(30);
  });

  it('accepts a minimal configuration and adds no keys of its own', () => {
    const raw = { issuers: [valid().issuers[0]], connections: [valid().connections[0]] };

    const config = validateGatewayConfig(raw, 'test.yaml');

    expect(Object.keys(config)).toEqual(['issuers', 'connections']);
  });

  it.each<[string, (c: Mutable) => void, string]>([
    ['role ARN', (c) => (c.connections[1].roleArn = 'foo'),
      'connections[1] "prod": roleArn "foo" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)'],
    ['undefined connection', (c) => (c.grants[0].connection = 'prd'),
      'grants[0]: connection "prd" is not defined; defined connections: demo, prod'],
    ['typo in a key', (c) => { c.connections[0].rolArn = c.connections[0].roleArn; delete c.connections[0].roleArn; },
      'connections[0] "demo": unknown key "rolArn"; did you mean "roleArn"?'],
    ['typo in a top-level key', (c) => { c.grant = c.grants; delete c.grants; }, 'unknown key "grant"; did you mean "grants"?'],
    ['unrelated unknown key', (c) => (c.issuers[0].colour = 'blue'), 'issuers[0] "github": unknown key "colour"; known keys: name, issuer,'],
    ['missing key', (c) => delete c.connections[0].clusterName, 'connections[0] "demo": missing required key "clusterName"'],
    ['duplicate connection', (c) => (c.connections[1].name = 'demo'), 'connections[1]: name "demo" is already used by connections[0]'],
    ['duplicate issuer name', (c) => (c.issuers[1].name = 'github'), 'issuers[1]: name "github" is already used by issuers[0]'],
    ['duplicate issuer URL', (c) => (c.issuers[1].issuer = c.issuers[0].issuer), 'issuers[1]: issuer URL "https://token.actions.githubusercontent.com" is already used'],
    ['http issuer', (c) => (c.issuers[0].issuer = 'http://issuer.example.com'), 'issuers[0] "github": issuer "http://issuer.example.com" must use https'],
    ['local issuer outside local mode', (c) => (c.issuers[0].issuer = 'http://127.0.0.1:8443'), 'issuer "http://127.0.0.1:8443" is a local address, accepted only in local mode'],
    ['local https issuer outside local mode', (c) => (c.issuers[0].issuer = 'https://localhost:8443'), 'is a local address'],
    ['issuer with a query', (c) => (c.issuers[0].issuer = 'https://a.example.com?x=1'), 'must not carry a query'],
    ['plain http JWKS URI', (c) => (c.issuers[0].jwksUri = 'http://a.example.com/jwks'), 'jwksUri "http://a.example.com/jwks" must use https'],
    ['empty audience', (c) => (c.issuers[0].audience = []), 'issuers[0] "github": audience must list at least one value'],
    ['audience as a string', (c) => (c.issuers[0].audience = 'gatehouse'), 'audience must be a list of strings, got "gatehouse"'],
    ['blank audience entry', (c) => (c.issuers[0].audience = ['']), 'audience[0] must be a non-empty string'],
    ['bad issuer name', (c) => (c.issuers[0].name = 'GitHub'), 'issuers[0]: name "GitHub" is not lowercase letters'],
    ['endpoint over http', (c) => (c.connections[0].endpoint = 'http://k8s.example.com'), 'endpoint "http://k8s.example.com" must be https://<host>[:port]'],
    ['endpoint with a path', (c) => (c.connections[0].endpoint = 'https://k8s.example.com/api'), 'with no path, query or fragment'],
    ['endpoint with a query', (c) => (c.connections[0].endpoint = 'https://k8s.example.com?x'), 'with no path, query or fragment'],
    ['EKS endpoint in another region', (c) => (c.connections[0].region = 'eu-west-2'), 'is in region eu-west-1 but region is eu-west-2'],
    ['raw PEM as CA', (c) => (c.connections[0].certificateAuthorityData = Buffer.from(CA, 'base64').toString()), 'certificateAuthorityData is a raw PEM'],
    ['CA not base64', (c) => (c.connections[0].certificateAuthorityData = 'not base64!'), 'certificateAuthorityData is not base64 of a PEM certificate'],
    ['CA base64 of something else', (c) => (c.connections[0].certificateAuthorityData = Buffer.from('hello').toString('base64')), 'is not base64 of a PEM certificate'],
    ['region', (c) => (c.connections[0].region = 'Europe'), 'region "Europe" is not an AWS region such as eu-west-1'],
    ['cluster name', (c) => (c.connections[0].clusterName = '-x'), 'clusterName "-x" is not an EKS cluster name'],
    ['session too short', (c) => (c.connections[0].sessionDurationSeconds = 899), 'sessionDurationSeconds 899 must be an integer from 900 to 3600'],
    ['session beyond role chaining', (c) => (c.connections[0].sessionDurationSeconds = 43200), 'role chaining'],
    ['session not an integer', (c) => (c.connections[0].sessionDurationSeconds = '900'), 'sessionDurationSeconds "900" must be an integer'],
    ['impersonation flag', (c) => (c.connections[1].impersonation = { enabled: 'yes' }), 'connections[1] "prod": impersonation: enabled must be true or false, got "yes"'],
    ['impersonation system prefix', (c) => (c.connections[1].impersonation.userPrefix = 'system:'), 'userPrefix "system:" must be non-empty'],
    ['grant without principal', (c) => delete c.grants[0].agent, 'grants[0]: needs exactly one of agent or group'],
    ['grant with two principals', (c) => (c.grants[0].group = 'sre'), 'grants[0]: has both agent and group'],
    ['grant with undefined issuer', (c) => (c.grants[0].issuer = 'gh'), 'grants[0]: issuer "gh" is not defined; defined issuers: github, okta'],
    ['group grant on an issuer without groups', (c) => (c.grants[1].issuer = 'github'), 'grants[1]: group "sre" can never match: issuer "github" has a groupsClaim'],
    ['expiry not RFC 3339', (c) => (c.grants[1].expiresAt = '2030-01-31'), 'grants[1]: expiresAt "2030-01-31" is not an RFC 3339 time'],
    ['expiry on an impossible date', (c) => (c.grants[1].expiresAt = '2030-02-30T00:00:00Z'), 'is not an RFC 3339 time'],
    ['empty namespaces', (c) => (c.grants[1].namespaces = []), 'grants[1]: namespaces is empty; omit the key to grant every namespace'],
    ['bad namespace', (c) => (c.grants[1].namespaces = ['Payments']), 'namespaces entry "Payments" is not a namespace name'],
    ['impersonated groups without impersonation', (c) => (c.grants[0].impersonateGroups = ['x']), 'impersonateGroups has no effect: connection "demo" does not impersonate'],
    ['duplicate grants', (c) => c.grants.push({ connection: 'demo', agent: 'acme/*', issuer: 'github', expiresAt: '2031-01-01T00:00:00Z' }), 'grants[2]: same connection, principal, issuer and namespaces as grants[0]'],
    ['agent grant without issuer when several are configured', (c) => delete c.grants[0].issuer,
      'grants[0]: issuer is required because 2 issuers are configured (github, okta); a grant without one would match the same agent from any of them. Add e.g. issuer: "github"'],
    ['group grant without issuer when several are configured', (c) => delete c.grants[1].issuer,
      'grants[1]: issuer is required because 2 issuers are configured (github, okta); a grant without one would match the same group from any of them.'],
    ['grant without issuer when a third issuer is invalid', (c) => { delete c.grants[0].issuer; c.issuers.push({ name: 'gitlab', issuer: 'http://gitlab.example.com', audience: ['g'] }); },
      'grants[0]: issuer is required because 3 issuers are configured (github, okta, gitlab)'],
    ['body limit over 6 MB', (c) => (c.limits.maxRequestBodyBytes = 6 * 1024 * 1024 + 1), 'limits: maxRequestBodyBytes 6291457 must be an integer from 1 to 6291456'],
    ['upstream timeout at the gateway limit', (c) => (c.limits.upstreamTimeoutMs = 29_000), 'limits: upstreamTimeoutMs 29000 must be an integer from 1000 to 28999'],
    ['typo in limits', (c) => (c.limits.upstreamTimeout = 1), 'limits: unknown key "upstreamTimeout"; did you mean "upstreamTimeoutMs"?'],
    ['no streams allowed per agent', (c) => (c.limits.maxStreamsPerAgent = 0), 'limits: maxStreamsPerAgent 0 must be an integer from 1 to 10000'],
    ['a fractional stream cap', (c) => (c.limits.maxStreamsPerAgent = 2.5), 'limits: maxStreamsPerAgent 2.5 must be an integer from 1 to 10000'],
    ['retention', (c) => (c.retentionDays = 0), 'retentionDays 0 must be an integer >= 1'],
    ['null value from an empty YAML key', (c) => (c.issuers[0].jwksUri = null), 'jwksUri must be a non-empty string, got null'],
    ['connections not a list', (c) => (c.connections = { demo: {} }), 'connections must be a list, got a map'],
    ['no issuers', (c) => (c.issuers = []), 'issuers must list at least one entry'],
    ['entry not a map', (c) => (c.grants[0] = 'demo'), 'grants[0]: must be a map of keys to values'],
  ])('reports %s', (_case, change, expected) => {
    const problems = problemsOf(withChange(change));

    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  it.each<[string, Mutable]>([
    ['an agent grant', { connection: 'demo', agent: 'acme/*' }],
    ['a group grant', { connection: 'demo', group: 'sre' }],
  ])('accepts %s without issuer when only one issuer is configured', (_case, grant) => {
    const raw = { issuers: [valid().issuers[1]], connections: [valid().connections[0]], grants: [grant] };

    expect(problemsOf(raw)).toEqual([]);
  });

  it('collects every problem instead of stopping at the first', () => {
    const raw = withChange((c) => {
      c.connections[0].roleArn = 'foo';
      c.issuers[0].issuer = 'http://x.example.com';
      c.grants[0].connection = 'nope';
    });

    expect(problemsOf(raw)).toHaveLength(3);
  });

  it('does not report grants on a connection whose other fields are wrong as undefined', () => {
    const problems = problemsOf(withChange((c) => (c.connections[0].region = 'nowhere')));

    expect(problems.some((p) => p.includes('is not defined'))).toBe(false);
  });

  it.each(['http://127.0.0.1:8443', 'https://localhost:8443/realms/demo', 'http://[::1]:9000'])(
    'accepts the local issuer %s when allowLocalIssuers is set',
    (issuer) => {
      const raw = withChange((c) => {
        c.issuers[0].issuer = issuer;
        c.issuers[0].jwksUri = `${issuer}/jwks.json`;
      });

      expect(problemsOf(raw, { allowLocalIssuers: true })).toEqual([]);
    },
  );

  it('throws a ConfigError whose message names the source and lists each problem', () => {
    const act = () => validateGatewayConfig(withChange((c) => (c.connections[1].roleArn = 'foo')), 'gatehouse.config.yaml');

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/^gatehouse\.config\.yaml is invalid:\n {2}- connections\[1\] "prod": roleArn "foo"/);
  });

  it.each([null, [], 'issuers: []', 42])('rejects a document that is not a map (%p)', (raw) => {
    expect(problemsOf(raw)).toEqual([expect.stringContaining('must be a map of keys to values (the configuration)')]);
  });
});

import { ConfigError } from '../../../lambdas/core/errors';
import { validateGatewayConfig, type ValidateGatewayConfigOptions } from '../../../lambdas/core/validate-gateway-config';

type Mutable = { [key: string]: any };

const AWS = { name: 'prod-aws', accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/gatehouse-prod-aws', regions: ['eu-west-1'], services: ['s3', 'dynamodb'] };

function config(awsConnection: Mutable = AWS, extra: Mutable = {}): Mutable {
  return {
    issuers: [{ name: 'github', issuer: 'https://token.actions.githubusercontent.com', audience: ['gatehouse'] }],
    connections: [],
    awsConnections: [awsConnection],
    grants: [{ connection: 'prod-aws', agent: 'repo:acme/app:ref:refs/heads/main' }],
    ...extra,
  };
}

function problemsOf(raw: unknown, options: ValidateGatewayConfigOptions = {}): readonly string[] {
  try {
    validateGatewayConfig(raw, 'test.yaml', options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('awsConnections', () => {
  it('keeps a valid AWS connection, its grant and the credential settings', () => {
    const valid = validateGatewayConfig(config({ ...AWS, endpoints: { s3: 'https://bucket.vpce-1.s3.eu-west-1.vpce.amazonaws.com/' } }, { awsCredentials: { lifetimeSeconds: 1800 } }), 'test.yaml');
    expect(valid.awsConnections).toEqual([{ ...AWS, endpoints: { s3: 'https://bucket.vpce-1.s3.eu-west-1.vpce.amazonaws.com' } }]);
    expect(valid.grants).toEqual([{ connection: 'prod-aws', agent: 'repo:acme/app:ref:refs/heads/main' }]);
    expect(valid.awsCredentials).toEqual({ lifetimeSeconds: 1800 });
  });

  it.each<[string, Mutable, RegExp]>([
    ['an account id that is not 12 digits', { ...AWS, accountId: '1234' }, /accountId "1234".*12-digit/],
    ['a role in another account than accountId', { ...AWS, roleArn: 'arn:aws:iam::999999999999:role/x' }, /account 999999999999 but accountId is 123456789012/],
    ['no regions', { ...AWS, regions: [] }, /regions must list at least one/],
    ['no services', { ...AWS, services: [] }, /services must list at least one/],
    ['a region that is not one', { ...AWS, regions: ['moon-1'] }, /regions entry "moon-1"/],
    ['every service', { ...AWS, services: ['*'] }, /services entry "\*" is not allowed/],
    ['a service name that could shape a host', { ...AWS, services: ['s3.evil.com'] }, /not a service signing name/],
    ['a session longer than role chaining allows', { ...AWS, sessionDurationSeconds: 7200 }, /sessionDurationSeconds/],
    ['an endpoint for a service not listed', { ...AWS, endpoints: { kms: 'https://kms.example.com' } }, /endpoints.kms names a service that is not in services/],
    ['a plain http endpoint', { ...AWS, endpoints: { s3: 'http://s3.example.com' } }, /endpoints.s3 .* must be an https URL/],
    ['an endpoint with credentials', { ...AWS, endpoints: { s3: 'https://u:p@s3.example.com' } }, /must not carry a query, fragment or credentials/],
    ['an unknown key', { ...AWS, service: ['s3'] }, /service/],
  ])('refuses %s', (_label, connection, message) => {
    expect(problemsOf(config(connection))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('accepts http to this machine only in local mode', () => {
    const local = config({ ...AWS, endpoints: { s3: 'http://127.0.0.1:4569' } });
    expect(problemsOf(local)).toEqual([expect.stringMatching(/endpoints.s3 .* (must be an https URL|local address)/)]);
    expect(problemsOf(local, { allowLocalIssuers: true })).toEqual([]);
  });

  it('refuses an AWS connection named like a cluster connection, since routes and grants share names', () => {
    const raw = config(AWS);
    raw.connections = [{ name: 'prod-aws', clusterName: 'c', region: 'eu-west-1', endpoint: 'https://x.gr7.eu-west-1.eks.amazonaws.com', certificateAuthorityData: '', roleArn: 'arn:aws:iam::123456789012:role/c' }];
    expect(problemsOf(raw)).toEqual(expect.arrayContaining([expect.stringMatching(/awsConnections\[0\]: name "prod-aws" is already a cluster connection/)]));
  });

  it('refuses namespaces on a grant of an AWS connection', () => {
    const raw = config(AWS, { grants: [{ connection: 'prod-aws', agent: 'a', namespaces: ['prod'] }] });
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/is an AWS connection: namespaces and impersonateGroups are for clusters/)]);
  });

  it.each<[Mutable, RegExp]>([
    [{ lifetimeSeconds: 60 }, /lifetimeSeconds/],
    [{ maxClockSkewSeconds: 3600 }, /maxClockSkewSeconds/],
    [{ lifetime: 900 }, /lifetime/],
  ])('refuses awsCredentials %o', (awsCredentials, message) => {
    expect(problemsOf(config(AWS, { awsCredentials }))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });
});

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
    ['a name with capitals', { ...AWS, name: 'Prod-AWS' }, /name "Prod-AWS" is not lowercase letters, digits and "-"/],
    ['a name past 63 characters', { ...AWS, name: 'a'.repeat(64) }, /name "a{64}" is not/],
    ['an account id with letters', { ...AWS, accountId: '12345678901a' }, /accountId "12345678901a".*12-digit/],
    ['a user instead of a role', { ...AWS, roleArn: 'arn:aws:iam::123456789012:user/gatehouse' }, /roleArn .* is not an IAM role ARN/],
    ['a role ARN of another service', { ...AWS, roleArn: 'arn:aws:sts::123456789012:assumed-role/x/y' }, /roleArn .* is not an IAM role ARN/],
    ['a region list that is not a list', { ...AWS, regions: 'eu-west-1' }, /regions must be a list of strings/],
    ['a service in capitals', { ...AWS, services: ['S3'] }, /services entry "S3" is not a service signing name/],
    ['a service glob', { ...AWS, services: ['s3*'] }, /services entry "s3\*" is not a service signing name/],
    ['a session shorter than STS allows', { ...AWS, sessionDurationSeconds: 899 }, /sessionDurationSeconds/],
    ['a session that is not a whole number', { ...AWS, sessionDurationSeconds: 1000.5 }, /sessionDurationSeconds/],
    ['an endpoint with a query', { ...AWS, endpoints: { s3: 'https://s3.example.com/?x=1' } }, /must not carry a query, fragment or credentials/],
    ['an endpoint with a fragment', { ...AWS, endpoints: { s3: 'https://s3.example.com/#x' } }, /must not carry a query, fragment or credentials/],
    ['an endpoint that is not a URL', { ...AWS, endpoints: { s3: 'not a url' } }, /endpoints.s3 "not a url" must be an https URL/],
    ['an endpoint that is not text', { ...AWS, endpoints: { s3: 443 } }, /endpoints.s3 must be a URL, got 443/],
    ['a description that is not text', { ...AWS, description: 42 }, /description must be a non-empty string/],
    ['a masking pattern that is not a regular expression', { ...AWS, maskingPatterns: [{ id: 'ours', regex: '(' }] }, /maskingPatterns\[0\].*regex "\(" is not a valid JavaScript regular expression/],
    ['a masking pattern without an id', { ...AWS, maskingPatterns: [{ regex: 'tok_[a-z]+' }] }, /maskingPatterns\[0\].*missing required key "id"/],
  ])('refuses %s', (_label, connection, message) => {
    expect(problemsOf(config(connection))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it.each<[string, Mutable]>([
    ['a role in the China partition', { ...AWS, roleArn: 'arn:aws-cn:iam::123456789012:role/gatehouse', regions: ['cn-north-1'] }],
    ['a role in GovCloud, under a path', { ...AWS, roleArn: 'arn:aws-us-gov:iam::123456789012:role/ops/gatehouse', regions: ['us-gov-west-1'] }],
    ['the longest session role chaining allows', { ...AWS, sessionDurationSeconds: 3600 }],
    ['the shortest session', { ...AWS, sessionDurationSeconds: 900 }],
    ['an endpoint per region', { ...AWS, endpoints: { dynamodb: 'https://dynamodb-fips.{region}.amazonaws.com' } }],
    ['extra masking patterns and a description', { ...AWS, description: 'production account', maskingPatterns: [{ id: 'ours', regex: 'tok_[a-z]+' }] }],
  ])('accepts %s', (_label, connection) => {
    expect(problemsOf(config(connection))).toEqual([]);
  });

  it('keeps the {region} placeholder of an endpoint for the call to fill in', () => {
    const valid = validateGatewayConfig(config({ ...AWS, services: ['dynamodb'], endpoints: { dynamodb: 'https://dynamodb-fips.{region}.amazonaws.com' } }), 'test.yaml');
    expect(valid.awsConnections?.[0]?.endpoints).toEqual({ dynamodb: 'https://dynamodb-fips.{region}.amazonaws.com' });
  });

  it('needs no cluster connection when there are AWS connections', () => {
    const raw = config(AWS);
    delete raw.connections;
    expect(problemsOf(raw)).toEqual([]);
  });

  it('still needs a connection of some kind', () => {
    const raw = config(AWS, { awsConnections: [] });
    delete raw.connections;
    expect(problemsOf(raw)).toEqual(expect.arrayContaining([expect.stringMatching(/missing required key "connections"/)]));
  });

  it('refuses two AWS connections of one name', () => {
    const raw = config(AWS, { awsConnections: [AWS, { ...AWS, accountId: '210987654321', roleArn: 'arn:aws:iam::210987654321:role/x' }] });
    expect(problemsOf(raw)).toEqual(expect.arrayContaining([expect.stringMatching(/awsConnections.*"prod-aws"/)]));
  });

  it('names the AWS connections among the defined ones when a grant names neither kind', () => {
    const raw = config(AWS, { grants: [{ connection: 'prod-aw', agent: 'a' }] });
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/grants\[0\].*connection "prod-aw" is not defined; defined connections: .*prod-aws/)]);
  });

  it('refuses impersonateGroups on a grant of an AWS connection', () => {
    const raw = config(AWS, { grants: [{ connection: 'prod-aws', agent: 'a', impersonateGroups: ['viewers'] }] });
    expect(problemsOf(raw)).toEqual(expect.arrayContaining([expect.stringMatching(/is an AWS connection: namespaces and impersonateGroups are for clusters/)]));
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

  it.each<[unknown, RegExp]>([
    [{ lifetimeSeconds: 60 }, /lifetimeSeconds/],
    [{ maxClockSkewSeconds: 3600 }, /maxClockSkewSeconds/],
    [{ lifetime: 900 }, /lifetime/],
    [{ lifetimeSeconds: 43_201 }, /lifetimeSeconds/],
    [{ maxClockSkewSeconds: 0 }, /maxClockSkewSeconds/],
    ['1h', /awsCredentials/],
  ])('refuses awsCredentials %o', (awsCredentials, message) => {
    expect(problemsOf(config(AWS, { awsCredentials }))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it.each<[Mutable]>([[{ lifetimeSeconds: 900, maxClockSkewSeconds: 1 }], [{ lifetimeSeconds: 43_200, maxClockSkewSeconds: 900 }]])('accepts awsCredentials at its bounds %o', (awsCredentials) => {
    expect(validateGatewayConfig(config(AWS, { awsCredentials }), 'test.yaml').awsCredentials).toEqual(awsCredentials);
  });
});

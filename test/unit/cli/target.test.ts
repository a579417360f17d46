import { EXIT } from '../../../cli/errors';
import { main } from '../../../cli/main';
import { resolveTarget, type AwsFactory } from '../../../cli/target';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { fakeIo } from './fake-io';

const outputs = [
  { OutputKey: 'EndpointUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/' },
  { OutputKey: 'ServerUrlProdEu', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/k8s/prod-eu' },
  { OutputKey: 'ServerUrlStaging', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/k8s/staging' },
  { OutputKey: 'GrantsTableName', OutputValue: 'gh-grants' },
  { OutputKey: 'RecordsTableName', OutputValue: 'gh-records' },
  { OutputKey: 'ReplayBucketName', OutputValue: 'gh-replay' },
];

function fakeAws(describe: () => Promise<unknown>): AwsFactory & { regions: Array<string | undefined> } {
  const regions: Array<string | undefined> = [];
  return {
    regions,
    cloudFormation: (region) => {
      regions.push(region);
      return { send: (() => describe()) as never };
    },
    dynamoDb: (options) => new DynamoDBClient({ ...options, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    s3: (options) => new S3Client({ ...options, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  };
}

describe('resolveTarget for a deployed stack', () => {
  it('reads tables, bucket and the exact connection names from the stack outputs', async () => {
    const aws = fakeAws(async () => ({ Stacks: [{ Outputs: outputs }] }));

    const target = await resolveTarget({ stack: 'Gatehouse', region: 'eu-west-1' }, {}, '/', aws);

    expect(target).toMatchObject({ kind: 'stack', region: 'eu-west-1', grantsTable: 'gh-grants', recordsTable: 'gh-records', replayBucket: 'gh-replay' });
    expect([...target.servers.keys()]).toEqual(['prod-eu', 'staging']);
    expect(target.connections).toBeUndefined();
    expect(aws.regions).toEqual(['eu-west-1']);
  });

  it('points every connection at the session front, trusting its deploy-time CA, when the stack has one', async () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const front = [{ OutputKey: 'SessionFrontUrl', OutputValue: 'https://front.example:443/' }, { OutputKey: 'SessionFrontCaPem', OutputValue: Buffer.from(caPem).toString('base64') }];
    const aws = fakeAws(async () => ({ Stacks: [{ Outputs: [...outputs, ...front] }] }));

    const target = await resolveTarget({ stack: 'Gatehouse', region: 'eu-west-1' }, {}, '/', aws);

    expect([...target.servers.values()]).toEqual(['https://front.example:443/k8s/prod-eu', 'https://front.example:443/k8s/staging']);
    expect(target.caPem).toBe(caPem);
  });

  it('takes the stack from GATEHOUSE_STACK and the region from AWS_REGION', async () => {
    const aws = fakeAws(async () => ({ Stacks: [{ Outputs: outputs }] }));

    const target = await resolveTarget({}, { GATEHOUSE_STACK: 'Gatehouse', AWS_REGION: 'eu-west-1' }, '/', aws);

    expect(target.name).toBe('Gatehouse');
    expect(aws.regions).toEqual(['eu-west-1']);
  });

  it('uses a config output for connection settings when the stack has one', async () => {
    const config = { connections: [{ name: 'prod-eu', clusterName: 'prod', region: 'eu-west-1', endpoint: 'https://x', certificateAuthorityData: 'x', roleArn: 'arn:aws:iam::1:role/r' }], issuers: [{ name: 'github' }] };
    const aws = fakeAws(async () => ({ Stacks: [{ Outputs: [...outputs, { OutputKey: 'ConfigJson', OutputValue: JSON.stringify(config) }] }] }));

    const target = await resolveTarget({ stack: 'Gatehouse', region: 'eu-west-1' }, {}, '/', aws);

    expect(target.connections?.map((c) => c.name)).toEqual(['prod-eu']);
    expect(target.issuers?.map((i) => i.name)).toEqual(['github']);
  });

  it.each<[string, () => Promise<unknown>, RegExp]>([
    ['a missing stack', async () => { throw Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }); }, /Stack "Gatehouse" was not found in eu-west-1/],
    ['no credentials', async () => { throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }); }, /No usable AWS credentials.*aws sso login/],
    ['expired credentials', async () => { throw Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' }); }, /No usable AWS credentials/],
    ['a stack that is not Gatehouse', async () => ({ Stacks: [{ Outputs: [{ OutputKey: 'EndpointUrl', OutputValue: 'https://x' }] }] }), /has no output GrantsTableName/],
  ])('fails with exit code 3 on %s', async (_case, describe, message) => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'sessions', 'list'], { io, aws: fakeAws(describe) });

    expect(code).toBe(EXIT.target);
    expect(io.err()).toMatch(message);
  });

  it('says clearly that a stack does not output connection settings', async () => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'connections', 'list'], { io, aws: fakeAws(async () => ({ Stacks: [{ Outputs: outputs }] })) });

    expect(code).toBe(EXIT.ok);
    expect(io.out()).toMatch(/^prod-eu\s+https:\/\/abc.*\/k8s\/prod-eu$/m);
    expect(io.err()).toMatch(/not their role, cluster or impersonation settings; pass --config/);
  });

  it('writes a GitHub Actions kubeconfig for a stack connection without a CA (public certificate)', async () => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'kubeconfig', '--connection', 'staging', '--github-actions', '--audience', 'sts.gatehouse', '--helper-dir', '/ci/gatehouse/bin'], {
      io, aws: fakeAws(async () => ({ Stacks: [{ Outputs: outputs }] })),
    });

    expect(code).toBe(EXIT.ok);
    expect(io.out()).toContain('server: https://abc.execute-api.eu-west-1.amazonaws.com/v1/k8s/staging');
    expect(io.out()).not.toContain('certificate-authority-data');
    expect(io.out()).toMatch(/command: node\n\s+args:\n\s+- \/ci\/gatehouse\/bin\/gatehouse-github-token.js\n\s+- --audience\n\s+- sts.gatehouse/);
    expect(io.out()).toContain('interactiveMode: Never');
  });

  it('refuses a kubeconfig for a connection the stack does not have (exit 2)', async () => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'kubeconfig', '--connection', 'nope', '--github-actions'], { io, aws: fakeAws(async () => ({ Stacks: [{ Outputs: outputs }] })) });

    expect(code).toBe(EXIT.notFound);
    expect(io.err()).toMatch(/connections: prod-eu, staging/);
  });
});

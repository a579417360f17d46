import { assumeRoleCheck, clusterTokenCheck, impersonationCheck } from '../../../lambdas/core/doctor/connection-checks';
import type { ProbeOutcome } from '../../../lambdas/core/doctor/doctor-check';
import { slackSecretCheck, stateMachineCheck, storeCheck } from '../../../lambdas/core/doctor/store-checks';
import type { ConnectionConfig } from '../../../lambdas/core/gateway-config';
import { roleSessionFor } from '../../../lambdas/core/role-session';

const connection: ConnectionConfig = {
  name: 'prod-eu', clusterName: 'prod', region: 'eu-west-1', endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
  certificateAuthorityData: 'Q0E=', roleArn: 'arn:aws:iam::123456789012:role/teams/gatehouse-prod',
};
const session = roleSessionFor({ issuer: '_gatehouse', agent: 'doctor', session: 's', groups: [], claims: {} }, connection);
const failure = (code: string, message: string, status?: number): ProbeOutcome<never> => ({ ok: false, failure: { code, message, ...(status ? { status } : {}) } });
const answer = (status: number, body: unknown): ProbeOutcome<{ status: number; body: Buffer }> => ({ ok: true, value: { status, body: Buffer.from(JSON.stringify(body)) } });
const review = (username: string) => ({ kind: 'SelfSubjectReview', status: { userInfo: { username, groups: ['g1'] } } });

describe('assumeRoleCheck', () => {
  it.each([
    ['a role that does not trust the proxy', connection, 'is not authorized to perform: sts:AssumeRole on resource: x', /update-assume-role-policy --role-name gatehouse-prod .*TrustPolicyProdEu/],
    ['a trust policy without sts:TagSession', connection, 'is not authorized to perform: sts:TagSession on resource: x', /^Allow sts:TagSession in arn:aws:iam::123456789012:role\/teams\/gatehouse-prod's trust policy/],
    ['a trust policy without sts:SetSourceIdentity', connection, 'is not authorized to perform: sts:SetSourceIdentity on resource: x', /^Allow sts:SetSourceIdentity/],
    ['a stack-created role whose trust was changed by hand', { ...connection, createRole: true }, 'is not authorized to perform: sts:AssumeRole', /run cdk deploy to restore it/],
  ])('names the one fix for %s', (_case, conn, message, fix) => {
    // Act
    const check = assumeRoleCheck(conn, session, failure('AccessDenied', `User: arn:aws:sts::1:assumed-role/p/x ${message}`, 403));

    // Assert
    expect(check.ok).toBe(false);
    expect(check.fix).toMatch(fix);
  });

  it('names an AWS connection\'s own trust policy output (AwsTrustPolicy<Name>) when its role refuses the proxy', () => {
    // Arrange
    const aws = { name: 'prod-aws', roleArn: 'arn:aws:iam::123456789012:role/gatehouse-prod-aws', kind: 'aws' as const };
    // Act
    const check = assumeRoleCheck(aws, session, failure('AccessDenied', 'User: x is not authorized to perform: sts:AssumeRole on resource: y', 403));
    // Assert
    expect(check).toMatchObject({ name: 'AWS connection prod-aws: assume role', ok: false });
    expect(check.fix).toMatch(/update-assume-role-policy --role-name gatehouse-prod-aws .*OutputKey=='AwsTrustPolicyProdAws'/);
  });

  it('says STS could not be reached when it never answered', () => {
    // Act
    const check = assumeRoleCheck(connection, session, failure('ETIMEDOUT', 'connect ETIMEDOUT'));

    // Assert
    expect(check.fix).toMatch(/^Let the proxy reach AWS STS/);
  });

  it('passes with the session name, source identity and tag count agents get', () => {
    // Act
    const check = assumeRoleCheck(connection, session, { ok: true, value: {} });

    // Assert
    expect(check).toEqual({ name: 'connection prod-eu: assume role', ok: true, detail: expect.stringContaining('source identity _gatehouse.doctor and 4 session tags') });
  });
});

describe('clusterTokenCheck', () => {
  it.each([
    ['401 without an access entry', connection, 401, /aws eks create-access-entry --cluster-name prod --principal-arn arn:aws:iam::123456789012:role\/teams\/gatehouse-prod/],
    ['401 with the stack\'s access entry', { ...connection, accessEntry: { kubernetesGroups: ['g'] } }, 401, /^The stack's access entry maps .* set clusterName \(now "prod"\)/],
    ['403', connection, 403, /system:basic-user/],
    ['404', connection, 404, /aws eks describe-cluster --name prod --query cluster.endpoint/],
  ])('names the fix for %s', (_case, conn, status, fix) => {
    // Act
    const check = clusterTokenCheck(conn, answer(status, { kind: 'Status', message: 'Unauthorized' }));

    // Assert
    expect(check.ok).toBe(false);
    expect(check.detail).toBe(`the cluster answered ${status}: Unauthorized`);
    expect(check.fix).toMatch(fix);
  });

  it.each([
    ['a certificate that does not verify', 'presented a TLS certificate that does not verify', /certificateAuthorityData .* aws eks describe-cluster --name prod --query cluster.certificateAuthority.data/],
    ['an endpoint that cannot be reached', 'could not be reached (ECONNREFUSED)', /^Let the proxy reach https:\/\/ABC/],
  ])('names the fix for %s', (_case, message, fix) => {
    // Act
    const check = clusterTokenCheck(connection, failure('ServiceUnavailableError', message));

    // Assert
    expect(check.fix).toMatch(fix);
  });

  it('says who the cluster sees', () => {
    // Act
    const check = clusterTokenCheck(connection, answer(201, review('arn:aws:sts::1:assumed-role/gatehouse-prod/_gatehouse.doctor')));

    // Assert
    expect(check).toMatchObject({ ok: true, detail: 'the cluster sees user "arn:aws:sts::1:assumed-role/gatehouse-prod/_gatehouse.doctor" in groups [g1]' });
  });
});

describe('impersonationCheck', () => {
  it.each([
    ['the cluster sees the doctor user', answer(201, review('gatehouse:doctor')), true, undefined],
    ['the role may not impersonate', answer(403, { kind: 'Status', message: 'cannot impersonate' }), false, /connections rbac prod-eu \| kubectl apply -f -/],
    ['the headers were dropped on the way', answer(201, review('someone-else')), false, /drops Impersonate-\* headers/],
  ])('when %s', (_case, outcome, ok, fix) => {
    // Act
    const check = impersonationCheck(connection, 'gatehouse:doctor', outcome);

    // Assert
    expect(check.ok).toBe(ok);
    if (fix) expect(check.fix).toMatch(fix);
  });
});

describe('store checks', () => {
  const store = { kind: 'records table', resource: 'gh-records', operation: 'a stream lease' };
  it.each([
    ['access denied', failure('AccessDeniedException', 'not authorized to perform: dynamodb:PutItem', 400), /^Restore the proxy's permissions on gh-records: cdk deploy/],
    ['a KMS refusal', failure('KMSAccessDeniedException', 'kms:Decrypt denied', 400), /KMS key/],
    ['a deleted table', failure('ResourceNotFoundException', 'Requested resource not found', 400), /gone .* cdk deploy recreates it/],
    ['no network', failure('ECONNREFUSED', 'connect ECONNREFUSED'), /gateway endpoint/],
  ])('names the fix for %s', (_case, outcome, fix) => {
    // Act
    const check = storeCheck(store, outcome);

    // Assert
    expect(check.fix).toMatch(fix);
  });

  it('tells a proxy in a VPC without a route to Data Firehose to add its interface endpoint', () => {
    const check = storeCheck({ kind: 'replay delivery stream', resource: 'gh-replay', operation: 'PutRecord' }, failure('ETIMEDOUT', 'connect ETIMEDOUT'));

    expect(check.fix).toMatch(/^Let the proxy reach Data Firehose \(ETIMEDOUT\): in a VPC, add an interface endpoint for firehose/);
  });

  it.each([
    [{ ok: true, value: { status: 'ACTIVE' } } as const, true],
    [{ ok: true, value: { status: 'DELETING' } } as const, false],
    [failure('StateMachineDoesNotExist', 'gone', 400), false],
  ])('judges the state machine from %j', (outcome, ok) => {
    // Act / Assert
    expect(stateMachineCheck('arn:sm', outcome).ok).toBe(ok);
  });
});

describe('slackSecretCheck', () => {
  const secret = { what: 'bot token', field: 'botTokenSecretArn', secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:bot-AbCdEf' } as const;
  it.each([
    ['a stack-created secret with only its first version', { ...secret, createdByStack: true }, { labelledVersions: 1, hasCurrent: true }, false],
    ['a stack-created secret that was put since', { ...secret, createdByStack: true }, { labelledVersions: 2, hasCurrent: true }, true],
    ['a configured secret with a value', { ...secret, createdByStack: false }, { labelledVersions: 1, hasCurrent: true }, true],
    ['a configured secret without any value', { ...secret, createdByStack: false }, { labelledVersions: 0, hasCurrent: false }, false],
  ])('judges %s', (_case, under, metadata, ok) => {
    // Act
    const check = slackSecretCheck(under, { ok: true, value: metadata });

    // Assert
    expect(check.ok).toBe(ok);
    if (!ok) expect(check.fix).toBe("aws secretsmanager put-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:1:secret:bot-AbCdEf --secret-string 'xoxb-...'");
  });

  it('says how to get a secret the configuration names but that does not exist', () => {
    // Act
    const check = slackSecretCheck({ ...secret, createdByStack: false }, failure('ResourceNotFoundException', "can't find the specified secret", 400));

    // Assert
    expect(check.fix).toMatch(/^Remove approvals.slack.botTokenSecretArn from the configuration and cdk deploy/);
  });
});

import { Buffer } from 'node:buffer';
import { classifyAwsRequest } from '../../../lambdas/core/aws/classify-aws-request';
import type { AwsCallInput, AwsRequestInfo } from '../../../lambdas/core/aws/aws-request-info';

const ACCOUNT = '111122223333';
const FORM = { 'content-type': ['application/x-www-form-urlencoded; charset=utf-8'] };

/** A query-protocol POST as the SDK sends it: the parameters in a URL-encoded form body. */
function formCall(service: string, body: string, extra: Partial<AwsCallInput> = {}): AwsCallInput {
  return { method: 'POST', path: '/', query: [], headers: FORM, body: Buffer.from(body), service, region: 'us-east-1', accountId: ACCOUNT, ...extra };
}

function getCall(service: string, query: [string, string][]): AwsCallInput {
  return { method: 'GET', path: '/', query, headers: {}, body: Buffer.alloc(0), service, region: 'us-east-1', accountId: ACCOUNT };
}

const ROLE = 'arn:aws:iam::444455556666:role/deployer';

describe('classifyAwsRequest: query services', () => {
  it.each<[string, string, string, Partial<AwsRequestInfo>]>([
    ['STS AssumeRole names its role', 'sts', `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=run-1`,
      { protocol: 'awsQuery', action: 'AssumeRole', iamAction: 'sts:AssumeRole', resources: [ROLE], params: { RoleArn: ROLE, RoleSessionName: 'run-1' }, summary: `sts:AssumeRole ${ROLE}` }],
    ['STS GetCallerIdentity names none', 'sts', 'Action=GetCallerIdentity&Version=2011-06-15', { action: 'GetCallerIdentity', resources: [], params: {} }],
    ['IAM CreateUser, with no region in the ARN', 'iam', 'Action=CreateUser&Version=2010-05-08&UserName=bob',
      { action: 'CreateUser', resources: [`arn:aws:iam::${ACCOUNT}:user/bob`] }],
    ['IAM CreateAccessKey', 'iam', 'Action=CreateAccessKey&UserName=bob', { action: 'CreateAccessKey', resources: [`arn:aws:iam::${ACCOUNT}:user/bob`] }],
    ['IAM CreateLoginProfile', 'iam', 'Action=CreateLoginProfile&UserName=bob&Password=x', { action: 'CreateLoginProfile', resources: [`arn:aws:iam::${ACCOUNT}:user/bob`] }],
    ['IAM AttachRolePolicy names the role, then the policy', 'iam', `Action=AttachRolePolicy&RoleName=app&PolicyArn=${encodeURIComponent('arn:aws:iam::aws:policy/AdministratorAccess')}`,
      { action: 'AttachRolePolicy', resources: [`arn:aws:iam::${ACCOUNT}:role/app`, 'arn:aws:iam::aws:policy/AdministratorAccess'] }],
    ['IAM AddUserToGroup names the group, then the user', 'iam', 'Action=AddUserToGroup&GroupName=admins&UserName=bob',
      { action: 'AddUserToGroup', resources: [`arn:aws:iam::${ACCOUNT}:group/admins`, `arn:aws:iam::${ACCOUNT}:user/bob`] }],
    ['IAM ListUsers names none', 'iam', 'Action=ListUsers&Version=2010-05-08', { action: 'ListUsers', resources: [] }],
    ['SNS Publish names its topic', 'sns', `Action=Publish&TopicArn=${encodeURIComponent('arn:aws:sns:us-east-1:111122223333:alerts')}&Message=hi`,
      { action: 'Publish', resources: ['arn:aws:sns:us-east-1:111122223333:alerts'] }],
    ['SNS CreateTopic by name', 'sns', 'Action=CreateTopic&Name=alerts', { action: 'CreateTopic', resources: [`arn:aws:sns:us-east-1:${ACCOUNT}:alerts`] }],
    ['EC2 TerminateInstances names each instance', 'ec2', 'Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2',
      { action: 'TerminateInstances', resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`, `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-2`] }],
    ['EC2 DescribeVpcs, any PascalCase action', 'ec2', 'Action=DescribeVpcs&Version=2016-11-15', { action: 'DescribeVpcs', resources: [] }],
    ['SQS spoken as query', 'sqs', `Action=SendMessage&QueueUrl=${encodeURIComponent('https://sqs.us-east-1.amazonaws.com/111122223333/jobs')}&MessageBody=x`,
      { protocol: 'awsQuery', action: 'SendMessage', resources: ['arn:aws:sqs:us-east-1:111122223333:jobs'] }],
  ])('classifies %s', (_case, service, body, expected) => {
    expect(classifyAwsRequest(formCall(service, body))).toMatchObject({ service, ...expected });
  });

  it('reads the Action of a GET from the query string', () => {
    const info = classifyAwsRequest(getCall('iam', [['Action', 'GetUser'], ['UserName', 'bob'], ['Version', '2010-05-08']]));
    expect(info).toMatchObject({ protocol: 'awsQuery', action: 'GetUser', params: { UserName: 'bob' }, resources: [`arn:aws:iam::${ACCOUNT}:user/bob`] });
  });

  it('keeps member.N lists as the flat keys the service receives', () => {
    const info = classifyAwsRequest(formCall('iam', 'Action=TagUser&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=a+b%2Fc'));
    expect(info.params).toEqual({ UserName: 'bob', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'a b/c' });
  });

  it('builds IAM ARNs in the partition of a China region', () => {
    const info = classifyAwsRequest({ ...formCall('iam', 'Action=DeleteRole&RoleName=app'), region: 'cn-north-1' });
    expect(info.resources).toEqual([`arn:aws-cn:iam::${ACCOUNT}:role/app`]);
  });

  it.each<[string, AwsCallInput]>([
    ['an Action in the query string that disagrees with the form body', formCall('iam', 'Action=ListUsers', { query: [['Action', 'DeleteUser']] })],
    ['an Action in the query string that agrees with the form body', formCall('iam', 'Action=ListUsers', { query: [['Action', 'ListUsers']] })],
    ['another parameter in the query string of a form POST', formCall('sts', `Action=AssumeRole&RoleArn=${encodeURIComponent(ROLE)}`, { query: [['RoleArn', 'arn:aws:iam::1:role/other']] })],
  ])('gives an unknown action for %s, as which one the service acts on cannot be told', (_case, input) => {
    expect(classifyAwsRequest(input).action).toBe('');
  });

  it('still shows the form body as params when the query string makes the call ambiguous', () => {
    const info = classifyAwsRequest(formCall('iam', 'Action=ListUsers', { query: [['Action', 'DeleteUser']] }));
    expect(info.params).toEqual({});
  });

  it.each<[string, string]>([
    ['an Action given twice', 'Action=ListUsers&Action=DeleteUser'],
    ['another parameter given twice', 'Action=DeleteUser&UserName=a&UserName=b'],
    ['a bad percent escape', 'Action=CreateUser&UserName=%E0%A4%A'],
    ['an escape that is not UTF-8', 'Action=CreateUser&UserName=%FF'],
    ['raw bytes outside form encoding', 'Action=CreateUser&UserName=b\u00f6b'],
  ])('leaves params undefined and the action unknown for %s', (_case, body) => {
    expect(classifyAwsRequest(formCall('iam', body))).toMatchObject({ action: '', params: undefined, resources: [] });
  });

  it.each<[string, AwsCallInput]>([
    ['an operation the table does not know', formCall('iam', 'Action=CreateUserEverywhere&UserName=bob')],
    ['an operation in another case', formCall('iam', 'Action=createuser&UserName=bob')],
    ['an EC2 action that is not PascalCase', formCall('ec2', 'Action=terminateInstances&InstanceId.1=i-1')],
    ['no Action', formCall('sts', 'Version=2011-06-15')],
    ['a POST that is not a form', formCall('iam', 'Action=ListUsers', { headers: { 'content-type': ['application/json'] } })],
    ['a PUT', formCall('iam', 'Action=ListUsers', { method: 'PUT' })],
  ])('gives an unknown action for %s', (_case, input) => {
    expect(classifyAwsRequest(input)).toMatchObject({ action: '', iamAction: `${input.service}:` });
  });
});

describe('classifyAwsRequest: services without a table', () => {
  const ecs = (target: string): AwsCallInput => ({
    method: 'POST', path: '/', query: [], headers: { 'x-amz-target': [target], 'content-type': ['application/x-amz-json-1.1'] },
    body: Buffer.from('{"cluster":"prod"}'), service: 'ecs', region: 'us-east-1', accountId: ACCOUNT,
  });

  it('reads a JSON target of the PascalCase shape, as the service dispatches on it', () => {
    expect(classifyAwsRequest(ecs('AmazonEC2ContainerServiceV20141113.DeleteCluster'))).toMatchObject({
      protocol: 'awsJson1_1', action: 'DeleteCluster', iamAction: 'ecs:DeleteCluster', resources: [], params: { cluster: 'prod' },
    });
  });

  it.each(['AmazonEC2ContainerServiceV20141113.deleteCluster', 'DeleteCluster', 'bad prefix!.DeleteCluster'])('gives an unknown action for the target %s', (target) => {
    expect(classifyAwsRequest(ecs(target)).action).toBe('');
  });

  it('reads the Action of a form POST as awsQuery', () => {
    expect(classifyAwsRequest(formCall('cloudformation', 'Action=DeleteStack&StackName=app'))).toMatchObject({
      protocol: 'awsQuery', action: 'DeleteStack', params: { StackName: 'app' },
    });
  });

  it('does not read an Action from the query string of a call that may be REST', () => {
    expect(classifyAwsRequest(getCall('eks', [['Action', 'DeleteCluster']]))).toMatchObject({ protocol: 'restJson1', action: '', params: undefined });
  });

  it('gives a REST call an unknown action', () => {
    const input: AwsCallInput = { ...getCall('eks', []), path: '/clusters/prod', method: 'DELETE' };
    expect(classifyAwsRequest(input)).toMatchObject({ service: 'eks', protocol: 'restJson1', action: '', iamAction: 'eks:', summary: 'eks:' });
  });
});

describe('classifyAwsRequest: SQS, which speaks JSON and query', () => {
  it('reads a JSON call without a target as an unknown JSON call, not as query', () => {
    const input: AwsCallInput = { ...formCall('sqs', '{"QueueUrl":"x"}'), headers: { 'content-type': ['application/x-amz-json-1.0'] } };
    expect(classifyAwsRequest(input)).toMatchObject({ protocol: 'awsJson1_0', action: '' });
  });

  it('reads a GET with an Action as query', () => {
    expect(classifyAwsRequest(getCall('sqs', [['Action', 'ListQueues']]))).toMatchObject({ protocol: 'awsQuery', action: 'ListQueues' });
  });
});

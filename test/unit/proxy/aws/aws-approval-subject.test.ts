import type { AgentIdentity } from '../../../../lambdas/core/agent-identity';
import { awsApprovalSubjectFor, type AwsApprovalSubjectInput } from '../../../../lambdas/core/approvals/aws-approval-subject';
import type { AwsRequestInfo } from '../../../../lambdas/core/aws/aws-request-info';

const identity = { issuer: 'gh', agent: 'deployer', session: 'run-1', groups: [], claims: {} } as unknown as AgentIdentity;
const info = (action: string): AwsRequestInfo => ({
  service: 'secretsmanager', region: 'us-east-1', protocol: 'awsJson1_1', action, iamAction: `secretsmanager:${action}`,
  resources: ['arn:aws:secretsmanager:us-east-1:111122223333:secret:db'], params: {}, summary: `secretsmanager:${action} arn:aws:secretsmanager:us-east-1:111122223333:secret:db`,
});
const body = Buffer.from('{"SecretId":"db","SecretString":"hunter2-new-password"}');
const input = (over: Partial<AwsApprovalSubjectInput> = {}): AwsApprovalSubjectInput => ({
  requestId: 'r1', identity, connection: 'prod-aws', method: 'POST', path: '/', query: [], contentType: 'application/x-amz-json-1.1',
  info: info('PutSecretValue'), body, maskedBody: Buffer.from('{"SecretId":"db","SecretString":"***MASKED***"}'), ruleId: 'aws-baseline/secret-writes', ruleMessage: 'ask',
  ...over,
});

describe('awsApprovalSubjectFor', () => {
  it('gives the same call the same fingerprint, so an approval lets exactly that call through', () => {
    expect(awsApprovalSubjectFor(input()).fingerprint).toBe(awsApprovalSubjectFor(input({ requestId: 'r2' })).fingerprint);
  });

  it.each([
    ['another action with the same body (JSON protocols name it only in X-Amz-Target)', { info: info('UpdateSecret') }],
    ['another body', { body: Buffer.from('{"SecretId":"db","SecretString":"other"}') }],
    ['another agent', { identity: { ...identity, agent: 'other' } as AgentIdentity }],
    ['another query', { query: [['versionId', '2']] as const }],
  ])('gives %s another fingerprint', (_label, over) => {
    expect(awsApprovalSubjectFor(input(over)).fingerprint).not.toBe(awsApprovalSubjectFor(input()).fingerprint);
  });

  it('shows the approver the masked body, never the secret being written', () => {
    const subject = awsApprovalSubjectFor(input());
    const shown = JSON.stringify(subject.whatRuns);
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('***MASKED***');
    expect(subject.summary).toBe('secretsmanager:PutSecretValue arn:aws:secretsmanager:us-east-1:111122223333:secret:db');
  });
});

describe('what an approver sees of an AWS call', () => {
  it('shows a query call\'s parameters, masked', () => {
    const form = 'Action=CreateLoginProfile&UserName=ci&Password=***MASKED***&Version=2010-05-08';
    const subject = awsApprovalSubjectFor(input({ contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: Buffer.from(form.replace('***MASKED***', 'pw-123')), maskedBody: Buffer.from(form) }));
    const shown = JSON.stringify(subject.whatRuns);
    expect(shown).toContain('CreateLoginProfile');
    expect(shown).not.toContain('pw-123');
  });
});

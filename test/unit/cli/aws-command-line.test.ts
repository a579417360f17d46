import { awsCommandLine, commandLine } from '../../../cli/transcript';
import type { RequestRecord } from '../../../cli/types';

const record = (over: Partial<RequestRecord>): RequestRecord => ({ pk: 'request#1', requestId: 'r1', startedAt: '2026-12-02T10:00:00Z', method: 'POST', path: '/', ...over });

describe('the AWS CLI command of a recorded AWS call', () => {
  it.each([
    [{ awsService: 'dynamodb', awsAction: 'GetItem', awsRegion: 'us-east-1', awsResources: ['arn:aws:dynamodb:us-east-1:1:table/orders'] }, 'aws dynamodb get-item --region us-east-1  # arn:aws:dynamodb:us-east-1:1:table/orders'],
    [{ awsService: 's3', awsAction: 'ListObjectsV2', awsRegion: 'eu-west-1', awsResources: ['arn:aws:s3:::b'] }, 'aws s3api list-objects-v2 --region eu-west-1  # arn:aws:s3:::b'],
    [{ awsService: 'sts', awsAction: 'GetCallerIdentity', awsRegion: 'us-east-1' }, 'aws sts get-caller-identity --region us-east-1'],
    [{ awsService: 'kms', awsAction: 'GenerateDataKeyWithoutPlaintext', awsRegion: 'us-east-1' }, 'aws kms generate-data-key-without-plaintext --region us-east-1'],
  ])('reads %o as %s', (over, expected) => {
    expect(commandLine(record(over))).toBe(expected);
  });

  it('says when the action could not be told, with what was sent', () => {
    expect(awsCommandLine(record({ awsService: 'dynamodb', awsAction: '', awsRegion: 'us-east-1', method: 'POST', path: '/' }))).toBe('aws dynamodb <unknown action: POST /> --region us-east-1');
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { EXIT } from '../../../cli/errors';
import { main } from '../../../cli/main';
import type { AwsFactory } from '../../../cli/target';
import { fakeIo } from './fake-io';

const BASE = [
  { OutputKey: 'EndpointUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/' },
  { OutputKey: 'GrantsTableName', OutputValue: 'gh-grants' },
  { OutputKey: 'RecordsTableName', OutputValue: 'gh-records' },
  { OutputKey: 'ReplayBucketName', OutputValue: 'gh-replay' },
];
const INTERACTIONS = 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/slack/interactions';

function stackWith(outputs: Array<{ OutputKey: string; OutputValue: string }>): AwsFactory {
  return {
    cloudFormation: () => ({ send: (async () => ({ Stacks: [{ Outputs: outputs }] })) as never }),
    dynamoDb: (options) => new DynamoDBClient({ ...options, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    s3: (options) => new S3Client({ ...options, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  };
}

describe('gatehouse slack manifest', () => {
  it('prints a manifest whose interactivity Request URL is the stack\'s SlackInteractionsUrl output', async () => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'slack', 'manifest', '--name', 'Acme Gatehouse'], {
      io, aws: stackWith([...BASE, { OutputKey: 'SlackInteractionsUrl', OutputValue: INTERACTIONS }]),
    });

    expect(code).toBe(EXIT.ok);
    const manifest = parse(io.out());
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: INTERACTIONS });
    expect(manifest.display_information.name).toBe('Acme Gatehouse');
  });

  it('says to configure approvals when the stack has no Slack route, exiting 3', async () => {
    const io = fakeIo();

    const code = await main(['--stack', 'Gatehouse', '--region', 'eu-west-1', 'slack', 'manifest'], { io, aws: stackWith(BASE) });

    expect(code).toBe(EXIT.target);
    expect(io.err()).toContain('Stack Gatehouse has no SlackInteractionsUrl output: approvals are not configured.');
  });
});

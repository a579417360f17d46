import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RecordStore } from '../core/ports';
import type { RecordKey } from '../core/session-record';

/** Options of the DynamoDB record store. */
export interface DynamoDbRecordStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Writes session records, keyed by session and start (`RecordKey`). The intent is a conditional put (a request
 * is never recorded twice, so a retried Lambda cannot overwrite what an earlier attempt recorded); completion is a
 * conditional update of that item.
 */
export function createDynamoDbRecordStore(options: DynamoDbRecordStoreOptions): RecordStore {
  const { client, tableName } = options;
  const put = async (item: Record<string, unknown>) => {
    await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  };
  return {
    putIntent: put,
    putFinal: put,
    async complete(key: RecordKey, attributes) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets = Object.entries(attributes)
        .filter(([, v]) => v !== undefined)
        .map(([key, value], i) => {
          names[`#a${i}`] = key;
          values[`:v${i}`] = value;
          return `#a${i} = :v${i}`;
        });
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: key.pk, startedAtId: key.startedAtId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
  };
}

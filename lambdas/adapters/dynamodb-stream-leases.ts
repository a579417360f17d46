import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StreamLeases } from '../core/ports';
import { liveLeases, SINGLE_ITEM_SORT_KEY, STREAM_LEASE_KEY_PREFIX } from '../core/stream-lease';

/** Options of the DynamoDB stream leases. */
export interface DynamoDbStreamLeasesOptions {
  readonly client: DynamoDBDocumentClient;
  /** The records table: one small item per agent, keyed `lease#...`, which no index projects. */
  readonly tableName: string;
  /**
   * Tries before giving up when other streams of the same agent change the item at the same moment (an
   * informer starting opens one watch per resource at once). @default 12
   */
  readonly attempts?: number;
  readonly now?: () => Date;
}

/**
 * One item per agent holds its live leases as a map of lease id to expiry (epoch seconds) and a version.
 * Taking a lease is a consistent read, then a put conditioned on the version read (optimistic locking), so two
 * streams opened at once cannot both take the last place; expired leases (a Lambda that died mid-stream) are
 * dropped on the way. Giving one back removes it and bumps the version, so a concurrent taker that read the
 * old map retries instead of writing the released lease back.
 */
export function createDynamoDbStreamLeases(options: DynamoDbStreamLeasesOptions): StreamLeases {
  const { client, tableName } = options;
  const attempts = options.attempts ?? 12;
  const now = options.now ?? (() => new Date());
  const pk = (key: string) => `${STREAM_LEASE_KEY_PREFIX}${key}`;
  return {
    async acquire(key, leaseId, expiresAt, cap) {
      for (let attempt = 1; ; attempt++) {
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk: pk(key), startedAtId: SINGLE_ITEM_SORT_KEY }, ConsistentRead: true }));
        const version = typeof Item?.version === 'number' ? Item.version : 0;
        const live = liveLeases(Item?.leases, now());
        const count = Object.keys(live).length;
        if (count >= cap) return { acquired: false, live: count };
        const leases = { ...live, [leaseId]: Math.ceil(expiresAt.getTime() / 1000) };
        try {
          await client.send(new PutCommand({
            TableName: tableName,
            Item: { pk: pk(key), startedAtId: SINGLE_ITEM_SORT_KEY, leases, version: version + 1, expiresAtEpoch: Math.max(...Object.values(leases)) + 3600 },
            ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
            ExpressionAttributeValues: { ':version': version },
          }));
          return { acquired: true, live: count };
        } catch (error) {
          if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException') || attempt >= attempts) throw error;
          // Someone else changed the item: back off a little, with jitter, so the racers spread out.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        }
      }
    },

    async release(key, leaseId) {
      try {
        await client.send(new UpdateCommand({
          TableName: tableName,
          Key: { pk: pk(key), startedAtId: SINGLE_ITEM_SORT_KEY },
          UpdateExpression: 'REMOVE leases.#lease SET version = version + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#lease': leaseId },
          ExpressionAttributeValues: { ':one': 1 },
        }));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
      }
    },
  };
}

import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LiveSessionEntry, LiveSessionRegistry } from '../core/ports';
import { LIVE_SESSIONS_KEY_PREFIX, SINGLE_ITEM_SORT_KEY } from '../core/stream-lease';

/** The one item, in the records table, that lists every open session (records are `session#...`, leases `lease#...`). */
export const LIVE_SESSIONS_KEY = `${LIVE_SESSIONS_KEY_PREFIX}sessions`;

const ATTRIBUTE_PREFIX = 's_';

/**
 * Live sessions as attributes of one item: `s_<requestId>` per session (top-level attributes, so the first one
 * needs no parent map). One strongly consistent GetItem lists them all, which is what a front's checks and the
 * operator CLI read; DynamoDB's 400 KB item limit bounds this at about a thousand concurrent sessions.
 */
export function createDynamoDbLiveSessions(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }): LiveSessionRegistry {
  const { client, tableName } = options;
  const Key = { pk: LIVE_SESSIONS_KEY, startedAtId: SINGLE_ITEM_SORT_KEY };
  return {
    async register(entry) {
      await client.send(new UpdateCommand({
        TableName: tableName, Key, UpdateExpression: 'SET #s = :e', ExpressionAttributeNames: { '#s': ATTRIBUTE_PREFIX + entry.requestId }, ExpressionAttributeValues: { ':e': entry },
      }));
    },
    async unregister(requestId) {
      await client.send(new UpdateCommand({ TableName: tableName, Key, UpdateExpression: 'REMOVE #s', ExpressionAttributeNames: { '#s': ATTRIBUTE_PREFIX + requestId } }));
    },
    async list(now) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      const nowSeconds = now.getTime() / 1000;
      return Object.entries(Item ?? {})
        .filter(([name, value]) => name.startsWith(ATTRIBUTE_PREFIX) && typeof value === 'object' && value !== null)
        .map(([, value]) => value as LiveSessionEntry)
        .filter((entry) => entry.expiresAt > nowSeconds)
        .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    },
    async requestEnd(requestId, by, reason) {
      try {
        await client.send(new UpdateCommand({
          TableName: tableName, Key,
          UpdateExpression: reason ? 'SET #s.endRequestedBy = :by, #s.endReason = :reason' : 'SET #s.endRequestedBy = :by',
          ConditionExpression: 'attribute_exists(#s)',
          ExpressionAttributeNames: { '#s': ATTRIBUTE_PREFIX + requestId },
          ExpressionAttributeValues: { ':by': by, ...(reason ? { ':reason': reason } : {}) },
        }));
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
  };
}

import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Grant, GrantItem } from '../core/grant';
import type { GrantStore } from '../core/ports';

/** Options of the DynamoDB grant store. */
export interface DynamoDbGrantStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a connection's grants are reused in this Lambda. Bounds how late a revocation bites. @default 5000 */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/**
 * Reads a connection's grants with one Query on its partition and keeps them for a few seconds: a busy
 * agent costs one DynamoDB read per connection every `cacheMs`, and a revoked grant stops working within
 * that time without a redeploy. Concurrent cold reads share one Query.
 */
export function createDynamoDbGrantStore(options: DynamoDbGrantStoreOptions): GrantStore {
  const cacheMs = options.cacheMs ?? 5000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { readonly at: number; readonly grants: Promise<readonly Grant[]> }>();
  async function load(connection: string): Promise<readonly Grant[]> {
    const grants: Grant[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await options.client.send(
        new QueryCommand({
          TableName: options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `conn#${connection}` },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as GrantItem[]) grants.push(toGrant(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return grants;
  }
  return {
    grantsFor(connection) {
      const hit = cache.get(connection);
      if (hit && now() - hit.at < cacheMs) return hit.grants;
      const grants = load(connection);
      const entry = { at: now(), grants };
      cache.set(connection, entry);
      // A failed read must not be cached: the next request tries again. Only this read's own entry goes: a
      // slow read that fails after a fresh one replaced it must not evict the fresh one.
      grants.catch(() => {
        if (cache.get(connection) === entry) cache.delete(connection);
      });
      return grants;
    },
  };
}

function toGrant(item: GrantItem): Grant {
  const { pk: _pk, sk: _sk, principalKey: _pkey, expiresAtEpoch: _ttl, ...grant } = item;
  return grant;
}

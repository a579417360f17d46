import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, ScanCommand, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { GrantItem } from '../lambdas/core/grant';
import { CliError, EXIT, fromAwsError } from './errors';
import type { Target } from './target';

/** Which grants to list. */
export interface GrantFilters {
  readonly connection?: string;
  /** `agent#<principal>` or `group#<principal>`: the exact stored principal (a glob is matched literally). */
  readonly principalKey?: string;
}

/** Writes a new grant; never overwrites one with the same id. */
export async function putGrant(target: Target, item: GrantItem): Promise<void> {
  try {
    await target.documents.send(new PutCommand({ TableName: target.grantsTable, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
      throw new CliError(`A grant with id ${item.grantId} already exists on connection ${item.connection}; pick another --id or leave it out.`, EXIT.usage);
    }
    throw fromAwsError(error, `grants table ${target.grantsTable}`);
  }
}

/**
 * Lists grants: one connection's partition, one principal's grants through the `by-principal` index
 * (whose sort key is the connection partition, so both filters together are one Query), or a Scan of the
 * whole (small) table.
 */
export async function listGrants(target: Target, filters: GrantFilters): Promise<GrantItem[]> {
  if (filters.principalKey) {
    const connection = filters.connection ? ' AND pk = :pk' : '';
    return query(target, {
      TableName: target.grantsTable, IndexName: 'by-principal',
      KeyConditionExpression: `principalKey = :principal${connection}`,
      ExpressionAttributeValues: { ':principal': filters.principalKey, ...(filters.connection ? { ':pk': `conn#${filters.connection}` } : {}) },
    });
  }
  if (filters.connection) {
    return query(target, { TableName: target.grantsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `conn#${filters.connection}` }, ConsistentRead: true });
  }
  return scan(target, { TableName: target.grantsTable });
}

/** Every stored grant with this id (normally one), optionally within one connection. */
export async function findGrant(target: Target, grantId: string, connection?: string): Promise<GrantItem[]> {
  if (connection) {
    return query(target, {
      TableName: target.grantsTable, KeyConditionExpression: 'pk = :pk', FilterExpression: 'grantId = :id',
      ExpressionAttributeValues: { ':pk': `conn#${connection}`, ':id': grantId }, ConsistentRead: true,
    });
  }
  return scan(target, { TableName: target.grantsTable, FilterExpression: 'grantId = :id', ExpressionAttributeValues: { ':id': grantId }, ConsistentRead: true });
}

/** Deletes a grant item; false when it was already gone. */
export async function deleteGrant(target: Target, item: Pick<GrantItem, 'pk' | 'sk'>): Promise<boolean> {
  try {
    await target.documents.send(new DeleteCommand({ TableName: target.grantsTable, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw fromAwsError(error, `grants table ${target.grantsTable}`);
  }
}

async function query(target: Target, input: QueryCommandInput): Promise<GrantItem[]> {
  return allPages(target, (start) => target.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start })));
}

async function scan(target: Target, input: ScanCommandInput): Promise<GrantItem[]> {
  return allPages(target, (start) => target.documents.send(new ScanCommand({ ...input, ExclusiveStartKey: start })));
}

/** Follows LastEvaluatedKey to the end; AWS errors become messages that name the grants table. */
async function allPages(
  target: Target,
  page: (start: Record<string, unknown> | undefined) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
): Promise<GrantItem[]> {
  const items: GrantItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    try {
      const result = await page(start);
      items.push(...((result.Items ?? []) as unknown as GrantItem[]));
      start = result.LastEvaluatedKey;
    } catch (error) {
      throw fromAwsError(error, `grants table ${target.grantsTable}`);
    }
  } while (start);
  return items;
}

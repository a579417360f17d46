import type { DynamoDBDocumentClient, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbGrantStore } from '../../../lambdas/adapters/dynamodb-grant-store';
import type { GrantItem } from '../../../lambdas/core/grant';

/**
 * "A revoked grant stops working within 5 seconds": the grant store's cache, over a fake DynamoDB document
 * client that answers Query from an in-memory table (one partition per connection, paged like DynamoDB when
 * asked to) and notes every Query it was sent. The clock is injected.
 */

function item(connection: string, grantId: string, principal = 'acme/app'): GrantItem {
  return {
    pk: `conn#${connection}`, sk: `agent#${principal}#${grantId}`, principalKey: `agent#${principal}`, expiresAtEpoch: 1_900_000_000,
    grantId, connection, principalType: 'agent', principal, issuer: 'github', createdAt: '2026-01-01T00:00:00Z', createdBy: 'ops', source: 'cli',
  };
}

interface Deferred { resolve(output: Partial<QueryCommandOutput>): void; reject(error: Error): void }

/** The fake: `items` is the table; `pageSize` pages answers; `hold` keeps Queries pending until the test settles them. */
function fakeDynamoDb(options: { pageSize?: number } = {}) {
  const items: GrantItem[] = [];
  const queries: QueryCommandInput[] = [];
  const held: Deferred[] = [];
  let hold = false;
  let failNext = 0;
  const answer = (input: QueryCommandInput): Partial<QueryCommandOutput> => {
    const partition = items.filter((i) => i.pk === input.ExpressionAttributeValues?.[':pk']).sort((a, b) => a.sk.localeCompare(b.sk));
    const after = input.ExclusiveStartKey ? partition.findIndex((i) => i.sk === input.ExclusiveStartKey!.sk) + 1 : 0;
    const size = options.pageSize ?? Number.MAX_SAFE_INTEGER;
    const page = partition.slice(after, after + size);
    const more = after + size < partition.length;
    return { Items: page, ...(more ? { LastEvaluatedKey: { pk: page.at(-1)!.pk, sk: page.at(-1)!.sk } } : {}) };
  };
  const client = {
    send: (command: { input: QueryCommandInput }) => {
      queries.push(command.input);
      if (failNext > 0) {
        failNext -= 1;
        return Promise.reject(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
      }
      if (!hold) return Promise.resolve(answer(command.input));
      return new Promise((resolve, reject) => held.push({ resolve: () => resolve(answer(command.input)), reject }));
    },
  };
  return {
    client: client as unknown as DynamoDBDocumentClient,
    items,
    queries,
    held,
    holdQueries: (on: boolean) => { hold = on; },
    failNextQueries: (n: number) => { failNext = n; },
    revoke: (grantId: string) => { items.splice(items.findIndex((i) => i.grantId === grantId), 1); },
  };
}

const ids = (grants: readonly { grantId: string }[]) => grants.map((g) => g.grantId);

describe('the DynamoDB grant store', () => {
  it('still serves a revoked grant 4.9 seconds after reading it, from one Query', async () => {
    // Arrange
    let now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    await store.grantsFor('prod');
    ddb.revoke('g1');
    // Act
    now += 4_900;
    const grants = await store.grantsFor('prod');
    // Assert
    expect(ids(grants)).toEqual(['g1']);
    expect(ddb.queries).toHaveLength(1);
  });

  it('stops serving a revoked grant 5 seconds after reading it', async () => {
    // Arrange
    let now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'), item('prod', 'g2', 'acme/other'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    expect(ids(await store.grantsFor('prod'))).toEqual(['g1', 'g2']);
    ddb.revoke('g1');
    // Act
    now += 5_000;
    const grants = await store.grantsFor('prod');
    // Assert
    expect(ids(grants)).toEqual(['g2']);
    expect(ddb.queries).toHaveLength(2);
  });

  it('reads with a strongly consistent Query on the connection partition, so a revocation is seen by the next read', async () => {
    // Arrange
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'), item('staging', 'g9'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants' });
    // Act
    const grants = await store.grantsFor('prod');
    // Assert
    expect(ids(grants)).toEqual(['g1']);
    expect(ddb.queries[0]).toMatchObject({
      TableName: 'gatehouse-grants', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'conn#prod' }, ConsistentRead: true,
    });
  });

  it('returns grants without their table keys', async () => {
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants' });
    const [grant] = await store.grantsFor('prod');
    expect(grant).toEqual({
      grantId: 'g1', connection: 'prod', principalType: 'agent', principal: 'acme/app', issuer: 'github', createdAt: '2026-01-01T00:00:00Z', createdBy: 'ops', source: 'cli',
    });
  });

  it('keeps each connection apart: a cached connection does not answer for another', async () => {
    const now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'), item('staging', 'g2'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    await store.grantsFor('prod');
    expect(ids(await store.grantsFor('staging'))).toEqual(['g2']);
    expect(ddb.queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toEqual(['conn#prod', 'conn#staging']);
  });

  it('does not cache a failed Query: the next request reads again and gets the grants', async () => {
    // Arrange
    const now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    ddb.failNextQueries(1);
    await expect(store.grantsFor('prod')).rejects.toThrow('Throughput exceeds the current capacity');
    // Act: the same instant, well inside the 5 seconds a success would be kept.
    const grants = await store.grantsFor('prod');
    // Assert
    expect(ids(grants)).toEqual(['g1']);
    expect(ddb.queries).toHaveLength(2);
  });

  it('sends one Query for concurrent requests on a cold connection, and gives all of them its grants', async () => {
    // Arrange
    const now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    ddb.holdQueries(true);
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    // Act
    const waiting = [store.grantsFor('prod'), store.grantsFor('prod'), store.grantsFor('prod')];
    ddb.held.forEach((q) => q.resolve({}));
    const results = await Promise.all(waiting);
    // Assert
    expect(ddb.queries).toHaveLength(1);
    expect(results.map(ids)).toEqual([['g1'], ['g1'], ['g1']]);
  });

  it('shares a failing in-flight Query with concurrent callers, then reads again for the next request', async () => {
    // Arrange
    const now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    ddb.holdQueries(true);
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    const waiting = [store.grantsFor('prod'), store.grantsFor('prod')];
    // Act
    ddb.held.forEach((q) => q.reject(new Error('socket hang up')));
    const outcomes = await Promise.allSettled(waiting);
    ddb.holdQueries(false);
    const next = await store.grantsFor('prod');
    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(ids(next)).toEqual(['g1']);
    expect(ddb.queries).toHaveLength(2);
  });

  it('does not let a slow failed Query evict the fresh read that replaced it', async () => {
    // Arrange: a first Query hangs past the 5 seconds; a later request reads afresh and succeeds.
    let now = 1_000_000;
    const ddb = fakeDynamoDb();
    ddb.items.push(item('prod', 'g1'));
    ddb.holdQueries(true);
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants', now: () => now });
    const slow = store.grantsFor('prod');
    now += 5_000;
    const fresh = store.grantsFor('prod');
    ddb.held[1]!.resolve({});
    await fresh;
    // Act: the slow one fails only now.
    ddb.held[0]!.reject(new Error('socket hang up'));
    await expect(slow).rejects.toThrow('socket hang up');
    ddb.holdQueries(false);
    now += 1;
    const grants = await store.grantsFor('prod');
    // Assert: served from the fresh read, no third Query.
    expect(ids(grants)).toEqual(['g1']);
    expect(ddb.queries).toHaveLength(2);
  });

  it('follows LastEvaluatedKey until the last page, so every grant of a large connection is found', async () => {
    // Arrange: 5 grants, answered 2 per page (as DynamoDB does past 1 MB).
    const ddb = fakeDynamoDb({ pageSize: 2 });
    for (const n of [1, 2, 3, 4, 5]) ddb.items.push(item('prod', `g${n}`, `agent-${n}`));
    const store = createDynamoDbGrantStore({ client: ddb.client, tableName: 'gatehouse-grants' });
    // Act
    const grants = await store.grantsFor('prod');
    // Assert
    expect(ids(grants).sort()).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    expect(ddb.queries.map((q) => q.ExclusiveStartKey?.sk)).toEqual([undefined, 'agent#agent-2#g2', 'agent#agent-4#g4']);
  });
});

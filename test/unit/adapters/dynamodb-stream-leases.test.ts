import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbStreamLeases } from '../../../lambdas/adapters/dynamodb-stream-leases';
import { startTestTables, type TestTables } from '../approvals/support/dynamodb';
import { SINGLE_ITEM_SORT_KEY } from '../../../lambdas/core/stream-lease';

jest.setTimeout(60_000);

let sequence = 0;
const agent = () => `ci:lease-agent-${++sequence}`;

describe('stream leases on DynamoDB Local', () => {
  let tables: TestTables;
  let clock: Date;
  const leases = () => createDynamoDbStreamLeases({ client: tables.documents, tableName: tables.recordsTable, now: () => clock });
  const inMinutes = (minutes: number) => new Date(clock.getTime() + minutes * 60_000);

  beforeAll(async () => { tables = await startTestTables(); });
  afterAll(() => tables.close());
  beforeEach(() => { clock = new Date('2026-12-02T10:00:00Z'); });

  it('lets an agent open streams up to the cap and refuses the next one', async () => {
    // Arrange
    const key = agent();
    // Act
    const taken = [];
    for (const id of ['w1', 'w2', 'w3']) taken.push(await leases().acquire(key, id, inMinutes(11), 2));
    // Assert
    expect(taken).toEqual([{ acquired: true, live: 0 }, { acquired: true, live: 1 }, { acquired: false, live: 2 }]);
  });

  it('frees a place when a stream ends', async () => {
    const key = agent();
    await leases().acquire(key, 'w1', inMinutes(11), 1);
    await leases().release(key, 'w1');
    await expect(leases().acquire(key, 'w2', inMinutes(11), 1)).resolves.toEqual({ acquired: true, live: 0 });
  });

  it('frees the place of a stream whose Lambda died, once its lease expires', async () => {
    const key = agent();
    await leases().acquire(key, 'lost', inMinutes(11), 1);
    clock = inMinutes(12);
    await expect(leases().acquire(key, 'next', inMinutes(11), 1)).resolves.toEqual({ acquired: true, live: 0 });
  });

  it('counts agents apart', async () => {
    await leases().acquire(agent(), 'w1', inMinutes(11), 1);
    await expect(leases().acquire(agent(), 'w1', inMinutes(11), 1)).resolves.toMatchObject({ acquired: true });
  });

  it('never lets two streams opened at the same moment both take the last place', async () => {
    // Arrange: ten watches race for three places.
    const key = agent();
    // Act
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => leases().acquire(key, `w${i}`, inMinutes(11), 3)));
    // Assert: exactly three hold a lease; the others are told the agent is at its cap.
    const acquired = results.filter((r) => r.status === 'fulfilled' && r.value.acquired).length;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(acquired).toBe(3);
    const item = (await tables.documents.send(new GetCommand({ TableName: tables.recordsTable, Key: { pk: `lease#${key}`, startedAtId: SINGLE_ITEM_SORT_KEY } }))).Item;
    expect(Object.keys(item?.leases ?? {})).toHaveLength(acquired);
  });

  it('does not resurrect a lease released while another stream was being admitted', async () => {
    // Arrange: a taker read the map (with w1 in it) before w1 was released.
    const key = agent();
    await leases().acquire(key, 'w1', inMinutes(11), 5);
    let releasedMeanwhile = false;
    const stale = createDynamoDbStreamLeases({
      client: { send: async (command: unknown) => {
        const result = await tables.documents.send(command as never);
        if (!releasedMeanwhile && (command as object).constructor.name === 'GetCommand') {
          releasedMeanwhile = true;
          await leases().release(key, 'w1');
        }
        return result;
      } } as never,
      tableName: tables.recordsTable,
      now: () => clock,
    });
    // Act
    await stale.acquire(key, 'w2', inMinutes(11), 5);
    // Assert
    const item = (await tables.documents.send(new GetCommand({ TableName: tables.recordsTable, Key: { pk: `lease#${key}`, startedAtId: SINGLE_ITEM_SORT_KEY } }))).Item;
    expect(Object.keys(item?.leases ?? {})).toEqual(['w2']);
  });

  it('treats giving back a lease that is already gone as done', async () => {
    await expect(leases().release(agent(), 'never-taken')).resolves.toBeUndefined();
  });

  it('keeps the lease item out of every index and expires it by TTL after its last lease', async () => {
    const key = agent();
    await leases().acquire(key, 'w1', inMinutes(11), 1);
    const item = (await tables.documents.send(new GetCommand({ TableName: tables.recordsTable, Key: { pk: `lease#${key}`, startedAtId: SINGLE_ITEM_SORT_KEY } }))).Item!;
    expect(Object.keys(item).sort()).toEqual(['expiresAtEpoch', 'leases', 'pk', 'startedAtId', 'version']);
    expect(item.expiresAtEpoch).toBe(Math.ceil(inMinutes(11).getTime() / 1000) + 3600);
  });
});

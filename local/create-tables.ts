import { RECORDS_INDEXES, SORTED_BY_START } from '../lambdas/core/records-indexes';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';

/** Table names local mode uses. */
export const LOCAL_TABLES = { grants: 'gatehouse-grants', records: 'gatehouse-session-records' } as const;

/**
 * Creates the grants and records tables with the key design of docs/DATA-MODEL.md (the CDK constructs
 * define the same; a CDK test compares them), if they do not exist yet.
 */
export async function createLocalTables(client: DynamoDBClient): Promise<void> {
  for (const input of LOCAL_TABLE_DEFINITIONS) await create(client, new CreateTableCommand(input));
  for (const table of Object.values(LOCAL_TABLES)) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true } })).catch(() => undefined);
  }
}

/** The CreateTable inputs (exported so a CDK test can hold them against the synthesized tables). */
export const LOCAL_TABLE_DEFINITIONS: readonly CreateTableCommandInput[] = [{
    TableName: LOCAL_TABLES.grants,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'principalKey', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [{
      IndexName: 'by-principal',
      KeySchema: [{ AttributeName: 'principalKey', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' },
    }],
  }, {
    TableName: LOCAL_TABLES.records,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'startedAtId', AttributeType: 'S' },
      ...Object.values(RECORDS_INDEXES).map((key) => ({ AttributeName: key, AttributeType: 'S' as const })),
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'startedAtId', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: Object.entries(RECORDS_INDEXES).map(([IndexName, key]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: key, KeyType: 'HASH' as const },
        ...(!SORTED_BY_START.has(IndexName) ? [] : [{ AttributeName: 'startedAtId', KeyType: 'RANGE' as const }]),
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    })),
}];

async function create(client: DynamoDBClient, command: CreateTableCommand): Promise<void> {
  try {
    await client.send(command);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

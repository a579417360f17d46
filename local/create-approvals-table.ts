import { CreateTableCommand, ResourceInUseException, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The approvals table's name in local mode. */
export const LOCAL_APPROVALS_TABLE = 'gatehouse-approvals';

/**
 * Creates the approvals table with the key design of docs/APPROVALS.md (lib/approvals-table.ts defines the
 * same; a CDK test compares them), if it does not exist yet.
 */
export async function createLocalApprovalsTable(client: DynamoDBClient, tableName = LOCAL_APPROVALS_TABLE): Promise<void> {
  try {
    await client.send(new CreateTableCommand(approvalsTableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true } })).catch(() => undefined);
}

/** The CreateTable input of the approvals table. */
export function approvalsTableDefinition(tableName: string): ConstructorParameters<typeof CreateTableCommand>[0] {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'connectionKey', AttributeType: 'S' },
      { AttributeName: 'createdAtId', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [{
      IndexName: 'by-connection',
      KeySchema: [{ AttributeName: 'connectionKey', KeyType: 'HASH' }, { AttributeName: 'createdAtId', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' },
    }],
  };
}

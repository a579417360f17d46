import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLocalApprovalsTable } from '../../../../local/create-approvals-table';
import { createLocalTables, LOCAL_TABLES } from '../../../../local/create-tables';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../../local/dynamodb-local';

/** AWS's DynamoDB Local (in memory) with the approvals and records tables, for one test file. */
export interface TestTables {
  readonly documents: DynamoDBDocumentClient;
  readonly approvalsTable: string;
  readonly recordsTable: string;
  close(): Promise<void>;
}

/** Starts DynamoDB Local and creates the tables (about two seconds). */
export async function startTestTables(): Promise<TestTables> {
  const local: DynamoDbLocal = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createLocalApprovalsTable(client);
  await createLocalTables(client);
  return {
    documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    approvalsTable: 'gatehouse-approvals',
    recordsTable: LOCAL_TABLES.records,
    close: async () => {
      client.destroy();
      await local.close();
    },
  };
}

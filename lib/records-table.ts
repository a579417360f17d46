import { ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LIVE_SESSIONS_KEY_PREFIX, STREAM_LEASE_KEY_PREFIX } from '../lambdas/core/stream-lease';
import { stringKey, tableDefaults, type StoreOptions } from './store-options';

/** Props of {@link RecordsTable}. */
export type RecordsTableProps = StoreOptions;

/** The records table's GSIs: name -> partition key; all sorted by `startedAtId` (`<ISO start>#<requestId>`). */
export const RECORDS_INDEXES = {
  'by-session': 'sessionKey',
  'by-agent': 'agentKey',
  'by-connection': 'connectionKey',
} as const;

/**
 * The records table (`GATEHOUSE_RECORDS_TABLE`, docs/DATA-MODEL.md): one item per request keyed
 * `req#<requestId>`, listed per session, agent or connection through GSIs in start order.
 */
export class RecordsTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: RecordsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', { ...tableDefaults(props), partitionKey: stringKey('pk') });
    for (const [indexName, key] of Object.entries(RECORDS_INDEXES)) {
      // ALL projection: listings show verb, path, status and latency, i.e. most of the item anyway.
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: stringKey(key),
        sortKey: stringKey('startedAtId'),
        projectionType: ProjectionType.ALL,
      });
    }
  }

  /** The table name, for `GATEHOUSE_RECORDS_TABLE`. */
  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets the grantee write records: PutItem (the conditional `intent` write) and UpdateItem (`complete`).
   * No DeleteItem: the proxy never removes evidence; TTL does.
   */
  grantWriteRecords(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
  }

  /**
   * Lets the grantee count open streams per agent (the `lease#` items, see dynamodb-stream-leases.ts): GetItem,
   * PutItem and UpdateItem limited by `dynamodb:LeadingKeys` to those items, so the reads never reach a record.
   */
  grantStreamLeases(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${STREAM_LEASE_KEY_PREFIX}*`] } },
    });
  }

  /**
   * Lets the grantee list and end open sessions (the `live#` item, see dynamodb-live-sessions.ts): GetItem and
   * UpdateItem limited by `dynamodb:LeadingKeys` to it, so the read never reaches a record. For the session front.
   */
  grantLiveSessions(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LIVE_SESSIONS_KEY_PREFIX}*`] } },
    });
  }

  /** Lets the grantee read records: GetItem/Query on the table and each named index (no `index/*`). */
  grantReadRecords(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [this.table.tableArn, ...Object.keys(RECORDS_INDEXES).map((name) => `${this.table.tableArn}/index/${name}`)],
    });
  }
}

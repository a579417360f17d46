import { ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RECORDS_INDEXES, SORTED_BY_START } from '../lambdas/core/records-indexes';
import { RECORD_KEY_PREFIX } from '../lambdas/core/session-record';
import { LIVE_SESSIONS_KEY_PREFIX, STREAM_LEASE_KEY_PREFIX } from '../lambdas/core/stream-lease';
import { stringKey, tableDefaults, type StoreOptions } from './store-options';

/** Props of {@link RecordsTable}. */
export type RecordsTableProps = StoreOptions;

/**
 * The records table (`GATEHOUSE_RECORDS_TABLE`, docs/DATA-MODEL.md): one item per request, keyed by its session
 * (`pk` = `session#<issuer>#<session>`) and `startedAtId` (`<ISO start>#<requestId>`), so a session reads in order
 * without an index and writing a record writes none. The table also holds the stream leases and the live-sessions
 * item (`lease#...`, `live#...`, sort key `-`).
 */
export class RecordsTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: RecordsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', { ...tableDefaults(props), partitionKey: stringKey('pk'), sortKey: stringKey('startedAtId') });
    for (const [indexName, key] of Object.entries(RECORDS_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: stringKey(key),
        ...(SORTED_BY_START.has(indexName) ? { sortKey: stringKey('startedAtId') } : {}),
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }
  }

  /** The table name, for `GATEHOUSE_RECORDS_TABLE`. */
  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets the grantee write records: PutItem (the conditional `intent` write) and UpdateItem (`complete`), limited
   * by `dynamodb:LeadingKeys` to record items (`session#...`). No DeleteItem: the proxy never removes evidence; TTL does.
   */
  grantWriteRecords(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECORD_KEY_PREFIX}*`] } },
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

import { ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { stringKey, tableDefaults, type StoreOptions } from './store-options';

/** Props of {@link ApprovalsTable}. */
export type ApprovalsTableProps = StoreOptions;

/** GSI over approval items: `connectionKey` (`conn#<connection>`) sorted by `createdAtId`, for listings. */
export const APPROVALS_BY_CONNECTION = 'by-connection';

/**
 * The approvals table (`GATEHOUSE_APPROVALS_TABLE`, docs/APPROVALS.md): approvals keyed `approval#<id>`,
 * their per-request links under `fp#<fingerprint>`, just-in-time windows under `jit#<connection>#<issuer>#<agent>`,
 * and the signatures of handled Slack interactions. Every decision-relevant read is a consistent read of the
 * base table; the one index only serves listings.
 */
export class ApprovalsTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: ApprovalsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', { ...tableDefaults(props), partitionKey: stringKey('pk'), sortKey: stringKey('sk') });
    this.table.addGlobalSecondaryIndex({
      indexName: APPROVALS_BY_CONNECTION,
      partitionKey: stringKey('connectionKey'),
      sortKey: stringKey('createdAtId'),
      projectionType: ProjectionType.ALL,
    });
  }

  /** The table name, for `GATEHOUSE_APPROVALS_TABLE`. */
  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * The proxy's gate: read approvals and links (GetItem, Query), open approvals and use one-time approvals
   * (PutItem, UpdateItem, both also inside TransactWriteItems). No DeleteItem: approvals are evidence.
   */
  grantGate(grantee: IGrantable): Grant {
    return this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], true);
  }

  /** The notify and record steps: read an approval, keep the task token and Slack message, record decisions. */
  grantWorkflow(grantee: IGrantable): Grant {
    return this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], true);
  }

  /** The interactions endpoint: read an approval (and its task token), remember handled interactions. */
  grantInteractions(grantee: IGrantable): Grant {
    return this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem'], true);
  }

  /** Read-only access for operators: GetItem and Query on the table and its named index. */
  grantReadApprovals(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${APPROVALS_BY_CONNECTION}`],
    });
  }

  private grant(grantee: IGrantable, actions: string[], writes: boolean): Grant {
    if (writes) this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    else this.table.encryptionKey?.grantDecrypt(grantee);
    return Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
  }
}

import { ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { stringKey, tableDefaults, type StoreOptions } from './store-options';

/** Props of {@link GrantsTable}. */
export type GrantsTableProps = StoreOptions;

/** GSI over `principalKey` (`<agent|group>#<principal>`) sorted by `pk`: "what may this agent reach?". */
export const BY_PRINCIPAL_INDEX = 'by-principal';

/**
 * The grants table (`GATEHOUSE_GRANTS_TABLE`, docs/DATA-MODEL.md): `pk = conn#<connection>`,
 * `sk = <agent|group>#<principal>#<grantId>`, so the proxy reads all grants of a connection with one Query.
 */
export class GrantsTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: GrantsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      ...tableDefaults(props),
      partitionKey: stringKey('pk'),
      sortKey: stringKey('sk'),
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_PRINCIPAL_INDEX,
      partitionKey: stringKey('principalKey'),
      sortKey: stringKey('pk'),
      projectionType: ProjectionType.ALL,
    });
  }

  /** The table name, for `GATEHOUSE_GRANTS_TABLE`. */
  get tableName(): string {
    return this.table.tableName;
  }

  /** Lets the grantee read grants: Query/GetItem on the table and its `by-principal` index (named, no wildcard). */
  grantReadGrants(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query', 'dynamodb:GetItem'],
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${BY_PRINCIPAL_INDEX}`],
    });
  }

  /** Lets the grantee create, change and revoke grants (the operator CLI, the deploy-time seed). */
  grantWriteGrants(grantee: IGrantable): Grant {
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
      resourceArns: [this.table.tableArn],
    });
  }
}

import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** Options shared by the grants table, the records table and the replay bucket. */
export interface StoreOptions {
  /**
   * What happens to the data when the stack is deleted or the resource replaced. Grants and records are
   * audit evidence, so they outlive the stack unless a dev stack asks for `RemovalPolicy.DESTROY` (which
   * also turns off deletion protection and empties the bucket on delete).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer managed KMS key for the tables and the replay bucket.
   * @default AWS managed keys: `aws/dynamodb` for the tables, SSE-S3 for the bucket
   */
  readonly encryptionKey?: IKey;
}

/** The TTL attribute on both tables (epoch seconds), see docs/DATA-MODEL.md. */
export const TTL_ATTRIBUTE = 'expiresAtEpoch';

/** Whether the options keep data (anything but DESTROY). */
export function retainsData(options: StoreOptions): boolean {
  return (options.removalPolicy ?? RemovalPolicy.RETAIN) !== RemovalPolicy.DESTROY;
}

/**
 * Table settings common to both tables: on-demand (traffic follows CI runs, bursty and idle at night),
 * point-in-time recovery, TTL, deletion protection unless destroyed on purpose, encryption.
 */
export function tableDefaults(options: StoreOptions): Omit<TableProps, 'partitionKey'> {
  return {
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TTL_ATTRIBUTE,
    deletionProtection: retainsData(options),
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
    ...(options.encryptionKey
      ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: options.encryptionKey }
      : { encryption: TableEncryption.AWS_MANAGED }),
  };
}

/** A string key attribute. */
export function stringKey(name: string): { readonly name: string; readonly type: AttributeType } {
  return { name, type: AttributeType.STRING };
}

import { ServicePrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { GrantSpec } from '../lambdas/core/gateway-config';
import { grantFromSpec, grantToItem, type GrantItem } from '../lambdas/core/grant';
import type { GrantsTable } from './grants-table';

/** Props of {@link GrantSeed}. */
export interface GrantSeedProps {
  /** The grants from configuration (already validated). */
  readonly grants: readonly GrantSpec[];
  /** Where they are written. */
  readonly grantsTable: GrantsTable;
  /**
   * `createdAt` of seeded grants. Fixed rather than the synth time so that an unchanged configuration
   * synthesizes an unchanged template and redeploying does not rewrite every grant; `source: config`
   * says where they came from.
   * @default '1970-01-01T00:00:00.000Z'
   */
  readonly createdAt?: string;
  /** Retention of the seeding function's logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** A DynamoDB attribute value in the low-level wire format that `AwsCustomResource` passes to the SDK. */
type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { L: AttributeValue[] };

/**
 * Writes `config.grants` into the grants table at deploy, one custom resource per grant: created or changed
 * grants are put, and a grant removed from the configuration is deleted from the table when CloudFormation
 * deletes its resource, so the table follows the file. Grants created by the CLI are never touched.
 * The construct id and physical id are the grant's stable id (`configGrantId`), which also determines the
 * item's keys, so an update never moves an item.
 */
export class GrantSeed extends Construct {
  constructor(scope: Construct, id: string, props: GrantSeedProps) {
    super(scope, id);
    if (props.grants.length === 0) return;

    // One role for every grant resource: per-resource inline policies (AwsCustomResource's default) would
    // add up against the role's 10 KB inline policy limit with a few dozen grants.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Gatehouse: writes configured grants into the grants table at deploy',
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    logGroup.grantWrite(role);
    props.grantsTable.grantWriteGrants(role);
    const tableName = props.grantsTable.tableName;

    for (const spec of props.grants) {
      const item = grantToItem(grantFromSpec(spec, {
        createdAt: props.createdAt ?? '1970-01-01T00:00:00.000Z',
        createdBy: 'cdk-deploy',
        source: 'config',
      }));
      const put = {
        service: 'DynamoDB',
        action: 'putItem',
        parameters: { TableName: tableName, Item: marshallItem(item) },
        physicalResourceId: PhysicalResourceId.of(item.grantId),
      };
      const resource = new AwsCustomResource(this, item.grantId, {
        resourceType: 'Custom::GatehouseConfigGrant',
        onCreate: put,
        onUpdate: put,
        onDelete: {
          service: 'DynamoDB',
          action: 'deleteItem',
          parameters: { TableName: tableName, Key: { pk: { S: item.pk }, sk: { S: item.sk } } },
          // The table may already be gone when a dev stack (RemovalPolicy.DESTROY) is torn down.
          ignoreErrorCodesMatching: 'ResourceNotFoundException',
        },
        role,
        logGroup,
        // Use the SDK in the runtime: deploys must not depend on npm being reachable from the Lambda.
        installLatestAwsSdk: false,
      });
      // The policy must exist before the first write and outlive the last delete.
      resource.node.addDependency(role);
    }
  }
}

/** Turns a grant item into DynamoDB's attribute-value format (lists as L, like the DocumentClient does). */
export function marshallItem(item: GrantItem): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined).map(([k, v]) => [k, attributeValue(v)]));
}

function attributeValue(v: unknown): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'number') return { N: String(v) };
  if (typeof v === 'boolean') return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(attributeValue) };
  throw new Error(`Cannot store ${typeof v} in a grant item`);
}

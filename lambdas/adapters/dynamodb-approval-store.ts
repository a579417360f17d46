import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  applyDecision, approvalKeys, linkOf, type Approval, type ApprovalDecision, type ApprovalLink, type JitWindow,
} from '../core/approvals/approval-item';
import type { ApprovalSettings } from '../core/approvals/approvals-config';
import type { ApprovalStore } from '../core/approvals/approval-ports';

/** Options of the DynamoDB approval store. */
export interface DynamoDbApprovalStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly settings: Pick<ApprovalSettings, 'oneTimeWindowMinutes' | 'retentionDays'>;
}

/** GSI over approval items: `connectionKey` (`conn#<connection>`) sorted by `createdAtId` (`<ISO>#<approvalId>`). */
export const APPROVALS_BY_CONNECTION_INDEX = 'by-connection';

const DAY_SECONDS = 86_400;
// Attributes that are keys or bookkeeping, not part of the model.
const KEY_ATTRIBUTES = ['pk', 'sk', 'itemType', 'connectionKey', 'createdAtId', 'expiresAtEpoch', 'consumedByRequestId'] as const;

/**
 * The approvals table (docs/APPROVALS.md). Every read that decides whether a request may run is a strongly
 * consistent GetItem or Query on a base-table partition, and every state change is conditional, so that:
 * a decision lands only on a pending approval (two clicks cannot both decide); a one-time approval is used by
 * exactly one request (a transaction whose conditions only one caller can meet); a replayed interaction is
 * noticed (a conditional put of its signature hash).
 */
export function createDynamoDbApprovalStore(options: DynamoDbApprovalStoreOptions): ApprovalStore {
  const { client, tableName: TableName, settings } = options;

  async function get(approvalId: string): Promise<Approval | undefined> {
    const out = await client.send(new GetCommand({ TableName, Key: approvalKeys.approval(approvalId), ConsistentRead: true }));
    return out.Item ? toApproval(out.Item) : undefined;
  }

  return {
    get,

    async create(approval, expiresAtEpoch) {
      const item = {
        ...approvalKeys.approval(approval.approvalId), itemType: 'approval', ...approval,
        connectionKey: approvalKeys.connectionIndex(approval.connection), createdAtId: `${approval.createdAt}#${approval.approvalId}`, expiresAtEpoch,
      };
      const link = { ...approvalKeys.link(approval.fingerprint, approval.createdAt, approval.approvalId), itemType: 'link', ...linkOf(approval), expiresAtEpoch };
      await client.send(new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName, Item: link, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }));
    },

    async linksFor(fingerprint) {
      const out = await client.send(new QueryCommand({
        TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': approvalKeys.linkPartition(fingerprint) },
        ConsistentRead: true, ScanIndexForward: false, Limit: 25,
      }));
      return (out.Items ?? []).map((item) => strip(item) as unknown as ApprovalLink);
    },

    async windowsFor(connection, issuer, agent, namespace) {
      if (namespace === '') return [];
      const out = await client.send(new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ns)',
        ExpressionAttributeValues: { ':pk': approvalKeys.jitPartition(connection, issuer, agent), ':ns': approvalKeys.jitSortPrefix(namespace) },
        ConsistentRead: true,
      }));
      return (out.Items ?? []).map((item) => strip(item) as unknown as JitWindow);
    },

    async consumeOneTime(link, requestId, now) {
      const at = now.toISOString();
      const names = { '#status': 'status' };
      const update = 'SET consumedAt = :now, consumedByRequestId = :request';
      const values = { ':approved': 'approved', ':oneTime': 'one-time', ':now': at, ':request': requestId };
      const command = new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName, Key: approvalKeys.link(link.fingerprint, link.createdAt, link.approvalId), UpdateExpression: update,
              ConditionExpression: '#status = :approved AND kind = :oneTime AND attribute_not_exists(consumedAt) AND oneTimeUntil > :now',
              ExpressionAttributeNames: names, ExpressionAttributeValues: values,
            },
          },
          {
            Update: {
              TableName, Key: approvalKeys.approval(link.approvalId), UpdateExpression: update,
              ConditionExpression: '#status = :approved AND kind = :oneTime AND attribute_not_exists(consumedAt)',
              ExpressionAttributeNames: names, ExpressionAttributeValues: values,
            },
          },
        ],
      });
      // A transaction conflict (another transaction on these items at that instant) says nothing about who used
      // the approval: try again, so that it is never lost to a race that nobody won.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(command);
          return true;
        } catch (error) {
          if (isTransactionConflict(error) && attempt < 4) {
            await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
            continue;
          }
          if (isConditionFailure(error)) return false;
          throw error;
        }
      }
    },

    async attachTaskToken(approvalId, taskToken) {
      try {
        const out = await client.send(new UpdateCommand({
          TableName, Key: approvalKeys.approval(approvalId), UpdateExpression: 'SET taskToken = :token',
          ConditionExpression: '#status = :pending', ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': taskToken, ':pending': 'pending' }, ReturnValues: 'ALL_NEW',
        }));
        return out.Attributes ? toApproval(out.Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async attachSlackMessage(approvalId, channel, ts) {
      await client.send(new UpdateCommand({
        TableName, Key: approvalKeys.approval(approvalId), UpdateExpression: 'SET slackChannel = :c, slackTs = :ts',
        ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':c': channel, ':ts': ts },
      }));
    },

    async recordDecision(approvalId, decision) {
      const current = await get(approvalId);
      if (!current) throw new Error(`approval ${approvalId} does not exist`);
      if (current.status !== 'pending') return { result: sameOutcome(current, decision) ? 'already' : 'conflict', approval: current };
      const { approval: next, window } = applyDecision(current, decision, settings);
      const patch = changed(current, next);
      const linkPatch = changed(linkOf(current), linkOf(next));
      const items: NonNullable<TransactWriteCommand['input']['TransactItems']> = [
        { Update: { TableName, Key: approvalKeys.approval(approvalId), ...setExpression(patch, '#status = :expectPending', { ':expectPending': 'pending' }) } },
        { Update: { TableName, Key: approvalKeys.link(current.fingerprint, current.createdAt, approvalId), ...setExpression(linkPatch, 'attribute_exists(pk)') } },
      ];
      if (window) {
        const expiresAtEpoch = Math.floor(Date.parse(window.until) / 1000) + DAY_SECONDS;
        items.push({ Put: { TableName, Item: { ...approvalKeys.jit(window), itemType: 'jit', ...window, expiresAtEpoch }, ConditionExpression: 'attribute_not_exists(pk)' } });
      }
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return { result: 'recorded', approval: next };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const after = await get(approvalId);
        if (!after) throw error;
        return { result: sameOutcome(after, decision) ? 'already' : 'conflict', approval: after };
      }
    },

    async revoke(approvalId, revokedBy, now) {
      const current = await get(approvalId);
      if (!current || current.status !== 'approved' || current.kind !== 'just-in-time' || !current.jitNamespace) return undefined;
      const revokedAt = now.toISOString();
      const window = { connection: current.connection, issuer: current.issuer, agent: current.agent, namespace: current.jitNamespace, approvalId };
      try {
        await client.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName, Key: approvalKeys.approval(approvalId),
                ...setExpression({ status: 'revoked', revokedAt, revokedBy }, '#status = :expectApproved', { ':expectApproved': 'approved' }),
              },
            },
            { Update: { TableName, Key: approvalKeys.link(current.fingerprint, current.createdAt, approvalId), ...setExpression({ status: 'revoked' }, 'attribute_exists(pk)') } },
            { Update: { TableName, Key: approvalKeys.jit(window), ...setExpression({ revokedAt }, 'attribute_exists(pk)') } },
          ],
        }));
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      return { ...current, status: 'revoked', revokedAt, revokedBy };
    },

    async claimInteraction(signatureHash, expiresAtEpoch) {
      try {
        await client.send(new PutCommand({
          TableName, Item: { ...approvalKeys.click(signatureHash), itemType: 'click', expiresAtEpoch }, ConditionExpression: 'attribute_not_exists(pk)',
        }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async recent(connection, limit) {
      const out = await client.send(new QueryCommand({
        TableName, IndexName: APPROVALS_BY_CONNECTION_INDEX, KeyConditionExpression: 'connectionKey = :c',
        ExpressionAttributeValues: { ':c': approvalKeys.connectionIndex(connection) }, ScanIndexForward: false, Limit: limit,
      }));
      return (out.Items ?? []).map(toApproval);
    },
  };
}

function toApproval(item: Record<string, unknown>): Approval {
  const approval = strip(item) as unknown as Approval;
  // consumedByRequestId is part of the model even though strip() treats it as bookkeeping for links.
  return item.consumedByRequestId ? { ...approval, consumedByRequestId: item.consumedByRequestId as string } : approval;
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const key of KEY_ATTRIBUTES) delete copy[key];
  return copy;
}

function sameOutcome(approval: Approval, decision: ApprovalDecision): boolean {
  if (approval.status !== decision.outcome) return false;
  return decision.outcome !== 'approved' || approval.kind === decision.kind;
}

/** The attributes whose value differs (added or changed); removal never happens in a transition. */
function changed(before: object, after: object): Record<string, unknown> {
  const b = before as Record<string, unknown>;
  return Object.fromEntries(Object.entries(after).filter(([key, value]) => value !== undefined && JSON.stringify(b[key]) !== JSON.stringify(value)));
}

function setExpression(patch: Record<string, unknown>, condition: string, extraValues: Record<string, unknown> = {}) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...extraValues };
  const sets = Object.entries(patch).map(([key, value], i) => {
    names[`#a${i}`] = key;
    values[`:v${i}`] = value;
    return `#a${i} = :v${i}`;
  });
  if (condition.includes('#status')) names['#status'] = 'status';
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function isTransactionConflict(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> } | undefined)?.CancellationReasons ?? [];
  return error instanceof Error && error.name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'TransactionConflict');
}

function isConditionFailure(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

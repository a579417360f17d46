import type { RecordKey } from '../../lambdas/core/session-record';

/**
 * The record a fake record store holds at a key, as DynamoDB finds it by session and start: fakes store items by
 * request id, and a completion sent to the wrong key then finds nothing, as it would in the table.
 */
export function recordAt(records: Record<string, Record<string, unknown>>, key: RecordKey): Record<string, unknown> {
  const found = Object.values(records).find((item) => item.pk === key.pk && item.startedAtId === key.startedAtId);
  if (!found) throw Object.assign(new Error(`no record at ${key.pk} / ${key.startedAtId}`), { name: 'ConditionalCheckFailedException' });
  return found;
}

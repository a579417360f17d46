import { REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PARTITION_QUERY, REPLAY_BATCH_PREFIX, replayBatchFolder } from '../../../lambdas/core/replay-batch';
import { evaluatePrefix, extractPartitionKeys, objectNameSuffix, parsePartitionQuery, parsePrefix } from '../../../local/firehose-prefix';

const AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('Firehose partition query subset', () => {
  it('reads simple and nested paths into partition keys, printing numbers and booleans raw', () => {
    const query = parsePartitionQuery('{ a: .x, b: .y.z, c: .n, d: .t }');

    const result = extractPartitionKeys(query, json({ x: 'one', y: { z: 'two' }, n: 3, t: true }));

    expect(result).toEqual({ ok: true, keys: { a: 'one', b: 'two', c: '3', d: 'true' } });
  });

  it.each([
    ['a record that is not JSON', Buffer.from('{"p":'), 'Non JSON record provided'],
    ['a record without the key', json({ q: 1 }), "returned null for partition key 'session'"],
    ['a key holding an object', json({ p: { deep: 1 } }), 'non-scalar'],
    ['a record that is an array', json([1]), 'Cannot index array'],
  ])('fails %s with MetadataExtractionFailed', (_, data, message) => {
    const result = extractPartitionKeys(parsePartitionQuery(REPLAY_BATCH_PARTITION_QUERY), data);

    expect(result).toMatchObject({ ok: false, errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: expect.stringContaining(message) });
  });

  it.each(['.p', '{session: .p | tostring}', '{"session": .p}', '{session: .p[0]}', '{a: .x, a: .y}', '{}'])('refuses the query %s', (text) => {
    expect(() => parsePartitionQuery(text)).toThrow(/partition query|twice/);
  });
});

describe('Firehose prefix expressions', () => {
  const query = parsePartitionQuery(REPLAY_BATCH_PARTITION_QUERY);

  it('evaluates the replay batch prefix to the folder the CLI reads', () => {
    const prefix = evaluatePrefix(parsePrefix(REPLAY_BATCH_PREFIX, 'prefix', query), { arrival: AT, keys: { session: '0123456789abcdef' } });

    expect(prefix).toBe(replayBatchFolder('0123456789abcdef'));
  });

  it('evaluates the error prefix with the error output type and the UTC arrival day', () => {
    const prefix = evaluatePrefix(parsePrefix(REPLAY_BATCH_ERROR_PREFIX, 'error', query), { arrival: AT, errorOutputType: 'partitioning-failed' });

    expect(prefix).toBe('replay-batches-failed/partitioning-failed/2026/01/02/');
  });

  it("formats DateTimeFormatter patterns with quoted literals and '' for a quote", () => {
    const template = parsePrefix("s=!{partitionKeyFromQuery:session}/!{timestamp:'year='yyyy'/hour='HH}/!{timestamp:yy-M-d H:m:s.SSS}/!{timestamp:''}", 'prefix', query);

    expect(evaluatePrefix(template, { arrival: AT, keys: { session: 'k' } })).toBe("s=k/year=2026/hour=03/26-1-2 3:4:5.006/'");
  });

  it('gives each random-string a fresh 11-character value', () => {
    const template = parsePrefix('!{firehose:random-string}/!{firehose:random-string}/!{partitionKeyFromQuery:session}', 'prefix', query);

    const [first, second] = evaluatePrefix(template, { arrival: AT, keys: { session: 'k' } }).split('/');

    expect([first.length, second.length]).toEqual([11, 11]);
    expect(first).not.toBe(second);
  });

  it.each([
    ['error-output-type in the Prefix', '!{firehose:error-output-type}/!{partitionKeyFromQuery:session}/', 'prefix', /only be used in the ErrorOutputPrefix/],
    ['a partition key in the ErrorOutputPrefix', 'f/!{firehose:error-output-type}/!{partitionKeyFromQuery:session}/', 'error', /cannot use partition keys/],
    ['a bare !{', 'x/!{partitionKeyFromQuery:session}/!{oops', 'prefix', /may appear only/],
    ['a Lambda partition key', 'x/!{partitionKeyFromLambda:session}/', 'prefix', /cannot evaluate/],
    ['an unsupported date letter', 'x/!{partitionKeyFromQuery:session}/!{timestamp:EEE}/', 'prefix', /does not support 'EEE'/],
  ] as const)('refuses %s', (_, text, role, message) => {
    expect(() => parsePrefix(text, role, query)).toThrow(message);
  });

  it('names objects <stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid> after the oldest record', () => {
    expect(objectNameSuffix('replays', AT)).toMatch(/^replays-1-2026-01-02-03-04-05-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

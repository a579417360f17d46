import { REPLAY_BATCH_ERROR_PREFIX, REPLAY_BATCH_PREFIX, replayBatchHourPrefix, replayBatchObjectTime } from '../../../lambdas/core/replay-batch';
import { evaluatePrefix, objectNameSuffix, parsePrefix } from '../../../local/firehose-prefix';

const AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));

describe('Firehose prefix expressions', () => {
  it('evaluates the replay batch prefix to the hour prefix the CLI lists', () => {
    const prefix = evaluatePrefix(parsePrefix(REPLAY_BATCH_PREFIX, 'prefix'), { arrival: AT });

    expect(prefix).toBe('replay-batches/2026/01/02/03/');
    expect(prefix).toBe(replayBatchHourPrefix(AT.getTime()));
  });

  it('evaluates the error prefix with the error output type and the UTC arrival day', () => {
    const prefix = evaluatePrefix(parsePrefix(REPLAY_BATCH_ERROR_PREFIX, 'error'), { arrival: AT, errorOutputType: 'processing-failed' });

    expect(prefix).toBe('replay-batches-failed/processing-failed/2026/01/02/');
  });

  it.each([
    ['a fixed prefix', 'logs/', 'logs/2026/01/02/03/'],
    ['a prefix of random strings only', 'r=!{firehose:random-string}/', /^r=[0-9a-f-]{11}\/2026\/01\/02\/03\/$/],
    ['an empty prefix', '', '2026/01/02/03/'],
  ])('appends the UTC hour to %s, which has no timestamp expression, as Firehose does', (_name, text, evaluated) => {
    expect(evaluatePrefix(parsePrefix(text, 'prefix'), { arrival: AT })).toMatch(evaluated);
  });

  it("formats DateTimeFormatter patterns with quoted literals and '' for a quote", () => {
    const template = parsePrefix("!{timestamp:'year='yyyy'/hour='HH}/!{timestamp:yy-M-d H:m:s.SSS}/!{timestamp:''}", 'prefix');

    expect(evaluatePrefix(template, { arrival: AT })).toBe("year=2026/hour=03/26-1-2 3:4:5.006/'");
  });

  it('gives each random-string a fresh 11-character value', () => {
    const template = parsePrefix('!{firehose:random-string}/!{firehose:random-string}/!{timestamp:yyyy}', 'prefix');

    const [first, second] = evaluatePrefix(template, { arrival: AT }).split('/');

    expect([first.length, second.length]).toEqual([11, 11]);
    expect(first).not.toBe(second);
  });

  it.each([
    ['error-output-type in the Prefix', '!{firehose:error-output-type}/', 'prefix', /only be used in the ErrorOutputPrefix/],
    ['a query partition key, which needs dynamic partitioning', 'x/!{partitionKeyFromQuery:session}/', 'prefix', /needs dynamic partitioning/],
    ['a Lambda partition key, which needs dynamic partitioning', 'x/!{partitionKeyFromLambda:session}/', 'prefix', /needs dynamic partitioning/],
    ['a partition key in the ErrorOutputPrefix', 'f/!{firehose:error-output-type}/!{partitionKeyFromQuery:session}/', 'error', /needs dynamic partitioning/],
    ['an ErrorOutputPrefix with expressions but no error-output-type', 'f/!{timestamp:yyyy}/', 'error', /must include !\{firehose:error-output-type\}/],
    ['a bare !{', 'x/!{timestamp:yyyy}/!{oops', 'prefix', /may appear only/],
    ['an unknown namespace', 'x/!{stream:name}/', 'prefix', /cannot evaluate/],
    ['an unsupported date letter', 'x/!{timestamp:EEE}/', 'prefix', /does not support 'EEE'/],
  ] as const)('refuses %s', (_, text, role, message) => {
    expect(() => parsePrefix(text, role)).toThrow(message);
  });

  it('names objects <stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid> after the oldest record, as the CLI reads the name', () => {
    const suffix = objectNameSuffix('replays', AT);

    expect(suffix).toMatch(/^replays-1-2026-01-02-03-04-05-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(replayBatchObjectTime(`replay-batches/2026/01/02/03/${suffix}`)).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
  });
});

import { EXIT } from '../../../cli/errors';
import { parseDuration, parseTimeRange, startedAtCondition } from '../../../cli/time-range';

const now = new Date('2026-11-22T12:00:00Z');

describe('parseDuration', () => {
  it.each<[string, number]>([['30s', 30_000], ['15m', 900_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['1w', 604_800_000]])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['1', 'h', '1y', '-1h', '1.5h'])('refuses %s with a usage error that shows the format', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ exitCode: EXIT.usage, message: expect.stringMatching(/like 30s, 15m/) }));
  });
});

describe('parseTimeRange', () => {
  it('turns --since into a range ending now (open)', () => {
    expect(parseTimeRange({ since: '1h' }, now)).toEqual({ from: new Date('2026-11-22T11:00:00Z') });
  });

  it('reads --from and --to, with dates meaning UTC midnight', () => {
    expect(parseTimeRange({ from: '2026-11-20', to: '2026-11-21T06:00:00Z' }, now)).toEqual({ from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-21T06:00:00Z') });
  });

  it('applies the fallback only when no start is given', () => {
    expect(parseTimeRange({}, now, '24h')).toEqual({ from: new Date('2026-11-21T12:00:00Z') });
    expect(parseTimeRange({}, now)).toEqual({});
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ since: '1h', from: '2026-11-20' }, /either --since or --from/],
    [{ from: 'yesterday' }, /not an ISO 8601 time/],
    [{ from: '2026-11-22', to: '2026-11-21' }, /is after --to/],
  ])('refuses %j', (values, message) => {
    expect(() => parseTimeRange(values, now)).toThrow(message);
  });
});

describe('startedAtCondition', () => {
  it('bounds the startedAtId sort key so records in the last millisecond are included', () => {
    const condition = startedAtCondition({ from: new Date('2026-11-22T10:00:00Z'), to: new Date('2026-11-22T11:00:00Z') });

    expect(condition?.expression).toBe('startedAtId BETWEEN :from AND :to');
    const to = condition!.values[':to']!;
    expect('2026-11-22T11:00:00.000Z#some-request-id' <= to).toBe(true);
    expect('2026-11-22T11:00:00.001Z#a' <= to).toBe(false);
    expect('2026-11-22T10:00:00.000Z#a' >= condition!.values[':from']!).toBe(true);
  });

  it('is absent for an open range', () => {
    expect(startedAtCondition({})).toBeUndefined();
  });
});

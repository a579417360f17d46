import { decisionLabel, formatDuration, formatTime, maskedSummary, requestFate, statusText } from '../../../cli/format';
import type { RequestRecord } from '../../../cli/types';

describe('statusText', () => {
  it.each<[number | undefined, string]>([
    [200, '200 OK'],
    [201, '201 Created'],
    [403, '403 Forbidden'],
    [504, '504 Gateway Timeout'],
    [299, '299'],
    [undefined, 'no status yet'],
  ])('renders %s as %s', (status, expected) => {
    expect(statusText(status)).toBe(expected);
  });
});

describe('formatTime and formatDuration', () => {
  it.each<[string, string]>([
    ['2026-11-22T10:00:01.123Z', '2026-11-22T10:00:01Z'],
    ['not a time', 'not a time'],
  ])('formats %s as %s', (iso, expected) => {
    expect(formatTime(iso)).toBe(expected);
  });

  it.each<[number, string]>([[12, '12 ms'], [1400, '1.4 s'], [125_000, '2m05s']])('formats %d ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('decisionLabel and requestFate', () => {
  it.each<[Partial<RequestRecord>, string, string]>([
    [{ decision: 'allow', ruleId: 'default', outcome: 'forwarded' }, 'allowed (rule default)', 'allowed'],
    [{ decision: 'allow', outcome: 'failed' }, 'allowed, then failed', 'failed'],
    [{ decision: 'deny', ruleId: 'no-secrets', outcome: 'denied' }, 'denied (rule no-secrets)', 'denied'],
    [{ decision: 'approve', ruleId: 'prod-writes', outcome: 'denied' }, 'held for approval (rule prod-writes)', 'held'],
    [{ decision: 'reject', outcome: 'rejected' }, 'rejected before policy', 'denied'],
    [{ decision: 'allow', outcome: 'pending' }, 'allowed', 'pending'],
  ])('labels %j', (record, label, fate) => {
    expect(decisionLabel(record as RequestRecord)).toBe(label);
    expect(requestFate(record as RequestRecord)).toBe(fate);
  });
});

describe('maskedSummary', () => {
  it('totals the masked values by kind', () => {
    expect(maskedSummary({ secretData: 2, token: 1 })).toBe('3 (secretData 2, token 1)');
    expect(maskedSummary(undefined)).toBe('none');
  });
});

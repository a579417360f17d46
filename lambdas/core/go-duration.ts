/** Nanoseconds per unit, as Go's time package names them (`µs` as U+00B5 and U+03BC). */
const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** The longest duration Go can hold (int64 nanoseconds, about 290 years). */
const MAX_NANOS = 9_223_372_036_854_775_807;

/**
 * Reads a duration as Go's `time.ParseDuration` does (`30s`, `1m30s`, `1.5h`, `500ms`, `-2s`, a bare `0`), which
 * is how the API server reads a request's `timeout` query parameter (kubectl's `--request-timeout`). Answers
 * milliseconds, or undefined where Go answers an error (no unit, an unknown unit, an empty string, overflow).
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let nanos = 0;
  const term = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (rest) {
    const match = term.exec(rest);
    // Go needs a digit before or after the point, and a unit after every number.
    if (!match || (match[1] === '' && (match[2] ?? '') === '')) return undefined;
    const unit = match[3]!;
    const perUnit = UNIT_NANOS[unit];
    if (perUnit === undefined || !Object.hasOwn(UNIT_NANOS, unit)) return undefined;
    nanos += Number(`${match[1] || '0'}.${match[2] || '0'}`) * perUnit;
    if (nanos > MAX_NANOS) return undefined;
    rest = rest.slice(match[0].length);
  }
  return (sign * nanos) / 1e6;
}

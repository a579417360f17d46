import type { JsonValue } from './types';

/**
 * Go's `%v` of a decoded JSON value (map[string]interface{} and friends), for messages the real
 * server builds with fmt: `map[image:x name:<nil>]`, `[a b]`. Map keys print sorted, as fmt does.
 */
export function goFormat(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(value[k])}`).join(' ')}]`;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    // float64 with %v: the shortest 'g' form, exponent with a sign and at least two digits.
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
      return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
    }
    return String(value);
  }
  return String(value);
}

/**
 * Boolean query parameters read exactly as the API server reads them. Its parameter codec converts
 * `?watch=`, `?follow=`, `?pretty=`... with `Convert_Slice_string_To_bool`
 * (k8s.io/apimachinery/pkg/runtime/conversion.go): only the first value counts, and it is false only when
 * it is `0` or equals "false" under Go's `strings.EqualFold`; every other value, the empty string
 * included, is true. A gateway that reads `follow=yes` or `follow=` as false would let a stream past a
 * check the server then honours as true, so every boolean Gatehouse takes from a query goes through here.
 */

/**
 * Non-ASCII runes that Go's `unicode.SimpleFold` puts in the same case orbit as an ASCII letter: the
 * long s "ſ" (U+017F) folds to `s` and the Kelvin sign "K" (U+212A) to `k`. No other rune outside ASCII
 * folds onto an ASCII letter, so these two and the ASCII case pairs are all `EqualFold` can match.
 */
const FOLDS_TO_ASCII: ReadonlyMap<string, string> = new Map([['\u017f', 's'], ['\u212a', 'k']]);

/**
 * Go's `strings.EqualFold(value, target)` for an ASCII `target`: rune by rune, equal under simple
 * Unicode case folding. Exact for any ASCII target, which is all Gatehouse compares against.
 */
export function equalFoldAscii(value: string, target: string): boolean {
  const runes = [...value];
  if (runes.length !== target.length) return false;
  return runes.every((rune, i) => {
    const want = target[i]!.toLowerCase();
    const folded = FOLDS_TO_ASCII.get(rune) ?? (/^[A-Za-z]$/.test(rune) ? rune.toLowerCase() : rune);
    return folded === want;
  });
}

/**
 * `Convert_Slice_string_To_bool`: the values a query carries for one parameter, as a boolean. Absent
 * (no values) is false; otherwise the first value decides, and it is false only for `0` and for "false"
 * in any case (Go's case folding, so `falſe` is false too).
 */
export function goBool(values: readonly string[]): boolean {
  if (values.length === 0) return false;
  const first = values[0]!;
  return !(first === '0' || equalFoldAscii(first, 'false'));
}

/**
 * A boolean query parameter as the API server's parameter codec decodes it: `follow=yes`, `follow=on`
 * and `follow=` are all true; only a missing parameter, `0` or "false" (any case) is false.
 *
 * @param query the query parsed as the server parses it (`parseClusterPath`'s `query`).
 * @param name the parameter, e.g. `follow`.
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  return goBool(query.getAll(name));
}

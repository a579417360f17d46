/**
 * Boolean query parameters read as the API server reads them. The apiserver decodes `ListOptions`,
 * `PodLogOptions`, `PatchOptions` and friends with `runtime.Convert_Slice_string_To_bool`
 * (k8s.io/apimachinery/pkg/runtime/conversion.go): only the first value counts, and only `0` or a
 * case-insensitive `false` (Go's strings.EqualFold) is false. Every other value, the empty string
 * included (`?watch`, `?watch=`), is true. A gateway that reads `watch=yes` as false would miss a watch.
 */

/** Go's strings.EqualFold(s, "false"): simple Unicode case folding, so U+017F (ſ) matches `s`. */
function equalFoldFalse(value: string): boolean {
  const runes = [...value];
  if (runes.length !== 5) return false;
  return runes.every((r, i) => {
    const want = 'false'[i]!;
    const lower = r.length === 1 && r.charCodeAt(0) < 0x80 ? r.toLowerCase() : r;
    return lower === want || (want === 's' && r === '\u017f');
  });
}

/** Converts one parameter value as `Convert_Slice_string_To_bool` does for a present parameter. */
export function goQueryBool(value: string): boolean {
  return !(value === '0' || equalFoldFalse(value));
}

/** A boolean parameter (`watch`, `follow`, `timestamps`, ...): absent is false, else the first value decides. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const first = query.get(name);
  return first === null ? false : goQueryBool(first);
}

/**
 * A `*bool` parameter (`sendInitialEvents`, `force`): undefined when absent (Go leaves the pointer nil),
 * else the first value converted as {@link queryBool} does.
 */
export function queryOptionalBool(query: URLSearchParams, name: string): boolean | undefined {
  const first = query.get(name);
  return first === null ? undefined : goQueryBool(first);
}

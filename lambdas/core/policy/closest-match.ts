/**
 * The candidate closest to a misspelt word, for "did you mean" hints in validation errors. Returns nothing
 * when no candidate is close enough to be a plausible typo.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const d = editDistance(lower, other);
    // A shared stem ("denied" / "deny") is a strong hint even when the tail differs a lot.
    const sameStem = lower.length >= 3 && other.startsWith(lower.slice(0, 3)) && d <= Math.ceil(lower.length / 2);
    const limit = Math.max(2, Math.floor(input.length / 3));
    if ((d <= limit || sameStem) && d < bestScore) {
      best = candidate;
      bestScore = d;
    }
  }
  return best;
}

/** `(did you mean "x"?)` or '' when there is no plausible candidate. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const best = closestMatch(input, candidates);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance; inputs are short configuration words, so the quadratic table is fine. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

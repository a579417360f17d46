/**
 * True when some JSON object in `text` repeats a key. `JSON.parse` keeps the last value, but the API server's
 * Go decoder merges a repeated object into the first (`{"spec":{"hostNetwork":true},"spec":{...}}` keeps
 * hostNetwork), so a body with duplicates could show policy one thing and the cluster another. Callers treat
 * such bodies as undecodable. `text` must be valid JSON (parse it first); one linear pass.
 */
export function hasDuplicateJsonKeys(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) stack.push(new Set());
    else if (c === 0x5b /* [ */) stack.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      const keys = stack[stack.length - 1];
      if (!keys) continue;
      let j = i + 1;
      while (j < text.length && (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t')) j++;
      if (text[j] !== ':') continue;
      // "a" and "\u0061" are the same key: compare decoded keys when escapes are present.
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      if (keys.has(key)) return true;
      keys.add(key);
    }
  }
  return false;
}

/**
 * The small part of POSIX sh syntax the simulated containers' shell understands: words with single
 * and double quotes and backslashes, `$VAR`, `${VAR}` and `$?` expansion, pipes, `;`, `&&`, `||`,
 * and the redirections `>`, `>>`, `2>`, `2>>`, `2>&1`, `>&2`. No globbing, subshells or control flow.
 */

/** One simple command of a pipeline: its words and where its output goes. */
export interface SimpleCommand {
  readonly argv: readonly string[];
  /** `> file` / `>> file`. */
  readonly stdoutTo?: { readonly path: string; readonly append: boolean };
  /** `2> file` / `2>> file` (`/dev/null` discards). */
  readonly stderrTo?: { readonly path: string; readonly append: boolean };
  /** `2>&1`. */
  readonly stderrToStdout: boolean;
  /** `>&2` / `1>&2`. */
  readonly stdoutToStderr?: boolean;
}

/** Commands joined by `|`. */
export type Pipeline = readonly SimpleCommand[];

/** A pipeline and what joins it to the previous one (`;` for the first). */
export interface ListItem {
  readonly op: ';' | '&&' | '||';
  readonly pipeline: Pipeline;
}

/** A syntax error, printed as `sh: syntax error: ...` with exit code 2, as busybox sh does. */
export class ShellSyntaxError extends Error {}

type Token = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'op'; readonly text: string };

const OPERATORS = ['&&', '||', '2>>', '2>&1', '1>&2', '>&2', '>>', '2>', ';', '|', '>', '\n'];

// A variable reference inside a word, expanded when its command runs (not when the line is parsed),
// so `X=1; echo $X` and `false; echo $?` see the values of the moment. NUL and SOH cannot occur in an
// argv; SOH marks a reference outside quotes, whose empty expansion leaves no word at all.
const REF = /[\0\x01]([^\0\x01]*)[\0\x01]/g;
const UNQUOTED_ONLY = /^(?:\x01[^\0\x01]*\x01)+$/;

/** Expands the variable references the parser left in a word; undefined when the word vanishes (`$UNSET`). */
export function expandWord(word: string, lookup: (name: string) => string): string | undefined {
  const expanded = word.replace(REF, (_, name: string) => lookup(name));
  return expanded === '' && UNQUOTED_ONLY.test(word) ? undefined : expanded;
}

/** Splits a command line into words (variable references kept for {@link expandWord}) and operators. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const flush = (): void => {
    if (inWord) tokens.push({ kind: 'word', text: word });
    word = '';
    inWord = false;
  };
  const expand = (quoted: boolean): void => {
    // Called with line[i] === '$'.
    const rest = line.slice(i + 1);
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
    const plain = /^([A-Za-z_][A-Za-z0-9_]*|\?)/.exec(rest);
    const m = braced ?? plain;
    if (!m) {
      word += '$';
      i += 1;
      return;
    }
    const mark = quoted ? '\0' : '\x01';
    word += `${mark}${m[1]!}${mark}`;
    i += 1 + m[0].length;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === '#' && !inWord) {
      while (i < line.length && line[i] !== '\n') i += 1;
      continue;
    }
    if (c === ' ' || c === '\t') {
      flush();
      i += 1;
      continue;
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i) && (!/^[12]/.test(o) || !inWord));
    if (op) {
      flush();
      tokens.push({ kind: 'op', text: op === '\n' ? ';' : op });
      i += op.length;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('unterminated quoted string');
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else if (line[i] === '$') expand(true);
        else {
          word += line[i];
          i += 1;
        }
      }
      if (i >= line.length) throw new ShellSyntaxError('unterminated quoted string');
      i += 1;
    } else if (c === '\\') {
      if (i + 1 < line.length && line[i + 1] !== '\n') word += line[i + 1];
      i += 2;
    } else if (c === '$') expand(false);
    else {
      word += c;
      i += 1;
    }
  }
  flush();
  return tokens;
}

/** Parses a command line into a list of pipelines; an empty line is an empty list. */
export function parseCommandLine(line: string): ListItem[] {
  const tokens = tokenize(line);
  const items: ListItem[] = [];
  let op: ListItem['op'] = ';';
  let pipeline: SimpleCommand[] = [];
  let current: { argv: string[]; stdoutTo?: SimpleCommand['stdoutTo']; stderrTo?: SimpleCommand['stderrTo']; stderrToStdout: boolean; stdoutToStderr?: boolean } = { argv: [], stderrToStdout: false };
  const unexpected = (text: string): ShellSyntaxError => new ShellSyntaxError(`unexpected "${text}"`);
  const endCommand = (text: string): void => {
    if (current.argv.length === 0) throw unexpected(text);
    pipeline.push(current);
    current = { argv: [], stderrToStdout: false };
  };
  for (let k = 0; k < tokens.length; k += 1) {
    const t = tokens[k]!;
    if (t.kind === 'word') {
      current.argv.push(t.text);
      continue;
    }
    if (t.text === '>' || t.text === '>>' || t.text === '2>' || t.text === '2>>') {
      const target = tokens[k + 1];
      if (!target || target.kind !== 'word') throw unexpected(target?.text ?? 'end of file');
      const to = { path: target.text, append: t.text.endsWith('>>') };
      if (t.text.startsWith('2')) current.stderrTo = to;
      else current.stdoutTo = to;
      k += 1;
    } else if (t.text === '2>&1') current.stderrToStdout = true;
    else if (t.text === '>&2' || t.text === '1>&2') current.stdoutToStderr = true;
    else if (t.text === '|') endCommand('|');
    else {
      // ; && || end a pipeline; a trailing ; is allowed, a trailing && is not.
      if (current.argv.length === 0 && pipeline.length === 0) {
        if (t.text === ';' && items.length > 0) continue;
        if (t.text === ';' && tokens.slice(0, k).every((x) => x.text === ';')) continue;
        throw unexpected(t.text);
      }
      endCommand(t.text);
      items.push({ op, pipeline });
      pipeline = [];
      op = t.text as ListItem['op'];
    }
  }
  if (current.argv.length > 0) {
    pipeline.push(current);
    items.push({ op, pipeline });
  } else if (pipeline.length > 0 || op !== ';') throw unexpected('end of file');
  return items;
}

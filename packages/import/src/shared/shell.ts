/**
 * Putting variables where a source system spliced text into a shell script (GitHub's `${{ }}`, Rundeck's
 * `@option.x@`, CircleCI's `<< parameters.x >>`). Splicing outside data into script text lets that data
 * run as code; a variable cannot. How a reference is written depends on where it stands: `${NAME}` inside
 * double quotes and unquoted here-documents, `"$NAME"` between words, and `'"$NAME"'` inside single
 * quotes (closing and reopening them). Inside a quoted here-document nothing expands, so such a place is
 * reported instead of changed.
 */

export interface Splice {
  start: number;
  end: number;
  /** The environment variable that holds the value. */
  variable: string;
  /** Between words, leave the variable unquoted so its value splits into words (Rundeck's unquotedoption). */
  split?: boolean;
}

export type QuoteState = "none" | "double" | "single" | "heredoc" | "quoted-heredoc" | "comment";

export interface ReplaceResult {
  text: string;
  /** Splices that could not become a variable (inside a quoted here-document); their text is kept. */
  kept: Splice[];
}

export function replaceSplices(script: string, splices: Splice[]): ReplaceResult {
  const sorted = [...splices].sort((a, b) => a.start - b.start);
  const states = quoteStates(
    script,
    sorted.map((s) => s.start),
  );
  let out = "";
  let from = 0;
  const kept: Splice[] = [];
  sorted.forEach((splice, i) => {
    out += script.slice(from, splice.start);
    const name = splice.variable;
    switch (states[i]) {
      case "double":
      case "heredoc":
      case "comment":
        out += `\${${name}}`;
        break;
      case "single":
        out += `'"\${${name}}"'`;
        break;
      case "quoted-heredoc":
        out += script.slice(splice.start, splice.end);
        kept.push(splice);
        break;
      default:
        out += splice.split ? `\${${name}}` : `"\${${name}}"`;
    }
    from = splice.end;
  });
  return { text: out + script.slice(from), kept };
}

/**
 * The quoting in force at each offset (ascending) of a bash script. A small scanner for the constructs
 * that change how a `$NAME` reads: quotes, `$'...'`, backslashes, comments, `$( )` nesting (quotes restart
 * inside it) and here-documents.
 */
export function quoteStates(script: string, offsets: number[]): QuoteState[] {
  const result: QuoteState[] = [];
  let next = 0;
  // A stack of contexts: each `$(` starts a fresh unquoted context, even inside double quotes.
  const stack: QuoteState[] = ["none"];
  const pendingHeredocs: Array<{ word: string; quoted: boolean; strip: boolean }> = [];
  let heredoc: { word: string; quoted: boolean; strip: boolean } | undefined;
  let atLineStart = true;
  let i = 0;
  const record = (state: QuoteState) => {
    while (next < offsets.length && (offsets[next] as number) <= i) {
      result.push(state);
      next++;
    }
  };
  while (i < script.length && next < offsets.length) {
    if (heredoc) {
      // Inside a here-document body: a whole line equal to the word ends it.
      const lineEnd = script.indexOf("\n", i);
      const end = lineEnd < 0 ? script.length : lineEnd;
      const line = script.slice(i, end);
      const word = heredoc.strip ? line.replace(/^\t+/, "") : line;
      if (word === heredoc.word) {
        i = end + 1;
        heredoc = pendingHeredocs.shift();
        continue;
      }
      while (next < offsets.length && (offsets[next] as number) < end + 1) {
        result.push(heredoc.quoted ? "quoted-heredoc" : "heredoc");
        next++;
      }
      i = end + 1;
      continue;
    }
    const state = stack[stack.length - 1] as QuoteState;
    record(state);
    const c = script[i] as string;
    if (state === "comment") {
      if (c === "\n") {
        stack.pop();
        i = startLine(i);
        continue;
      }
      i++;
      continue;
    }
    if (state === "single") {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (state === "double") {
      if (c === '"') stack.pop();
      else if (c === "$" && script[i + 1] === "(") {
        stack.push("none");
        i += 2;
        continue;
      }
      i++;
      continue;
    }
    // Unquoted.
    if (c === "'") stack.push("single");
    else if (c === '"') stack.push("double");
    else if (c === "$" && script[i + 1] === "'") {
      stack.push("single");
      i += 2;
      continue;
    } else if (c === "$" && script[i + 1] === "(") {
      stack.push("none");
      i += 2;
      continue;
    } else if (c === ")" && stack.length > 1) stack.pop();
    else if (c === "#" && (atLineStart || /\s/.test(script[i - 1] ?? " "))) stack.push("comment");
    else if (c === "<" && script[i + 1] === "<" && script[i + 2] !== "<") {
      const match = /^<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(script.slice(i));
      if (match) {
        pendingHeredocs.push({ word: match[3] as string, quoted: match[2] !== "", strip: match[1] === "-" });
        i += match[0].length;
        continue;
      }
    } else if (c === "\n") {
      i = startLine(i);
      continue;
    }
    atLineStart = c === "\n";
    i++;
  }
  while (next < offsets.length) {
    result.push(
      heredoc ? (heredoc.quoted ? "quoted-heredoc" : "heredoc") : (stack[stack.length - 1] as QuoteState),
    );
    next++;
  }
  return result;

  function startLine(at: number): number {
    atLineStart = true;
    if (!heredoc && pendingHeredocs.length > 0) heredoc = pendingHeredocs.shift();
    return at + 1;
  }
}

/** A word quoted for bash so that it reads back as itself. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An environment variable name made from any text: `node-version` -> `NODE_VERSION`. */
export function envName(text: string): string {
  const name = text
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  return /^[0-9]/.test(name) ? `_${name}` : name || "VALUE";
}

/**
 * A script that prints `message` on stderr and fails: the step left where a part could not be converted.
 * `${{` in the message is broken up, so Gantry does not read the text as an expression.
 */
export function failingScript(message: string): string {
  // A quoted here-document prints the text as it is, whatever quotes or $ it holds.
  return `cat >&2 <<'GANTRY_MESSAGE'\n${message.replace(/\$\{\{/g, "$ {{")}\nGANTRY_MESSAGE\nexit 1\n`;
}

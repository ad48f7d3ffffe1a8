/**
 * GitHub Actions' filter patterns (`branches`, `tags`, `paths` and their `-ignore` lists), as its
 * "filter pattern cheat sheet" defines them:
 * - `*` any characters but `/`; `**` any characters; `**∕` at the start of a segment also matches none;
 * - `?` zero or one of the preceding character, `+` one or more of it;
 * - `[a-z0-9]` one character of a set or range; `\` escapes the next character;
 * - in a `branches`/`tags`/`paths` list, a pattern starting with `!` excludes what earlier patterns
 *   included (order matters: the last pattern that matches decides).
 */
export function filterPatternRegExp(pattern: string): RegExp {
  // Each token is a regular expression for one unit, so `?` and `+` can apply to the one before.
  const tokens: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length) {
      tokens.push(escapeRegExp(pattern[++i] as string));
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          tokens.push("(?:.*/)?");
        } else tokens.push(".*");
      } else tokens.push("[^/]*");
    } else if ((c === "?" || c === "+") && tokens.length > 0) {
      tokens.push(`(?:${tokens.pop()})${c === "?" ? "?" : "+"}`);
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) tokens.push("\\[");
      else {
        const body = pattern.slice(i + 1, end).replace(/[\\\]^]/g, (m) => `\\${m}`);
        tokens.push(`[${body}]`);
        i = end;
      }
    } else tokens.push(escapeRegExp(c));
  }
  return new RegExp(`^${tokens.join("")}$`);
}

const compiled = new Map<string, RegExp>();

/** True when `value` matches the filter pattern (patterns are compiled once). */
export function matchesPattern(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = filterPatternRegExp(pattern);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/**
 * Whether an include list (`branches`, `tags`, `paths`) takes `value`: the last pattern that matches
 * decides, a `!pattern` excluding. A list of only `!` patterns includes nothing, as on GitHub.
 */
export function includedBy(patterns: readonly string[], value: string): boolean {
  let included = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (matchesPattern(pattern.slice(1), value)) included = false;
    } else if (matchesPattern(pattern, value)) included = true;
  }
  return included;
}

/** Whether an ignore list (`branches-ignore`, `tags-ignore`, `paths-ignore`) leaves `value` out. */
export function ignoredBy(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, value));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

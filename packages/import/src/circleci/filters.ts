import { isRecord } from "../source/yaml-source.js";

export interface JobFilters {
  branches?: { only?: unknown; ignore?: unknown };
  tags?: { only?: unknown; ignore?: unknown };
}

export interface Condition {
  /** A Gantry expression (without `${{ }}`), or undefined when the filter lets everything through. */
  expression?: string;
  /** Regexes an expression cannot test: treated as matching everything, and reported. */
  unsupported: string[];
}

/**
 * A job's branch and tag filters as a condition on github.ref. CircleCI runs a job for a branch when the
 * branch passes its branch filters, and for a tag only when it has a tags filter the tag passes. A
 * pattern is a name or a /regex/ matched against the whole name; expressions have no regex, so a regex is
 * kept only when it is a literal prefix followed by `.*` (startsWith).
 */
export function branchCondition(filters: JobFilters, tagsInWorkflow: boolean): Condition {
  const unsupported: string[] = [];
  const branches = isRecord(filters.branches) ? filters.branches : {};
  const tags = isRecord(filters.tags) ? filters.tags : undefined;
  const branchTest = selection(branches.only, branches.ignore, unsupported);
  const parts: string[] = [];
  const onBranch = tagsInWorkflow ? "startsWith(github.ref, 'refs/heads/')" : undefined;
  if (branchTest !== "false") {
    const both = [onBranch, branchTest === "true" ? undefined : branchTest].filter(Boolean);
    parts.push(both.length === 0 ? "true" : both.join(" && "));
  }
  if (tags && tags.only !== undefined) {
    const tagTest = selection(tags.only, tags.ignore, unsupported);
    if (tagTest !== "false")
      parts.push(
        ["startsWith(github.ref, 'refs/tags/')", tagTest === "true" ? undefined : tagTest]
          .filter(Boolean)
          .join(" && "),
      );
  }
  if (parts.includes("true")) return { unsupported };
  if (parts.length === 0) return { expression: "false", unsupported };
  return {
    expression: parts.length === 1 ? (parts[0] as string) : parts.map((p) => `(${p})`).join(" || "),
    unsupported,
  };
}

/** only/ignore lists as a test of github.ref_name: "true" and "false" for the trivial cases. */
function selection(only: unknown, ignore: unknown, unsupported: string[]): string {
  const onlyTests = list(only).map((p) => matcher(p, unsupported));
  const ignoreTests = list(ignore).map((p) => matcher(p, unsupported));
  if (ignoreTests.includes("true")) return "false";
  const included =
    onlyTests.length === 0 || onlyTests.includes("true")
      ? "true"
      : onlyTests.length === 1
        ? (onlyTests[0] as string)
        : `(${onlyTests.join(" || ")})`;
  const excluded = ignoreTests.length === 0 ? undefined : ignoreTests.join(" || ");
  if (!excluded) return included;
  const not = `!(${excluded})`;
  return included === "true" ? not : `${included} && ${not}`;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function matcher(pattern: string, unsupported: string[]): string {
  if (!(pattern.startsWith("/") && pattern.endsWith("/") && pattern.length > 1))
    return `github.ref_name == ${quote(pattern)}`;
  const regex = pattern.slice(1, -1).replace(/^\^/, "").replace(/\$$/, "");
  if (regex === ".*" || regex === ".+") return "true";
  const prefix = /^((?:[^\\.*+?()[\]{}|^$]|\\[./\-_])*)\.\*$/.exec(regex);
  if (prefix) return `startsWith(github.ref_name, ${quote((prefix[1] as string).replace(/\\(.)/g, "$1"))})`;
  const literal = /^((?:[^\\.*+?()[\]{}|^$]|\\[./\-_])+)$/.exec(regex);
  if (literal) return `github.ref_name == ${quote((literal[1] as string).replace(/\\(.)/g, "$1"))}`;
  unsupported.push(pattern);
  return "true";
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

import type { Problem } from "../format/types.js";
import type { Path, SourceFile } from "../yaml/parse.js";
import { compile, type ErrorObject } from "./ajv.js";
import { didYouMean } from "./did-you-mean.js";

/** Validates a parsed file against a JSON Schema and turns Ajv's errors into positioned, readable problems. */
export function schemaProblems(source: SourceFile, schema: object): Problem[] {
  const validate = compile(schema);
  if (validate(source.value)) return [];
  const errors = validate.errors ?? [];
  // An `anyOf` that failed explains itself with its description; its branches' own errors are noise.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    if (error.keyword !== "anyOf" && anyOfPaths.has(error.instancePath)) continue;
    // `propertyNames` reports twice: once for the name and once as the wrapper; keep the first.
    if (error.keyword === "propertyNames") continue;
    const problem = toProblem(source, error);
    const key = `${problem.line}:${problem.col}:${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

export function pointerToPath(pointer: string): Path {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function describePath(path: Path): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

function toProblem(source: SourceFile, error: ErrorObject): Problem {
  const path = pointerToPath(error.instancePath);
  const where = describePath(path);
  const at = (p: Path, key = false) => ({ file: source.file, ...source.locate(p, { key }) });
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const hint = didYouMean(key, allowed) || (allowed.length ? ` (allowed: ${allowed.join(", ")})` : "");
      return { ...at([...path, key], true), message: `${where}: unknown key '${key}'${hint}` };
    }
    case "required":
      return { ...at(path), message: `${where}: missing required key '${String(params.missingProperty)}'` };
    case "type":
      return {
        ...at(path),
        message: `${where}: must be ${article(String(params.type).split(","))}, got ${describeValue(error.data)}`,
      };
    case "enum":
      return {
        ...at(path),
        message: `${where}: ${describeValue(error.data)} is not allowed; allowed values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "anyOf": {
      const description =
        (error.parentSchema as { description?: string }).description ?? "does not match any allowed form";
      return {
        ...at(path),
        message: `${where}: ${describeValue(error.data)} is not valid: expected ${lowerFirst(description)}`,
      };
    }
    case "pattern":
      if (error.propertyName !== undefined) {
        return {
          ...at([...path, error.propertyName], true),
          message: `${where}: '${error.propertyName}' is not a valid name: use letters, digits, '_' and '-', starting with a letter or '_'`,
        };
      }
      return {
        ...at(path),
        message: `${where}: '${String(error.data)}' does not match the pattern ${String(params.pattern)}`,
      };
    case "minProperties":
      return { ...at(path), message: `${where}: must not be empty` };
    default:
      return { ...at(path), message: `${where}: ${error.message ?? "is not valid"}` };
  }
}

const TYPE_NAMES: Record<string, string> = {
  array: "a list",
  object: "a map",
  null: "empty",
  integer: "an integer",
};

function article(types: string[]): string {
  const named = types.map((t) => TYPE_NAMES[t] ?? `a ${t}`);
  return named.length === 1 ? (named[0] as string) : `${named.slice(0, -1).join(", ")} or ${named.at(-1)}`;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `'${value}'`;
  return `${typeof value} ${String(value)}`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

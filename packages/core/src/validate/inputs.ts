import type { InputSpec, Problem } from "../format/types.js";
import { checkValue } from "../inputs/coerce.js";
import type { SourceFile } from "../yaml/parse.js";

const NUMERIC = new Set(["number", "integer"]);

/** Checks that each declared input makes sense: choices have values, defaults fit their own type. */
export function inputSpecProblems(
  source: SourceFile,
  specs: Record<string, InputSpec> | undefined,
): Problem[] {
  const problems: Problem[] = [];
  for (const [name, spec] of Object.entries(specs ?? {})) {
    if (spec === null || typeof spec !== "object") continue;
    const at = (key?: string) => ({
      file: source.file,
      ...source.locate(key ? ["inputs", name, key] : ["inputs", name], { key: key !== undefined }),
    });
    if (spec.type === "choice" && !spec.enum && !spec.options_from) {
      problems.push({
        ...at(),
        message: `inputs.${name}: a choice needs its values under 'enum' or 'options_from'`,
      });
    }
    if ((spec.minimum !== undefined || spec.maximum !== undefined) && !NUMERIC.has(spec.type)) {
      problems.push({
        ...at(spec.minimum !== undefined ? "minimum" : "maximum"),
        message: `inputs.${name}: minimum and maximum apply only to number and integer inputs`,
      });
    }
    if (spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern, "u");
      } catch (error) {
        problems.push({ ...at("pattern"), message: `inputs.${name}.pattern: ${(error as Error).message}` });
      }
    }
    if (spec.type === "secret" && spec.default !== undefined) {
      problems.push({
        ...at("default"),
        message: `inputs.${name}: a secret input cannot have a default (it would sit in git in clear text)`,
      });
    } else if (spec.default !== undefined) {
      const problem = checkValue(spec, spec.default);
      if (problem) problems.push({ ...at("default"), message: `inputs.${name}.default: ${problem}` });
    }
  }
  return problems;
}

import { parseExpression } from "../expressions/evaluate.js";
import { expressionFacts } from "../expressions/references.js";
import { findExpressions } from "../expressions/template.js";
import type { InputSpec, OptionsFrom } from "../format/types.js";

export type { OptionsFrom };

export interface OptionChoice {
  value: string | number | boolean;
  label?: string;
}

export const OPTIONS_FROM_KINDS = ["run", "workflow", "http"] as const;

/** The inputs a dynamic option list depends on: `${{ inputs.x }}` in `with`/`http`, and `depends_on`. */
export function optionsDependencies(from: OptionsFrom): string[] {
  const names = new Set(from.depends_on ?? []);
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(from.with);
  collect(from.http);
  for (const text of texts)
    for (const found of findExpressions(text)) {
      if (found.end < 0) continue;
      try {
        for (const ref of expressionFacts(parseExpression(found.expr)).references)
          if (ref.context === "inputs" && ref.name) names.add(ref.name);
      } catch {
        // A bad expression is reported by validation; it names no dependency.
      }
    }
  return [...names];
}

/** Every input whose options depend on another: name -> the inputs it depends on. */
export function dependentInputs(inputs: Record<string, InputSpec> = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, spec] of Object.entries(inputs))
    if (spec.options_from) out[name] = optionsDependencies(spec.options_from);
  return out;
}

/**
 * A JSON path's values: `$`, `.key`, `["key"]`, `[0]` and `[*]` (every element), e.g.
 * `$.Regions[*].RegionName`. Enough for option lists; anything else is an error naming the path.
 */
export function selectPath(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === "" || path === "$") return value;
  const tokens = /^\$?((?:\.[A-Za-z_$][\w$-]*|\[\*\]|\[\d+\]|\["[^"]*"\]|\['[^']*'\])*)$/.exec(path.trim());
  if (!tokens) throw new Error(`path '${path}' is not a JSON path this supports ($.a.b[*].c, [0], ["k"])`);
  const parts = tokens[1]?.match(/\.[A-Za-z_$][\w$-]*|\[\*\]|\[\d+\]|\["[^"]*"\]|\['[^']*'\]/g) ?? [];
  let current: unknown[] = [value];
  let spread = false;
  for (const part of parts) {
    const next: unknown[] = [];
    for (const item of current) {
      if (part === "[*]") {
        if (Array.isArray(item)) next.push(...item);
        else if (item && typeof item === "object") next.push(...Object.values(item));
        continue;
      }
      const key = part.startsWith(".")
        ? part.slice(1)
        : part.startsWith("[") && /\d/.test(part[1] ?? "")
          ? Number(part.slice(1, -1))
          : part.slice(2, -2);
      if (item !== null && typeof item === "object" && key in (item as object))
        next.push((item as Record<string | number, unknown>)[key]);
    }
    if (part === "[*]") spread = true;
    current = next;
  }
  return spread ? current : current[0];
}

/** Makes a list of values or `{value, label}` out of what a source gave; an error says what it got. */
export function toOptionList(value: unknown): OptionChoice[] {
  const list = typeof value === "string" ? parseJsonList(value) : value;
  if (!Array.isArray(list))
    throw new Error(`options must be a JSON list of values or of {value, label}, got ${preview(list)}`);
  return list.map((entry, index) => {
    if (typeof entry === "string" || typeof entry === "number" || typeof entry === "boolean")
      return { value: entry };
    if (entry && typeof entry === "object" && "value" in entry) {
      const { value: v, label } = entry as { value: unknown; label?: unknown };
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
        return { value: v, ...(label !== undefined ? { label: String(label) } : {}) };
    }
    throw new Error(`options[${index}] must be a value or {value, label}, got ${preview(entry)}`);
  });
}

function parseJsonList(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A script may print one value a line instead of JSON.
    const lines = text.split("\n").map((l) => l.trim());
    return lines.filter((l) => l !== "");
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

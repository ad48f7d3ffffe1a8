// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import { findExpressions } from "@gantry/core";
import { failingScript } from "../shared/shell.js";
import { isRecord } from "../source/yaml-source.js";
import { type ReferenceRewriter, rewriteExpression } from "./expressions.js";

type Obj = Record<string, unknown>;

/** A value with `${{ }}` inside, each expression rewritten; other scalars as they are. */
export function rewriteValue(
  raw: unknown,
  rewrite: ReferenceRewriter,
): { value: unknown } | { unsupported: string; feature?: string } {
  if (typeof raw !== "string") return { value: raw === null ? "" : raw };
  let out = "";
  let from = 0;
  for (const found of findExpressions(raw)) {
    if (found.end < 0) return { unsupported: "an unclosed ${{" };
    const result = rewriteExpression(found.expr.trim(), rewrite);
    const first = result.unsupported[0];
    if (first)
      return {
        unsupported: result.unsupported.map((u) => u.reason).join("; "),
        ...(first.feature ? { feature: first.feature } : {}),
      };
    out += `${raw.slice(from, found.start)}\${{ ${result.text} }}`;
    from = found.end;
  }
  return { value: out + raw.slice(from) };
}

/** A map of values (env) rewritten; the entries that cannot be are returned apart, with why. */
export function rewriteMap(
  value: unknown,
  rewrite: ReferenceRewriter,
): { values: Obj; dropped: Array<{ key: string; reason: string; feature?: string }> } {
  const values: Obj = {};
  const dropped: Array<{ key: string; reason: string; feature?: string }> = [];
  if (!isRecord(value)) return { values, dropped };
  for (const [key, raw] of Object.entries(value)) {
    const converted = rewriteValue(raw, rewrite);
    if ("unsupported" in converted)
      dropped.push({
        key,
        reason: converted.unsupported,
        ...(converted.feature ? { feature: converted.feature } : {}),
      });
    else values[key] = converted.value;
  }
  return { values, dropped };
}

/** A step that fails saying why its job was not converted. */
export function placeholderRun(job: string, reasons: string[]): string {
  return failingScript(
    `gantry import: job ${job} was not converted: ${reasons.join("; ")}. See the comment above this step.`,
  );
}
